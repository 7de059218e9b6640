// DistAug: each transform against its index formula from the DistAug code (np.rot90 with
// axes=(1, 0), itertools permutation order), the family order, uniform id draws, the pixel
// dataset's conditioned batches, geometry errors, and the decoder's condition embedding.
#include "tests/support/catch.h"

#include <map>
#include <set>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "lib/core/error.h"
#include "lib/data/distribution_augment.h"
#include "lib/data/image_dataset.h"
#include "models/decoder/decoder.h"

using namespace ssa;
using namespace ssa::data;

namespace {

constexpr int64_t kSide = 4;

at::Tensor test_image() { return at::arange(3 * kSide * kSide, at::kLong).view({3, kSide, kSide}); }  // (C, H, W)

DistAugConfig only(bool DistAugConfig::*family) {
  DistAugConfig c;
  c.*family = true;
  return c;
}

at::Tensor ids(std::vector<int64_t> v) { return at::tensor(v, at::kLong); }

// out[c][i][j] = in[c][source(i, j)] for every pixel.
template <class F>
bool maps_pixels(const at::Tensor& out, const at::Tensor& in, F source) {
  for (int64_t c = 0; c < in.size(0); ++c) {
    for (int64_t i = 0; i < kSide; ++i) {
      for (int64_t j = 0; j < kSide; ++j) {
        const std::pair<int64_t, int64_t> from = source(i, j);
        const int64_t si = from.first, sj = from.second;
        if (out[c][i][j].item<int64_t>() != in[c][si][sj].item<int64_t>()) return false;
      }
    }
  }
  return true;
}

}  // namespace

TEST_CASE("distaug rotate k turns the image k quarter turns clockwise (np.rot90, axes=(1, 0))", "[distaug]") {
  const auto x = test_image();
  const auto c = only(&DistAugConfig::rotate);
  const int64_t n = kSide - 1;
  CHECK(at::equal(distaug_transform(x, c, ids({0})), x));
  CHECK(maps_pixels(distaug_transform(x, c, ids({1})), x, [&](int64_t i, int64_t j) { return std::pair{n - j, i}; }));
  CHECK(maps_pixels(distaug_transform(x, c, ids({2})), x, [&](int64_t i, int64_t j) {
    return std::pair{n - i, n - j};
  }));
  CHECK(maps_pixels(distaug_transform(x, c, ids({3})), x, [&](int64_t i, int64_t j) { return std::pair{j, n - i}; }));
}

TEST_CASE("distaug transpose swaps rows and columns: reverse is a half turn", "[distaug]") {
  const auto x = test_image();
  const int64_t n = kSide - 1;
  CHECK(maps_pixels(distaug_transform(x, only(&DistAugConfig::transpose), ids({1})), x, [](int64_t i, int64_t j) {
    return std::pair{j, i};
  }));
  CHECK(maps_pixels(distaug_transform(x, only(&DistAugConfig::reverse), ids({1})), x, [&](int64_t i, int64_t j) {
    return std::pair{n - i, n - j};
  }));
  CHECK(at::equal(distaug_transform(x, only(&DistAugConfig::reverse), ids({0})), x));
}

TEST_CASE("distaug colour ids are the RGB permutations in itertools order, new[c] = old[perm[c]]", "[distaug]") {
  const auto x = test_image();
  const std::vector<std::vector<int64_t>> perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (int64_t id = 0; id < 6; ++id) {
    const auto out = distaug_transform(x, only(&DistAugConfig::colour), ids({id}));
    for (int64_t c = 0; c < 3; ++c) CHECK(at::equal(out[c], x[perms[static_cast<size_t>(id)][static_cast<size_t>(c)]]));
  }
}

TEST_CASE("distaug jigsaw ids are the 24 quadrant permutations in itertools order", "[distaug]") {
  const auto x = test_image();
  const auto c = only(&DistAugConfig::jigsaw);
  std::set<std::vector<int64_t>> distinct;
  for (int64_t id = 0; id < 24; ++id) {
    const auto out = distaug_transform(x, c, ids({id}));
    distinct.insert(std::vector<int64_t>(out.data_ptr<int64_t>(), out.data_ptr<int64_t>() + out.numel()));
  }
  CHECK(distinct.size() == 24);
  CHECK(at::equal(distaug_transform(x, c, ids({0})), x));
  // id 1 = (0, 1, 3, 2): the bottom quadrants swap; id 23 = (3, 2, 1, 0): new top-left is old bottom-right.
  const int64_t h = kSide / 2;
  CHECK(maps_pixels(distaug_transform(x, c, ids({1})), x, [&](int64_t i, int64_t j) {
    return i < h ? std::pair{i, j} : std::pair{i, (j + h) % kSide};
  }));
  CHECK(maps_pixels(distaug_transform(x, c, ids({23})), x, [&](int64_t i, int64_t j) {
    return std::pair{(i + h) % kSide, (j + h) % kSide};
  }));
}

TEST_CASE("distaug families apply in DistAug's order: rotate, then transpose", "[distaug]") {
  DistAugConfig c;
  c.rotate = c.transpose = true;
  REQUIRE(distaug_families(c).size() == 2);
  CHECK(distaug_families(c)[0].name == "rotate");
  // transpose(rot90 clockwise) flips the rows; the other order would flip the columns.
  CHECK(at::equal(distaug_transform(test_image(), c, ids({1, 1})), test_image().flip({1})));
}

