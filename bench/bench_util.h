// Helpers shared by the bench programs: list arguments and medians.
#pragma once
#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace ssa::bench {

// "256,512,1024" -> {256, 512, 1024}.
inline std::vector<int64_t> parse_list(const char* text) {
  std::vector<int64_t> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) out.push_back(std::stoll(item));
  return out;
}

// The median of `values` (the upper one of an even count); values must not be empty.
inline double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

}  // namespace ssa::bench
