// Causal window attention without a bias tensor, and ALiBi as an extra query/key channel (see
// alibi_attention.h).
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

at::Tensor repeat_kv_heads(const at::Tensor& x, int64_t heads) {
  const int64_t kv_heads = x.size(1);
  if (kv_heads == heads) return x;
  const int64_t group = heads / kv_heads;
  return x.unsqueeze(2)
      .expand({x.size(0), kv_heads, group, x.size(2), x.size(3)})
      .reshape({x.size(0), heads, x.size(2), x.size(3)});
}

at::Tensor causal_window_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const SourceSample& sample, double scale, double dropout_p, bool training) {
  const int64_t batch = q.size(0), heads = q.size(1), length = q.size(2), width = q.size(3), dim = v.size(3);
  const auto sources = sample.sources.to(q.device());  // (G, S)
  const int64_t windows = sample.windows, per_window = length / windows, kept = sources.size(1);
  if (windows == 1 && kept == length) {  // dense: every source, in order
    return compat::masked_attention(q, repeat_kv_heads(k, heads), repeat_kv_heads(v, heads), at::Tensor(),
                                    /*is_causal=*/true, scale, dropout_p, training);
  }
  const auto flat = sources.reshape({-1});  // (G*S), gathered once per kv head:
  const auto k_s = repeat_kv_heads(k.index_select(2, flat), heads).reshape({batch * heads, windows, kept, width});  // (B*H, G, S, E)
  const auto v_s = repeat_kv_heads(v.index_select(2, flat), heads).reshape({batch * heads, windows, kept, dim});  // (B*H, G, S, Dv)
  const auto q_w = q.reshape({batch * heads, windows, per_window, width});                    // (B*H, G, Tq, E)
  const auto targets = at::arange(length, sources.options()).view({windows, per_window, 1});  // (G, Tq, 1)
  const auto allowed = (sources.unsqueeze(1) <= targets).unsqueeze(0);                        // (1, G, Tq, S)
  return compat::masked_attention(q_w, k_s, v_s, allowed, /*is_causal=*/false, scale, dropout_p, training)
      .reshape({batch, heads, length, dim});  // (B, H, T, Dv)
}

at::Tensor causal_alibi_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const SourceSample& sample, const at::Tensor& slopes, double dropout_p, bool training) {
  SSA_CHECK(q.scalar_type() == at::kFloat || q.scalar_type() == at::kDouble, ExitCode::kInternal,
            "causal_alibi_attention: fp32 or fp64 only, got {}", c10::toString(q.scalar_type()));
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  const auto channels = alibi_channels(q, k, slopes);
  return causal_window_attention(channels.q, channels.k, v, sample, scale, dropout_p, training);  // (B, H, T, D)
}

AlibiChannels alibi_channels(const at::Tensor& q, const at::Tensor& k, const at::Tensor& slopes) {
  const int64_t heads = q.size(1), length = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  const auto positions = at::arange(length, at::TensorOptions().dtype(at::kLong).device(q.device()));  // (T)
  return {with_channel(q, slopes.mul(1.0 / scale).view({1, heads, 1, 1})),  // (B, H, T, D+1): m_h sqrt(D)
          with_channel(k, positions.view({1, 1, length, 1}))};              // (B, Hkv, T, D+1): j
}

}  // namespace ssa::attn
