// Text forms of config values and the line writers (see yaml_writer.h).
#include "lib/config/yaml_writer.h"

#include "models/model_registry.h"

#include <cstdio>
#include <cstdlib>

#include "lib/core/json_line.h"

namespace ssa::config {

std::string value_text(int64_t v) { return std::to_string(v); }

std::string value_text(double v) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  // Keep a float-looking spelling so the YAML reads as a number, never an integer.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string value_text(bool v) { return v ? "true" : "false"; }

std::string value_text(const std::string& v) { return json_quote(v); }

std::string value_text(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + json_quote(v[i]);
  return out + "]";
}

std::string value_text(const std::vector<int64_t>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out + "]";
}

void YamlWriteVisitor::line(const char* key, const std::string& value, const std::string& doc) {
  std::string text = std::string(static_cast<size_t>(indent_), ' ') + key + ":";
  if (!value.empty()) text += " " + value;
  if (!doc.empty()) {
    const size_t column = 44;
    text += text.size() < column ? std::string(column - text.size(), ' ') : "  ";
    text += "# " + doc;
  }
  out_ += text + "\n";
}

std::string ReferenceVisitor::join_allowed(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::string("`") + v[i] + "`";
  return out;
}

void ReferenceVisitor::flavor(const char* key, models::ModelConfig&) {
  std::vector<std::string> all;
  for (const auto& family : models::model_families()) {
    for (const auto& name : family.flavor_names) all.push_back(family.name + ": " + name);
  }
  row(key, "\"\"", join_allowed(all), "named preset; keys given beside it override the preset");
}

void ReferenceVisitor::row(const char* key, const std::string& def, const std::string& allowed, const std::string& doc) {
  out_ += "| `" + dotted(key) + "` | " + (def.empty() ? "" : "`" + def + "`") + " | " + allowed + " | " + doc + " |\n";
}

}  // namespace ssa::config
