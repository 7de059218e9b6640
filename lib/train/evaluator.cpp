// Validation loop (see evaluator.h).
#include "lib/train/evaluator.h"

#include <cmath>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "lib/data/chunk_sampler.h"
#include "lib/data/text_corpus.h"

namespace ssa::train {

EvalResult evaluate(models::Model& model, const at::Tensor& stream, int64_t seq_len,
                    const EvalConfig& config, const at::Device& device) {
  torch::NoGradGuard no_grad;
  model.eval();
  const int64_t total = (stream.size(0) - 1) / seq_len;
  const int64_t sequences = config.batches > 0 ? std::min(total, config.batches * config.batch_size) : total;
  double nll = 0;
  int64_t count = 0;
  for (int64_t first = 0; first < sequences; first += config.batch_size) {
    const auto starts = data::eval_starts(stream.size(0), seq_len, first,
                                          std::min(config.batch_size, sequences - first));
    auto batch = data::make_batch(stream, starts, seq_len);
    batch.input = batch.input.to(device);
    batch.target = batch.target.to(device);
    const auto out = model.loss(batch);
    nll += out.nll_sum.item<double>();
    count += out.count;
  }
  model.train();
  EvalResult r;
  r.tokens = count;
  r.loss = nll / static_cast<double>(std::max<int64_t>(count, 1));
  r.bits_per_token = r.loss / std::log(2.0);
  r.perplexity = std::exp(r.loss);
  return r;
}

}  // namespace ssa::train
