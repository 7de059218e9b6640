// Properties of every SSA sampling variant: causality, legal sources, window 0 dense, sigma 0
// block-local, sampling without replacement, uniform inclusion for the unbiased variant, locality.
#include "tests/support/catch.h"

#include <set>

#include <ATen/ATen.h>

#include "lib/ssa/source_sampler.h"
#include "lib/ssa/ssa_layer_plan.h"

using namespace ssa::attn;

namespace {

std::vector<int64_t> row(const at::Tensor& sources, int64_t w) {
  const auto r = sources[w].contiguous();
  return {r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel()};
}

}  // namespace

TEST_CASE("causal sampling never uses a source at or beyond the window's end", "[ssa][sampler]") {
  SourceSampler sampler(7);
  for (const int64_t windows : {1, 2, 4, 8}) {
    for (const double sigma : {0.0, 1.0, 8.0, 64.0, 1e6}) {
      const int64_t T = 64, W = T / windows;
      const auto s = sampler.causal_local(T, windows, sigma);
      REQUIRE(s.sources.sizes() == at::IntArrayRef({windows, W}));
      for (int64_t w = 0; w < windows; ++w) {
        const auto src = row(s.sources, w);
        REQUIRE(std::set<int64_t>(src.begin(), src.end()).size() == static_cast<size_t>(W));  // no repeats
        for (const int64_t j : src) {
          REQUIRE(j >= 0);
          REQUIRE(j < (w + 1) * W);
        }
        // Every target i in [wW, (w+1)W) keeps at least one source j <= i.
        for (int64_t i = w * W; i < (w + 1) * W; ++i) {
          bool legal = false;
          for (const int64_t j : src) legal = legal || j <= i;
          REQUIRE(legal);
        }
      }
    }
  }
}

TEST_CASE("window 0 is always exactly dense, and sigma 0 is block-local", "[ssa][sampler]") {
  SourceSampler sampler(3);
  const auto noisy = sampler.causal_local(32, 4, 100.0);
  REQUIRE(at::equal(noisy.sources[0], at::arange(8, at::kLong)));
  const auto local = sampler.causal_local(32, 4, 0.0);
  for (int64_t w = 0; w < 4; ++w) {
    REQUIRE(at::equal(local.sources[w], at::arange(w * 8, (w + 1) * 8, at::kLong)));
  }
  const auto unbiased = sampler.causal_unbiased(32, 4);
  REQUIRE(at::equal(unbiased.sources[0], at::arange(8, at::kLong)));
}

TEST_CASE("a single window samples every source: SSA-L1 is dense", "[ssa][sampler]") {
  SourceSampler sampler(5);
  REQUIRE(at::equal(sampler.causal_local(16, 1, 4.0).sources, dense_sample(16).sources));
  REQUIRE(at::equal(sampler.causal_unbiased(16, 1).sources, dense_sample(16).sources));
  REQUIRE(at::equal(sampler.local(16, 1, 4.0).sources, dense_sample(16).sources));
}

TEST_CASE("unbiased sampling keeps ceil(r*T) sources with uniform inclusion probability", "[ssa][sampler]") {
  SourceSampler sampler(11);
  const int64_t T = 20, draws = 4000;
  std::vector<int64_t> hits(T, 0);
  for (int64_t d = 0; d < draws; ++d) {
    const auto s = sampler.unbiased(T, 0.25);
    REQUIRE(s.sources.sizes() == at::IntArrayRef({1, 5}));
    for (const int64_t j : row(s.sources, 0)) ++hits[static_cast<size_t>(j)];
  }
  // Each position is kept with p = 0.25; binomial sd = sqrt(4000 * .25 * .75) ~ 27.4, allow 5 sd.
  for (const int64_t h : hits) REQUIRE(std::abs(h - 1000) < 137);
}

TEST_CASE("non-causal local sampling is a permutation split into windows", "[ssa][sampler]") {
  SourceSampler sampler(13);
  const auto s = sampler.local(24, 3, 2.0);
  REQUIRE(s.sources.sizes() == at::IntArrayRef({3, 8}));
  const auto all = std::get<0>(s.sources.reshape({-1}).sort());
  REQUIRE(at::equal(all, at::arange(24, at::kLong)));
}

