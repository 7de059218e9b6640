// Gather-based SSA attention equals dense attention with -inf outside the sampled pairs (the
// mask oracle), in values and gradients; one window equals dense; sigma 0 equals block-local;
// L4 holds less memory than dense.
#include "tests/support/catch.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "lib/core/cpu_memory_probe.h"
#include "lib/core/torch_compat.h"
#include "lib/nn/alibi.h"
#include "lib/ssa/ssa_attention.h"

using namespace ssa::attn;

namespace {

constexpr int64_t kB = 2, kH = 4, kT = 32, kD = 8;

BiasFn alibi(bool causal) {
  const auto slopes = at::tensor({0.5f, 0.25f, 0.125f, 0.0625f});
  return [slopes, causal](const at::Tensor& t, const at::Tensor& s) { return ssa::nn::alibi_bias(slopes, t, s, causal); };
}

BiasFn causal_alibi() { return alibi(true); }

// Reference: full T x T attention, ALiBi, and an additive mask of -inf where allowed is false.
at::Tensor masked_dense(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed,
                        bool causal = true) {
  const auto pos = at::arange(kT, at::kLong).unsqueeze(0);
  auto bias = alibi(causal)(pos, pos).squeeze(1);  // (H, T, T)
  bias = bias.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  const auto scores = at::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(kD)) + bias;
  return at::matmul(at::softmax(scores, -1), v);
}

// allowed[i][j]: target i attends to source j under `sample` (window of i contains j; j <= i
// when causal).
at::Tensor allowed_pairs(const SourceSample& sample, bool causal = true) {
  auto allowed = at::zeros({kT, kT}, at::kBool);
  const int64_t per = kT / sample.windows;
  for (int64_t w = 0; w < sample.windows; ++w) {
    for (int64_t t = 0; t < per; ++t) {
      const int64_t i = sample.targets.defined() ? sample.targets[w][t].item<int64_t>() : w * per + t;
      for (int64_t n = 0; n < sample.sources.size(1); ++n) {
        const int64_t j = sample.sources[w][n].item<int64_t>();
        if (!causal || j <= i) allowed[i][j] = true;
      }
    }
  }
  return allowed;
}

struct Qkv {
  at::Tensor q, k, v;
};

Qkv random_qkv(bool grad) {
  torch::manual_seed(0);
  return {at::randn({kB, kH, kT, kD}).requires_grad_(grad), at::randn({kB, kH, kT, kD}).requires_grad_(grad),
          at::randn({kB, kH, kT, kD}).requires_grad_(grad)};
}

}  // namespace

TEST_CASE("SSA with one window equals dense causal attention", "[ssa][attention]") {
  const auto x = random_qkv(false);
  SourceSampler sampler(1);
  const auto y = subsampled_attention(x.q, x.k, x.v, sampler.causal_local(kT, 1, 5.0), causal_alibi(), 0, false);
  const auto causal = at::ones({kT, kT}, at::kBool).tril();
  REQUIRE(at::allclose(y, masked_dense(x.q, x.k, x.v, causal), 1e-5, 1e-6));
}

TEST_CASE("SSA with sigma 0 equals block-local causal attention", "[ssa][attention]") {
  const auto x = random_qkv(false);
  SourceSampler sampler(1);
  const auto y = subsampled_attention(x.q, x.k, x.v, sampler.causal_local(kT, 4, 0.0), causal_alibi(), 0, false);
  const auto i = at::arange(kT).unsqueeze(1), j = at::arange(kT).unsqueeze(0);
  const auto block_local = (j <= i).logical_and(j.div(8, "floor") == i.div(8, "floor"));
  REQUIRE(at::allclose(y, masked_dense(x.q, x.k, x.v, block_local), 1e-5, 1e-6));
}

