// The SSA config keys (see ssa_schema.h); variant names come from the variant table.
#include "lib/ssa/ssa_schema.h"

#include "lib/ssa/ssa_variants.h"

namespace ssa::attn {

using config::FieldSpec;

void describe(config::FieldVisitor& v, SsaConfig& c) {
  static const auto variants = ssa_variant_names();
  v.choice("variant", c.variant, variants, FieldSpec("how sources are sampled"));
  v.field("windows", c.windows, FieldSpec("n_w: each target sees 1/n_w of the sources").at_least(1));
  v.field("keep_ratio", c.keep_ratio, FieldSpec("unbiased only: fraction of sources kept").greater_than(0).at_most(1));
  v.field("layers", c.layers, FieldSpec("SSA in the last N layers; -1 = all").at_least(-1));
  v.field("sigma_first", c.sigma_first, FieldSpec("local noise std / length, first SSA layer").at_least(0));
  v.field("sigma_last", c.sigma_last, FieldSpec("local noise std / length, last layer (linear between)").at_least(0));
  v.field("row_length", c.row_length, FieldSpec("2D variants: tokens per grid row; 0 = square grid").at_least(0));
}

void describe(config::FieldVisitor& v, GraphSsaConfig& c) {
  static const config::ChoiceNames<GraphSsaVariant> variants = {{"unbiased", GraphSsaVariant::kUnbiased},
                                                                {"local", GraphSsaVariant::kLocal}};
  static const config::ChoiceNames<GraphOrder> orders = {{"bfs", GraphOrder::kBfs},
                                                         {"rcm", GraphOrder::kReverseCuthillMcKee}};
  v.choice("variant", c.variant, variants, FieldSpec("unbiased (paper, U<drop>) or local (graph windows)"));
  v.field("drop_ratio", c.drop_ratio,
          FieldSpec("unbiased: share of real source nodes dropped (U20 = 0.2)").at_least(0).below(1));
  v.field("layers", c.layers, FieldSpec("SSA in the last N layers; -1 = all, 0 = none").at_least(-1));
  v.field("windows", c.windows, FieldSpec("local: windows of targets, each with its own sources").at_least(1));
  v.choice("order", c.order, orders, FieldSpec("local: node order that defines locality"));
  v.field("sigma_first", c.sigma_first, FieldSpec("local: noise std / node count, first SSA layer").at_least(0));
  v.field("sigma_last", c.sigma_last,
          FieldSpec("local: noise std / node count, last layer (linear between)").at_least(0));
  v.field("rescale_degree", c.rescale_degree,
          FieldSpec("scale kept real nodes' gates by n_real / n_kept in the degree scaler"));
}

}  // namespace ssa::attn
