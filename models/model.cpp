// What every model family shares (see model.h): the parameter count and checkpointed blocks.
#include "models/model.h"

namespace ssa::models {

int64_t Model::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

std::vector<at::Tensor> Model::run_block(const nn::BlockFn& block, const std::vector<at::Tensor>& inputs) {
  if (!checkpointing_ || !is_training()) return block(inputs);
  attn::SourceSampler& s = sampler();
  const nn::DrawStream ssa{[&s] { return s.state(); }, [&s](const at::Tensor& state) { s.set_state(state); }};
  return nn::checkpointed(block, inputs, {ssa});
}

}  // namespace ssa::models
