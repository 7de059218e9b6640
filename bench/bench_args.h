// Command-line helpers shared by the bench programs.
#pragma once
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

}  // namespace ssa::bench
