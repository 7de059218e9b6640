// Sampling from a decoder (see generation.h).
#include "lib/train/generation.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/module.h>

namespace ssa::train {

int64_t next_token(const at::Tensor& scores, const GenerationOptions& options, at::Generator& generator) {
  const auto s = scores.to(at::kFloat);  // (V)
  if (options.temperature <= 0) return s.argmax().item<int64_t>();
  const int64_t k = options.top_k > 0 ? std::min(options.top_k, s.size(0)) : s.size(0);
  const auto [top, ids] = s.topk(k);                                              // (k), (k)
  const auto probs = at::softmax(top / options.temperature, 0);                   // (k)
  const auto pick = at::multinomial(probs, 1, /*replacement=*/false, generator);  // (1)
  return ids[pick.item<int64_t>()].item<int64_t>();
}

at::Tensor generate(models::Decoder& model, const at::Tensor& context, int64_t count, int64_t window,
                    const GenerationOptions& options, const at::Tensor& condition) {
  at::NoGradGuard no_grad;
  model.eval();
  model.set_attention_mode(attn::AttentionMode::kDense);
  at::Generator generator = at::detail::createCPUGenerator(options.seed);
  std::vector<int64_t> tokens(context.data_ptr<int64_t>(), context.data_ptr<int64_t>() + context.numel());
  const auto device = model.parameters().front().device();
  const auto on_device = condition.defined() ? condition.to(device) : condition;
  models::DecoderCache cache;
  size_t fed = 0;  // tokens before `fed` are in the cache (those of the current context)
  for (int64_t i = 0; i < count; ++i) {
    if (tokens.size() > static_cast<size_t>(window)) {  // the context slides: recompute its last `window` tokens
      cache.clear();
      fed = tokens.size() - static_cast<size_t>(window);
    }
    const std::vector<int64_t> fresh(tokens.begin() + static_cast<std::ptrdiff_t>(fed), tokens.end());
    const auto input = at::tensor(fresh, at::kLong).unsqueeze(0).to(device);  // (1, Tn)
    const auto scores = model.forward(input, on_device, &cache);              // (1, Tn, V)
    fed = tokens.size();
    tokens.push_back(next_token(scores[0][-1].cpu(), options, generator));
  }
  return at::tensor(tokens, at::kLong);
}

}  // namespace ssa::train
