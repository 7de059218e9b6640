// What SSA does in the graph transformer (models/egt): which real source nodes each layer keeps,
// whether the degree scaler is rescaled for the dropped ones, and which layers subsample.
// Virtual nodes are always sources. Plain data with the defaults; no YAML here (lib/config reads it).
#pragma once
#include <cstdint>

namespace ssa::attn {

// How an SSA layer of a graph transformer picks the sources of its targets.
enum class GraphSsaVariant {
  kUnbiased,  // the paper's S6-U20: every target sees the same ceil((1 - drop) n) random real nodes
  kLocal,     // beyond the paper: nodes ordered along the graph, localrandperm, split into windows
};

// The node order that stands in for "position" in the locally biased variant.
enum class GraphOrder {
  kBfs,                  // breadth-first from the lowest-numbered node of each component
  kReverseCuthillMcKee,  // Cuthill-McKee from a minimum-degree node, reversed (small bandwidth)
};

struct GraphSsaConfig {
  GraphSsaVariant variant = GraphSsaVariant::kUnbiased;
  double drop_ratio = 0.2;              // kUnbiased: share of real source nodes dropped ("U20" = 0.2)
  int64_t layers = -1;                  // SSA in the last N layers ("S6"); -1 = all, 0 = none (S0)
  int64_t windows = 2;                  // kLocal: n_w windows of targets, each with its own sources
  GraphOrder order = GraphOrder::kBfs;  // kLocal: the order that defines locality
  double sigma_first = 0.1;             // kLocal: noise std / real node count, first SSA layer
  double sigma_last = 0.25;             // kLocal: ... deepest SSA layer; linear in between
  // Degree scaler log(1 + d): false = d sums the gates of the kept sources only (what masking the
  // dropped sources gives, as in the author's tgt source_dropout); true = the kept real nodes'
  // gates are multiplied by n_real / n_kept, an unbiased estimate of the dense degree.
  bool rescale_degree = false;
};

}  // namespace ssa::attn
