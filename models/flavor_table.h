// The named presets of a model family (model.flavor): a table of config builders, looked up by
// name with one error message shared by every family.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lib/core/error.h"
#include "lib/core/string_distance.h"

namespace ssa::models {

template <class Config>
using FlavorTable = std::map<std::string, std::function<Config()>>;

template <class Config>
std::vector<std::string> flavor_table_names(const FlavorTable<Config>& table) {
  std::vector<std::string> names;
  for (const auto& kv : table) names.push_back(kv.first);
  return names;
}

// The preset `name` of `family`, or a ModelConfigError listing the known ones.
template <class Config>
Config flavor_from_table(const FlavorTable<Config>& table, const std::string& family, const std::string& name) {
  const auto it = table.find(name);
  if (it == table.end()) {
    throw ModelConfigError("flavor",
                           "unknown " + family + " flavor '" + name + "'; known: " + join(flavor_table_names(table)));
  }
  return it->second();
}

}  // namespace ssa::models
