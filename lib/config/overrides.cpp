// Applies "dotted.key=value" overrides to a YAML tree (see overrides.h).
#include "lib/config/overrides.h"

#include <cstdlib>

#include "lib/core/error.h"

namespace ssa::config {
namespace {

std::vector<std::string> split_dots(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool is_index(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

// The dotted path as the reader names it: list indices in brackets.
std::string reader_path(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += is_index(p) ? "[" + p + "]" : (out.empty() ? "" : ".") + p;
  return out;
}

void apply_one(YAML::Node& root, const std::string& text, std::set<std::string>& set_keys) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("command line: '" + text + "': expected dotted.key=value");
  }
  const std::string key = text.substr(0, eq);
  const auto parts = split_dots(key);
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw ConfigError("command line: " + key + ": value is not valid YAML (" + e.msg + ")");
  }
  YAML::Node cur = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string& p = parts[i];
    if (p.empty()) throw ConfigError("command line: " + key + ": empty key segment");
    if (cur.IsSequence() && is_index(p)) {
      const size_t idx = std::strtoul(p.c_str(), nullptr, 10);
      if (idx >= cur.size()) {
        throw ConfigError("command line: " + key + ": index " + p + " is past the end of the list");
      }
      cur.reset(cur[idx]);
      continue;
    }
    if (cur.IsScalar()) {
      throw ConfigError("command line: " + key + ": '" + reader_path({parts.begin(), parts.begin() + i}) +
                        "' is a value, not a section");
    }
    if (!cur[p] || cur[p].IsNull()) cur[p] = YAML::Node(YAML::NodeType::Map);
    cur.reset(cur[p]);
  }
  const std::string& last = parts.back();
  if (cur.IsSequence() && is_index(last)) {
    const size_t idx = std::strtoul(last.c_str(), nullptr, 10);
    if (idx >= cur.size()) throw ConfigError("command line: " + key + ": index past the end of the list");
    cur[idx] = value;
  } else {
    cur[last] = value;
  }
  set_keys.insert(reader_path(parts));
}

}  // namespace

std::set<std::string> apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides) {
  std::set<std::string> set_keys;
  if (!overrides.empty() && (!root || root.IsNull())) root = YAML::Node(YAML::NodeType::Map);
  for (const auto& o : overrides) apply_one(root, o, set_keys);
  return set_keys;
}

}  // namespace ssa::config
