// The Swin family's registration: its config keys, the rules they must follow against the data,
// and what it builds and reads (models/model_registry.h).
#include "lib/ssa/ssa_schema.h"
#include "models/model_registry.h"
#include "models/swin/swin.h"

namespace ssa::models {
namespace {

using config::FieldSpec;

void describe_swin(config::FieldVisitor& v, SwinConfig& c) {
  v.field("image_size", c.image_size, FieldSpec("square input side in pixels").at_least(1));
  v.field("in_channels", c.in_channels, FieldSpec("image channels").at_least(1).architecture());
  v.field("num_classes", c.num_classes, FieldSpec("classifier outputs").at_least(2).architecture());
  v.field("patch_size", c.patch_size, FieldSpec("patch embedding kernel and stride").at_least(1).architecture());
  v.field("embed_dim", c.embed_dim, FieldSpec("stage-1 channels; doubled per stage").at_least(1).architecture());
  v.field("depths", c.depths, FieldSpec("blocks per stage").at_least(1).not_empty().architecture());
  v.field("heads", c.heads, FieldSpec("attention heads per stage").at_least(1).not_empty().architecture());
  v.field("window_size", c.window_size, FieldSpec("attention window side in tokens").at_least(1).architecture());
  v.field("mlp_ratio", c.mlp_ratio, FieldSpec("MLP width / channels").greater_than(0).architecture());
  v.field("drop_path", c.drop_path, FieldSpec("stochastic depth of the last block").at_least(0).below(1));
  v.field("attention_dropout", c.attention_dropout, FieldSpec("dropout on attention probabilities").at_least(0).below(1));
  v.section("ssa", c.ssa, "sub-window SSA inside each window");
}

// The stage geometry must divide evenly; SSA is the sub-window or the unbiased variant.
void validate_swin(const SwinConfig& m, const DataFacts& data, const ReportProblem& fail) {
  report_model_config_error([&] { swin_geometry(m); }, fail);
  if (m.ssa.variant != attn::SsaVariant::kSwinSubwindow && m.ssa.variant != attn::SsaVariant::kUnbiased) {
    fail("model.ssa.variant", "Swin subsamples within windows; use swin_subwindow or unbiased");
  }
  if (data.dataset == "imagenet" && m.in_channels != 3) fail("model.in_channels", "imagenet images are RGB; use 3");
}

data::Task swin_task(const SwinConfig&, const DataFacts&) { return data::Task::kImageClassification; }

DataNeeds swin_data_needs(const SwinConfig& c) { return {0, c.image_size, c.num_classes}; }

std::shared_ptr<Model> build_swin(const SwinConfig& c, uint64_t seed) { return std::make_shared<Swin>(c, seed); }

// Per block its sigma fraction; every block attends within one window of window^2 tokens.
SampledLayers swin_sampled_layers(const SwinConfig& c, int64_t) {
  const auto geometry = swin_geometry(c);
  SampledLayers layers{c.ssa, swin_ssa_plan(geometry, c.ssa), {}};
  for (const auto& g : geometry) layers.length.push_back(g.window * g.window);
  return layers;
}

}  // namespace

RegisteredFamily swin_family() {
  return registered(Family<SwinConfig>{"swin",
                                       {"fashion_mnist", "cifar10", "imagenet"},
                                       "swin classifies images; use fashion_mnist, cifar10 or imagenet",
                                       swin_flavor_table,
                                       describe_swin,
                                       validate_swin,
                                       swin_task,
                                       swin_data_needs,
                                       build_swin,
                                       swin_sampled_layers});
}

}  // namespace ssa::models
