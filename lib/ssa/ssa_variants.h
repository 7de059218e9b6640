// The SSA variants as one table, a row each: the config name, whether it is causal, the shape of
// sequence it needs and its sampler. The sampler dispatch, the config names, causality and the
// length checks of config validation all read this table. Adding a variant means its enum value
// (ssa_config.h), its sampler (a SourceSampler method) and its row (ssa_variants.cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/core/field_spec.h"
#include "lib/ssa/source_sampler.h"

namespace ssa::attn {

// What sequence a variant can split into its windows.
enum class SequenceShape {
  kAny,           // any length (one window of kept sources)
  kWindows,       // a multiple of `windows` tokens
  kGridRows,      // a grid of rows of row_length tokens (0: sqrt(T)) whose row count is a multiple of `windows`
  kSquareWindow,  // a square window whose side `sqrt(windows)` sub-windows divide
};

struct SsaVariantRow {
  SsaVariant variant;
  const char* name;  // the config spelling (model.ssa.variant)
  bool causal;       // sources never lie beyond the end of their target window
  SequenceShape shape;
  // Draws the sources of `length` targets; sigma_fraction scales with the sequence (or grid) size.
  SourceSample (*sample)(SourceSampler& sampler, const SsaConfig& config, int64_t length, double sigma_fraction);
};

const std::vector<SsaVariantRow>& ssa_variant_table();
const SsaVariantRow& variant_row(SsaVariant variant);
config::ChoiceNames<SsaVariant> ssa_variant_names();
bool is_causal(SsaVariant variant);

// Why `length` tokens (named `length_key` in messages, e.g. "data.seq_len") do not fit the
// variant's shape: the key under model.ssa to change and the problem; nullopt when they fit.
struct LayoutProblem {
  std::string key;  // "windows" or "row_length"
  std::string problem;
};
std::optional<LayoutProblem> layout_problem(const SsaConfig& config, int64_t length, const std::string& length_key);

}  // namespace ssa::attn
