// Shape and regularisation of the Edge-augmented Graph Transformer for molecules (models/egt/egt.h,
// egt_pytorch's EGT_MOL). Defaults are the CPU-sized "debug" flavor; the paper's shapes
// ("egt-small", "egt-47m", ...) live in egt_flavors.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "lib/ssa/graph_ssa_config.h"
#include "models/flavor_table.h"

namespace ssa::models {

struct EgtConfig {
  int64_t layers = 3;                // EGT layers; the last one never updates the edge stream
  int64_t d_node = 64;               // d_h, node channel width
  int64_t d_edge = 16;               // d_e, edge channel width
  int64_t heads = 4;                 // H; must divide d_node
  int64_t virtual_nodes = 4;         // prepended VNs; the readout concatenates their outputs
  int64_t svd_rank = 8;              // r: each node carries 2r SVD encodings [U sqrt(S), V sqrt(S)]
  int64_t upto_hop = 16;             // shortest-path distances clamp to upto_hop + 1 (unreachable)
  double ffn_multiplier = 1.0;       // node FFN width = round(d_node * ffn_multiplier)
  double edge_ffn_multiplier = 1.0;  // edge FFN width = round(d_edge * edge_ffn_multiplier), full EGT only
  double attention_dropout = 0.0;    // on the gated attention weights; SSA runs use 0
  // The readout predicts target_mean + target_std * y, so targets far from unit scale (TPSA in
  // A^2) train at the usual learning rates. PCQM4Mv2's HOMO-LUMO gap (eV) needs neither.
  double target_mean = 0.0;
  double target_std = 1.0;
  double clip_logits = 5.0;   // dot-product logits are clamped to [-clip, clip] before the bias
  bool scale_degree = true;   // multiply attention output by log(1 + sum of gates)
  bool egt_simple = true;     // edge stream is a static bias (no O_e, no edge FFN)
  bool svd_sign_flip = true;  // training: random sign per SVD component (same for u and v)
  attn::GraphSsaConfig ssa;
};

// A named preset ("debug", "tiny", "egt-small", "egt-small-full", "egt-47m"), or throws naming the known ones.
EgtConfig egt_flavor(const std::string& name);
std::vector<std::string> egt_flavor_names();
const FlavorTable<EgtConfig>& egt_flavor_table();

}  // namespace ssa::models
