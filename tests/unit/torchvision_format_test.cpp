// The torchvision mapping (lib/train/torchvision_format.h): our ViT-B/16 and Swin-T presets go
// out as exactly the state dicts of torchvision's vit_b_16() and swin_t() (152 and 185 entries,
// ../shared/reference/interop-formats.md) with their parameter counts, come back bit for bit,
// name the preset builder, and shapes torchvision cannot express are refused naming the problem.
#include "tests/support/catch.h"

#include <ATen/ATen.h>

#include "lib/train/model_tensors.h"
#include "lib/train/torchvision_format.h"
#include "models/swin/swin.h"
#include "models/vit/vit.h"

using namespace ssa;

namespace {

// Every mapped tensor equal after out and back; the count and parameters of the torchvision side.
void check_round_trip(models::Model& model, size_t entries, int64_t parameters) {
  const auto form = train::torchvision_form(model);
  const auto ours = train::tensors_by_name(train::model_tensors(model));
  const auto theirs = train::to_torchvision_tensors(ours, form);
  CHECK(theirs.size() == entries);
  int64_t floats = 0;
  for (const auto& t : theirs) floats += at::isFloatingType(t.tensor.scalar_type()) ? t.tensor.numel() : 0;
  CHECK(floats == parameters);
  const auto back = train::from_torchvision_tensors(train::tensors_by_name(theirs), form);
  CHECK(back.size() == entries);
  for (const auto& [name, tensor] : back) CHECK(at::equal(tensor, ours.at(name)));
}

}  // namespace

TEST_CASE("ViT-B/16 maps onto torchvision's vit_b_16 state dict and back", "[torchvision]") {
  models::Vit vit(models::vit_flavor("vit-b16"), 1);
  REQUIRE(train::torchvision_incompatibility(vit).empty());
  check_round_trip(vit, 152, 86'567'656);
  const auto form = train::torchvision_form(vit);
  CHECK(form.builder == "vit_b_16");
  CHECK(form.names.front().theirs == "class_token");
  CHECK(train::torchvision_json(form).find("\"mlp_dim\": 3072") != std::string::npos);
}

TEST_CASE("Swin-T maps onto torchvision's swin_t state dict and back, the index flat", "[torchvision]") {
  models::Swin swin(models::swin_flavor("swin-t-w7"), 1);
  REQUIRE(train::torchvision_incompatibility(swin).empty());
  // 185 entries: 28,288,354 parameters plus 12 relative position indices of 49 x 49 (int64).
  check_round_trip(swin, 185, 28'288'354);
  const auto form = train::torchvision_form(swin);
  CHECK(form.builder == "swin_t");
  const auto theirs = train::tensors_by_name(
      train::to_torchvision_tensors(train::tensors_by_name(train::model_tensors(swin)), form));
  CHECK(theirs.at("features.5.3.attn.relative_position_index").sizes() == at::IntArrayRef({49 * 49}));
  CHECK(theirs.at("features.6.reduction.weight").sizes() == at::IntArrayRef({768, 1536}));
  CHECK(theirs.count("features.7.1.mlp.3.bias") == 1);
}

TEST_CASE("Shapes without a torchvision equivalent are refused naming the problem", "[torchvision]") {
  auto grey = models::vit_flavor("tiny");  // Fashion-MNIST: one channel
  CHECK(train::torchvision_incompatibility(models::Vit(grey, 1)).find("in_channels is 1") != std::string::npos);
  grey.in_channels = 3;
  grey.pool = models::PoolKind::kMean;
  CHECK(train::torchvision_incompatibility(models::Vit(grey, 1)).find("class token") != std::string::npos);
  auto clipped = models::swin_flavor("swin-t-w14");  // the last stage is 7x7, smaller than 14
  CHECK(train::torchvision_incompatibility(models::Swin(clipped, 1)).find("smaller than model.window_size 14") !=
        std::string::npos);
  CHECK(train::torchvision_form(models::Swin(models::swin_flavor("tiny"), 1)).builder.empty());
}
