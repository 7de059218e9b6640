// Which model to build: its family and the family's typed config. New families add a member.
#pragma once
#include <string>

#include "models/decoder/decoder_config.h"
#include "models/egt/egt_config.h"
#include "models/swin/swin_config.h"

namespace ssa::models {

enum class ModelFamily { kDecoder, kSwin, kEgt };

struct ModelConfig {
  ModelFamily type = ModelFamily::kDecoder;
  std::string flavor;            // optional named preset the other keys override
  DecoderConfig decoder;
  SwinConfig swin;
  EgtConfig egt;
};

}  // namespace ssa::models
