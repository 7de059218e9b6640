// The self-ensemble's uncertainty measures against hand-computed cases: ECE in 15 bins, the
// multi-class Brier score, predictive entropy and mutual information, Spearman with ties.
#include "tests/support/catch.h"

#include <cmath>

#include <ATen/ATen.h>

#include "lib/train/uncertainty.h"
#include "tests/support/uncertainty_oracles.h"

using namespace ssa::train;
using namespace ssa::test;

namespace {

// Confidences 0.9 (right), 0.9 (wrong), 0.6 (right), 0.6 (right) on two classes.
const at::Tensor kProbs = at::tensor({0.9, 0.1, 0.9, 0.1, 0.6, 0.4, 0.6, 0.4}, at::kDouble).view({4, 2});
const at::Tensor kTargets = at::tensor({0, 1, 0, 0}, at::kLong);

}  // namespace

TEST_CASE("ECE: each bin's gap between accuracy and confidence, weighted by its share", "[uncertainty]") {
  // Bin (13/15, 14/15]: accuracy 0.5, confidence 0.9; bin (8/15, 9/15]: accuracy 1, confidence 0.6.
  CHECK(expected_calibration_error(kProbs, kTargets) == Approx(0.5 * 0.4 + 0.5 * 0.4));
  // One bin: |accuracy 0.75 - mean confidence 0.75| = 0.
  CHECK(expected_calibration_error(kProbs, kTargets, 1) == Approx(0.0).margin(1e-12));
  const auto certain = at::tensor({1.0, 0.0, 0.0, 1.0}, at::kDouble).view({2, 2});
  CHECK(expected_calibration_error(certain, at::tensor({0, 1}, at::kLong)) == Approx(0.0).margin(1e-12));
  CHECK(expected_calibration_error(certain, at::tensor({1, 0}, at::kLong)) == Approx(1.0));
}

TEST_CASE("Brier: squared distance to the one-hot target, averaged", "[uncertainty]") {
  // 0.1^2 + 0.1^2, 0.9^2 + 0.9^2, then twice 0.4^2 + 0.4^2.
  CHECK(brier_score(kProbs, kTargets) == Approx((0.02 + 1.62 + 0.32 + 0.32) / 4));
}

TEST_CASE("entropy of the mean and mutual information of the members", "[uncertainty]") {
  const auto disagree = at::tensor({1.0, 0.0, 0.0, 1.0}, at::kDouble).view({2, 1, 2});  // two sure, opposite members
  CHECK(mean_predictive_entropy(disagree) == Approx(std::log(2.0)));
  CHECK(mutual_information(disagree) == Approx(std::log(2.0)));
  const auto agree = at::tensor({0.5, 0.5, 0.5, 0.5}, at::kDouble).view({2, 1, 2});  // two unsure, same members
  CHECK(mean_predictive_entropy(agree) == Approx(std::log(2.0)));
  CHECK(mutual_information(agree) == Approx(0.0).margin(1e-12));
  const auto random = at::softmax(at::randn({5, 7, 3}, at::kDouble), -1);
  CHECK(mutual_information(random) >= 0.0);
  CHECK(mutual_information(random) <= mean_predictive_entropy(random));
}

TEST_CASE("Spearman: Pearson of ranks, ties at their average rank", "[uncertainty]") {
  const auto up = at::tensor({1.0, 2.0, 3.0, 4.0}, at::kDouble);
  CHECK(spearman_correlation(up, at::tensor({10.0, 20.0, 30.0, 400.0}, at::kDouble)) == Approx(1.0));
  CHECK(spearman_correlation(up, at::tensor({4.0, 3.0, 2.0, 1.0}, at::kDouble)) == Approx(-1.0));
  // Ranks [1, 2.5, 2.5, 4] against [1, 2, 3, 4]: 4.5 / sqrt(4.5 * 5).
  CHECK(spearman_correlation(at::tensor({1.0, 2.0, 2.0, 3.0}, at::kDouble), up) == Approx(4.5 / std::sqrt(22.5)));
  CHECK(spearman_correlation(at::ones({4}, at::kDouble), up) == 0.0);
}

TEST_CASE("calibration bin sums add over batches: the ECE of the summed halves is the whole's", "[uncertainty]") {
  const auto halves = calibration_bin_sums(kProbs.slice(0, 0, 2), kTargets.slice(0, 0, 2)) +
                      calibration_bin_sums(kProbs.slice(0, 2), kTargets.slice(0, 2));  // (15, 3)
  CHECK(halves.select(1, 0).sum().item<double>() == 4.0);
  CHECK(halves[13][0].item<double>() == 2.0);  // the two 0.9s in (13/15, 14/15]
  CHECK(halves[13][2].item<double>() == 1.0);  // one of them right
  CHECK(calibration_error_of_sums(halves) == Approx(expected_calibration_error(kProbs, kTargets)));
  CHECK(calibration_error_of_sums(at::zeros({15, 3}, at::kDouble)) == 0.0);  // nothing scored
}

TEST_CASE("Brier terms from log-probabilities, and entropies with zero probabilities", "[uncertainty]") {
  const auto terms = brier_terms(kProbs.log(), kTargets);  // (4)
  CHECK(terms[0].item<double>() == Approx(0.02));
  CHECK(terms[1].item<double>() == Approx(1.62));
  CHECK(terms[3].item<double>() == Approx(0.32));
  const auto sure_and_unsure = at::tensor({1.0, 0.0, 0.5, 0.5}, at::kDouble).view({2, 2}).log();  // log 0 = -inf
  const auto h = entropy_of_log_probs(sure_and_unsure);
  CHECK(h[0].item<double>() == 0.0);
  CHECK(h[1].item<double>() == Approx(std::log(2.0)));
}
