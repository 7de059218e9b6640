// Whole-array forms of the uncertainty measures, for tests to check the evaluator's sums and
// running ensembles against (lib/train/uncertainty.h has the forms production uses). The
// mutual information here is the textbook difference of entropies: a fine oracle when the
// members disagree, ill-conditioned when they nearly agree (tests/unit/member_ensemble_test.cpp).
#pragma once
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "lib/train/uncertainty.h"

namespace ssa::test {

// probs (N, K), targets (N): the ECE over equal-width bins (right-closed), and the Brier score.
double expected_calibration_error(const at::Tensor& probs, const at::Tensor& targets,
                                  int64_t bins = train::kCalibrationBins);
double brier_score(const at::Tensor& probs, const at::Tensor& targets);

// member_probs (M, N, K): the mean over N of the entropy of the members' mean distribution, and
// of that minus the members' mean entropy (>= 0).
double mean_predictive_entropy(const at::Tensor& member_probs);
double mutual_information(const at::Tensor& member_probs);

}  // namespace ssa::test
