// ssa-train predict: a model's dense-attention predictions on the first --examples validation
// examples, saved with the preprocessed inputs and targets as one safetensors file ("input",
// "target", "prediction": class log-probabilities for classifiers, per-position log-probabilities
// for decoders, values for regression). What another implementation is compared against on the
// same inputs (tests/scripts/torchvision_crosscheck.py), and a user's own analysis.
#include <algorithm>
#include <numeric>

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "lib/core/error.h"
#include "lib/train/checkpointer.h"
#include "lib/train/commands.h"
#include "lib/train/safetensors.h"
#include "lib/train/trainer.h"
#include "models/model_registry.h"

namespace ssa::train {

int command_predict(const CommandLine& cli) {
  const auto config = load_to_run(cli);
  apply_run_settings(config.run);
  const data::TaskData loaded = load_data(config);
  auto model = models::build_model(config.model, 0);
  load_weights(resolve_checkpoint(cli.checkpoint), *model);
  model->eval();
  model->set_attention_mode(attn::AttentionMode::kDense);
  std::vector<int64_t> indices(static_cast<size_t>(std::min(cli.examples, loaded.valid->size())));
  std::iota(indices.begin(), indices.end(), 0);
  const data::Batch batch = loaded.valid->batch(indices, std::nullopt);
  torch::NoGradGuard no_grad;
  const at::Tensor prediction = model->predict(batch).contiguous();
  const std::vector<NamedTensor> saved = {
      {"input", batch.input.contiguous()}, {"target", batch.target.contiguous()}, {"prediction", prediction}};
  save_safetensors(cli.out_path, saved);
  spdlog::info("wrote {} ({} examples, prediction {})", cli.out_path, indices.size(), c10::str(prediction.sizes()));
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace ssa::train
