// ALiBi slopes (power-of-two and not) and the exact -m(i - j) causal bias.
#include "tests/support/catch.h"

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include "lib/nn/alibi.h"

using ssa::nn::alibi_bias;
using ssa::nn::alibi_slopes;

TEST_CASE("ALiBi slopes for 8 heads are 1/2 ... 1/256", "[alibi]") {
  const auto s = alibi_slopes(8);
  REQUIRE(s.size() == 8);
  for (int h = 0; h < 8; ++h) REQUIRE(s[h] == Approx(std::pow(0.5, h + 1)).epsilon(1e-12));
}

TEST_CASE("ALiBi slopes for a non-power-of-two head count interleave the next power", "[alibi]") {
  // 12 heads: the 8 slopes of n=8, then slopes(16)[0::2][:4] = 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5.
  const auto s = alibi_slopes(12);
  REQUIRE(s.size() == 12);
  for (int h = 0; h < 8; ++h) REQUIRE(s[h] == Approx(std::pow(0.5, h + 1)));
  for (int k = 0; k < 4; ++k) REQUIRE(s[8 + k] == Approx(std::pow(2.0, -0.5 - k)));
  REQUIRE(alibi_slopes(1) == std::vector<double>{std::pow(2.0, -8.0)});
  REQUIRE(alibi_slopes(6).size() == 6);
}

TEST_CASE("causal ALiBi bias is -m(i-j) below the diagonal and -inf above", "[alibi]") {
  const auto slopes = at::tensor({0.5f, 0.25f});
  const auto pos = at::arange(5, at::kLong).unsqueeze(0);        // (1, 5)
  const auto b = alibi_bias(slopes, pos, pos, /*causal=*/true);  // (2, 1, 5, 5)
  REQUIRE(b.sizes() == at::IntArrayRef({2, 1, 5, 5}));
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < 5; ++i) {
      for (int j = 0; j < 5; ++j) {
        const float v = b[h][0][i][j].item<float>();
        if (j > i) {
          REQUIRE(std::isinf(v));
          REQUIRE(v < 0);
        } else {
          REQUIRE(v == Approx(-(h == 0 ? 0.5 : 0.25) * (i - j)));
        }
      }
    }
  }
  const auto sym = alibi_bias(slopes, pos, pos, /*causal=*/false);
  REQUIRE(sym[0][0][1][4].item<float>() == Approx(-1.5));
}
