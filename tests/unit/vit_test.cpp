// Vision Transformer: the reference parameter counts of ViT-S/16 and ViT-B/16, output shapes,
// SSA over the patch grid against dense attention (a window of every source is dense; a window
// sees only its sources and the class token), the attention fraction, and config errors.
#include "tests/support/catch.h"

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "lib/config/experiment_config.h"
#include "lib/core/error.h"
#include "models/vit/vit.h"

using namespace ssa;
using namespace ssa::models;

namespace {

std::shared_ptr<Vit> build(const VitConfig& c) {
  torch::manual_seed(0);
  return std::make_shared<Vit>(c, /*sampler_seed=*/3);
}

data::Batch images(int64_t count) {
  torch::manual_seed(1);
  data::Batch batch;
  batch.input = at::randn({count, 1, 28, 28});
  batch.target = at::arange(count, at::kLong);
  return batch;
}

// The parameter count from the shapes: patch embedding, class token, positions, blocks, norm, head.
int64_t formula(const VitConfig& c, int64_t tokens) {
  const int64_t d = c.dim, hidden = static_cast<int64_t>(c.mlp_ratio * static_cast<double>(d));
  const int64_t block = 2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * hidden + hidden) + (hidden * d + d);
  const int64_t embed = c.patch_size * c.patch_size * c.in_channels * d + d;
  return embed + (c.pool == models::PoolKind::kCls ? d : 0) + tokens * d + c.depth * block + 2 * d + d * c.num_classes +
         c.num_classes;
}

std::string config_error(const std::string& model_yaml) {
  try {
    config::parse_experiment("data: {dataset: fashion_mnist}\nmodel:\n  type: vit\n" + model_yaml, "vit.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("ViT-S/16 and ViT-B/16 have the reference parameter counts", "[vit][params]") {
  CHECK(build(vit_flavor("vit-s16"))->parameter_count() == 22050664);
  CHECK(build(vit_flavor("vit-b16"))->parameter_count() == 86567656);
  CHECK(formula(vit_flavor("vit-s16"), 197) == 22050664);
  VitConfig mean = vit_flavor("tiny");
  mean.pool = models::PoolKind::kMean;
  CHECK(build(mean)->parameter_count() == formula(mean, 16));  // no class token, 16 positions
}

TEST_CASE("ViT maps (B, C, H, W) images to (B, classes) log-probabilities", "[vit]") {
  auto model = build(vit_flavor("tiny"));
  const auto batch = images(3);
  const auto lp = model->predict(batch);
  REQUIRE(lp.sizes() == at::IntArrayRef({3, 10}));
  CHECK(lp.exp().sum(1).allclose(at::ones({3})));
  const auto out = model->loss(batch);
  CHECK(out.count == 3);
  CHECK(std::isfinite(out.sum.item<double>()));
  out.sum.backward();
  for (const auto& p : model->parameters()) CHECK(p.grad().defined());
}

TEST_CASE("ViT SSA with one window of every source is dense attention", "[vit][ssa]") {
  for (const auto& [variant, windows, keep] :
       {std::tuple{attn::SsaVariant::kUnbiased, 1, 1.0}, std::tuple{attn::SsaVariant::kLocalGrid, 1, 0.5},
        std::tuple{attn::SsaVariant::kLocal, 1, 0.5}}) {
    for (const auto pool : {models::PoolKind::kCls, models::PoolKind::kMean}) {
      VitConfig c = vit_flavor("tiny");
      c.pool = pool;
      c.ssa.variant = variant;
      c.ssa.windows = windows;
      c.ssa.keep_ratio = keep;
      auto model = build(c);
      model->eval();
      const auto batch = images(2);
      const auto sampled = model->predict(batch);
      CHECK(model->last_attention_fraction() == Approx(1.0));
      model->set_attention_mode(attn::AttentionMode::kDense);
      CHECK(sampled.allclose(model->predict(batch), 1e-5, 1e-6));
    }
  }
}

TEST_CASE("a ViT SSA window sees its band of patch rows and the class token, which sees all", "[vit][ssa]") {
  VitConfig c = vit_flavor("tiny");
  c.ssa.windows = 4;  // a 4x4 patch grid: window w = patch row w
  torch::manual_seed(0);
  VitAttention attention(c, /*sigma_fraction=*/0.0, std::make_shared<attn::SourceSampler>(5));  // sigma 0: no shuffle
  attention->eval();
  const auto x = at::randn({1, 17, c.dim}).requires_grad_(true);  // class token + 16 patches
  const auto y = attention->forward(x);                           // (1, 17, C)
  // 16 patch rows of 1 class token + 4 sources, and the class token's row of 17.
  CHECK(attention->last_attention_fraction() == Approx((16.0 * 5 + 17) / (17.0 * 17)));
  const auto reach = [&](int64_t target) {
    const auto grad = torch::autograd::grad({y[0][target].sum()}, {x}, {}, /*retain_graph=*/true)[0];
    return grad[0].abs().sum(1) > 0;  // (17): which tokens this output depends on
  };
  const auto first_patch = reach(1);  // patch (0, 0): the class token and patches 1..4 (row 0)
  for (int64_t token = 0; token < 17; ++token) CHECK(first_patch[token].item<bool>() == (token <= 4));
  CHECK(reach(0).all().item<bool>());  // the class token attends to every token
}

TEST_CASE("ViT draws a new SSA sample every forward and set_attention_mode makes it dense", "[vit][ssa]") {
  VitConfig c = vit_flavor("tiny");
  c.ssa.sigma_first = c.ssa.sigma_last = 1.0;  // rows mix: draws differ
  auto model = build(c);
  model->eval();
  const auto batch = images(2);
  const auto a = model->predict(batch);
  CHECK(model->last_attention_fraction() == Approx((16.0 * 5 + 17) / (17.0 * 17)));
  CHECK_FALSE(a.allclose(model->predict(batch)));  // another draw of sources
  model->set_attention_mode(attn::AttentionMode::kDense);
  const auto dense = model->predict(batch);
  CHECK(model->last_attention_fraction() == 1.0);
  CHECK(dense.equal(model->predict(batch)));
}

TEST_CASE("ViT config errors name the key", "[vit][config]") {
  CHECK(config_error("  flavor: tiny\n").empty());
  CHECK(config_error("  ssa: {variant: causal_local}\n").find("model.ssa.variant: ViT attends globally") !=
        std::string::npos);
  CHECK(config_error("  ssa: {variant: swin_subwindow}\n").find("model.ssa.variant") != std::string::npos);
  CHECK(config_error("  patch_size: 5\n").find("model.patch_size: must divide model.image_size (28), got 5") !=
        std::string::npos);
  CHECK(config_error("  ssa: {windows: 3}\n").find("model.ssa.row_length: the patch count (16) must be a grid") !=
        std::string::npos);
  CHECK(config_error("  heads: 5\n").find("model.heads: must divide model.dim (64), got 5") != std::string::npos);
  CHECK(config_error("  pool: max\n").find("model.pool") != std::string::npos);
  CHECK(config_error("  depth: 2\n  ssa: {layers: 3}\n").find("model.ssa.layers: is 3 but the model has only 2") !=
        std::string::npos);
}