TEST_CASE("SSA equals the mask oracle for random draws of each causal variant", "[ssa][attention]") {
  const auto x = random_qkv(false);
  SourceSampler sampler(42);
  for (int draw = 0; draw < 5; ++draw) {
    for (const auto& sample :
         {sampler.causal_local(kT, 4, 6.0), sampler.causal_unbiased(kT, 2), sampler.causal_local(kT, 8, 100.0)}) {
      const auto y = subsampled_attention(x.q, x.k, x.v, sample, causal_alibi(), 0, false);
      const auto ref = masked_dense(x.q, x.k, x.v, allowed_pairs(sample));
      REQUIRE(at::allclose(y, ref, 1e-5, 1e-6));
      REQUIRE(at::isfinite(y).all().item<bool>());
    }
  }
}

TEST_CASE("SSA equals the mask oracle for the non-causal unbiased and local variants", "[ssa][attention]") {
  const auto x = random_qkv(false);
  SourceSampler sampler(43);
  for (int draw = 0; draw < 5; ++draw) {
    for (const auto& sample :
         {sampler.unbiased(kT, 0.8), sampler.unbiased(kT, 0.25), sampler.local(kT, 4, 3.0), sampler.local(kT, 2, 0.0)}) {
      const auto y = subsampled_attention(x.q, x.k, x.v, sample, alibi(false), 0, false);
      REQUIRE(at::allclose(y, masked_dense(x.q, x.k, x.v, allowed_pairs(sample, false), false), 1e-5, 1e-6));
    }
  }
}

TEST_CASE("SSA equals the mask oracle for the 2D variants (T = 32 as 8 rows of 4, and a 6x6 Swin window)",
          "[ssa][attention][grid]") {
  const auto x = random_qkv(false);
  SourceSampler sampler(44);
  for (int draw = 0; draw < 4; ++draw) {
    const auto causal = sampler.causal_grid(8, 4, 4, 2.0, 1.0);
    REQUIRE(at::allclose(subsampled_attention(x.q, x.k, x.v, causal, alibi(true), 0, false),
                         masked_dense(x.q, x.k, x.v, allowed_pairs(causal)), 1e-5, 1e-6));
    const auto local = sampler.local_grid(8, 4, 2, 2.0, 1.0);
    REQUIRE(at::allclose(subsampled_attention(x.q, x.k, x.v, local, alibi(false), 0, false),
                         masked_dense(x.q, x.k, x.v, allowed_pairs(local, false), false), 1e-5, 1e-6));
  }
  // Swin: 36 tokens, 2x2 sub-windows of 3x3, targets listed (not contiguous).
  torch::manual_seed(1);
  const auto q = at::randn({1, 4, 36, kD}), k = at::randn({1, 4, 36, kD}), v = at::randn({1, 4, 36, kD});
  const auto sample = sampler.swin_subwindows(6, 2, 4.5);
  auto allowed = at::zeros({36, 36}, at::kBool);
  for (int64_t w = 0; w < 4; ++w) {
    for (int64_t t = 0; t < 9; ++t) {
      for (int64_t n = 0; n < 9; ++n)
        allowed[sample.targets[w][t].item<int64_t>()][sample.sources[w][n].item<int64_t>()] = true;
    }
  }
  const auto pos = at::arange(36, at::kLong).unsqueeze(0);
  const auto bias = alibi(false)(pos, pos).squeeze(1).masked_fill(allowed.logical_not(), -INFINITY);  // (H, T, T)
  const auto ref = at::matmul(at::softmax(at::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(kD)) + bias, -1), v);
  REQUIRE(at::allclose(subsampled_attention(q, k, v, sample, alibi(false), 0, false), ref, 1e-5, 1e-6));
}

TEST_CASE("SSA gradients equal the mask oracle's gradients", "[ssa][attention][grad]") {
  SourceSampler sampler(9);
  const auto sample = sampler.causal_local(kT, 4, 5.0);
  auto a = random_qkv(true);
  subsampled_attention(a.q, a.k, a.v, sample, causal_alibi(), 0, false).pow(2).sum().backward();
  auto b = random_qkv(true);
  masked_dense(b.q, b.k, b.v, allowed_pairs(sample)).pow(2).sum().backward();
  REQUIRE(at::allclose(a.q.grad(), b.q.grad(), 1e-4, 1e-5));
  REQUIRE(at::allclose(a.k.grad(), b.k.grad(), 1e-4, 1e-5));
  REQUIRE(at::allclose(a.v.grad(), b.v.grad(), 1e-4, 1e-5));
}

