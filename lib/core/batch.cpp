// Moving a batch between devices (see batch.h).
#include "lib/core/batch.h"

namespace ssa::data {
namespace {

at::Tensor moved(const at::Tensor& t, const c10::Device& device) { return t.defined() ? t.to(device) : t; }

}  // namespace

Batch Batch::to(const c10::Device& device) const {
  Batch b;
  b.input = moved(input, device);
  b.target = moved(target, device);
  b.target_mask = moved(target_mask, device);
  b.condition = moved(condition, device);
  b.node_mask = moved(node_mask, device);
  b.edge_feat = moved(edge_feat, device);
  b.distance = moved(distance, device);
  b.svd = moved(svd, device);
  return b;
}

}  // namespace ssa::data