TEST_CASE("distaug ids are uniform per family and reproducible from the seed", "[distaug]") {
  DistAugConfig c;
  c.rotate = c.jigsaw = true;
  std::mt19937_64 rng(7);
  const int64_t n = 24000;
  const auto drawn = draw_distaug_ids(c, n, rng);  // (n, 2)
  REQUIRE(drawn.sizes() == at::IntArrayRef({n, 2}));
  const std::vector<int64_t> sizes = {4, 24};
  for (int64_t f = 0; f < 2; ++f) {
    const auto column = drawn.select(1, f);
    const int64_t k = sizes[static_cast<size_t>(f)];
    const auto counts = at::bincount(column, {}, k).to(at::kDouble);  // (k)
    REQUIRE(counts.size(0) == k);
    const double expected = static_cast<double>(n) / static_cast<double>(k);
    const double chi2 = ((counts - expected).pow(2) / expected).sum().item<double>();
    CHECK(chi2 < 3.0 * static_cast<double>(k));  // df = k - 1; a stuck or skewed draw is far above
    CHECK(column.max().item<int64_t>() == k - 1);
  }
  std::mt19937_64 again(7);
  CHECK(at::equal(draw_distaug_ids(c, n, again), drawn));
}

TEST_CASE("pixel batches carry DistAug ids in training only, with the images transformed by them", "[distaug]") {
  ImageSet set;
  set.pixels = at::arange(6 * 3 * kSide * kSide, at::kLong).remainder(251).to(at::kByte).view({6, 3, kSide, kSide});
  set.labels = at::zeros({6}, at::kLong);
  set.classes = 10;
  DistAugConfig c;
  c.rotate = c.colour = true;
  const PixelSequenceDataset plain(set), augmented(set, c);
  const std::vector<int64_t> indices = {0, 3, 5, 1};
  const auto eval = augmented.batch(indices, std::nullopt);
  CHECK_FALSE(eval.condition.defined());
  CHECK(at::equal(eval.target, plain.batch(indices, std::nullopt).target));

  const auto b = augmented.batch(indices, 11);
  REQUIRE(b.condition.sizes() == at::IntArrayRef({4, 2}));
  for (size_t i = 0; i < indices.size(); ++i) {
    const auto image = distaug_transform(set.pixels[indices[i]], c, b.condition[static_cast<int64_t>(i)]);
    CHECK(at::equal(b.target[static_cast<int64_t>(i)], image.permute({1, 2, 0}).reshape({-1}).to(at::kLong)));
  }
  CHECK(at::equal(augmented.batch(indices, 11).condition, b.condition));
  CHECK(augmented.describe().find("DistAug rotate (4) x colour (6)") != std::string::npos);
}

TEST_CASE("distaug refuses images its transforms do not fit, naming the key", "[distaug][errors]") {
  const auto message = [](const DistAugConfig& c, int64_t channels, int64_t h, int64_t w) {
    try {
      check_distaug_geometry(c, channels, h, w);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(message(only(&DistAugConfig::rotate), 3, 4, 6).rfind("data.augment.distaug.rotate: needs square", 0) == 0);
  CHECK(message(only(&DistAugConfig::jigsaw), 3, 5, 5).rfind("data.augment.distaug.jigsaw:", 0) == 0);
  CHECK(message(only(&DistAugConfig::colour), 1, 28, 28).rfind("data.augment.distaug.colour:", 0) == 0);
  CHECK(message(only(&DistAugConfig::reverse), 1, 4, 6).empty());
}

TEST_CASE("a conditioned decoder adds one vector per family id at the begin token", "[distaug][decoder]") {
  models::DecoderConfig config = models::decoder_flavor("tiny");
  config.vocab_size = 50;
  torch::manual_seed(0);
  models::Decoder unconditional(config, 1);
  config.conditions = {4, 2};
  torch::manual_seed(0);
  models::Decoder conditioned(config, 1);
  CHECK(conditioned.parameter_count() - unconditional.parameter_count() == (4 + 2) * config.d_model);

  conditioned.set_attention_mode(attn::AttentionMode::kDense);  // no resampling: forwards are repeatable
  const auto tokens = at::randint(0, 50, {2, 12}, at::kLong);
  const auto identity = at::zeros({2, 2}, at::kLong);
  CHECK(at::equal(conditioned.forward(tokens), conditioned.forward(tokens, identity)));
  const auto turned = conditioned.forward(tokens, at::tensor({3, 1, 0, 0}, at::kLong).view({2, 2}));
  CHECK_FALSE(at::allclose(turned[0], conditioned.forward(tokens, identity)[0]));  // every position sees position 0
  CHECK(at::allclose(turned[1], conditioned.forward(tokens, identity)[1], 1e-6, 1e-6));  // row 1: the identity

  // Gradient reaches exactly the rows of the ids used: rotate 3 (row 3) and transpose 1 (row 4 + 1).
  conditioned.zero_grad();
  conditioned.forward(tokens.slice(0, 0, 1), at::tensor({3, 1}, at::kLong).view({1, 2})).sum().backward();
  const auto grad = conditioned.named_parameters()["embed_condition"].grad();  // (6, C)
  const auto touched = grad.abs().sum(1).gt(0);
  CHECK(at::equal(touched, at::tensor(std::vector<int64_t>{0, 0, 0, 1, 0, 1}).to(at::kBool)));
}
