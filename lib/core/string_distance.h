// Edit distance and "did you mean" suggestions for unknown names (config keys, choices), and
// the small text helpers of user-facing messages.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ssa {

size_t edit_distance(const std::string& a, const std::string& b);

// The closest candidate within a small distance, or "" if none is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c"
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

// 246933504 -> "246,933,504"
std::string with_commas(int64_t n);

}  // namespace ssa
