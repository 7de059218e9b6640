// Swin Transformer: the paper's parameter counts, output shapes, the shifted-window mask and
// relative position index, which blocks can use sub-window SSA, and SSA against dense attention.
#include "tests/support/catch.h"

#include <set>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "lib/core/error.h"
#include "models/swin/swin.h"

using namespace ssa;
using namespace ssa::models;

namespace {

std::shared_ptr<Swin> build(const SwinConfig& c) {
  torch::manual_seed(0);
  return std::make_shared<Swin>(c, /*sampler_seed=*/3);
}

}  // namespace

TEST_CASE("Swin-T parameter counts match the reference implementation", "[swin][params]") {
  CHECK(build(swin_flavor("swin-t-w7"))->parameter_count() == 28288354);
  // W14 grows the bias tables of stages 1-3 from 13^2 to 27^2 entries per head (90 head-blocks).
  CHECK(build(swin_flavor("swin-t-w14"))->parameter_count() == 28288354 + 90 * (27 * 27 - 13 * 13));
}

TEST_CASE("Swin maps (B, C, H, W) images to (B, classes) log-probabilities", "[swin]") {
  auto model = build(swin_flavor("tiny"));
  data::Batch batch;
  batch.input = at::randn({3, 1, 16, 16});
  batch.target = at::tensor({0, 4, 9}, at::kLong);
  const auto lp = model->predict(batch);
  REQUIRE(lp.sizes() == at::IntArrayRef({3, 10}));
  CHECK(lp.exp().sum(1).allclose(at::ones({3})));
  const auto out = model->loss(batch);
  CHECK(out.count == 3);
  CHECK(out.sum.item<double>() == Approx(-lp.gather(1, batch.target.unsqueeze(1)).sum().item<double>()).epsilon(1e-5));
  // Soft labels equal to the one-hot targets give the same loss.
  batch.target = at::one_hot(batch.target, 10).to(at::kFloat);
  CHECK(model->loss(batch).sum.item<double>() == Approx(out.sum.item<double>()).epsilon(1e-5));
}

TEST_CASE("the shifted-window mask separates the rolled-in regions with -100", "[swin][mask]") {
  const auto mask = shifted_window_mask(8, 8, 4, 2);  // 2 x 2 windows of 16 tokens
  REQUIRE(mask.sizes() == at::IntArrayRef({4, 16, 16}));
  const std::set<float> values(mask.data_ptr<float>(), mask.data_ptr<float>() + mask.numel());
  CHECK(values == std::set<float>{-100.0f, 0.0f});
  CHECK(at::equal(mask, mask.transpose(1, 2)));
  // Regions per window (top-left, top-right, bottom-left, bottom-right): 1, 2, 2, 4. A window with
  // r equal regions of n/r tokens has n^2 / r allowed pairs.
  const std::vector<int64_t> allowed_pairs = {256, 128, 128, 64};
  for (int64_t w = 0; w < 4; ++w) CHECK(mask[w].eq(0).sum().item<int64_t>() == allowed_pairs[static_cast<size_t>(w)]);
  CHECK_FALSE(shifted_window_mask(8, 8, 4, 0).defined());
}

TEST_CASE("the relative position index covers the (2W-1)^2 table", "[swin]") {
  const int64_t w = 3;
  const auto index = relative_position_index(w);  // (9, 9)
  REQUIRE(index.sizes() == at::IntArrayRef({9, 9}));
  CHECK(index.diagonal().eq((w - 1) * (2 * w - 1) + (w - 1)).all().item<bool>());  // zero offset: the centre
  CHECK(index.min().item<int64_t>() == 0);
  CHECK(index.max().item<int64_t>() == (2 * w - 1) * (2 * w - 1) - 1);
  // Token 0 (row 0, col 0) to token 8 (row 2, col 2): offset (-2, -2) -> entry 0.
  CHECK(index[0][8].item<int64_t>() == 0);
}

TEST_CASE("window clipping and SSA eligibility follow the paper", "[swin][ssa]") {
  const auto count = [](const SwinConfig& c) {
    int64_t eligible = 0, shifted = 0;
    for (const auto& g : swin_geometry(c)) {
      eligible += swin_block_can_subsample(g, c.ssa) ? 1 : 0;
      shifted += g.shift > 0 ? 1 : 0;
    }
    return std::pair<int64_t, int64_t>{eligible, shifted};
  };
  CHECK(count(swin_flavor("swin-t-w7")) == std::pair<int64_t, int64_t>{0, 5});  // 7 is not split in 2 x 2
  CHECK(count(swin_flavor("swin-t-w14")) ==
        std::pair<int64_t, int64_t>{10, 2});  // stage 3 is one window; 7x7 stage 4 has no SSA
  CHECK(count(swin_flavor("fmnist-w14")) == std::pair<int64_t, int64_t>{2, 0});
  SwinConfig bad = swin_flavor("tiny");
  bad.window_size = 3;
  CHECK_THROWS_AS(swin_geometry(bad), ConfigError);
}

