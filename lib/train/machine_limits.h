// Settings that could exhaust the machine before the first step are checked against it before
// anything is loaded or allocated: each one too large is refused in one line (ConfigError, exit 2).
#pragma once
#include <cstdint>
#include <optional>

#include "lib/config/experiment_config.h"

namespace ssa::train {

// Thread counts above the cores this process may use (run.threads, data.molecules.threads).
void check_machine_limits(const config::ExperimentConfig& config);

// MemAvailable of /proc/meminfo in bytes; nullopt where it cannot be read.
std::optional<int64_t> available_memory_bytes();

// Bytes a CPU training process adds to its built model before the first step ends: per parameter
// an fp32 gradient and AdamW's two fp32 moments (activations come on top).
inline int64_t training_state_bytes(int64_t parameters) { return parameters * 3 * 4; }

// Refuses (ConfigError naming the model's size) a CPU model whose training state does not fit in
// the memory available, instead of letting the first step swap the machine or meet the OOM killer.
void check_training_state_fits(int64_t parameters, std::optional<int64_t> available);

}  // namespace ssa::train
