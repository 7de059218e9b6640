// Multi-head self-attention whose sources are subsampled by SSA: the keys, values and the bias
// are gathered at the sampled source positions, then ordinary (windowed) attention runs on the
// smaller problem. No sparse kernels: cost falls from O(T^2) to O(T^2 / n_w) or O(T k).
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include "lib/ssa/source_sampler.h"

namespace ssa::attn {

// Additive attention bias from original positions: (target_pos (G, Tq), source_pos (G, S)) ->
// a tensor broadcastable to (H, G, Tq, S), or to (B, H, G, Tq, S) when it differs between the
// B sequences (Swin's per-window shift mask); it carries the mask and any relative-position bias.
using BiasFn = std::function<at::Tensor(const at::Tensor& target_pos, const at::Tensor& source_pos)>;

// What a layer adds to its attention scores. `fn` builds the whole bias (every model). When
// `causal_alibi_slopes` (H) is defined, fn is causal ALiBi with these slopes, and subsampled_attention
// may take causal_alibi_attention instead (uses_alibi_channels): the same function, no bias tensor.
struct AttentionBias {
  template <class Fn, class = std::enable_if_t<std::is_convertible_v<Fn, BiasFn>>>
  AttentionBias(Fn&& bias) : fn(std::forward<Fn>(bias)) {}  // NOLINT(google-explicit-constructor): any BiasFn is one
  AttentionBias(BiasFn bias, at::Tensor slopes) : fn(std::move(bias)), causal_alibi_slopes(std::move(slopes)) {}
  // Causality alone, no position bias (rotary models): fn gives (1, G, Tq, S) of 0 and -inf, and
  // subsampled_attention masks with one boolean mask instead (causal_window_attention).
  static AttentionBias causal();
  BiasFn fn;
  at::Tensor causal_alibi_slopes;
  bool causal_only = false;
};

// Whether subsampled_attention takes causal_alibi_attention for causal ALiBi: on LibTorch 2.1+
// (fused scaled_dot_product_attention; 1.13 keeps the bias tensor), contiguous windows, fp32/fp64
// scores (16-bit ones keep the bias tensor: alibi_attention.h).
bool uses_alibi_channels(const AttentionBias& bias, const SourceSample& sample, at::ScalarType type);

// q: (B, H, T, D); k, v: (B, Hkv, T, D), Hkv dividing H (grouped-query attention: keys and values
// are gathered once per kv head, then shared by its query heads). Window w of targets attends to
// sample.sources[w]. Returns (B, H, T, D). Gather-based; dense attention is subsampled_attention
// with dense_sample(T).
at::Tensor subsampled_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                const SourceSample& sample, const AttentionBias& bias, double dropout_p, bool training);

// Score entries computed by `sample` relative to the full T x T matrix (1/n_w, k/T, or 1).
double attention_fraction(const SourceSample& sample, int64_t length);

// The keys and values of the positions a layer has seen so far, for incremental decoding. The
// buffers grow by doubling, so appending a position does not copy the ones before it.
struct KeyValueCache {
  at::Tensor keys, values;  // (B, Hkv, capacity, D), positions [0, length) filled; undefined at first
  int64_t filled = 0;
  int64_t length() const { return filled; }
};

struct SsaAttentionOptions {
  int64_t d_model = 0;
  int64_t heads = 0;
  double attention_dropout = 0.0;
  std::optional<double> sigma_fraction;  // nullopt: this layer is always dense
  SsaConfig ssa;
  int64_t kv_heads = 0;     // key/value heads (grouped-query attention); 0 = heads
  bool bias = true;         // biases of the qkv and output projections
  double rope_theta = 0.0;  // > 0: rotary position embeddings of q and k with this base
};

class SsaSelfAttentionImpl : public torch::nn::Module {
 public:
  SsaSelfAttentionImpl(const SsaAttentionOptions& options, std::shared_ptr<SourceSampler> sampler);

  // x: (B, T, C) -> (B, T, C). Subsamples on an SSA layer in mode kSubsampled, also in eval mode
  // (self-ensembling); evaluation with dense attention sets kDense explicitly.
  at::Tensor forward(const at::Tensor& x, const AttentionBias& bias);
  // Incremental decoding, dense and causal: x (B, Tn, C) holds the positions following the
  // cache's t; their keys and values are appended, and they attend to all t + Tn. -> (B, Tn, C)
  at::Tensor forward_cached(const at::Tensor& x, const AttentionBias& bias, KeyValueCache& cache);

  void set_mode(AttentionMode mode) { mode_ = mode; }
  bool is_ssa_layer() const { return options_.sigma_fraction.has_value(); }
  double last_attention_fraction() const { return last_fraction_; }  // of the last forward

  torch::nn::Linear qkv{nullptr}, out{nullptr};

 private:
  // (B, T, C) -> q: (B, H, T, D), k, v: (B, Hkv, T, D); rotary at positions [start, start + T).
  std::vector<at::Tensor> project(const at::Tensor& x, int64_t start = 0);
  int64_t kv_heads() const { return options_.kv_heads > 0 ? options_.kv_heads : options_.heads; }

  SsaAttentionOptions options_;
  std::shared_ptr<SourceSampler> sampler_;
  AttentionMode mode_ = AttentionMode::kSubsampled;
  double last_fraction_ = 1.0;
};
TORCH_MODULE(SsaSelfAttention);

}  // namespace ssa::attn
