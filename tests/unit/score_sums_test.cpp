// ScoreSums, the per-stream sums behind every validation metric, on hand-computed cases: batches
// add up to the whole, the uncertainty metrics of distributions and of regression ensembles, and
// the metric names and order of docs/run-directory.md.
#include "tests/support/catch.h"

#include <cmath>

#include <ATen/ATen.h>

#include "lib/train/score_sums.h"

using namespace ssa;
using train::ScoreSums;

namespace {

// Confidences 0.9 (right), 0.9 (wrong), 0.6 (right), 0.6 (right) on two classes.
const at::Tensor kLogProbs = at::tensor({0.9, 0.1, 0.9, 0.1, 0.6, 0.4, 0.6, 0.4}, at::kDouble).view({4, 2}).log();
const at::Tensor kTargets = at::tensor({0, 1, 0, 0}, at::kLong);

double entropy(double p) { return -(p * std::log(p) + (1 - p) * std::log(1 - p)); }

std::vector<std::string> names(const train::Score& s) {
  std::vector<std::string> out;
  for (const auto& [name, value] : s.metrics) out.push_back(name);
  return out;
}

}  // namespace

TEST_CASE("class sums: loss, accuracy, ECE, Brier and entropy, batch by batch", "[eval][uncertainty]") {
  ScoreSums sums(models::Prediction::kClassLogProbs, data::Task::kImageClassification, false);
  sums.add(kLogProbs.slice(0, 0, 1), kTargets.slice(0, 0, 1), {});
  sums.add(kLogProbs.slice(0, 1), kTargets.slice(0, 1), {});
  const auto s = sums.score();
  CHECK(sums.count() == 4);
  CHECK(names(s) == std::vector<std::string>{"accuracy", "ece", "brier", "entropy"});
  CHECK(s.loss == Approx(-(std::log(0.9) + std::log(0.1) + 2 * std::log(0.6)) / 4));
  CHECK(s.metric("accuracy") == 0.75);
  CHECK(s.metric("ece") == Approx(0.4));
  CHECK(s.metric("brier") == Approx((0.02 + 1.62 + 0.32 + 0.32) / 4));
  CHECK(s.metric("entropy") == Approx((entropy(0.9) + entropy(0.6)) / 2));
  CHECK(std::isnan(s.metric("mutual_information")));
}

TEST_CASE("ensemble sums: mutual information is the mean of the per-target divergences", "[eval][uncertainty]") {
  ScoreSums sums(models::Prediction::kTokenLogProbs, data::Task::kLanguageModel, true);
  const auto divergence = at::tensor({0.1, 0.2, 0.3, 0.4}, at::kDouble);  // (4) per target
  sums.add(kLogProbs, kTargets, divergence);
  const auto s = sums.score();
  CHECK(names(s) ==
        std::vector<std::string>{"bits_per_token", "perplexity", "ece", "brier", "entropy", "mutual_information"});
  CHECK(s.metric("bits_per_token") == Approx(s.loss / std::log(2.0)));
  CHECK(s.metric("mutual_information") == Approx(0.25));
}

TEST_CASE("regression ensemble sums: MAE, mean spread and the spread's rank correlation with the error",
          "[eval][uncertainty]") {
  ScoreSums sums(models::Prediction::kValues, data::Task::kGraphRegression, true);
  const auto targets = at::tensor({0.0f, 0.0f, 0.0f, 0.0f});
  // |errors| 1, 3, 2, 4 against spreads ranked 1, 2, 3, 4: 1 - 6 * 2 / (4 * 15) = 0.8.
  sums.add(at::tensor({1.0f, -3.0f}), targets.slice(0, 0, 2), at::tensor({0.1, 0.2}, at::kDouble));
  sums.add(at::tensor({2.0f, 4.0f}), targets.slice(0, 2), at::tensor({0.3, 0.4}, at::kDouble));
  const auto s = sums.score();
  CHECK(names(s) == std::vector<std::string>{"mae", "std", "std_error_spearman"});
  CHECK(s.loss == Approx(2.5));
  CHECK(s.metric("mae") == Approx(2.5));
  CHECK(s.metric("std") == Approx(0.25));
  CHECK(s.metric("std_error_spearman") == Approx(0.8));
  ScoreSums dense(models::Prediction::kValues, data::Task::kGraphRegression, false);
  dense.add(at::tensor({1.0f}), targets.slice(0, 0, 1), {});
  CHECK(names(dense.score()) == std::vector<std::string>{"mae"});
}
