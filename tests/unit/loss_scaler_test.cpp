// Dynamic loss scaling: unscaling restores the true gradients and detects overflow; the scale
// backs off on overflow and grows after growth_interval finite steps.
#include "tests/support/catch.h"

#include <cmath>

#include <ATen/ATen.h>

#include "lib/train/loss_scaler.h"

using namespace ssa::train;

TEST_CASE("unscaling divides gradients by the scale and reports non-finite ones", "[precision][scaler]") {
  LossScaler scaler(LossScaleConfig{}, true);
  auto p = at::zeros({3}).requires_grad_(true);
  p.mutable_grad() = at::tensor({1024.0f, -2048.0f, 512.0f});
  LossScaleState state{1024, 0};
  REQUIRE(scaler.unscale_gradients({p}, state));
  REQUIRE(at::equal(p.grad(), at::tensor({1.0f, -2.0f, 0.5f})));
  p.mutable_grad() = at::tensor({1.0f, INFINITY, 0.0f});
  REQUIRE_FALSE(scaler.unscale_gradients({p}, state));
}

TEST_CASE("the scale backs off on overflow and grows after growth_interval good steps", "[precision][scaler]") {
  LossScaleConfig config;
  config.init = 8;
  config.growth_interval = 3;
  LossScaler scaler(config, true);
  LossScaleState state{scaler.initial_scale(), 0};
  scaler.update(state, false);
  REQUIRE(state.scale == 4);
  scaler.update(state, true);
  scaler.update(state, true);
  REQUIRE(state.scale == 4);
  scaler.update(state, true);
  REQUIRE(state.scale == 8);
  REQUIRE(state.good_steps == 0);
  REQUIRE(LossScaler(config, false).initial_scale() == 1);
}
