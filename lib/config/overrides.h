// Command-line overrides "dotted.key=value" applied to a YAML tree before it is read, so they
// pass through the same strict reader as the file. Values are YAML ("[a, b]" is a list).
#pragma once
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace ssa::config {

// Applies each override to `root` and returns the dotted keys it set. A list element is addressed
// as "train.phases.1.fraction". Throws ConfigError for a malformed override.
std::set<std::string> apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides);

}  // namespace ssa::config
