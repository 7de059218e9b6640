// The ViT family's registration: its config keys, the rules they must follow against the data,
// and what it builds and reads (models/model_registry.h).
#include "lib/ssa/ssa_layer_plan.h"
#include "lib/ssa/ssa_schema.h"
#include "lib/ssa/ssa_variants.h"
#include "models/model_registry.h"
#include "models/vit/vit.h"

namespace ssa::models {
namespace {

using config::FieldSpec;

void describe_vit(config::FieldVisitor& v, VitConfig& c) {
  v.field("image_size", c.image_size, FieldSpec("square input side in pixels").at_least(1).architecture());
  v.field("in_channels", c.in_channels, FieldSpec("image channels").at_least(1).architecture());
  v.field("num_classes", c.num_classes, FieldSpec("classifier outputs").at_least(2).architecture());
  v.field("patch_size", c.patch_size,
          FieldSpec("patch side in pixels; must divide image_size").at_least(1).architecture());
  v.field("dim", c.dim, FieldSpec("token width").at_least(1).architecture());
  v.field("depth", c.depth, FieldSpec("transformer blocks").at_least(1).architecture());
  v.field("heads", c.heads, FieldSpec("attention heads; must divide dim").at_least(1).architecture());
  v.field("mlp_ratio", c.mlp_ratio, FieldSpec("MLP width / dim").greater_than(0).architecture());
  v.choice("pool", c.pool, kPoolKinds, FieldSpec("cls (class token) or mean (mean of the patch tokens)").architecture());
  v.field("dropout", c.dropout, FieldSpec("dropout after the position embedding and in the MLP").at_least(0).below(1));
  v.field("attention_dropout", c.attention_dropout, FieldSpec("dropout on attention probabilities").at_least(0).below(1));
  v.field("drop_path", c.drop_path, FieldSpec("stochastic depth of the last block").at_least(0).below(1));
  v.section("ssa", c.ssa, "SSA over the patch grid");
}

std::string text(int64_t v) { return std::to_string(v); }

// A non-causal variant with contiguous windows of patches that fit the patch grid.
void validate_ssa(const VitConfig& m, int64_t patches, const ReportProblem& fail) {
  const auto& row = attn::variant_row(m.ssa.variant);
  if (row.causal || row.shape == attn::SequenceShape::kSquareWindow) {
    fail("model.ssa.variant", "ViT attends globally over the patch grid; use local_2d, local or unbiased");
  }
  if (m.ssa.layers > m.depth) {
    fail("model.ssa.layers", "is " + text(m.ssa.layers) + " but the model has only " + text(m.depth) + " blocks");
  }
  if (const auto problem = attn::layout_problem(m.ssa, patches, "the patch count")) {
    fail("model.ssa." + problem->key, problem->problem);
  }
}

void validate_vit(const VitConfig& m, const DataFacts& data, const ReportProblem& fail) {
  if (m.dim % m.heads != 0) fail("model.heads", "must divide model.dim (" + text(m.dim) + "), got " + text(m.heads));
  int64_t patches = 0;
  report_model_config_error([&] { patches = vit_patch_count(m); }, fail);
  validate_ssa(m, patches, fail);
  if (data.dataset == "imagenet" && m.in_channels != 3) fail("model.in_channels", "imagenet images are RGB; use 3");
}

data::Task vit_task(const VitConfig&, const DataFacts&) { return data::Task::kImageClassification; }

DataNeeds vit_data_needs(const VitConfig& c) { return {0, c.image_size, c.num_classes}; }

std::shared_ptr<Model> build_vit(const VitConfig& c, uint64_t seed) { return std::make_shared<Vit>(c, seed); }

// Every block attends over the patch grid (the class token aside).
SampledLayers vit_sampled_layers(const VitConfig& c, int64_t) {
  const auto plan = attn::ssa_layer_plan(c.ssa, c.depth);
  return {c.ssa, plan, std::vector<int64_t>(plan.size(), vit_patch_count(c))};
}

}  // namespace

RegisteredFamily vit_family() {
  return registered(Family<VitConfig>{"vit",
                                      {"fashion_mnist", "cifar10", "imagenet"},
                                      "vit classifies images; use fashion_mnist, cifar10 or imagenet",
                                      vit_flavor_table,
                                      describe_vit,
                                      validate_vit,
                                      vit_task,
                                      vit_data_needs,
                                      build_vit,
                                      vit_sampled_layers});
}

}  // namespace ssa::models
