// ssa-train export: a trained LLaMA-style decoder as a Hugging Face LlamaForCausalLM directory
// (--format hf), or a ViT / Swin as a torchvision file (--format torchvision; docs/models.md).
// Every check runs before anything is written.
#include <filesystem>

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include "lib/config/experiment_config.h"
#include "lib/config/imported_model.h"
#include "lib/core/error.h"
#include "lib/core/input_file.h"
#include "lib/train/checkpointer.h"
#include "lib/train/commands.h"
#include "lib/train/hf_directory.h"
#include "lib/train/hf_llama.h"
#include "lib/train/model_tensors.h"
#include "lib/train/torchvision_format.h"
#include "models/decoder/decoder.h"
#include "models/model_registry.h"

namespace ssa::train {
namespace fs = std::filesystem;
namespace {

// The experiment's decoder shape, refused in one line when Hugging Face has no equivalent.
models::DecoderConfig exportable_decoder(const config::ExperimentConfig& config) {
  if (config.model.type != "decoder") {
    throw ConfigError("export --format hf: model.type is " + config.model.type +
                      "; only a LLaMA-style decoder has a Hugging Face LlamaForCausalLM form");
  }
  const auto& c = config.model.as<models::DecoderConfig>();
  const std::string incompatible = llama_incompatibility(c);
  if (!incompatible.empty()) throw ConfigError("export --format hf: " + incompatible);
  return c;
}

// A sentencepiece run's tokenizer (spm.model beside the first training file, as prepare-data
// writes it): tokenizer.model and tokenizer_config.json; none for bytes or word-level ids.
std::vector<ExtraFile> tokenizer_files(const config::ExperimentConfig& config) {
  if (config.data.train_paths.empty()) return {};
  const fs::path model = fs::path(config.data.train_paths.front()).parent_path() / "spm.model";
  if (!fs::is_regular_file(model)) return {};
  const std::string tokenizer_config =
      "{\n  \"add_bos_token\": false,\n  \"add_eos_token\": false,\n"
      "  \"bos_token\": \"<s>\",\n  \"eos_token\": \"</s>\",\n"
      "  \"model_max_length\": " +
      std::to_string(config.data.seq_len) +
      ",\n  \"tokenizer_class\": \"LlamaTokenizer\",\n  \"unk_token\": \"<unk>\"\n}\n";
  return {{"tokenizer.model", read_input_file(model.string())}, {"tokenizer_config.json", tokenizer_config}};
}

// --format torchvision: one .safetensors file under torchvision's names and its JSON beside it.
int export_torchvision(const config::ExperimentConfig& config, const CommandLine& cli) {
  auto model = models::build_model(config.model, 0);
  const std::string incompatible = torchvision_incompatibility(*model);
  if (!incompatible.empty()) throw ConfigError("export --format torchvision: " + incompatible);
  const at::ScalarType dtype = export_dtype(cli.export_dtype);
  const TorchvisionForm form = torchvision_form(*model);
  check_new_torchvision_file(cli.out_path);  // before the weights are read
  load_weights(resolve_checkpoint(cli.checkpoint), *model);
  std::vector<NamedTensor> tensors;
  for (const auto& t : to_torchvision_tensors(tensors_by_name(model_tensors(*model)), form)) {
    const bool index = !at::isFloatingType(t.tensor.scalar_type());  // Swin's int64 position index stays
    tensors.push_back({t.name, (index ? t.tensor : t.tensor.detach().to(dtype)).contiguous()});
  }
  write_torchvision_file(cli.out_path, tensors, torchvision_json(form));
  spdlog::info("wrote {} and {} ({} tensors, {})", cli.out_path, config::torchvision_json_path(cli.out_path),
               tensors.size(), torch_dtype_name(dtype));
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace

int command_export(const CommandLine& cli) {
  const auto config = config::load_experiment(cli.config_path, cli.overrides, cli.checkpoint);
  if (cli.export_format == "torchvision") return export_torchvision(config, cli);
  const auto shape = exportable_decoder(config);
  const at::ScalarType dtype = export_dtype(cli.export_dtype);
  const int64_t max_shard_bytes = parse_shard_size(cli.max_shard_size);
  check_new_directory(cli.out_path);  // before the weights are read
  auto model = models::build_model(config.model, 0);
  load_weights(resolve_checkpoint(cli.checkpoint), *model);  // a checkpoint, run or Hugging Face directory
  std::vector<NamedTensor> tensors;
  for (const auto& t : to_hf_tensors(tensors_by_name(model_tensors(*model)), shape)) {
    tensors.push_back({t.name, t.tensor.detach().to(dtype).contiguous()});
  }
  auto files = tokenizer_files(config);
  HfConfigFacts facts;
  facts.torch_dtype = torch_dtype_name(dtype);
  facts.max_position_embeddings = config.data.seq_len;
  if (!files.empty()) facts.bos_token_id = 1, facts.eos_token_id = 2;  // sentencepiece's defaults
  files.push_back({"config.json", hf_config_json(shape, facts)});
  write_hf_directory(cli.out_path, tensors, max_shard_bytes, files);
  spdlog::info("wrote {} ({} tensors, {})", cli.out_path, tensors.size(), facts.torch_dtype);
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace ssa::train
