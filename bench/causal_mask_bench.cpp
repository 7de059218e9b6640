// How dense causal attention is best masked on this LibTorch: forward + backward time of
// compat::masked_attention (lib/core/torch_compat.h: the fused scaled_dot_product_attention on 2.1+,
// op by op before) with is_causal against an explicit (T, T) boolean mask, for plain causal
// attention (rotary models) and for causal ALiBi carried as an extra q/k channel
// (alibi_attention.h), and the float (H, T, T) ALiBi + causal bias tensor of compat::attention,
// which is how the PyTorch twin (bench/pytorch_train_step.py) writes it; and both op by op (the
// 1.13 path, compat::*_op_by_op) on every version. Shapes default to the
// decoder of bench/train_step_bench (batch 8, 4 heads of 32). Prints a markdown table of medians;
// docs/benchmarks.md records runs on LibTorch 1.13 and 2.6. Usage:
//   build/bench/ssa_bench_causal_mask [--threads N] [--lengths 256,512,1024] [--reps R]
//       [--batch B] [--heads H] [--dim D]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "bench/bench_util.h"
#include "lib/core/cpu_threads.h"
#include "lib/core/torch_compat.h"
#include "lib/nn/alibi.h"
#include "lib/ssa/alibi_attention.h"

namespace {

struct Shape {
  int64_t batch = 8, heads = 4, length = 256, dim = 32;
};

struct Inputs {
  at::Tensor q, k, v;         // (B, H, T, D), requiring grad
  at::Tensor slopes;          // (H)
  at::Tensor lower_triangle;  // (T, T) boolean, true where j <= i
};

using Attend = std::function<at::Tensor(const Inputs&)>;  // -> (B, H, T, D)

double scale_of(const Inputs& in) { return 1.0 / std::sqrt(static_cast<double>(in.q.size(3))); }

// Our dense ALiBi path (causal_alibi_attention, is_causal), or its channels under an explicit mask.
at::Tensor alibi_channels(const Inputs& in, bool explicit_mask) {
  if (!explicit_mask) {
    return ssa::attn::causal_alibi_attention(in.q, in.k, in.v, ssa::attn::dense_sample(in.q.size(2)), in.slopes, 0.0,
                                             true);
  }
  const auto x = ssa::attn::alibi_channels(in.q, in.k, in.slopes);  // (B, H, T, D+1)
  return ssa::compat::masked_attention(x.q, x.k, in.v, in.lower_triangle, /*is_causal=*/false, scale_of(in), 0.0, true);
}

at::Tensor alibi(const Inputs& in) {  // (H, T, T): ALiBi and -inf above the diagonal
  const auto positions = at::arange(in.q.size(2), at::kLong).unsqueeze(0);  // (1, T)
  return ssa::nn::alibi_bias(in.slopes, positions, positions, /*causal=*/true).squeeze(1);
}

std::vector<std::pair<std::string, Attend>> variants() {
  const auto plain = [](bool explicit_mask) {
    return [explicit_mask](const Inputs& in) {
      return ssa::compat::masked_attention(in.q, in.k, in.v, explicit_mask ? in.lower_triangle : at::Tensor(),
                                           /*is_causal=*/!explicit_mask, scale_of(in), 0.0, true);
    };
  };
  return {
      {"causal, is_causal", plain(false)},
      {"causal, (T, T) bool mask", plain(true)},
      {"ALiBi channels, is_causal", [](const Inputs& in) { return alibi_channels(in, false); }},
      {"ALiBi channels, (T, T) bool mask", [](const Inputs& in) { return alibi_channels(in, true); }},
      {"causal, op by op",
       [](const Inputs& in) {
         return ssa::compat::masked_attention_op_by_op(in.q, in.k, in.v, at::Tensor(), true, scale_of(in), 0.0, true);
       }},
      {"ALiBi (H, T, T) float bias",
       [](const Inputs& in) { return ssa::compat::attention(in.q, in.k, in.v, alibi(in), 0.0, true); }},
      {"ALiBi (H, T, T) float bias, op by op",
       [](const Inputs& in) { return ssa::compat::attention_op_by_op(in.q, in.k, in.v, alibi(in), 0.0, true); }},
  };
}

Inputs make_inputs(const Shape& s) {
  const auto make = [&] { return at::randn({s.batch, s.heads, s.length, s.dim}).requires_grad_(true); };
  const auto slopes = ssa::nn::alibi_slopes(s.heads);
  return {make(), make(), make(), at::tensor(std::vector<float>(slopes.begin(), slopes.end()), at::kFloat),
          at::ones({s.length, s.length}, at::kBool).tril()};
}

// Median seconds of forward + backward over `reps` runs after one warm-up; the mask and the
// bias are built inside, as a model's forward would.
double median_seconds(const Attend& attend, const Inputs& in, int reps) {
  std::vector<double> seconds;
  for (int r = 0; r < reps + 1; ++r) {
    const auto start = std::chrono::steady_clock::now();
    attend(in).sum().backward();
    if (r > 0) seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return ssa::bench::median(seconds);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, reps = 9;
  Shape shape;
  std::vector<int64_t> lengths = {256, 512, 1024};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--reps")) reps = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--lengths")) lengths = ssa::bench::parse_list(argv[i + 1]);
    if (!std::strcmp(argv[i], "--batch")) shape.batch = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--heads")) shape.heads = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dim")) shape.dim = std::atoll(argv[i + 1]);
  }
  ssa::set_cpu_threads(threads);
  torch::manual_seed(0);
  std::printf(
      "causal attention forward+backward, B=%lld H=%lld D=%lld fp32 CPU, LibTorch %s, %d threads, median of %d\n\n",
      static_cast<long long>(shape.batch), static_cast<long long>(shape.heads), static_cast<long long>(shape.dim),
      TORCH_VERSION, threads, reps);
  std::printf("| masking | T | ms | vs the first row |\n|---|---:|---:|---:|\n");
  for (const int64_t t : lengths) {
    shape.length = t;
    const Inputs in = make_inputs(shape);
    double first = 0;
    for (const auto& [name, attend] : variants()) {
      const double s = median_seconds(attend, in, reps);
      if (first == 0) first = s;
      std::printf("| %s | %lld | %.1f | %.2fx |\n", name.c_str(), static_cast<long long>(t), s * 1e3, first / s);
    }
  }
  return 0;
}