TEST_CASE("locally biased sampling concentrates mass near the window", "[ssa][sampler]") {
  // Window 3 of 4 (targets 48..63, sources from [0, 64)): with sigma = 0.1 T most sources are
  // within a few sigma of the window; uniform sampling spreads them over [0, 64).
  SourceSampler sampler(17);
  const int64_t T = 64, draws = 400;
  double local_far = 0, uniform_far = 0;
  for (int64_t d = 0; d < draws; ++d) {
    for (const int64_t j : row(sampler.causal_local(T, 4, 0.1 * T).sources, 3)) local_far += j < 32;
    for (const int64_t j : row(sampler.causal_unbiased(T, 4).sources, 3)) uniform_far += j < 32;
  }
  const double n = draws * 16.0;
  REQUIRE(local_far / n < 0.05);   // farther than 2.5 sigma from the window start
  REQUIRE(uniform_far / n > 0.4);  // half the range: about 0.5
}

TEST_CASE("sampler state round-trips: restoring it repeats the draws", "[ssa][sampler]") {
  SourceSampler sampler(19);
  const auto state = sampler.state();
  const auto a = sampler.causal_local(32, 4, 3.0).sources;
  sampler.set_state(state);
  const auto b = sampler.causal_local(32, 4, 3.0).sources;
  REQUIRE(at::equal(a, b));
  const auto c = sampler.causal_local(32, 4, 3.0).sources;
  REQUIRE_FALSE(at::equal(a, c));  // fresh every step
}

TEST_CASE("layer plan: SSA in the last N layers, sigma linear from first to last", "[ssa][plan]") {
  SsaConfig c;
  c.layers = 3;
  c.sigma_first = 0.1;
  c.sigma_last = 0.3;
  const auto plan = ssa_layer_plan(c, 5);
  REQUIRE_FALSE(plan[0].has_value());
  REQUIRE_FALSE(plan[1].has_value());
  REQUIRE(*plan[2] == Approx(0.1));
  REQUIRE(*plan[3] == Approx(0.2));
  REQUIRE(*plan[4] == Approx(0.3));
  c.layers = -1;
  REQUIRE(ssa_layer_plan(c, 4)[0].has_value());
  c.layers = 0;
  for (const auto& p : ssa_layer_plan(c, 4)) REQUIRE_FALSE(p.has_value());
}

TEST_CASE("2D shuffles are permutations of the grid, and sigma 0 keeps each band or sub-window local",
          "[ssa][sampler][grid]") {
  SourceSampler sampler(21);
  // Non-causal bands: every position is used exactly once over the windows.
  const auto bands = sampler.local_grid(8, 6, 4, 3.0, 2.0);
  REQUIRE(bands.sources.sizes() == at::IntArrayRef({4, 12}));
  REQUIRE(at::equal(std::get<0>(bands.sources.reshape({-1}).sort()), at::arange(48, at::kLong)));
  // sigma 0: band w is exactly rows [2w, 2w+2).
  const auto exact = sampler.local_grid(8, 6, 4, 0.0, 0.0);
  REQUIRE(at::equal(exact.sources, at::arange(48, at::kLong).view({4, 12})));
  const auto swin = sampler.swin_subwindows(4, 2, 0.0);
  REQUIRE(at::equal(swin.sources, swin.targets));  // each 2x2 quadrant attends to itself
  REQUIRE(row(swin.targets, 1) == std::vector<int64_t>({2, 3, 6, 7}));
  const auto shuffled = sampler.swin_subwindows(14, 2, 0.75 * 14);
  REQUIRE(at::equal(std::get<0>(shuffled.sources.reshape({-1}).sort()), at::arange(196, at::kLong)));
}

TEST_CASE("causal 2D sampling stays within the rows up to the end of its band, band 0 dense", "[ssa][sampler][grid]") {
  SourceSampler sampler(22);
  const int64_t rows = 8, cols = 5, windows = 4, band = 2;
  for (int draw = 0; draw < 50; ++draw) {
    const auto s = sampler.causal_grid(rows, cols, windows, 3.0, 2.0);
    REQUIRE(s.sources.sizes() == at::IntArrayRef({windows, band * cols}));
    REQUIRE(row(s.sources, 0) == row(at::arange(band * cols, at::kLong).unsqueeze(0), 0));
    for (int64_t w = 0; w < windows; ++w) {
      const auto r = row(s.sources, w);
      REQUIRE(std::set<int64_t>(r.begin(), r.end()).size() == r.size());  // without replacement
      REQUIRE(r.back() < (w + 1) * band * cols);
      REQUIRE(r.front() <= w * band * cols);  // the window's first target keeps a legal source
    }
  }
}
