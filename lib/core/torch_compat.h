// The only place that knows which LibTorch version we are built against (1.13 on Debian,
// 2.x from the PyTorch CUDA wheel). Every version-sensitive call goes through here.
#pragma once
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#define SSA_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace ssa::compat {

// scaled_dot_product_attention with its `scale` argument and fused kernels (2.1+).
inline constexpr bool kFusedAttention = SSA_TORCH_AT_LEAST(2, 1);

// softmax(q k^T / sqrt(d) + bias) v op by op (two matmuls, softmax in at least fp32): the path of
// 1.13, compiled on every version so that bench/causal_mask_bench.cpp can set it against the fused
// kernel of 2.x (which wins there on CPU: docs/benchmarks.md). Shapes as attention().
inline at::Tensor attention_op_by_op(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                     const at::Tensor& bias, double dropout_p, bool training) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  // Scale q (Tq x D entries), not the scores (Tq x S): the scores' elementwise passes dominate on CPU.
  auto scores = at::matmul(q.mul(scale), k.transpose(-2, -1)).add_(bias);  // (..., Tq, S)
  auto probs = at::softmax(scores, -1, at::promote_types(q.scalar_type(), at::kFloat)).to(q.scalar_type());
  if (training && dropout_p > 0) probs = at::dropout(probs, dropout_p, /*train=*/true);
  return at::matmul(probs, v);  // (..., Tq, D)
}

// softmax(q k^T / sqrt(d) + bias) v with dropout on the probabilities. q: (..., Tq, D),
// k, v: (..., S, D), bias broadcastable to (..., Tq, S). LibTorch 2.x uses the fused
// scaled_dot_product_attention; 1.13 runs the same math op by op, softmax in at least fp32.
inline at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& bias,
                            double dropout_p, bool training) {
#if SSA_TORCH_AT_LEAST(2, 0)
  return at::scaled_dot_product_attention(q, k, v, bias.to(q.scalar_type()), training ? dropout_p : 0.0,
                                          /*is_causal=*/false);
#else
  return attention_op_by_op(q, k, v, bias, dropout_p, training);
#endif
}

// masked_attention's math op by op, on every version (the path before 2.1): scores in at least fp32.
inline at::Tensor masked_attention_op_by_op(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                            const at::Tensor& allowed, bool is_causal, double scale, double dropout_p,
                                            bool training) {
  const auto wide = at::promote_types(q.scalar_type(), at::kFloat);
  auto scores = at::matmul(q.to(wide).mul(scale), k.to(wide).transpose(-2, -1));  // (..., Tq, S)
  const auto minus_inf = -std::numeric_limits<double>::infinity();
  if (allowed.defined()) scores.masked_fill_(allowed.logical_not(), minus_inf);
  if (is_causal) {
    scores.masked_fill_(at::ones({q.size(-2), k.size(-2)}, q.options().dtype(at::kBool)).triu(1), minus_inf);
  }
  auto probs = at::softmax(scores, -1).to(q.scalar_type());
  if (training && dropout_p > 0) probs = at::dropout(probs, dropout_p, /*train=*/true);
  return at::matmul(probs, v);  // (..., Tq, Ev)
}

// softmax(q k^T * scale, masked) v with dropout on the probabilities. q, k: (..., Tq, E), (..., S, E);
// v: (..., S, Ev). allowed: boolean, true where a target may attend, broadcastable to (..., Tq, S),
// or undefined; is_causal: the lower triangle (Tq == S). From 2.1, scaled_dot_product_attention
// picks its fastest kernel (flash on CPU and CUDA); its fused kernels need Ev == E, so v is padded
// with zero channels and the output cut back. Before 2.1 (no `scale`), the same math op by op.
inline at::Tensor masked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const at::Tensor& allowed, bool is_causal, double scale, double dropout_p,
                                   bool training) {
#if SSA_TORCH_AT_LEAST(2, 1)
  const double p = training ? dropout_p : 0.0;
  const int64_t pad = q.size(-1) - v.size(-1);
  const auto v_fused = pad > 0 ? at::constant_pad_nd(v, {0, pad}) : v;  // (..., S, E)
  std::optional<at::Tensor> mask;
  if (allowed.defined()) mask = allowed;
  const auto y = at::scaled_dot_product_attention(q, k, v_fused, mask, p, is_causal, scale);
  return pad > 0 ? y.narrow(-1, 0, v.size(-1)) : y;  // (..., Tq, Ev)
#else
  return masked_attention_op_by_op(q, k, v, allowed, is_causal, scale, dropout_p, training);
#endif
}

// The key of a parameter's entry in Optimizer::state(): its TensorImpl's address as text in 1.13
// (what c10::guts::to_string writes), the address itself from 2.0.
template <class StateMap>
typename StateMap::key_type optimizer_state_key(const at::Tensor& parameter) {
  if constexpr (std::is_same_v<typename StateMap::key_type, std::string>) {
    std::ostringstream text;
    text << parameter.unsafeGetTensorImpl();
    return text.str();
  } else {
    return parameter.unsafeGetTensorImpl();
  }
}

// Whether autocast is on for `device` in this thread, and to which dtype.
struct AutocastState {
  bool enabled = false;
  at::ScalarType dtype = at::kFloat;
};
inline AutocastState autocast_state(at::DeviceType device) {
#if SSA_TORCH_AT_LEAST(2, 4)
  return {at::autocast::is_autocast_enabled(device), at::autocast::get_autocast_dtype(device)};
#else
  if (device == at::kCPU) return {at::autocast::is_cpu_enabled(), at::autocast::get_autocast_cpu_dtype()};
  return {at::autocast::is_enabled(), at::autocast::get_autocast_gpu_dtype()};
#endif
}

// Autocast to `dtype` on `device` while in scope (disabled: a no-op); restores the previous
// state and clears the cast cache on exit. 2.4 moved to per-device-type calls.
class AutocastScope {
 public:
  AutocastScope(at::DeviceType device, at::ScalarType dtype, bool enabled) : device_(device), enabled_(enabled) {
    if (!enabled_) return;
#if SSA_TORCH_AT_LEAST(2, 4)
    previous_enabled_ = at::autocast::is_autocast_enabled(device_);
    previous_dtype_ = at::autocast::get_autocast_dtype(device_);
    at::autocast::set_autocast_dtype(device_, dtype);
    at::autocast::set_autocast_enabled(device_, true);
#else
    const bool cpu = device_ == at::kCPU;
    previous_enabled_ = cpu ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
    previous_dtype_ = cpu ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
    if (cpu) {
      at::autocast::set_autocast_cpu_dtype(dtype);
      at::autocast::set_cpu_enabled(true);
    } else {
      at::autocast::set_autocast_gpu_dtype(dtype);
      at::autocast::set_enabled(true);
    }
#endif
  }
  ~AutocastScope() {
    if (!enabled_) return;
#if SSA_TORCH_AT_LEAST(2, 4)
    at::autocast::set_autocast_enabled(device_, previous_enabled_);
    at::autocast::set_autocast_dtype(device_, previous_dtype_);
#else
    if (device_ == at::kCPU) {
      at::autocast::set_cpu_enabled(previous_enabled_);
      at::autocast::set_autocast_cpu_dtype(previous_dtype_);
    } else {
      at::autocast::set_enabled(previous_enabled_);
      at::autocast::set_autocast_gpu_dtype(previous_dtype_);
    }
#endif
    at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  at::DeviceType device_;
  bool enabled_;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace ssa::compat
