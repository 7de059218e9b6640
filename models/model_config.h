// Which model to build: its family and the family's typed config. New families add a member.
#pragma once
#include <string>

#include "models/decoder/decoder_config.h"
#include "models/egt/egt_config.h"
#include "models/swin/swin_config.h"

namespace ssa::models {

struct ModelConfig {
  std::string type = "decoder";  // model family; see model_factory.h
  std::string flavor;            // optional named preset the other keys override
  DecoderConfig decoder;
  SwinConfig swin;
  EgtConfig egt;
};

}  // namespace ssa::models
