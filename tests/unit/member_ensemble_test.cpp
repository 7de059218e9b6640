// The running self-ensemble (lib/train/member_ensemble.h): its mutual information equals the
// members' mean KL divergence to their mean, is the same in any grouping of members, and stays
// accurate when members agree to 1e-6 (where the entropy difference loses 6 digits); values give
// the population variance.
#include "tests/support/catch.h"

#include <ATen/ATen.h>

#include "lib/train/member_ensemble.h"

using namespace ssa;
using models::Prediction;

namespace {

// (M, N, K) log-probabilities: a base distribution with member perturbations of size `spread`.
at::Tensor members(int64_t m, double spread) {
  const auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const auto base = at::randn({1, 6, 5}, gen, at::kDouble);
  return at::log_softmax(base + spread * at::randn({m, 6, 5}, gen, at::kDouble), 2);
}

// The definition, in float64: mean over members of sum_k p_mk log(p_mk / mean_k), per target.
at::Tensor reference_mutual_information(const at::Tensor& log_probs) {
  const auto p = log_probs.exp();
  const auto mean = p.mean(0);
  return (p * (log_probs - mean.log())).sum(2).mean(0);  // (N)
}

}  // namespace

TEST_CASE("mutual information is the members' mean KL to their mean, in any grouping", "[eval][uncertainty]") {
  const auto lp = members(5, 0.3);
  train::MemberEnsemble one_by_one(Prediction::kClassLogProbs), grouped(Prediction::kClassLogProbs);
  for (int64_t m = 0; m < 5; ++m) one_by_one.add(lp[m]);
  train::MemberEnsemble a(Prediction::kClassLogProbs), b(Prediction::kClassLogProbs);
  for (const int64_t m : {0, 3}) a.add(lp[m]);
  for (const int64_t m : {1, 2, 4}) b.add(lp[m]);
  grouped.merge(b.members(), b.sum(), b.divergence());
  grouped.merge(a.members(), a.sum(), a.divergence());
  const auto expected = reference_mutual_information(lp);
  // Terms of MI ~ 0.05 computed from float64 inputs: agreement to ~1e-15 relative; 1e-12 leaves room
  // for the log1p and division roundings of each of the 5 x 5 terms.
  CHECK(at::allclose(one_by_one.view().spread, expected, 1e-12, 0));
  CHECK(at::allclose(grouped.view().spread, expected, 1e-12, 0));
  CHECK(at::allclose(grouped.view().prediction, lp.exp().mean(0).log(), 1e-14, 0));
}

TEST_CASE("mutual information of nearly agreeing members keeps its digits", "[eval][uncertainty]") {
  // Members 1e-6 apart: MI ~ 1e-13 nats, while the entropies are ~1.5 nats, so entropy minus mean
  // member entropy would keep only ~3 of float64's 16 digits. The KL form keeps about
  // 16 - 6 = 10 (each term's relative error ~ eps / |v| with |v| ~ 1e-6): checked at 1e-8
  // against the same sum evaluated in groups, and against the second-order expansion
  // MI ~ (1/2) mean_m sum_k p_k (delta log p_mk - mean delta)^2 to its O(spread) relative accuracy.
  const auto lp = members(4, 1e-6);
  train::MemberEnsemble ensemble(Prediction::kClassLogProbs), pairs(Prediction::kClassLogProbs);
  for (int64_t m = 0; m < 4; ++m) ensemble.add(lp[m]);
  train::MemberEnsemble first(Prediction::kClassLogProbs), second(Prediction::kClassLogProbs);
  first.add(lp[0]), first.add(lp[1]), second.add(lp[2]), second.add(lp[3]);
  pairs.merge(first.members(), first.sum(), first.divergence());
  pairs.merge(second.members(), second.sum(), second.divergence());
  const auto mi = ensemble.view().spread;
  CHECK(at::allclose(pairs.view().spread, mi, 1e-8, 0));
  const auto p = lp.exp(), mean = p.mean(0);
  const auto delta = p / mean - 1;                                     // (M, N, K) relative deviations
  const auto second_order = (mean * delta.pow(2)).sum(2).mean(0) / 2;  // chi^2 / 2
  CHECK(at::allclose(mi, second_order, 1e-4, 0));
  CHECK((mi > 0).all().item<bool>());
}

TEST_CASE("value ensembles give the mean and the population standard deviation", "[eval][uncertainty]") {
  const auto values = at::tensor({1.0, 2.0, 3.0, 2.0, 5.0, 2.0}, at::kDouble).reshape({3, 2});  // (M, N)
  train::MemberEnsemble e(Prediction::kValues);
  for (int64_t m = 0; m < 3; ++m) e.add(values[m]);
  const auto view = e.view();
  CHECK(at::allclose(view.prediction, at::tensor({3.0, 2.0}, at::kDouble)));
  CHECK(view.spread[0].item<double>() == Approx(std::sqrt(8.0 / 3.0)).epsilon(1e-14));
  CHECK(view.spread[1].item<double>() == 0.0);
}

TEST_CASE("a NaN member makes the ensemble's rows NaN, not an error", "[eval][uncertainty]") {
  train::MemberEnsemble e(Prediction::kClassLogProbs);
  e.add(at::log_softmax(at::zeros({2, 3}, at::kDouble), 1));
  e.add(at::full({2, 3}, std::nan(""), at::kDouble));
  CHECK(at::isnan(e.view().spread).all().item<bool>());
}
