// Loads a Hugging Face LlamaForCausalLM directory (hf_directory.h) into the experiment's decoder:
// run.init_from and eval --checkpoint. config.json and every tensor are checked against the model
// first; nothing is copied unless all fit.
#pragma once
#include <string>

#include "models/model.h"

namespace ssa::train {

// ConfigError (exit 2), one line, for every mismatch: another architecture, rope_scaling,
// attention_bias or mlp_bias, a config.json shape key other than the model's, a missing,
// unexpected or reshaped tensor, a model that is not a LLaMA-style decoder. InputError (exit 3)
// for unreadable files (read_hf_weights).
void import_hf_weights(const std::string& dir, models::Model& model);

}  // namespace ssa::train
