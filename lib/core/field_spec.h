// The constraints and one-line documentation of a config field, shared by the reader (checks),
// the writer (comments) and the reference generator (docs/config-reference.md).
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ssa::config {

struct FieldSpec {
  explicit FieldSpec(std::string doc_text) : doc(std::move(doc_text)) {}
  FieldSpec& required() {
    is_required = true;
    return *this;
  }
  FieldSpec& at_least(double v) {
    min = v;
    return *this;
  }
  FieldSpec& greater_than(double v) {
    min = v;
    min_open = true;
    return *this;
  }
  FieldSpec& at_most(double v) {
    max = v;
    return *this;
  }
  FieldSpec& below(double v) {
    max = v;
    max_open = true;
    return *this;
  }
  FieldSpec& not_empty() {
    non_empty = true;
    return *this;
  }
  FieldSpec& one_of(std::vector<std::string> values) {
    allowed = std::move(values);
    return *this;
  }
  // A change makes a run directory's checkpoints unusable (parameter shapes or structure, or the
  // meaning of token ids): resuming such a directory with another value is refused.
  FieldSpec& architecture() {
    defines_architecture = true;
    return *this;
  }

  // "" if `v` is allowed, else what was expected, e.g. "a number in (0, 1]".
  std::string range_problem(double v) const;
  std::string range_text() const;  // "(0, 1]", ">= 1", "" when unconstrained

  std::string doc;
  bool is_required = false;
  bool non_empty = false;            // strings and lists
  std::vector<std::string> allowed;  // strings: the accepted values, if not empty
  std::optional<double> min, max;
  bool min_open = false, max_open = false;
  bool defines_architecture = false;
};

// Enum values and their config spellings.
template <class E>
using ChoiceNames = std::vector<std::pair<const char*, E>>;

}  // namespace ssa::config