TEST_CASE("sub-window SSA computes a quarter of each window and dense mode is the dense model", "[swin][ssa]") {
  SwinConfig c = swin_flavor("tiny");  // 8x8 tokens in windows of 4 (stage 1), one 4x4 window (stage 2)
  c.ssa.layers = -1;
  auto model = build(c);
  SwinConfig dense_config = c;
  dense_config.ssa.layers = 0;
  auto dense = build(dense_config);
  model->eval();
  dense->eval();
  data::Batch batch;
  batch.input = at::randn({2, 1, 16, 16});
  model->set_attention_mode(attn::AttentionMode::kDense);
  CHECK(model->predict(batch).allclose(dense->predict(batch), 1e-5, 1e-6));
  CHECK(model->last_attention_fraction() == 1.0);
  model->set_attention_mode(attn::AttentionMode::kSubsampled);
  const auto ssa = model->predict(batch);
  CHECK_FALSE(ssa.allclose(dense->predict(batch), 1e-4, 1e-5));
  CHECK(model->last_attention_fraction() == Approx(0.25));  // every block of "tiny" splits into 4 sub-windows
  CHECK(model->forward_flops(batch, false) < model->forward_flops(batch, true));
}

TEST_CASE("a per-sequence bias (Swin's shift mask) equals attending each sequence alone", "[swin][ssa]") {
  // subsampled_attention with a (B, H, G, Tq, S) bias must treat sequence b exactly as a run on
  // sequence b alone with its (H, G, Tq, S) slice.
  torch::manual_seed(1);
  const int64_t b = 3, h = 2, t = 16, d = 4;
  const auto q = at::randn({b, h, t, d}, at::kDouble), k = at::randn({b, h, t, d}, at::kDouble),
             v = at::randn({b, h, t, d}, at::kDouble);
  const auto per_sequence = at::randn({b, h, 1, t, t}, at::kDouble);
  attn::SourceSampler sampler(7);
  attn::SsaConfig ssa;
  ssa.variant = attn::SsaVariant::kSwinSubwindow;
  const auto sample = sampler.sample(ssa, t, 0.75);
  const auto gather = [t](const at::Tensor& full, const at::Tensor& targets, const at::Tensor& sources) {
    // full (..., T, T) at [targets (G, Tq), sources (G, S)] -> (..., G, Tq, S)
    const auto pairs = (targets.unsqueeze(2) * t + sources.unsqueeze(1)).reshape({-1});
    auto shape = full.sizes().vec();
    shape.resize(shape.size() - 2);
    for (const int64_t n : {targets.size(0), targets.size(1), sources.size(1)}) shape.push_back(n);
    return full.flatten(-2).index_select(-1, pairs).view(shape);
  };
  const auto batched = attn::subsampled_attention(
      q, k, v, sample,
      [&](const at::Tensor& tg, const at::Tensor& src) { return gather(per_sequence.squeeze(2), tg, src); }, 0.0, false);
  for (int64_t i = 0; i < b; ++i) {
    const auto alone = attn::subsampled_attention(
        q.slice(0, i, i + 1), k.slice(0, i, i + 1), v.slice(0, i, i + 1), sample,
        [&](const at::Tensor& tg, const at::Tensor& src) { return gather(per_sequence[i].squeeze(1), tg, src); }, 0.0,
        false);
    CHECK(batched.slice(0, i, i + 1).allclose(alone, 1e-10, 1e-12));
  }
}

TEST_CASE("unbiased Swin SSA keeps keep_ratio of each window's sources, and all of them is dense", "[swin][ssa]") {
  SwinConfig c = swin_flavor("tiny");  // every block's window holds 16 tokens and splits 2 x 2
  c.ssa.variant = attn::SsaVariant::kUnbiased;
  c.ssa.layers = -1;
  c.ssa.keep_ratio = 0.25;
  auto model = build(c);
  model->eval();
  data::Batch batch;
  batch.input = at::randn({2, 1, 16, 16});
  const auto dense_out = (model->set_attention_mode(attn::AttentionMode::kDense), model->predict(batch));
  model->set_attention_mode(attn::AttentionMode::kSubsampled);
  CHECK_FALSE(model->predict(batch).allclose(dense_out, 1e-4, 1e-5));
  CHECK(model->last_attention_fraction() == Approx(0.25));  // 4 of 16 sources per window
  // Keeping every source is a permutation that the sampler sorts back: the dense function.
  c.ssa.keep_ratio = 1.0;
  auto keep_all = build(c);
  keep_all->eval();
  CHECK(keep_all->predict(batch).allclose(dense_out, 1e-5, 1e-6));
  CHECK(keep_all->last_attention_fraction() == 1.0);
}
