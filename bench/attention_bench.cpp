// SSA attention vs dense attention: forward + backward wall time and peak memory per variant and
// sequence length, on the same gather-based code path (dense = one window with every source), with
// the ALiBi bias tensor; the "ALiBi channels" rows run causal_alibi_attention (alibi_attention.h),
// which the decoder takes on LibTorch 2.1+.
// Memory is the peak of the CPU tensors allocated during forward + backward (cpu_memory_probe.h),
// the inputs q, k, v excluded. Prints a markdown table; docs/benchmarks.md records a run. Usage:
//   build/bench/ssa_bench_attention [--threads N] [--lengths 512,1024,2048] [--reps R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "bench/bench_util.h"
#include "lib/core/cpu_memory_probe.h"
#include "lib/core/cpu_threads.h"
#include "lib/nn/alibi.h"
#include "lib/ssa/alibi_attention.h"
#include "lib/ssa/ssa_attention.h"

using namespace ssa::attn;

namespace {

struct Variant {
  std::string name;
  bool causal;
  std::function<SourceSample(SourceSampler&, int64_t)> draw;  // (sampler, T) -> sample
  bool alibi_channels = false;                                // causal_alibi_attention instead of the bias tensor
};

std::vector<Variant> variants() {
  return {
      {"dense (causal)", true, [](SourceSampler&, int64_t t) { return dense_sample(t); }},
      {"dense (causal), ALiBi channels", true, [](SourceSampler&, int64_t t) { return dense_sample(t); }, true},
      {"causal_local L4", true, [](SourceSampler& s, int64_t t) { return s.causal_local(t, 4, 0.2 * t); }},
      {"causal_local L4, ALiBi channels", true,
       [](SourceSampler& s, int64_t t) { return s.causal_local(t, 4, 0.2 * t); }, true},
      {"causal_local L8", true, [](SourceSampler& s, int64_t t) { return s.causal_local(t, 8, 0.2 * t); }},
      {"causal_unbiased L4", true, [](SourceSampler& s, int64_t t) { return s.causal_unbiased(t, 4); }},
      {"causal_2d L4 (rows of 32)", true,
       [](SourceSampler& s, int64_t t) { return s.causal_grid(t / 32, 32, 4, 0.25 * t / 32, 8.0); }},
      {"dense (non-causal)", false, [](SourceSampler&, int64_t t) { return dense_sample(t); }},
      {"unbiased U50", false, [](SourceSampler& s, int64_t t) { return s.unbiased(t, 0.5); }},
      {"local L4", false, [](SourceSampler& s, int64_t t) { return s.local(t, 4, 0.2 * t); }},
  };
}

struct Measured {
  double seconds = 0;      // median
  int64_t peak_bytes = 0;  // the largest peak over the runs
};

// Forward + backward over `reps` runs, each with a fresh draw.
Measured measure_variant(const Variant& v, int64_t length, int reps) {
  constexpr int64_t kBatch = 4, kHeads = 8, kDim = 64;
  const auto slopes = at::tensor(ssa::nn::alibi_slopes(kHeads), at::kFloat);  // (H)
  const BiasFn bias = [&](const at::Tensor& t, const at::Tensor& s) {
    return ssa::nn::alibi_bias(slopes, t, s, v.causal);
  };
  SourceSampler sampler(1);
  std::vector<double> seconds;
  int64_t peak = 0;
  for (int r = 0; r < reps + 1; ++r) {  // the first run warms up
    auto q = at::randn({kBatch, kHeads, length, kDim}).requires_grad_(true);
    auto k = at::randn({kBatch, kHeads, length, kDim}).requires_grad_(true);
    auto val = at::randn({kBatch, kHeads, length, kDim}).requires_grad_(true);
    const auto start = std::chrono::steady_clock::now();
    const int64_t bytes = ssa::peak_cpu_bytes([&] {
      const auto sample = v.draw(sampler, length);
      const auto y = v.alibi_channels ? causal_alibi_attention(q, k, val, sample, slopes, 0.0, true)
                                      : subsampled_attention(q, k, val, sample, bias, 0.0, true);
      y.sum().backward();
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r > 0) seconds.push_back(s);
    peak = std::max(peak, bytes);
  }
  return {ssa::bench::median(seconds), peak};
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, reps = 5;
  std::vector<int64_t> lengths = {512, 1024, 2048};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--reps")) reps = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--lengths")) lengths = ssa::bench::parse_list(argv[i + 1]);
  }
  ssa::set_cpu_threads(threads);
  torch::manual_seed(0);
  std::printf("attention forward+backward, B=4 H=8 D=64 fp32 CPU, LibTorch %s, %d threads, median of %d\n\n",
              TORCH_VERSION, threads, reps);
  std::printf(
      "| variant | T | ms | speed vs dense | peak MiB | memory vs dense | score entries vs dense |\n"
      "|---|---:|---:|---:|---:|---:|---:|\n");
  for (const int64_t t : lengths) {
    Measured dense_causal, dense_full;
    for (const auto& v : variants()) {
      const Measured m = measure_variant(v, t, reps);
      SourceSampler draws(2);
      const double fraction = attention_fraction(v.draw(draws, t), t);
      if (v.name == "dense (causal)") dense_causal = m;
      if (v.name == "dense (non-causal)") dense_full = m;
      const Measured& base = v.causal ? dense_causal : dense_full;
      const double mib = static_cast<double>(m.peak_bytes) / (1024.0 * 1024.0);
      std::printf("| %s | %lld | %.1f | %.2fx | %.1f | %.2f | %.3f |\n", v.name.c_str(), static_cast<long long>(t),
                  m.seconds * 1e3, base.seconds / m.seconds, mib,
                  static_cast<double>(m.peak_bytes) / static_cast<double>(base.peak_bytes), fraction);
    }
  }
  return 0;
}
