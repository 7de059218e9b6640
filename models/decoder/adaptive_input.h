// fairseq's adaptive input (fairseq/modules/adaptive_input.py, Baevski & Auli 2019): the vocabulary
// is cut into bands [0, c0), [c0, c1), ..., [c_last, V); band i embeds its words in
// d_model / factor^i dimensions and projects them to d_model (no bias). The adaptive softmax
// (adaptive_softmax.h) ties its head and tails to these weights.
#pragma once
#include <cstdint>
#include <vector>

#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

namespace ssa::models {

// Band geometry: band i holds ids [edges[i], edges[i+1]) embedded in dims[i] dimensions.
struct AdaptiveBands {
  std::vector<int64_t> edges;  // 0, c0, c1, ..., V
  std::vector<int64_t> dims;   // d_model / factor^i, rounded down (fairseq: int(d // factor**i))
  int64_t count() const { return static_cast<int64_t>(dims.size()); }
  int64_t size(int64_t band) const { return edges[static_cast<size_t>(band) + 1] - edges[static_cast<size_t>(band)]; }
};

// Throws ModelConfigError naming model.adaptive_cutoffs / model.adaptive_factor when the cutoffs are
// not increasing inside (0, vocab_size) or a band would get no dimensions.
AdaptiveBands adaptive_bands(int64_t vocab_size, int64_t d_model, const std::vector<int64_t>& cutoffs, double factor);

// (N) int64 band index of each id in `ids` (N) int64.
at::Tensor band_of(const at::Tensor& ids, const AdaptiveBands& bands);

class AdaptiveInputImpl : public torch::nn::Module {
 public:
  AdaptiveInputImpl(const AdaptiveBands& bands, int64_t d_model);
  // tokens: (B, T) int64 -> (B, T, d_model), before embed_scale.
  at::Tensor forward(const at::Tensor& tokens);
  const AdaptiveBands& bands() const { return bands_; }
  // Multiply-adds x 2 of the projections for `tokens` (lookups are free).
  double flops(const at::Tensor& tokens) const;

  std::vector<torch::nn::Embedding> embeddings;  // band i: (size_i, dim_i)
  std::vector<torch::nn::Linear> projections;    // band i: dim_i -> d_model, weight (d_model, dim_i)

 private:
  AdaptiveBands bands_;
  int64_t d_model_;
};
TORCH_MODULE(AdaptiveInput);

}  // namespace ssa::models
