// Adaptive input embeddings (see adaptive_input.h). Init as fairseq: embeddings N(0, dim^-1/2)
// with row 1 (<pad>'s index) zeroed in every band, projections Xavier-uniform.
#include "models/decoder/adaptive_input.h"

#include <cmath>

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include "lib/core/error.h"

namespace ssa::models {

AdaptiveBands adaptive_bands(int64_t vocab_size, int64_t d_model, const std::vector<int64_t>& cutoffs, double factor) {
  AdaptiveBands b;
  b.edges.push_back(0);
  for (const int64_t c : cutoffs) {
    if (c <= b.edges.back() || c >= vocab_size) {
      throw ModelConfigError("adaptive_cutoffs", "must increase strictly inside (0, model.vocab_size = " +
                                                     std::to_string(vocab_size) + "), got " + std::to_string(c));
    }
    b.edges.push_back(c);
  }
  b.edges.push_back(vocab_size);
  for (size_t i = 0; i + 1 < b.edges.size(); ++i) {
    const auto dim = static_cast<int64_t>(
        std::floor(static_cast<double>(d_model) / std::pow(factor, static_cast<double>(i))));
    if (dim < 1) {
      throw ModelConfigError("adaptive_factor", "band " + std::to_string(i) + " would get " + std::to_string(dim) +
                                                    " dimensions (d_model " + std::to_string(d_model) + " / factor^" +
                                                    std::to_string(i) + ")");
    }
    b.dims.push_back(dim);
  }
  return b;
}

at::Tensor band_of(const at::Tensor& ids, const AdaptiveBands& bands) {
  auto band = at::zeros_like(ids);
  for (size_t i = 1; i + 1 < bands.edges.size(); ++i) band += ids.ge(bands.edges[i]).to(ids.scalar_type());
  return band;  // (N)
}

AdaptiveInputImpl::AdaptiveInputImpl(const AdaptiveBands& bands, int64_t d_model) : bands_(bands), d_model_(d_model) {
  for (int64_t i = 0; i < bands.count(); ++i) {
    const int64_t dim = bands.dims[static_cast<size_t>(i)];
    auto embedding = register_module("embed" + std::to_string(i), torch::nn::Embedding(bands.size(i), dim));
    auto projection = register_module("proj" + std::to_string(i),
                                      torch::nn::Linear(torch::nn::LinearOptions(dim, d_model).bias(false)));
    torch::nn::init::normal_(embedding->weight, 0.0, std::pow(static_cast<double>(dim), -0.5));
    if (bands.size(i) > 1) {
      torch::NoGradGuard no_grad;
      embedding->weight[1].zero_();
    }
    torch::nn::init::xavier_uniform_(projection->weight);
    embeddings.push_back(embedding);
    projections.push_back(projection);
  }
}

at::Tensor AdaptiveInputImpl::forward(const at::Tensor& tokens) {
  const auto flat = tokens.reshape({-1});   // (N)
  const auto band = band_of(flat, bands_);  // (N)
  at::Tensor out;                           // (N, C), dtype of the projections
  for (int64_t i = 0; i < bands_.count(); ++i) {
    const auto rows = band.eq(i).nonzero().squeeze(1);  // (n_i)
    if (rows.numel() == 0) continue;
    const auto local = flat.index_select(0, rows) - bands_.edges[static_cast<size_t>(i)];
    const auto x = projections[static_cast<size_t>(i)](embeddings[static_cast<size_t>(i)](local));  // (n_i, C)
    if (!out.defined()) out = at::zeros({flat.size(0), d_model_}, x.options());
    out = out.index_copy(0, rows, x.to(out.scalar_type()));
  }
  if (!out.defined()) out = at::zeros({0, d_model_}, projections[0]->weight.options());  // no tokens
  auto shape = tokens.sizes().vec();
  shape.push_back(d_model_);
  return out.reshape(shape);  // (B, T, C)
}

double AdaptiveInputImpl::flops(const at::Tensor& tokens) const {
  const auto counts = at::bincount(band_of(tokens.reshape({-1}), bands_).cpu(), {}, bands_.count());
  double total = 0;
  for (int64_t i = 0; i < bands_.count(); ++i) {
    total += 2.0 * static_cast<double>(counts[i].item<int64_t>() * bands_.dims[static_cast<size_t>(i)] * d_model_);
  }
  return total;
}

}  // namespace ssa::models