TEST_CASE("SSA gradients pass a finite-difference check in double precision", "[ssa][attention][grad]") {
  SourceSampler sampler(10);
  const auto sample = sampler.causal_local(8, 2, 1.0);
  const auto slopes = at::tensor({0.5, 0.25}, at::kDouble);
  const BiasFn bias = [slopes](const at::Tensor& t, const at::Tensor& s) {
    return ssa::nn::alibi_bias(slopes, t, s, true);
  };
  torch::manual_seed(3);
  auto q = at::randn({1, 2, 8, 4}, at::kDouble).requires_grad_(true);
  const auto k = at::randn({1, 2, 8, 4}, at::kDouble), v = at::randn({1, 2, 8, 4}, at::kDouble);
  const auto f = [&](const at::Tensor& qq) {
    return subsampled_attention(qq, k, v, sample, bias, 0, false).pow(2).sum();
  };
  f(q).backward();
  const double eps = 1e-6;
  for (const int64_t flat : {0, 5, 17, 40, 63}) {
    auto plus = q.detach().clone(), minus = q.detach().clone();
    plus.view(-1)[flat] += eps;
    minus.view(-1)[flat] -= eps;
    const double numeric = (f(plus).item<double>() - f(minus).item<double>()) / (2 * eps);
    REQUIRE(q.grad().view(-1)[flat].item<double>() == Approx(numeric).epsilon(1e-6).margin(1e-8));
  }
}

TEST_CASE("attention fraction is 1/n_w for windows and k/T for unbiased", "[ssa][attention]") {
  SourceSampler sampler(2);
  REQUIRE(attention_fraction(sampler.causal_local(64, 4, 1.0), 64) == Approx(0.25));
  REQUIRE(attention_fraction(sampler.unbiased(64, 0.5), 64) == Approx(0.5));
  REQUIRE(attention_fraction(dense_sample(64), 64) == Approx(1.0));
}

TEST_CASE("the CPU memory probe counts live bytes, and SSA-L4 attention holds less than dense", "[ssa][memory]") {
  const int64_t both_live = ssa::peak_cpu_bytes([] {
    auto a = at::empty({256 * 1024}, at::kFloat);  // 1 MiB
    auto b = at::empty({128 * 1024}, at::kFloat);  // 0.5 MiB, live with a
  });
  CHECK(both_live == 3 * 512 * 1024);
  // Forward + backward at T = 256: dense keeps (B, H, T, T) scores, probabilities and their
  // gradients (1.13; 2.x's fused kernel only the (H, T, T) bias); L4 keeps a quarter of each,
  // plus O(T) gathers that do not shrink.
  constexpr int64_t t = 256;
  const auto q = at::randn({kB, kH, t, kD}).requires_grad_(true), k = at::randn({kB, kH, t, kD}).requires_grad_(true),
             v = at::randn({kB, kH, t, kD}).requires_grad_(true);
  SourceSampler sampler(5);
  const auto run = [&](const SourceSample& sample) {
    return ssa::peak_cpu_bytes([&] { subsampled_attention(q, k, v, sample, causal_alibi(), 0.0, true).sum().backward(); });
  };
  const double dense = static_cast<double>(run(dense_sample(t)));
  const double l4 = static_cast<double>(run(sampler.causal_local(t, 4, 0.2 * t)));
  if (ssa::compat::kFusedAttention) {
    CHECK(dense >= 1.0 * kH * t * t * 4);  // the fused kernel keeps no scores: the (H, T, T) bias is left
  } else {
    CHECK(dense >= 3.0 * kB * kH * t * t * 4);  // at least three T x T fp32 tensors per head
  }
  CHECK(l4 / dense < 0.35);
}
