// Named EGT presets. "egt-small" is the SSA paper's EGT-Simple-small (6 x 512, d_e 64, 32 heads,
// 4 VNs, r = 8: 11,411,009 parameters; model-specs.md A.5 gives 11.41M); "egt-small-full" is the
// same shape with edge updates (11,463,809); "egt-47m" is the released PCQM4Mv2 egt_47m
// (47,414,273). "debug" (EgtConfig{}) and "tiny" fit a 2-core CPU.
#include "models/flavor_table.h"
#include "models/egt/egt_config.h"

namespace ssa::models {
namespace {

EgtConfig tiny() {
  EgtConfig c;
  c.layers = 2;
  c.d_node = 16;
  c.d_edge = 8;
  c.heads = 2;
  c.virtual_nodes = 2;
  c.svd_rank = 2;
  c.upto_hop = 4;
  return c;
}

EgtConfig egt_small() {
  EgtConfig c;
  c.layers = 6;
  c.d_node = 512;
  c.d_edge = 64;
  c.heads = 32;
  c.virtual_nodes = 4;
  c.svd_rank = 8;
  c.upto_hop = 16;
  c.attention_dropout = 0.0;  // SSA paper: no attention dropout (SSA regularises)
  c.egt_simple = true;
  c.ssa.layers = -1;  // S6-U20: every layer
  c.ssa.drop_ratio = 0.2;
  return c;
}

EgtConfig egt_small_full() {
  EgtConfig c = egt_small();
  c.egt_simple = false;
  return c;
}

EgtConfig egt_47m() {
  EgtConfig c = egt_small_full();
  c.layers = 18;
  c.d_node = 640;
  c.attention_dropout = 0.3;  // the released config
  c.ssa.layers = 0;           // dense, as released
  return c;
}

}  // namespace

const FlavorTable<EgtConfig>& egt_flavor_table() {
  static const FlavorTable<EgtConfig> table = {{"debug", [] { return EgtConfig{}; }},
                                               {"tiny", tiny},
                                               {"egt-small", egt_small},
                                               {"egt-small-full", egt_small_full},
                                               {"egt-47m", egt_47m}};
  return table;
}

EgtConfig egt_flavor(const std::string& name) { return flavor_from_table(egt_flavor_table(), "egt", name); }

std::vector<std::string> egt_flavor_names() { return flavor_table_names(egt_flavor_table()); }

}  // namespace ssa::models
