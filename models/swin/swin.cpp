// Swin Transformer with sub-window SSA (see swin.h). Init follows Swin: linear weights and the
// bias table N(0, 0.02) (trunc_normal at +-2 is the same in practice), biases 0, LayerNorm 1/0.
#include "models/swin/swin.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include "lib/core/error.h"
#include "lib/nn/drop_path.h"
#include "lib/ssa/ssa_layer_plan.h"
#include "models/classifier_loss.h"

namespace ssa::models {
namespace {

constexpr double kInitStd = 0.02;
constexpr double kCrossRegionPenalty = -100.0;  // Swin's additive mask value

// (B, H, W, C) -> (B*nW, w*w, C), windows in raster order.
at::Tensor partition_windows(const at::Tensor& x, int64_t w) {
  const int64_t b = x.size(0), h = x.size(1), wd = x.size(2), c = x.size(3);
  return x.view({b, h / w, w, wd / w, w, c}).permute({0, 1, 3, 2, 4, 5}).reshape({-1, w * w, c});
}

// (B*nW, w*w, C) -> (B, H, W, C)
at::Tensor merge_windows(const at::Tensor& windows, int64_t w, int64_t h, int64_t wd) {
  const int64_t c = windows.size(2);
  const int64_t b = windows.size(0) / ((h / w) * (wd / w));
  return windows.view({b, h / w, wd / w, w, w, c}).permute({0, 1, 3, 2, 4, 5}).reshape({b, h, wd, c});
}

void init_linear(torch::nn::Linear& linear) {
  torch::nn::init::normal_(linear->weight, 0.0, kInitStd);
  if (linear->bias.defined()) torch::nn::init::zeros_(linear->bias);
}

}  // namespace

at::Tensor relative_position_index(int64_t window) {
  const auto coords = at::stack(at::meshgrid({at::arange(window), at::arange(window)}, "ij")).flatten(1);  // (2, N)
  const auto rel = coords.unsqueeze(2) - coords.unsqueeze(1) + (window - 1);                               // (2, N, N)
  return rel[0] * (2 * window - 1) + rel[1];                                                               // (N, N)
}

at::Tensor shifted_window_mask(int64_t height, int64_t width, int64_t window, int64_t shift) {
  if (shift == 0) return {};
  auto labels = at::zeros({1, height, width, 1}, at::kLong);
  int64_t region = 0;
  const std::vector<std::pair<int64_t, int64_t>> rows = {
      {0, height - window}, {height - window, height - shift}, {height - shift, height}};
  const std::vector<std::pair<int64_t, int64_t>> cols = {
      {0, width - window}, {width - window, width - shift}, {width - shift, width}};
  for (const auto& [r0, r1] : rows) {
    for (const auto& [c0, c1] : cols) labels.slice(1, r0, r1).slice(2, c0, c1).fill_(region++);
  }
  const auto m = partition_windows(labels, window).squeeze(2);                     // (nW, N)
  return (m.unsqueeze(1) != m.unsqueeze(2)).to(at::kFloat) * kCrossRegionPenalty;  // (nW, N, N)
}

std::vector<SwinBlockGeometry> swin_geometry(const SwinConfig& c) {
  if (c.image_size % c.patch_size != 0) {
    throw ModelConfigError("patch_size", std::to_string(c.patch_size) + " does not divide model.image_size " +
                                             std::to_string(c.image_size));
  }
  if (c.depths.size() != c.heads.size() || c.depths.empty()) {
    throw ModelConfigError("heads",
                           "needs one entry per stage of model.depths (" + std::to_string(c.depths.size()) + ")");
  }
  std::vector<SwinBlockGeometry> blocks;
  int64_t side = c.image_size / c.patch_size, dim = c.embed_dim;
  for (size_t s = 0; s < c.depths.size(); ++s) {
    const bool clipped = side <= c.window_size;  // one window, no shift
    const int64_t window = clipped ? side : c.window_size;
    if (side % window != 0) {
      throw ModelConfigError("window_size", std::to_string(window) + " does not divide stage " + std::to_string(s + 1) +
                                                "'s " + std::to_string(side) + "x" + std::to_string(side) + " tokens");
    }
    if (dim % c.heads[s] != 0) {
      throw ModelConfigError("heads", std::to_string(c.heads[s]) + " heads do not divide stage " +
                                          std::to_string(s + 1) + "'s " + std::to_string(dim) + " channels");
    }
    for (int64_t b = 0; b < c.depths[s]; ++b) {
      blocks.push_back({side, side, window, clipped || b % 2 == 0 ? 0 : window / 2, dim, c.heads[s]});
    }
    if (s + 1 < c.depths.size()) {
      if (side % 2 != 0) {
        throw ModelConfigError("depths", "stage " + std::to_string(s + 1) + " has " + std::to_string(side) + "x" +
                                             std::to_string(side) + " tokens, which patch merging cannot halve");
      }
      side /= 2;
      dim *= 2;
    }
  }
  return blocks;
}

bool swin_block_can_subsample(const SwinBlockGeometry& g, const attn::SsaConfig& ssa) {
  const int64_t per_side = attn::exact_sqrt(ssa.windows);
  return per_side > 1 && g.window % per_side == 0;
}

SwinBlockImpl::SwinBlockImpl(const SwinBlockGeometry& g, const SwinConfig& c, double drop_path,
                             std::optional<double> sigma_fraction, std::shared_ptr<attn::SourceSampler> sampler)
    : geometry(g), drop_path_(drop_path) {
  const auto hidden = static_cast<int64_t>(static_cast<double>(g.dim) * c.mlp_ratio);
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({g.dim})));
  attn = register_module("attn", attn::SsaSelfAttention(attn::SsaAttentionOptions{g.dim, g.heads, c.attention_dropout,
                                                                                  sigma_fraction, c.ssa},
                                                        std::move(sampler)));
  bias_table = register_parameter("relative_position_bias_table",
                                  at::empty({(2 * g.window - 1) * (2 * g.window - 1), g.heads}));
  torch::nn::init::normal_(bias_table, 0.0, kInitStd);
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({g.dim})));
  fc1 = register_module("fc1", torch::nn::Linear(g.dim, hidden));
  fc2 = register_module("fc2", torch::nn::Linear(hidden, g.dim));
  for (auto* linear : {&attn->qkv, &attn->out, &fc1, &fc2}) init_linear(*linear);
  index_ = register_buffer("relative_position_index", relative_position_index(g.window));
  mask_ = shifted_window_mask(g.height, g.width, g.window, g.shift);
  if (mask_.defined()) mask_ = register_buffer("attn_mask", mask_);
}

