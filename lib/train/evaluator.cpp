// Sliding-window dense and self-ensemble evaluation (see evaluator.h).
#include "lib/train/evaluator.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "lib/data/text_corpus.h"

namespace ssa::train {
namespace {

// 1, 2, 4, ... below n, then n: where the ensemble curve is reported.
std::vector<int64_t> ensemble_checkpoints(int64_t n) {
  std::vector<int64_t> points;
  for (int64_t k = 1; k < n; k *= 2) points.push_back(k);
  if (n > 0) points.push_back(n);
  return points;
}

// (B, T) true where the window scores the position.
at::Tensor scored_mask(const std::vector<EvalWindow>& windows, int64_t seq_len) {
  std::vector<int64_t> firsts;
  for (const auto& w : windows) firsts.push_back(w.first_scored);
  const auto first = at::tensor(firsts, at::kLong).unsqueeze(1);          // (B, 1)
  return at::arange(seq_len, at::kLong).unsqueeze(0) >= first;            // (B, T)
}

}  // namespace

std::vector<EvalWindow> sliding_windows(int64_t stream_length, int64_t seq_len, int64_t context) {
  const int64_t last_target = stream_length - 1;  // targets are positions 1 .. n-1
  const int64_t stride = seq_len - context;
  std::vector<EvalWindow> windows;
  if (last_target < seq_len) return windows;
  windows.push_back({0, 0});
  int64_t scored_through = seq_len;
  while (scored_through < last_target) {
    const int64_t fresh = std::min(stride, last_target - scored_through);
    const int64_t start = scored_through + fresh - seq_len;
    windows.push_back({start, seq_len - fresh});
    scored_through += fresh;
  }
  return windows;
}

LmScore score_from_nll(double nll_sum, int64_t tokens) {
  LmScore s;
  s.loss = nll_sum / static_cast<double>(std::max<int64_t>(tokens, 1));
  s.bits_per_token = s.loss / std::log(2.0);
  s.perplexity = std::exp(s.loss);
  return s;
}

EvalResult evaluate(models::Model& model, const at::Tensor& stream, int64_t seq_len,
                    const EvalConfig& config, const at::Device& device) {
  torch::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  const at::Tensor sampler_state = model.sampler().state();  // evaluation must not shift training draws
  model.eval();
  auto windows = sliding_windows(stream.size(0), seq_len, config.context);
  if (config.batches > 0) {
    windows.resize(std::min<size_t>(windows.size(), static_cast<size_t>(config.batches * config.batch_size)));
  }
  const auto points = ensemble_checkpoints(config.ensemble_samples);
  double dense_nll = 0;
  std::vector<double> ensemble_nll(points.size(), 0.0);
  int64_t tokens = 0;
  for (size_t first = 0; first < windows.size(); first += static_cast<size_t>(config.batch_size)) {
    const std::vector<EvalWindow> chunk(windows.begin() + static_cast<std::ptrdiff_t>(first),
                                        windows.begin() + static_cast<std::ptrdiff_t>(std::min(
                                            windows.size(), first + static_cast<size_t>(config.batch_size))));
    std::vector<int64_t> starts;
    for (const auto& w : chunk) starts.push_back(w.start);
    const auto batch = data::make_batch(stream, starts, seq_len).to(device);
    const auto mask = scored_mask(chunk, seq_len).to(device);                 // (B, T)
    tokens += mask.sum().item<int64_t>();
    model.set_attention_mode(attn::AttentionMode::kDense);
    dense_nll -= model.predict(batch).masked_select(mask).sum().item<double>();
    model.set_attention_mode(attn::AttentionMode::kSubsampled);
    at::Tensor log_mean;  // log of the summed probabilities so far, (B, T)
    for (size_t k = 0, n = 1; k < points.size(); ++n) {
      const auto lp = model.predict(batch);
      log_mean = n == 1 ? lp : at::logaddexp(log_mean, lp);
      if (static_cast<int64_t>(n) == points[k]) {
        const auto avg = log_mean - std::log(static_cast<double>(n));
        ensemble_nll[k++] -= avg.masked_select(mask).sum().item<double>();
      }
    }
  }
  model.sampler().set_state(sampler_state);
  if (was_training) model.train();
  EvalResult r;
  r.tokens = tokens;
  r.dense = score_from_nll(dense_nll, tokens);
  for (size_t k = 0; k < points.size(); ++k) r.ensemble.push_back({points[k], score_from_nll(ensemble_nll[k], tokens)});
  return r;
}

}  // namespace ssa::train
