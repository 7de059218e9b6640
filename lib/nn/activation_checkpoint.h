// Activation checkpointing (train.activation_checkpointing, docs/ssa.md): a block's forward
// keeps only its inputs; backward recomputes the block from them and differentiates the
// recomputed graph. With SSA the recomputation must draw the same sources, dropout masks and
// stochastic-depth rows as the first forward, or the gradient is that of another function: the
// generators are replayed (their states before the block, a few KB, are kept; the draws are
// not), then put back where they stood.
#pragma once
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

namespace ssa::nn {

// A block as a function of its differentiable inputs (tensors it closes over are constants).
using BlockFn = std::function<std::vector<at::Tensor>(const std::vector<at::Tensor>&)>;

// A random stream the block draws from besides torch's default generators: the SSA sampler's.
struct DrawStream {
  std::function<at::Tensor()> state;
  std::function<void(const at::Tensor&)> set_state;
};

// block(inputs), its activations freed. Backward replays, from their states at this call: torch's
// default CPU generator, the default CUDA generator of the inputs' device, and `streams`; and
// the autocast state of this call. With grad mode off this is block(inputs).
std::vector<at::Tensor> checkpointed(const BlockFn& block, const std::vector<at::Tensor>& inputs,
                                     const std::vector<DrawStream>& streams);

}  // namespace ssa::nn