// Relative position bias (+ the shifted-window mask) gathered at the original coordinates of the
// sampled targets and sources, for `batch` images of nW windows each.
attn::BiasFn SwinBlockImpl::window_bias(int64_t batch) const {
  const at::Tensor table = bias_table, index = index_, mask = mask_;
  const int64_t n = geometry.window * geometry.window, heads = geometry.heads;
  return [=](const at::Tensor& targets, const at::Tensor& sources) {
    const int64_t g = targets.size(0), tq = targets.size(1), s = sources.size(1);
    const auto pairs = (targets.unsqueeze(2) * n + sources.unsqueeze(1)).view(-1);  // (G*Tq*S)
    const auto idx = index.view(-1).index_select(0, pairs);
    const auto rel = table.index_select(0, idx).view({g, tq, s, heads}).permute({3, 0, 1, 2});  // (H, G, Tq, S)
    if (!mask.defined()) return rel;
    const int64_t windows = mask.size(0);
    const auto m = mask.view({windows, n * n}).index_select(1, pairs).view({windows, 1, g, tq, s});
    return (rel.unsqueeze(0) + m).repeat({batch, 1, 1, 1, 1});  // (B*nW, H, G, Tq, S)
  };
}

at::Tensor SwinBlockImpl::forward(const at::Tensor& x) {
  const int64_t b = x.size(0), h = geometry.height, w = geometry.width, c = x.size(2);
  auto y = norm1(x).view({b, h, w, c});
  if (geometry.shift > 0) y = at::roll(y, {-geometry.shift, -geometry.shift}, {1, 2});
  auto windows = attn(partition_windows(y, geometry.window), window_bias(b));  // (B*nW, N, C)
  y = merge_windows(windows, geometry.window, h, w);
  if (geometry.shift > 0) y = at::roll(y, {geometry.shift, geometry.shift}, {1, 2});
  auto out = x + nn::drop_path(y.reshape({b, h * w, c}), drop_path_, is_training());  // (B, L, C)
  return out + nn::drop_path(fc2(at::gelu(fc1(norm2(out)))), drop_path_, is_training());
}

PatchMergingImpl::PatchMergingImpl(int64_t height, int64_t width, int64_t dim) : height_(height), width_(width) {
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({4 * dim})));
  reduction = register_module("reduction", torch::nn::Linear(torch::nn::LinearOptions(4 * dim, 2 * dim).bias(false)));
  init_linear(reduction);
}

at::Tensor PatchMergingImpl::forward(const at::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(2);
  const auto g = x.view({b, height_, width_, c});
  const auto even_rows = g.slice(1, 0, height_, 2), odd_rows = g.slice(1, 1, height_, 2);
  const auto merged = at::cat({even_rows.slice(2, 0, width_, 2), odd_rows.slice(2, 0, width_, 2),
                               even_rows.slice(2, 1, width_, 2), odd_rows.slice(2, 1, width_, 2)},
                              -1);                      // (B, H/2, W/2, 4C)
  return reduction(norm(merged.view({b, -1, 4 * c})));  // (B, L/4, 2C)
}

