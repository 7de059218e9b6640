// Edit distance and "did you mean" suggestions for unknown names (config keys, choices).
#pragma once
#include <string>
#include <vector>

namespace ssa {

size_t edit_distance(const std::string& a, const std::string& b);

// The closest candidate within a small distance, or "" if none is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c"
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

}  // namespace ssa
