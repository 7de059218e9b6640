// The EGT family's registration: its config keys, the rules they must follow, and what it builds
// and reads (models/model_registry.h). Its SSA draws per graph, so inspect-sampling has no plan.
#include "lib/ssa/ssa_schema.h"
#include "models/egt/egt.h"
#include "models/model_registry.h"

namespace ssa::models {
namespace {

using config::FieldSpec;

void describe_egt(config::FieldVisitor& v, EgtConfig& c) {
  v.field("layers", c.layers, FieldSpec("EGT layers").at_least(1).architecture());
  v.field("d_node", c.d_node, FieldSpec("node channel width d_h").at_least(1).architecture());
  v.field("d_edge", c.d_edge, FieldSpec("edge channel width d_e").at_least(1).architecture());
  v.field("heads", c.heads, FieldSpec("attention heads; must divide d_node").at_least(1).architecture());
  v.field("virtual_nodes", c.virtual_nodes,
          FieldSpec("virtual nodes; the readout reads them").at_least(1).architecture());
  v.field("svd_rank", c.svd_rank, FieldSpec("r: SVD encodings per node are 2r values").at_least(1).architecture());
  v.field("upto_hop", c.upto_hop, FieldSpec("distances clamp to upto_hop + 1").at_least(1).architecture());
  v.field("ffn_multiplier", c.ffn_multiplier, FieldSpec("node FFN width / d_node").greater_than(0).architecture());
  v.field("edge_ffn_multiplier", c.edge_ffn_multiplier,
          FieldSpec("edge FFN width / d_edge (full EGT)").greater_than(0).architecture());
  v.field("attention_dropout", c.attention_dropout, FieldSpec("dropout on gated attention weights").at_least(0).below(1));
  v.field("clip_logits", c.clip_logits, FieldSpec("logits clamp to [-clip, clip]").greater_than(0));
  v.field("scale_degree", c.scale_degree, FieldSpec("scale attention by log(1 + sum of gates)"));
  v.field("egt_simple", c.egt_simple, FieldSpec("static edge stream (no edge updates)").architecture());
  v.field("svd_sign_flip", c.svd_sign_flip, FieldSpec("random SVD component signs in training"));
  v.field("target_mean", c.target_mean, FieldSpec("readout offset: predicts target_mean + target_std * y"));
  v.field("target_std", c.target_std, FieldSpec("readout scale (see target_mean)").greater_than(0));
  v.section("ssa", c.ssa, "graph SSA: subsampled source nodes");
}

// Heads divide the node width; the SSA layers exist.
void validate_egt(const EgtConfig& m, const DataFacts&, const ReportProblem& fail) {
  const auto text = [](int64_t v) { return std::to_string(v); };
  if (m.d_node % m.heads != 0)
    fail("model.heads", "must divide model.d_node (" + text(m.d_node) + "), got " + text(m.heads));
  if (m.ssa.layers > m.layers) {
    fail("model.ssa.layers", "is " + text(m.ssa.layers) + " but the model has only " + text(m.layers) + " layers");
  }
}

data::Task egt_task(const EgtConfig&, const DataFacts&) { return data::Task::kGraphRegression; }

DataNeeds egt_data_needs(const EgtConfig&) { return {}; }

std::shared_ptr<Model> build_egt(const EgtConfig& c, uint64_t seed) { return std::make_shared<Egt>(c, seed); }

}  // namespace

RegisteredFamily egt_family() {
  return registered(Family<EgtConfig>{"egt",
                                      {"molecules"},
                                      "egt reads molecules; use molecules",
                                      egt_flavor_table,
                                      describe_egt,
                                      validate_egt,
                                      egt_task,
                                      egt_data_needs,
                                      build_egt});
}

}  // namespace ssa::models
