// Activation checkpointing as a custom autograd function (see activation_checkpoint.h). The
// recomputed block is differentiated by a nested backward, which accumulates the parameters'
// gradients where the first graph would have and hands the inputs' gradients back. Both forwards
// run with grad mode on (the first one's graph is dropped at once): LibTorch 2.x picks other
// attention kernels without grad, whose last bits differ.
#include "lib/nn/activation_checkpoint.h"

#include <ATen/Context.h>
#include <ATen/core/Generator.h>
#include <torch/autograd.h>

#include "lib/core/torch_compat.h"

namespace ssa::nn {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Every generator the block may draw from, with its state at the first forward.
struct Replay : torch::CustomClassHolder {
  BlockFn block;
  std::vector<DrawStream> streams;
  std::vector<at::Tensor> stream_states;
  std::vector<at::Generator> generators;  // CPU, then the inputs' CUDA device if any
  std::vector<at::Tensor> generator_states;
  at::DeviceType device = at::kCPU;
  compat::AutocastState autocast;
};

std::vector<at::Generator> generators_of(const std::vector<at::Tensor>& inputs) {
  std::vector<at::Generator> out{at::detail::getDefaultCPUGenerator()};
  for (const auto& t : inputs) {
    if (t.defined() && t.is_cuda()) return {out[0], at::globalContext().defaultGenerator(t.device())};
  }
  return out;
}

std::vector<at::Tensor> states_of(const std::vector<at::Generator>& generators) {
  std::vector<at::Tensor> states;
  for (auto g : generators) {  // a handle: the copy shares the generator
    std::lock_guard<std::mutex> lock(g.mutex());
    states.push_back(g.get_state());
  }
  return states;
}

void set_states(std::vector<at::Generator>& generators, const std::vector<at::Tensor>& states) {
  for (size_t i = 0; i < generators.size(); ++i) {
    std::lock_guard<std::mutex> lock(generators[i].mutex());
    generators[i].set_state(states[i]);
  }
}

c10::intrusive_ptr<Replay> capture(const BlockFn& block, const std::vector<at::Tensor>& inputs,
                                   const std::vector<DrawStream>& streams) {
  auto r = c10::make_intrusive<Replay>();
  r->block = block;
  r->streams = streams;
  for (const auto& s : streams) r->stream_states.push_back(s.state());
  r->generators = generators_of(inputs);
  r->generator_states = states_of(r->generators);
  r->device = r->generators.size() > 1 ? at::kCUDA : at::kCPU;
  r->autocast = compat::autocast_state(r->device);
  return r;
}

// Fresh leaves holding the inputs' values (undefined stays undefined), so that a forward over them
// builds a graph of its own.
variable_list leaves_of(const variable_list& inputs) {
  variable_list leaves;
  for (const auto& t : inputs) leaves.push_back(t.defined() ? t.detach().requires_grad_(t.requires_grad()) : t);
  return leaves;
}

// The block run again from `inputs` with the first forward's draws and autocast state; the
// generators are left as they were found.
variable_list recompute(Replay& r, const variable_list& inputs) {
  std::vector<at::Tensor> now;
  for (const auto& s : r.streams) now.push_back(s.state());
  const auto generators_now = states_of(r.generators);
  for (size_t i = 0; i < r.streams.size(); ++i) r.streams[i].set_state(r.stream_states[i]);
  set_states(r.generators, r.generator_states);
  variable_list outputs;
  {
    torch::AutoGradMode grad(true);
    compat::AutocastScope autocast(r.device, r.autocast.dtype, r.autocast.enabled);
    outputs = r.block(inputs);
  }
  for (size_t i = 0; i < r.streams.size(); ++i) r.streams[i].set_state(now[i]);
  set_states(r.generators, generators_now);
  return outputs;
}

struct CheckpointFunction : torch::autograd::Function<CheckpointFunction> {
  // inputs: a TensorList, the argument type autograd tracks element by element.
  static variable_list forward(AutogradContext* ctx, at::TensorList inputs, c10::intrusive_ptr<Replay> replay) {
    ctx->save_for_backward(inputs.vec());
    ctx->saved_data["replay"] = c10::IValue::make_capsule(replay);
    variable_list outputs;
    {
      torch::AutoGradMode grad(true);  // off inside a custom function's forward; the same kernels as backward's
      for (const auto& out : replay->block(leaves_of(inputs.vec()))) outputs.push_back(out.detach());
    }
    return outputs;  // the first forward's graph and activations are freed here
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto replay = c10::static_intrusive_pointer_cast<Replay>(ctx->saved_data["replay"].toCapsule());
    const variable_list leaves = leaves_of(ctx->get_saved_variables());
    const variable_list outputs = recompute(*replay, leaves);
    variable_list roots, root_grads;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (grads[i].defined() && outputs[i].requires_grad()) roots.push_back(outputs[i]), root_grads.push_back(grads[i]);
    }
    if (!roots.empty()) torch::autograd::backward(roots, root_grads);
    variable_list input_grads;
    for (const auto& leaf : leaves)
      input_grads.push_back(leaf.defined() && leaf.requires_grad() ? leaf.grad() : at::Tensor());
    input_grads.emplace_back();  // the replay argument
    return input_grads;
  }
};

}  // namespace

std::vector<at::Tensor> checkpointed(const BlockFn& block, const std::vector<at::Tensor>& inputs,
                                     const std::vector<DrawStream>& streams) {
  if (!at::GradMode::is_enabled()) return block(inputs);
  return CheckpointFunction::apply(at::TensorList(inputs), capture(block, inputs, streams));
}

}  // namespace ssa::nn
