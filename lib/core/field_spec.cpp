// Range text and checks for config fields (see field_spec.h).
#include "lib/core/field_spec.h"

#include <cstdio>

namespace ssa::config {
namespace {

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

}  // namespace

std::string FieldSpec::range_text() const {
  if (min && max) {
    return std::string(min_open ? "(" : "[") + number_text(*min) + ", " + number_text(*max) + (max_open ? ")" : "]");
  }
  if (min) return std::string(min_open ? "> " : ">= ") + number_text(*min);
  if (max) return std::string(max_open ? "< " : "<= ") + number_text(*max);
  return "";
}

std::string FieldSpec::range_problem(double v) const {
  const bool low = min && (min_open ? v <= *min : v < *min);
  const bool high = max && (max_open ? v >= *max : v > *max);
  if (!low && !high) return "";
  if (min && max) return "a number in " + range_text();
  return "a number " + range_text();
}

}  // namespace ssa::config
