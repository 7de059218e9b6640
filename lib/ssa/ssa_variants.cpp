// The table of SSA variants (see ssa_variants.h).
#include "lib/ssa/ssa_variants.h"

#include "lib/core/error.h"

namespace ssa::attn {
namespace {

double scaled(double sigma_fraction, int64_t size) { return sigma_fraction * static_cast<double>(size); }

SourceSample causal_local(SourceSampler& s, const SsaConfig& c, int64_t length, double sigma_fraction) {
  return s.causal_local(length, c.windows, scaled(sigma_fraction, length));
}

SourceSample causal_unbiased(SourceSampler& s, const SsaConfig& c, int64_t length, double) {
  return s.causal_unbiased(length, c.windows);
}

SourceSample unbiased(SourceSampler& s, const SsaConfig& c, int64_t length, double) {
  return s.unbiased(length, c.keep_ratio);
}

SourceSample local(SourceSampler& s, const SsaConfig& c, int64_t length, double sigma_fraction) {
  return s.local(length, c.windows, scaled(sigma_fraction, length));
}

// Rows of the grid of `length` tokens (row_length each), or a config error.
int64_t grid_rows(const SsaConfig& c, int64_t length) {
  const int64_t row_length = grid_row_length(c, length);
  SSA_CHECK(row_length > 0, ExitCode::kConfig, "SSA: length {} is not a grid of rows ({})", length,
            c.row_length > 0 ? "row_length " + std::to_string(c.row_length) : "not a square");
  return length / row_length;
}

SourceSample causal_grid(SourceSampler& s, const SsaConfig& c, int64_t length, double sigma_fraction) {
  const int64_t rows = grid_rows(c, length), row_length = length / rows;
  return s.causal_grid(rows, row_length, c.windows, scaled(sigma_fraction, rows), scaled(sigma_fraction, row_length));
}

SourceSample local_grid(SourceSampler& s, const SsaConfig& c, int64_t length, double sigma_fraction) {
  const int64_t rows = grid_rows(c, length), row_length = length / rows;
  return s.local_grid(rows, row_length, c.windows, scaled(sigma_fraction, rows), scaled(sigma_fraction, row_length));
}

SourceSample swin_subwindow(SourceSampler& s, const SsaConfig& c, int64_t length, double sigma_fraction) {
  const int64_t side = exact_sqrt(length), per_side = exact_sqrt(c.windows);
  SSA_CHECK(per_side > 0 && side > 0, ExitCode::kConfig,
            "SSA swin_subwindow: needs a square window and a square number of sub-windows, got {} tokens and {}",
            length, c.windows);
  return s.swin_subwindows(side, per_side, scaled(sigma_fraction, side));
}

std::string text(int64_t v) { return std::to_string(v); }

}  // namespace

const std::vector<SsaVariantRow>& ssa_variant_table() {
  static const std::vector<SsaVariantRow> table = {
      {SsaVariant::kCausalLocal, "causal_local", true, SequenceShape::kWindows, causal_local},
      {SsaVariant::kCausalUnbiased, "causal_unbiased", true, SequenceShape::kWindows, causal_unbiased},
      {SsaVariant::kUnbiased, "unbiased", false, SequenceShape::kAny, unbiased},
      {SsaVariant::kLocal, "local", false, SequenceShape::kWindows, local},
      {SsaVariant::kCausalGrid, "causal_2d", true, SequenceShape::kGridRows, causal_grid},
      {SsaVariant::kLocalGrid, "local_2d", false, SequenceShape::kGridRows, local_grid},
      {SsaVariant::kSwinSubwindow, "swin_subwindow", false, SequenceShape::kSquareWindow, swin_subwindow},
  };
  return table;
}

const SsaVariantRow& variant_row(SsaVariant variant) {
  for (const auto& row : ssa_variant_table()) {
    if (row.variant == variant) return row;
  }
  throw Error(ExitCode::kInternal, "SSA: variant " + text(static_cast<int>(variant)) + " has no row");
}

config::ChoiceNames<SsaVariant> ssa_variant_names() {
  config::ChoiceNames<SsaVariant> names;
  for (const auto& row : ssa_variant_table()) names.emplace_back(row.name, row.variant);
  return names;
}

bool is_causal(SsaVariant variant) { return variant_row(variant).causal; }

std::optional<LayoutProblem> layout_problem(const SsaConfig& c, int64_t length, const std::string& length_key) {
  const auto shape = variant_row(c.variant).shape;
  const std::string of = length_key + " (" + text(length) + ")";
  if (shape == SequenceShape::kWindows && length % c.windows != 0) {
    return LayoutProblem{"windows", of + " must be a multiple of the window count (" + text(c.windows) + ")"};
  }
  const int64_t row_length = grid_row_length(c, length);
  if (shape == SequenceShape::kGridRows && (row_length < 0 || (length / row_length) % c.windows != 0)) {
    const std::string row = c.row_length > 0 ? text(c.row_length) : "sqrt(" + length_key + ")";
    return LayoutProblem{"row_length", of + " must be a grid of rows of " + row +
                                           " tokens whose row count is a multiple of " + text(c.windows) + " windows"};
  }
  const int64_t side = exact_sqrt(length), per_side = exact_sqrt(c.windows);
  if (shape == SequenceShape::kSquareWindow && (side < 0 || per_side < 0 || side % per_side != 0)) {
    return LayoutProblem{"windows", of + " tokens must be a square window that sqrt(windows) = " +
                                        (per_side < 0 ? "(not a square)" : text(per_side)) +
                                        " sub-windows per side divide"};
  }
  return std::nullopt;
}

}  // namespace ssa::attn
