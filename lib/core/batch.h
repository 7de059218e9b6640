// The shared vocabulary of data, models and the trainer: the task a model learns from its data,
// and a batch of examples. Every task fills input and target; graph batches also fill the pair
// and padding fields (undefined otherwise). In lib/core so that models and data, which do not
// depend on each other, both see it; the namespace stays data::, where batches are made.
#pragma once
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace ssa::data {

// What the model learns from the data; decides how a dataset becomes batches.
enum class Task {
  kLanguageModel,        // next token of a text stream
  kImageClassification,  // class of an image
  kImageGeneration,      // next sub-pixel of an image in raster order
  kGraphRegression,      // a real value per molecule
};

struct Batch {
  // Language model:   input (B, T) int64 tokens,     target (B, T) int64, the input shifted by one.
  // Pixel generation: input (B, T) int64 sub-pixels, target (B, T) int64, the input shifted by one.
  // Classification:   input (B, C, H, W) float,      target (B) int64 class ids, or (B, K) float
  //                   soft labels (mixup, cutmix, label smoothing).
  // Graph regression: input (B, N, 9) int64 OGB atom features (-1 on padding), target (B) float.
  at::Tensor input;
  at::Tensor target;
  // The rest is optional ({} initializers: `Batch{input, target}` sets only the two above).
  at::Tensor target_mask{};  // (B, T) bool: positions that count (sliding-window evaluation); undefined = all
  at::Tensor condition{};    // (B, F) int64 DistAug transform ids, one per family; undefined = identity

  // Graphs, padded to N nodes (models/egt):
  at::Tensor node_mask{};  // (B, N) bool, true for real nodes
  at::Tensor edge_feat{};  // (B, N, N, 3) int64 OGB bond features; -1 where i and j are not bonded
  at::Tensor distance{};   // (B, N, N) int64 shortest-path hops; 510 = unreachable (OGB/EGT convention)
  at::Tensor svd{};        // (B, N, 2r) float SVD positional encodings [U sqrt(S), V sqrt(S)]

  int64_t size() const { return input.size(0); }
  Batch to(const c10::Device& device) const;  // every defined field moved
};

}  // namespace ssa::data
