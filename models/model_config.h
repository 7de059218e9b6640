// Which model to build: its family and the family's typed config. New families add a member.
#pragma once
#include <string>
#include <vector>

#include "models/decoder/decoder_config.h"
#include "models/egt/egt_config.h"

namespace ssa::models {

struct ModelConfig {
  std::string type = "decoder";  // model family; see model_factory.h
  std::string flavor;            // optional named preset the other keys override
  DecoderConfig decoder;
  EgtConfig egt;
};

// The named presets (model.flavor) of the family `type`, and applying one to config's family
// section (both in model_factory.cpp, beside the list of families). Throws ConfigError naming
// the known presets when `name` is not one of them.
std::vector<std::string> model_flavor_names(const std::string& type);
void apply_model_flavor(ModelConfig& config, const std::string& name);

}  // namespace ssa::models
