// Shape and regularisation of the pre-LN decoder (models/decoder/decoder.h): the paper's ALiBi /
// LayerNorm / GELU decoder by default, or today's LLaMA recipe (RoPE, RMSNorm, SwiGLU, grouped-query
// attention, no biases) through the options below. Defaults are the CPU-sized "small" flavor;
// named shapes (paper, llama-*) live in decoder_flavors.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/ssa/ssa_config.h"
#include "lib/core/field_spec.h"
#include "models/flavor_table.h"

namespace ssa::models {

// model.position, model.norm and model.ffn, with their config spellings.
enum class PositionKind { kAlibi, kRope, kGrid2d };
enum class NormKind { kLayerNorm, kRmsNorm };
enum class FfnKind { kGelu, kSwiglu };
inline const config::ChoiceNames<PositionKind> kPositionKinds = {
    {"alibi", PositionKind::kAlibi}, {"rope", PositionKind::kRope}, {"grid_2d", PositionKind::kGrid2d}};
inline const config::ChoiceNames<NormKind> kNormKinds = {{"layernorm", NormKind::kLayerNorm},
                                                         {"rmsnorm", NormKind::kRmsNorm}};
inline const config::ChoiceNames<FfnKind> kFfnKinds = {{"gelu", FfnKind::kGelu}, {"swiglu", FfnKind::kSwiglu}};

struct DecoderConfig {
  int64_t vocab_size = 256;  // byte-level by default
  int64_t layers = 4;
  int64_t d_model = 256;
  int64_t heads = 4;
  int64_t d_ff = 1024;
  double dropout = 0.1;             // embedding output and both residual branches
  double attention_dropout = 0.0;   // on attention probabilities
  double activation_dropout = 0.0;  // after GELU inside the feed-forward block
  bool final_norm = true;           // LayerNorm before the output projection
  bool tie_embeddings = false;      // output projection shares the input embedding
  bool scale_embedding = true;      // multiply embeddings by sqrt(d_model)
  // Adaptive input and tied adaptive softmax (fairseq, WikiText-103): band boundaries of the
  // vocabulary (sorted by frequency); empty = one embedding and a plain softmax. Needs
  // tie_embeddings. Band i has d_model / adaptive_factor^i dimensions.
  std::vector<int64_t> adaptive_cutoffs;
  double adaptive_factor = 4.0;
  double adaptive_dropout = 0.0;  // adaptive softmax: on the head input and inside each tail
  // Position information: "alibi" (text), "rope" (rotary q and k, rope_theta the base), or
  // "grid_2d", a learned 2D relative position bias per layer over an image's sub-pixels in raster
  // order (pixel generation, paper Sec. 5.2).
  PositionKind position = PositionKind::kAlibi;
  double rope_theta = 10000.0;
  NormKind norm = NormKind::kLayerNorm;  // before attention, FFN and output
  FfnKind ffn = FfnKind::kGelu;          // gelu: fc2(gelu(fc1 x)); swiglu: fc2(silu(fc1 x) * fc_up x), d_ff wide
  int64_t kv_heads = 0;                  // key/value heads (grouped-query attention); 0 = heads
  bool bias = true;                      // biases of the attention and feed-forward linear layers
  int64_t image_height = 0;              // grid_2d: pixels per column
  int64_t image_width = 0;               // grid_2d: pixels per row
  int64_t image_channels = 1;            // grid_2d: sub-pixels per pixel
  // DistAug conditioning (pixel generation): the transform ids per family, e.g. {4, 2} for
  // rotate and transpose. One learned vector per id, summed over the families and added to the
  // begin token's embedding; empty = unconditional.
  std::vector<int64_t> conditions;
  attn::SsaConfig ssa;
};

// A named preset ("small", "tiny", "enwik8", "wt103", ...), or throws naming the known ones.
DecoderConfig decoder_flavor(const std::string& name);
const FlavorTable<DecoderConfig>& decoder_flavor_table();

}  // namespace ssa::models
