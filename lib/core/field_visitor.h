// A visitor over the fields of a config struct that is an interface, not a template: model
// families and SSA describe their config keys through it in their own folders, without knowing
// YAML. lib/config adapts each of its visitors (read, write, flatten, reference) to it
// (lib/config/field_visitor_adapter.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lib/core/field_spec.h"

namespace ssa::config {

class FieldVisitor {
 public:
  virtual ~FieldVisitor() = default;
  virtual void field(const char* key, int64_t& value, const FieldSpec& spec) = 0;
  virtual void field(const char* key, double& value, const FieldSpec& spec) = 0;
  virtual void field(const char* key, bool& value, const FieldSpec& spec) = 0;
  virtual void field(const char* key, std::string& value, const FieldSpec& spec) = 0;
  virtual void field(const char* key, std::vector<std::string>& value, const FieldSpec& spec) = 0;
  virtual void field(const char* key, std::vector<int64_t>& value, const FieldSpec& spec) = 0;
  // An enum field, as the index of its value in `names`.
  virtual void choice_index(const char* key, size_t& index, const ChoiceNames<size_t>& names, const FieldSpec& spec) = 0;
  // A nested map of keys; `body` describes them to the child visitor.
  virtual void section(const char* key, const char* doc, const std::function<void(FieldVisitor&)>& body) = 0;

  template <class E>
  void choice(const char* key, E& value, const ChoiceNames<E>& names, const FieldSpec& spec) {
    ChoiceNames<size_t> indexed;
    size_t index = 0;
    for (size_t i = 0; i < names.size(); ++i) {
      indexed.emplace_back(names[i].first, i);
      if (names[i].second == value) index = i;
    }
    choice_index(key, index, indexed, spec);
    value = names[index].second;
  }

  // A sub-struct with its own describe(FieldVisitor&, S&), found by argument-dependent lookup.
  template <class S>
  void section(const char* key, S& sub, const char* doc) {
    section(key, doc, [&sub](FieldVisitor& child) { describe(child, sub); });
  }
};

}  // namespace ssa::config
