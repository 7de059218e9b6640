// Learning-rate shapes and phase boundaries.
#include "tests/support/catch.h"

#include "lib/train/lr_schedule.h"
#include "lib/train/phase_schedule.h"

using namespace ssa::train;

TEST_CASE("warmup is linear and cosine decay reaches min_lr at the last step", "[schedule]") {
  LrScheduleConfig s;
  s.warmup_steps = 10;
  s.min_lr = 1e-4;
  REQUIRE(learning_rate(s, 1e-3, 0, 100) == Approx(1e-4));
  REQUIRE(learning_rate(s, 1e-3, 9, 100) == Approx(1e-3));
  REQUIRE(learning_rate(s, 1e-3, 10, 100) == Approx(1e-3));
  REQUIRE(learning_rate(s, 1e-3, 99, 100) == Approx(1e-4));
  const double mid = learning_rate(s, 1e-3, 10 + 89 / 2, 100);
  REQUIRE(mid == Approx(1e-4 + 0.9e-3 * 0.5 * (1 + std::cos(M_PI * 44.0 / 89.0))));
  s.decay = DecayShape::kLinear;
  REQUIRE(learning_rate(s, 1e-3, 99, 100) == Approx(1e-4));
  REQUIRE(learning_rate(s, 1e-3, 10 + 89, 100) == Approx(1e-4));
  s.decay = DecayShape::kConstant;
  REQUIRE(learning_rate(s, 1e-3, 50, 100) == Approx(1e-3));
}

TEST_CASE("phase boundaries: SSA for 90% then dense fine-tune", "[schedule][phases]") {
  PhaseConfig ssa_phase{"ssa", 0.9, ssa::attn::AttentionMode::kSubsampled};
  PhaseConfig ft{"finetune", 0.1, ssa::attn::AttentionMode::kDense};
  PhaseSchedule p({ssa_phase, ft}, 1000);
  REQUIRE(p.index_at(0) == 0);
  REQUIRE(p.index_at(899) == 0);
  REQUIRE(p.index_at(900) == 1);
  REQUIRE(p.index_at(999) == 1);
  REQUIRE(p.end(1) == 1000);
  REQUIRE(p.phase(1).attention == ssa::attn::AttentionMode::kDense);
  REQUIRE(p.describe() == "ssa [0, 900), finetune [900, 1000)");
  REQUIRE(PhaseSchedule({ssa_phase, ft}, 20).describe() == "ssa [0, 18), finetune [18, 20)");
}
