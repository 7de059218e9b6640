// The strict YAML reader: a visitor over the schema (schema.h) that fills a config struct from
// a YAML map, checking types, ranges and choices, and rejecting unknown or duplicate keys with a
// did-you-mean hint. The only code besides overrides.cpp that touches YAML::Node.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "lib/core/field_spec.h"
#include "lib/core/error.h"
#include "lib/core/string_distance.h"
#include "models/model_config.h"

namespace ssa::config {

// Shared by every reader of one document: where messages point and what was read where.
struct ReadContext {
  std::string source;                          // file name for messages
  std::set<std::string> overridden;            // dotted keys set on the command line
  std::map<std::string, std::string> located;  // dotted key -> "file:line:col" of its value
  std::string first_missing;                   // a missing required key, reported after unknown keys

  // Raises the recorded missing-key error, if any; call after the whole document was read.
  void raise_missing() const;

  std::string location(const std::string& dotted, const YAML::Mark& mark) const;
  [[noreturn]] void fail(const std::string& where, const std::string& dotted, const std::string& problem) const;
};

// A node as one line of flow YAML ("[2, 2]", "4"), for messages.
std::string one_line(const YAML::Node& n);

// Scalar and list conversions; each throws ConfigError naming `dotted` on a type problem.
void read_value(const YAML::Node& n, int64_t& out, const std::string& dotted, const ReadContext& ctx);
void read_value(const YAML::Node& n, double& out, const std::string& dotted, const ReadContext& ctx);
void read_value(const YAML::Node& n, bool& out, const std::string& dotted, const ReadContext& ctx);
void read_value(const YAML::Node& n, std::string& out, const std::string& dotted, const ReadContext& ctx);
void read_value(const YAML::Node& n, std::vector<std::string>& out, const std::string& dotted, const ReadContext& ctx);
void read_value(const YAML::Node& n, std::vector<int64_t>& out, const std::string& dotted, const ReadContext& ctx);

class ReadVisitor {
 public:
  ReadVisitor(YAML::Node node, std::string prefix, ReadContext& ctx);

  template <class T>
  void field(const char* key, T& value, const FieldSpec& spec) {
    const auto n = lookup(key, spec);
    if (!n) return;
    read_value(*n, value, dotted(key), ctx_);
    check(key, *n, value, spec);
  }

  template <class E>
  void choice(const char* key, E& value, const ChoiceNames<E>& names, const FieldSpec& spec) {
    const auto n = lookup(key, spec);
    if (!n) return;
    std::string text;
    read_value(*n, text, dotted(key), ctx_);
    std::vector<std::string> known;
    for (const auto& [name, e] : names) {
      if (text == name) {
        value = e;
        return;
      }
      known.emplace_back(name);
    }
    fail_unknown_value(key, *n, text, known);
  }

  template <class S>
  void section(const char* key, S& sub, const char* /*doc*/) {
    ReadVisitor child(child_map(key), dotted(key), ctx_);
    describe(child, sub);
    child.finish();
  }

  template <class S>
  void list(const char* key, std::vector<S>& items, const char* /*doc*/) {
    const auto found = lookup(key, FieldSpec(""));
    if (!found) return;
    const YAML::Node& seq = *found;
    if (!seq.IsSequence() || seq.size() == 0) {
      ctx_.fail(where(key, seq), dotted(key), "expected a non-empty list of maps");
    }
    items.clear();
    for (size_t i = 0; i < seq.size(); ++i) {
      const std::string item_path = dotted(key) + "[" + std::to_string(i) + "]";
      if (!seq[i].IsMap()) ctx_.fail(where(key, seq[i]), item_path, "expected a map");
      S item{};
      ReadVisitor child(seq[i], item_path, ctx_);
      describe(child, item);
      child.finish();
      items.push_back(item);
    }
  }

  // model.flavor: resets the family's config to the named preset before its keys are read.
  void flavor(const char* key, models::ModelConfig& c);

  // Rejects keys that no field asked for, and duplicate keys.
  void finish() const;

 private:
  std::string dotted(const char* key) const;
  std::string where(const char* key, const YAML::Node& n) const;
  // The value node of `key`, or nullopt when absent or null (then fails if required).
  std::optional<YAML::Node> lookup(const char* key, const FieldSpec& spec);
  YAML::Node child_map(const char* key);
  void check(const char* key, const YAML::Node& n, double v, const FieldSpec& spec) const;
  void check(const char* key, const YAML::Node& n, int64_t v, const FieldSpec& spec) const;
  void check(const char* key, const YAML::Node& n, const std::string& v, const FieldSpec& spec) const;
  void check(const char* key, const YAML::Node& n, const std::vector<std::string>& v, const FieldSpec& spec) const;
  void check(const char*, const YAML::Node&, bool, const FieldSpec&) const {}
  // Lists of integers: every item within the bounds, and not empty.
  void check(const char* key, const YAML::Node& n, const std::vector<int64_t>& v, const FieldSpec& spec) const;
  [[noreturn]] void fail_unknown_value(const char* key, const YAML::Node& n, const std::string& text,
                                       const std::vector<std::string>& known) const;

  YAML::Node node_;
  std::string prefix_;
  ReadContext& ctx_;
  std::vector<std::string> asked_;
};

}  // namespace ssa::config
