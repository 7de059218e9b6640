// Visitors that turn a config struct back into text: the resolved YAML of a run (with each
// key's doc as a comment), a flat "dotted.key -> value" map, and the markdown reference table.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "lib/core/field_spec.h"
#include "models/model_config.h"

namespace ssa::config {

// Value text as it appears in YAML: shortest round-trip numbers, quoted strings.
std::string value_text(int64_t v);
std::string value_text(double v);
std::string value_text(bool v);
std::string value_text(const std::string& v);
std::string value_text(const std::vector<std::string>& v);
std::string value_text(const std::vector<int64_t>& v);

template <class E>
std::string choice_text(E value, const ChoiceNames<E>& names) {
  for (const auto& [name, e] : names) {
    if (e == value) return name;
  }
  return "?";
}

// Writes block YAML.
class YamlWriteVisitor {
 public:
  explicit YamlWriteVisitor(std::string& out, int indent = 0) : out_(out), indent_(indent) {}
  template <class T>
  void field(const char* key, T& value, const FieldSpec& spec) {
    line(key, value_text(value), spec.doc);
  }
  template <class E>
  void choice(const char* key, E& value, const ChoiceNames<E>& names, const FieldSpec& spec) {
    line(key, choice_text(value, names), spec.doc);
  }
  template <class S>
  void section(const char* key, S& sub, const char* doc) {
    line(key, "", doc);
    YamlWriteVisitor child(out_, indent_ + 2);
    describe(child, sub);
  }
  template <class S>
  void list(const char* key, std::vector<S>& items, const char* doc) {
    line(key, "", doc);
    for (auto& item : items) {
      std::string body;
      YamlWriteVisitor child(body, indent_ + 4);
      describe(child, item);
      body.replace(static_cast<size_t>(indent_) + 2, 2, "- ");
      out_ += body;
    }
  }
  void flavor(const char* key, models::ModelConfig& c) { line(key, value_text(c.flavor), "named preset"); }

 private:
  void line(const char* key, const std::string& value, const std::string& doc);
  std::string& out_;
  int indent_;
};

// Collects "dotted.key" -> value text, and the keys marked architecture() in the schema.
class FlatVisitor {
 public:
  FlatVisitor(std::map<std::string, std::string>& out, std::set<std::string>& architecture, std::string prefix)
      : out_(out), architecture_(architecture), prefix_(std::move(prefix)) {}
  template <class T>
  void field(const char* key, T& value, const FieldSpec& spec) {
    add(key, value_text(value), spec);
  }
  template <class E>
  void choice(const char* key, E& value, const ChoiceNames<E>& names, const FieldSpec& spec) {
    add(key, choice_text(value, names), spec);
  }
  template <class S>
  void section(const char* key, S& sub, const char*) {
    FlatVisitor child(out_, architecture_, dotted(key));
    describe(child, sub);
  }
  template <class S>
  void list(const char* key, std::vector<S>& items, const char*) {
    for (size_t i = 0; i < items.size(); ++i) {
      FlatVisitor child(out_, architecture_, dotted(key) + "[" + std::to_string(i) + "]");
      describe(child, items[i]);
    }
  }
  void flavor(const char* key, models::ModelConfig& c) { out_[dotted(key)] = value_text(c.flavor); }

 private:
  std::string dotted(const char* key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  void add(const char* key, std::string value, const FieldSpec& spec) {
    out_[dotted(key)] = std::move(value);
    if (spec.defines_architecture) architecture_.insert(dotted(key));
  }
  std::map<std::string, std::string>& out_;
  std::set<std::string>& architecture_;
  std::string prefix_;
};

// Markdown rows: | key | default | allowed | meaning |
class ReferenceVisitor {
 public:
  ReferenceVisitor(std::string& out, std::string prefix) : out_(out), prefix_(std::move(prefix)) {}
  template <class T>
  void field(const char* key, T& value, const FieldSpec& spec) {
    std::string allowed = spec.range_text();
    if (!spec.allowed.empty()) allowed = join_allowed(spec.allowed);
    if (spec.is_required) allowed = allowed.empty() ? "required" : "required, " + allowed;
    row(key, spec.is_required ? "" : value_text(value), allowed, spec.doc);
  }
  template <class E>
  void choice(const char* key, E& value, const ChoiceNames<E>& names, const FieldSpec& spec) {
    std::vector<std::string> all;
    for (const auto& n : names) all.emplace_back(n.first);
    row(key, choice_text(value, names), join_allowed(all), spec.doc);
  }
  template <class S>
  void section(const char* key, S& sub, const char*) {
    ReferenceVisitor child(out_, dotted(key));
    describe(child, sub);
  }
  template <class S>
  void list(const char* key, std::vector<S>& items, const char* doc) {
    row(key, "1 item", "list of maps", doc);
    S item{};
    ReferenceVisitor child(out_, dotted(key) + "[i]");
    describe(child, item);
    (void)items;
  }
  void flavor(const char* key, models::ModelConfig&);

 private:
  static std::string join_allowed(const std::vector<std::string>& v);
  std::string dotted(const char* key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  void row(const char* key, const std::string& def, const std::string& allowed, const std::string& doc);
  std::string& out_;
  std::string prefix_;
};

}  // namespace ssa::config
