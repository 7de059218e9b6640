// ALiBi as extra query/key channels (see alibi_attention.h).
#include "lib/ssa/alibi_attention.h"

#include <cmath>

#include <ATen/ATen.h>

#include "lib/core/torch_compat.h"

namespace ssa::attn {
namespace {

bool is_16_bit(at::ScalarType type) { return type == at::kHalf || type == at::kBFloat16; }

// Per-head query channels (H, c) holding m_h sqrt(D): [m] in fp32/fp64; [256 hi, 256 lo, hi, lo]
// in 16-bit types, hi + lo = m_h sqrt(D) to about 2^-16 relative (256 x is exact).
at::Tensor slope_channels(const at::Tensor& slopes, int64_t dim, at::ScalarType type) {
  const auto m = slopes.to(at::kFloat).mul(std::sqrt(static_cast<double>(dim)));  // (H)
  if (!is_16_bit(type)) return m.to(type).unsqueeze(1);                           // (H, 1)
  const auto hi = m.to(type);
  const auto lo = (m - hi.to(at::kFloat)).to(type);
  return at::stack({hi * 256, lo * 256, hi, lo}, 1);                              // (H, 4)
}

// Per-position key channels (T, c) holding j: [j], or [a, a, b, b] with j = 256 a + b.
at::Tensor position_channels(int64_t length, at::ScalarType type, const at::Device& device) {
  const auto j = at::arange(length, at::TensorOptions().dtype(at::kLong).device(device));  // (T)
  if (!is_16_bit(type)) return j.to(type).unsqueeze(1);                                    // (T, 1)
  const auto a = j.div(256, "floor").to(type), b = j.remainder(256).to(type);
  return at::stack({a, a, b, b}, 1);                                                        // (T, 4)
}

// x: (B, H, T, D), channels: broadcastable to (B, H, T, c) -> (B, H, T, D + c).
at::Tensor with_channels(const at::Tensor& x, const at::Tensor& channels) {
  const auto sizes = x.sizes();
  return at::cat({x, channels.expand({sizes[0], sizes[1], sizes[2], channels.size(-1)})}, -1);
}

}  // namespace

at::Tensor causal_alibi_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const SourceSample& sample, const at::Tensor& slopes, double dropout_p,
                                  bool training) {
  const int64_t batch = q.size(0), heads = q.size(1), length = q.size(2), dim = q.size(3);
  const auto type = q.scalar_type();
  const double scale = 1.0 / std::sqrt(static_cast<double>(dim));
  const auto q_x = with_channels(q, slope_channels(slopes, dim, type).view({1, heads, 1, -1}));  // (B, H, T, D+c)
  const auto k_x = with_channels(k, position_channels(length, type, q.device()).view({1, 1, length, -1}));
  const int64_t windows = sample.windows, per_window = length / windows, extended = q_x.size(3);
  const auto sources = sample.sources.to(q.device());                                    // (G, S)
  const int64_t kept = sources.size(1);
  if (windows == 1 && kept == length) {  // dense: every source, in order
    return compat::masked_attention(q_x, k_x, v, at::Tensor(), /*is_causal=*/true, scale, dropout_p, training);
  }
  const auto flat = sources.reshape({-1});                                                // (G*S)
  const auto k_s = k_x.index_select(2, flat).view({batch * heads, windows, kept, extended});  // (B*H, G, S, D+c)
  const auto v_s = v.index_select(2, flat).view({batch * heads, windows, kept, dim});         // (B*H, G, S, D)
  const auto q_w = q_x.view({batch * heads, windows, per_window, extended});                   // (B*H, G, Tq, D+c)
  const auto targets = at::arange(length, sources.options()).view({windows, per_window, 1});  // (G, Tq, 1)
  const auto allowed = (sources.unsqueeze(1) <= targets).unsqueeze(0);                       // (1, G, Tq, S)
  return compat::masked_attention(q_w, k_s, v_s, allowed, /*is_causal=*/false, scale, dropout_p, training)
      .reshape({batch, heads, length, dim});                                                     // (B, H, T, D)
}

}  // namespace ssa::attn
