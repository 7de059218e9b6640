// ALiBi as an extra query/key channel (see alibi_attention.h).
#include "lib/ssa/alibi_attention.h"

#include <cmath>

#include <ATen/ATen.h>

#include "lib/core/error.h"
#include "lib/core/torch_compat.h"

namespace ssa::attn {
namespace {

// x: (B, H, T, D), channel: broadcastable to (B, H, T, 1) -> (B, H, T, D + 1).
at::Tensor with_channel(const at::Tensor& x, const at::Tensor& channel) {
  return at::cat({x, channel.to(x.scalar_type()).expand({x.size(0), x.size(1), x.size(2), 1})}, -1);
}

}  // namespace

at::Tensor causal_alibi_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const SourceSample& sample, const at::Tensor& slopes, double dropout_p, bool training) {
  SSA_CHECK(q.scalar_type() == at::kFloat || q.scalar_type() == at::kDouble, ExitCode::kInternal,
            "causal_alibi_attention: fp32 or fp64 only, got {}", c10::toString(q.scalar_type()));
  const int64_t batch = q.size(0), heads = q.size(1), length = q.size(2), dim = q.size(3);
  const double scale = 1.0 / std::sqrt(static_cast<double>(dim));
  const auto positions = at::arange(length, at::TensorOptions().dtype(at::kLong).device(q.device()));  // (T)
  const auto q_x = with_channel(q, slopes.mul(1.0 / scale).view({1, heads, 1, 1}));  // (B, H, T, D+1): m_h sqrt(D)
  const auto k_x = with_channel(k, positions.view({1, 1, length, 1}));               // (B, H, T, D+1): j
  const auto sources = sample.sources.to(q.device());                                // (G, S)
  const int64_t windows = sample.windows, per_window = length / windows, kept = sources.size(1);
  if (windows == 1 && kept == length) {  // dense: every source, in order
    return compat::masked_attention(q_x, k_x, v, at::Tensor(), /*is_causal=*/true, scale, dropout_p, training);
  }
  const auto flat = sources.reshape({-1});                                                   // (G*S)
  const auto k_s = k_x.index_select(2, flat).view({batch * heads, windows, kept, dim + 1});  // (B*H, G, S, D+1)
  const auto v_s = v.index_select(2, flat).view({batch * heads, windows, kept, dim});        // (B*H, G, S, D)
  const auto q_w = q_x.view({batch * heads, windows, per_window, dim + 1});                  // (B*H, G, Tq, D+1)
  const auto targets = positions.view({windows, per_window, 1});                             // (G, Tq, 1)
  const auto allowed = (sources.unsqueeze(1) <= targets).unsqueeze(0);                       // (1, G, Tq, S)
  return compat::masked_attention(q_w, k_s, v_s, allowed, /*is_causal=*/false, scale, dropout_p, training)
      .reshape({batch, heads, length, dim});  // (B, H, T, D)
}

}  // namespace ssa::attn
