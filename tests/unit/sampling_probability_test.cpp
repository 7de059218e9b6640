// The empirical sampling-probability matrix (paper Fig. 5) has the distribution each variant
// promises: one window is exactly dense, sigma 0 is block-diagonal, causal variants put no mass
// above the diagonal, unbiased sampling is uniform at keep_ratio, and local mass sits near the
// diagonal.
#include "tests/support/catch.h"

#include <ATen/ATen.h>

#include "lib/ssa/sampling_probability.h"

using namespace ssa::attn;

namespace {

SsaConfig variant(SsaVariant v, int64_t windows) {
  SsaConfig c;
  c.variant = v;
  c.windows = windows;
  return c;
}

// Mean probability over the (i, j) pairs where `where` is true.
double mean_where(const at::Tensor& p, const at::Tensor& where) { return p.masked_select(where).mean().item<double>(); }

}  // namespace

TEST_CASE("one causal window gives probability 1 on and below the diagonal", "[ssa][probability]") {
  SourceSampler sampler(1);
  const auto p = sampling_probability(sampler, variant(SsaVariant::kCausalLocal, 1), 16, 0.3, 20);
  REQUIRE(at::equal(p, at::ones({16, 16}, at::kDouble).tril()));
}

TEST_CASE("window 0 is always attended densely by its own targets", "[ssa][probability]") {
  SourceSampler sampler(2);
  const auto p = sampling_probability(sampler, variant(SsaVariant::kCausalLocal, 4), 32, 0.25, 50);
  const auto first_window = p.slice(0, 0, 8).slice(1, 0, 8);
  REQUIRE(at::equal(first_window, at::ones({8, 8}, at::kDouble).tril()));
}

TEST_CASE("sigma 0 is exactly block-diagonal causal attention", "[ssa][probability]") {
  SourceSampler sampler(3);
  const auto p = sampling_probability(sampler, variant(SsaVariant::kCausalLocal, 4), 32, 0.0, 10);
  const auto i = at::arange(32).unsqueeze(1), j = at::arange(32).unsqueeze(0);
  const auto block = (j <= i).logical_and(i.div(8, "floor") == j.div(8, "floor"));
  REQUIRE(at::equal(p, block.to(at::kDouble)));
}

TEST_CASE("causal variants put zero mass above the diagonal", "[ssa][probability]") {
  SourceSampler sampler(4);
  for (const auto v : {SsaVariant::kCausalLocal, SsaVariant::kCausalUnbiased}) {
    const auto p = sampling_probability(sampler, variant(v, 4), 32, 0.5, 200);
    REQUIRE(p.triu(1).abs().sum().item<double>() == 0.0);
    // ...and each target sees T / n_w sources in expectation, minus those the mask removes.
    REQUIRE(p.sum(1).max().item<double>() <= 8.0 + 1e-9);
  }
}

TEST_CASE("unbiased sampling includes every pair with probability keep_ratio", "[ssa][probability]") {
  SourceSampler sampler(5);
  SsaConfig c = variant(SsaVariant::kUnbiased, 1);
  c.keep_ratio = 0.25;
  const int64_t draws = 4000;
  const auto p = sampling_probability(sampler, c, 16, 0.0, draws);
  // Binomial(4000, 0.25) per column: std 0.0068; 5 std bounds every entry.
  REQUIRE((p - 0.25).abs().max().item<double>() < 5 * std::sqrt(0.25 * 0.75 / draws));
}

TEST_CASE("local sampling concentrates mass within sigma of the diagonal", "[ssa][probability]") {
  SourceSampler sampler(6);
  const int64_t T = 64;
  const auto p = sampling_probability(sampler, variant(SsaVariant::kLocal, 4), T, 0.1, 400);
  const auto i = at::arange(T).unsqueeze(1), j = at::arange(T).unsqueeze(0);
  // Window w of targets mostly samples sources from its own block; far pairs are rare.
  const auto block_of = [](const at::Tensor& x) { return x.div(16, "floor"); };
  const auto far = (block_of(i) - block_of(j)).abs() >= 2;
  REQUIRE(mean_where(p, far) < 0.02);
  REQUIRE(mean_where(p, block_of(i) == block_of(j)) > 0.6);
  // Each target still sees exactly T / n_w sources per draw.
  REQUIRE(at::allclose(p.sum(1), at::full({T}, 16.0, at::kDouble)));
}

TEST_CASE("causal 2D: zero mass above the diagonal, band 0 dense, vertical locality", "[ssa][probability][grid]") {
  SourceSampler sampler(7);
  SsaConfig c = variant(SsaVariant::kCausalGrid, 4);
  c.row_length = 8;  // 16 rows of 8 tokens, bands of 4 rows
  const auto p = sampling_probability(sampler, c, 128, 0.1, 300);
  REQUIRE(p.triu(1).abs().sum().item<double>() == 0.0);
  REQUIRE(at::equal(p.slice(0, 0, 32).slice(1, 0, 32), at::ones({32, 32}, at::kDouble).tril()));
  // The last band (rows 12..15) draws mostly from rows near the band, rarely from rows 0..5.
  const auto last_band = p.slice(0, 96, 128);
  REQUIRE(last_band.slice(1, 0, 48).mean().item<double>() < 0.05);
  // Most of its mass lies in rows 10..15 (uniform sampling would put about 3/8 there).
  REQUIRE((last_band.slice(1, 80, 128).sum() / last_band.sum()).item<double>() > 0.8);
}

TEST_CASE("Swin sub-windows: sigma 0 is block attention on quadrants, and rows always sum to the sub-window size",
          "[ssa][probability][grid]") {
  SourceSampler sampler(8);
  SsaConfig c = variant(SsaVariant::kSwinSubwindow, 4);
  const auto p0 = sampling_probability(sampler, c, 16, 0.0, 5);  // a 4x4 window, 2x2 quadrants
  const auto quadrant = [](int64_t i) { return (i / 4 / 2) * 2 + (i % 4) / 2; };
  for (int64_t i = 0; i < 16; ++i) {
    for (int64_t j = 0; j < 16; ++j) REQUIRE(p0[i][j].item<double>() == (quadrant(i) == quadrant(j) ? 1.0 : 0.0));
  }
  const auto p = sampling_probability(sampler, c, 196, 0.75, 200);  // a 14x14 window, sigma 0.75 x 14
  REQUIRE(at::allclose(p.sum(1), at::full({196}, 49.0, at::kDouble)));
}