std::vector<std::optional<double>> swin_ssa_plan(const std::vector<SwinBlockGeometry>& geometry,
                                                 const attn::SsaConfig& ssa) {
  int64_t eligible = 0;
  for (const auto& g : geometry) eligible += swin_block_can_subsample(g, ssa) ? 1 : 0;
  const auto plan = attn::ssa_layer_plan(ssa, eligible);  // over the eligible blocks, in order
  std::vector<std::optional<double>> sigma;
  for (size_t i = 0, e = 0; i < geometry.size(); ++i) {
    sigma.push_back(swin_block_can_subsample(geometry[i], ssa) ? plan[e++] : std::nullopt);
  }
  return sigma;
}

Swin::Swin(const SwinConfig& config, uint64_t sampler_seed)
    : config_(config), sampler_(std::make_shared<attn::SourceSampler>(sampler_seed)) {
  const auto geometry = swin_geometry(config);
  patch_embed_ = register_module(
      "patch_embed",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(config.in_channels, config.embed_dim, config.patch_size).stride(config.patch_size)));
  patch_norm_ = register_module("patch_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.embed_dim})));
  layers_ = register_module("layers", torch::nn::ModuleList());
  const auto sigmas = swin_ssa_plan(geometry, config.ssa);
  const auto blocks = static_cast<int64_t>(geometry.size());
  for (int64_t i = 0; i < blocks; ++i) {
    const auto& g = geometry[static_cast<size_t>(i)];
    const auto sigma = sigmas[static_cast<size_t>(i)];
    const double rate = nn::drop_path_rate(config.drop_path, i, blocks);
    block_list_.emplace_back(g, config, rate, sigma, sampler_);
    layers_->push_back(block_list_.back());
    const bool stage_ends = i + 1 == blocks || geometry[static_cast<size_t>(i + 1)].dim != g.dim;
    if (stage_ends && i + 1 < blocks) layers_->push_back(PatchMerging(g.height, g.width, g.dim));
  }
  const int64_t final_dim = geometry.back().dim;
  final_norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({final_dim})));
  head_ = register_module("head", torch::nn::Linear(final_dim, config.num_classes));
  init_linear(head_);
}

at::Tensor Swin::forward(const at::Tensor& images) {
  auto x = patch_embed_(images).flatten(2).transpose(1, 2);  // (B, L, C)
  x = patch_norm_(x);
  for (const auto& layer : *layers_) {
    if (auto* block = layer->as<SwinBlockImpl>()) {
      x = run_block([block](const std::vector<at::Tensor>& in) { return std::vector{block->forward(in[0])}; }, {x})[0];
    } else {
      x = layer->as<PatchMergingImpl>()->forward(x);
    }
  }
  return head_(final_norm_(x).mean(1));  // (B, classes)
}

LossOutput Swin::loss(const Batch& batch) { return classifier_loss(forward(batch.input), batch.target); }

at::Tensor Swin::predict(const Batch& batch) { return class_log_probs(forward(batch.input)); }

double Swin::forward_flops(const Batch& batch, bool dense_attention) const {
  const auto b = static_cast<double>(batch.input.size(0));
  const auto& c = config_;
  const double tokens0 = b * static_cast<double>((c.image_size / c.patch_size) * (c.image_size / c.patch_size));
  double flops = 2.0 * tokens0 * static_cast<double>(c.patch_size * c.patch_size * c.in_channels * c.embed_dim);
  for (const auto& block : block_list_) {
    const auto& g = block->geometry;
    const double tokens = b * static_cast<double>(g.height * g.width), d = static_cast<double>(g.dim);
    const double fraction = dense_attention ? 1.0 : block->attn->last_attention_fraction();
    const double sources = fraction * static_cast<double>(g.window * g.window);  // per target, within its window
    flops += 2.0 * tokens * (4.0 * d * d + 2.0 * d * d * c.mlp_ratio) + 2.0 * 2.0 * tokens * sources * d;
  }
  for (size_t i = 0; i + 1 < block_list_.size(); ++i) {  // patch mergings: Linear(4C -> 2C) on L/4 tokens
    const auto& g = block_list_[i]->geometry;
    if (block_list_[i + 1]->geometry.dim == g.dim) continue;
    const double d = static_cast<double>(g.dim);
    flops += 2.0 * b * static_cast<double>(g.height * g.width) / 4.0 * (4.0 * d) * (2.0 * d);
  }
  return flops + 2.0 * b * static_cast<double>(block_list_.back()->geometry.dim * c.num_classes);
}

void Swin::set_attention_mode(attn::AttentionMode mode) {
  for (auto& block : block_list_) block->attn->set_mode(mode);
}

double Swin::last_attention_fraction() const {
  double sum = 0;
  for (const auto& block : block_list_) sum += block->attn->last_attention_fraction();
  return sum / static_cast<double>(block_list_.size());
}

}  // namespace ssa::models
