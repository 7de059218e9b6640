// Stochastic depth (Huang et al. 2016, timm's DropPath): in training, drops a residual branch for
// whole samples with probability p and scales the kept ones by 1 / (1 - p). Used by Swin and ViT.
#pragma once
#include <ATen/core/Tensor.h>

namespace ssa::nn {

// x: (B, ...) -> (B, ...); x itself outside training or when p is 0.
at::Tensor drop_path(const at::Tensor& x, double p, bool training);

// The rate of block i of n: linear from 0 (first block) to max_rate (last block).
double drop_path_rate(double max_rate, int64_t block, int64_t blocks);

}  // namespace ssa::nn
