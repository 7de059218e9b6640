// ALiBi as extra query/key channels (causal_alibi_attention) equals attention with the ALiBi bias
// tensor: the mask oracle for dense and every causal SSA variant, in values and gradients, at long
// sequences; 16-bit inputs keep the bias tensor. On LibTorch 2.x it runs the fused kernels; on 1.13
// the same math op by op (compat::masked_attention).
#include "tests/support/catch.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "lib/core/cpu_memory_probe.h"
#include "lib/core/torch_compat.h"
#include "lib/nn/alibi.h"
#include "lib/ssa/alibi_attention.h"
#include "lib/ssa/ssa_attention.h"

using namespace ssa::attn;

namespace {

const at::Tensor kSlopes = at::tensor({0.5f, 0.25f, 0.125f, 0.0625f});  // (H)

BiasFn alibi_bias_fn() {
  return [](const at::Tensor& t, const at::Tensor& s) { return ssa::nn::alibi_bias(kSlopes, t, s, /*causal=*/true); };
}

// The path every LibTorch takes without the channels: the (H, G, Tq, S) bias tensor.
at::Tensor with_bias_tensor(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const SourceSample& sample) {
  return subsampled_attention(q, k, v, sample, AttentionBias(alibi_bias_fn()), 0, false);
}

struct Qkv {
  at::Tensor q, k, v;
};

Qkv random_qkv(int64_t length, int64_t dim, bool grad, at::ScalarType type = at::kFloat) {
  torch::manual_seed(0);
  const auto make = [&] { return at::randn({2, 4, length, dim}).to(type).requires_grad_(grad); };
  return {make(), make(), make()};
}

}  // namespace

TEST_CASE("ALiBi channels equal the bias tensor: dense and each causal variant", "[ssa][attention][alibi]") {
  const auto x = random_qkv(32, 8, false);
  SourceSampler sampler(42);
  REQUIRE(at::allclose(causal_alibi_attention(x.q, x.k, x.v, dense_sample(32), kSlopes, 0, false),
                       with_bias_tensor(x.q, x.k, x.v, dense_sample(32)), 1e-5, 1e-6));
  for (int draw = 0; draw < 5; ++draw) {
    for (const auto& sample : {sampler.causal_local(32, 4, 6.0), sampler.causal_unbiased(32, 2),
                               sampler.causal_local(32, 8, 100.0), sampler.causal_local(32, 4, 0.0)}) {
      const auto y = causal_alibi_attention(x.q, x.k, x.v, sample, kSlopes, 0, false);
      REQUIRE(at::allclose(y, with_bias_tensor(x.q, x.k, x.v, sample), 1e-5, 1e-6));
    }
  }
}

// The channels' scores are q k / sqrt(D) + m j, up to m T in size, where the bias tensor's near
// the diagonal are small: fp32 rounds them to m T 2^-24, which the softmax turns into that relative
// error of the probabilities. Twice that bound (score and row maximum) is the tolerance.
TEST_CASE("ALiBi channels equal the bias tensor at T = 2048, where m j reaches 1000", "[ssa][attention][alibi]") {
  constexpr int64_t t = 2048;
  const auto x = random_qkv(t, 16, false);
  SourceSampler sampler(7);
  const double rounding = 2 * 0.5 * t * std::ldexp(1.0, -24);  // 1.2e-4 for the steepest slope, 1/2
  for (const auto& sample : {dense_sample(t), sampler.causal_local(t, 4, 300.0)}) {
    const auto y = causal_alibi_attention(x.q, x.k, x.v, sample, kSlopes, 0, false);
    const auto reference = with_bias_tensor(x.q, x.k, x.v, sample);
    INFO("largest difference " << (y - reference).abs().max().item<double>());
    REQUIRE(at::allclose(y, reference, rounding, rounding));
  }
}

TEST_CASE("ALiBi channels' gradients equal the bias tensor's", "[ssa][attention][alibi][grad]") {
  SourceSampler sampler(9);
  for (const auto& sample : {dense_sample(32), sampler.causal_local(32, 4, 5.0)}) {
    auto a = random_qkv(32, 8, true);
    causal_alibi_attention(a.q, a.k, a.v, sample, kSlopes, 0, false).pow(2).sum().backward();
    auto b = random_qkv(32, 8, true);
    with_bias_tensor(b.q, b.k, b.v, sample).pow(2).sum().backward();
    REQUIRE(at::allclose(a.q.grad(), b.q.grad(), 1e-4, 1e-5));
    REQUIRE(at::allclose(a.k.grad(), b.k.grad(), 1e-4, 1e-5));
    REQUIRE(at::allclose(a.v.grad(), b.v.grad(), 1e-4, 1e-5));
  }
}

TEST_CASE("subsampled_attention takes the ALiBi channels on LibTorch 2.1+ in fp32 and fp64 only, with the same result",
          "[ssa][attention][alibi]") {
  const auto x = random_qkv(32, 8, false);
  SourceSampler sampler(5);
  const auto sample = sampler.causal_local(32, 4, 6.0);
  const AttentionBias declared(alibi_bias_fn(), kSlopes);
  CHECK(uses_alibi_channels(declared, sample, at::kFloat) == ssa::compat::kFusedAttention);
  CHECK(uses_alibi_channels(declared, sample, at::kDouble) == ssa::compat::kFusedAttention);
  CHECK_FALSE(uses_alibi_channels(declared, sample, at::kBFloat16));  // 2.6's CPU kernel rounds its scores
  CHECK_FALSE(uses_alibi_channels(declared, sample, at::kHalf));
  CHECK_FALSE(uses_alibi_channels(AttentionBias(alibi_bias_fn()), sample, at::kFloat));
  const auto listed = sampler.swin_subwindows(6, 2, 1.0);  // listed target windows keep the bias tensor
  CHECK_FALSE(uses_alibi_channels(declared, listed, at::kFloat));
  REQUIRE(at::allclose(subsampled_attention(x.q, x.k, x.v, sample, declared, 0, false),
                       with_bias_tensor(x.q, x.k, x.v, sample), 1e-5, 1e-6));
  const auto xb = random_qkv(32, 8, false, at::kBFloat16);
  CHECK(at::equal(subsampled_attention(xb.q, xb.k, xb.v, sample, declared, 0, false),
                  with_bias_tensor(xb.q, xb.k, xb.v, sample)));
  CHECK_THROWS_WITH(causal_alibi_attention(xb.q, xb.k, xb.v, sample, kSlopes, 0, false),
                    Catch::Contains("fp32 or fp64 only"));
}

// The point of the channels on 2.x: dense causal ALiBi attention without any T x T tensor, where
// the bias-tensor path builds (H, T, T) and 1.13's op-by-op math (B, H, T, T) scores.
TEST_CASE("on LibTorch 2.1+, dense ALiBi attention through the channels holds no T x T tensor",
          "[ssa][memory][alibi]") {
  if (!ssa::compat::kFusedAttention) {
    WARN("skipped: LibTorch " TORCH_VERSION " has no fused scaled_dot_product_attention");
    return;
  }
  constexpr int64_t t = 2048;  // the kernels' blocks (up to 256 x 512 per thread) stay below T x T
  auto x = random_qkv(t, 8, true);
  const int64_t peak = ssa::peak_cpu_bytes(
      [&] { causal_alibi_attention(x.q, x.k, x.v, dense_sample(t), kSlopes, 0.0, true).sum().backward(); });
  CHECK(peak < t * t * 4);  // less than one T x T fp32 matrix
}
