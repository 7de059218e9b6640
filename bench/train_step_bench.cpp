// One training step of our ALiBi (or LLaMA-style) decoder (forward, summed NLL / tokens, backward, clip to 1.0,
// AdamW) timed in C++: the LibTorch half of the like-for-like comparison with
// bench/pytorch_train_step.py, which builds the same model in PyTorch Python on the same LibTorch.
// The batch is a fixed formula both sides compute; --weights-out writes the initial weights so
// the Python side can load them and check that its first loss equals ours (the models are the
// same function, not merely the same size). Prints one JSON line with the median step and the
// medians of its parts (forward + loss, backward, clip + AdamW), the peak live bytes of the CPU
// tensors of the untimed first step (cpu_memory_probe.h; weights and optimizer state before it not
// counted; the probe's allocator hook stays out of the timed steps) and the process's peak RSS.
// --checkpointing 1 recomputes every block in backward (train.activation_checkpointing).
// --profile-out FILE then runs --reps more steps under the op profiler (op_profile.h) and writes
// the 40 ops of largest self time per step, as bench/pytorch_train_step.py --profile-out does. Usage:
//   build/bench/ssa_bench_train_step [--threads N] [--length T] [--batch B] [--layers L]
//       [--d-model C] [--heads H] [--d-ff F] [--attention dense|ssa] [--reps R] [--weights-out P]
//       [--flavor alibi|llama] [--kv-heads K] [--checkpointing 0|1] [--profile-out FILE]
// --flavor llama: RoPE, RMSNorm, SwiGLU, K key/value heads (0: heads / 2), no biases, no embedding scale.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "bench/bench_util.h"
#include "bench/op_profile.h"
#include "lib/core/cpu_memory_probe.h"
#include "lib/core/cpu_threads.h"
#include "lib/core/device_memory.h"
#include "lib/train/safetensors.h"
#include "models/decoder/decoder.h"

namespace {

struct Options {
  int threads = 2, reps = 5, blas_threads = 0;  // 0: as threads
  int64_t length = 512, batch = 8, layers = 4, d_model = 128, heads = 4, d_ff = 512;
  std::string attention = "dense";  // or "ssa": causal_local L4 in every layer
  std::string flavor = "alibi";     // or "llama"
  int64_t kv_heads = 0;             // llama: 0 = heads / 2
  bool checkpointing = false;
  std::string weights_out, profile_out;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--threads")
      o.threads = std::stoi(value);
    else if (key == "--blas-threads")
      o.blas_threads = std::stoi(value);
    else if (key == "--reps")
      o.reps = std::stoi(value);
    else if (key == "--length")
      o.length = std::stoll(value);
    else if (key == "--batch")
      o.batch = std::stoll(value);
    else if (key == "--layers")
      o.layers = std::stoll(value);
    else if (key == "--d-model")
      o.d_model = std::stoll(value);
    else if (key == "--heads")
      o.heads = std::stoll(value);
    else if (key == "--d-ff")
      o.d_ff = std::stoll(value);
    else if (key == "--attention")
      o.attention = value;
    else if (key == "--weights-out")
      o.weights_out = value;
    else if (key == "--flavor")
      o.flavor = value;
    else if (key == "--kv-heads")
      o.kv_heads = std::stoll(value);
    else if (key == "--profile-out")
      o.profile_out = value;
    else if (key == "--checkpointing")
      o.checkpointing = value == "1";
    else
      throw std::invalid_argument("unknown option " + key);
  }
  if (o.attention != "dense" && o.attention != "ssa") throw std::invalid_argument("--attention: dense or ssa");
  if (o.flavor != "alibi" && o.flavor != "llama") throw std::invalid_argument("--flavor: alibi or llama");
  return o;
}

// tokens[b, t] = (7919 b + 31 t + t^2 mod 17) mod 256 for t in [0, T]; input is t < T, target t > 0.
ssa::data::Batch fixed_batch(int64_t batch, int64_t length) {
  const auto b = at::arange(batch, at::kLong).unsqueeze(1);                        // (B, 1)
  const auto t = at::arange(length + 1, at::kLong).unsqueeze(0);                   // (1, T+1)
  const auto tokens = (b * 7919 + t * 31 + (t * t).remainder(17)).remainder(256);  // (B, T+1)
  ssa::data::Batch out;
  out.input = tokens.slice(1, 0, length).contiguous();
  out.target = tokens.slice(1, 1, length + 1).contiguous();
  return out;
}

ssa::models::DecoderConfig decoder_config(const Options& o) {
  ssa::models::DecoderConfig c;  // byte vocabulary, untied output, final LayerNorm
  c.layers = o.layers;
  c.d_model = o.d_model;
  c.heads = o.heads;
  c.d_ff = o.d_ff;
  c.dropout = 0.0;  // so both sides compute the same deterministic function
  c.ssa.variant = ssa::attn::SsaVariant::kCausalLocal;
  c.ssa.windows = 4;
  c.ssa.layers = -1;
  c.ssa.sigma_first = 0.1;
  c.ssa.sigma_last = 0.25;
  if (o.flavor == "llama") {
    c.position = ssa::models::PositionKind::kRope;
    c.norm = ssa::models::NormKind::kRmsNorm;
    c.ffn = ssa::models::FfnKind::kSwiglu;
    c.kv_heads = o.kv_heads > 0 ? o.kv_heads : std::max<int64_t>(1, o.heads / 2);
    c.bias = false;
    c.scale_embedding = false;
  }
  return c;
}

// The parts of one timed training step, in ms.
struct StepTimes {
  double forward = 0, backward = 0, update = 0;
  double total() const { return forward + backward + update; }
};

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Forward, summed NLL / tokens, backward, clip to 1.0, AdamW; `loss_out` gets the loss.
StepTimes train_step(ssa::models::Decoder& model, torch::optim::AdamW& optimizer, const ssa::data::Batch& batch,
                     double* loss_out) {
  StepTimes t;
  auto start = Clock::now();
  optimizer.zero_grad();
  const auto out = model.loss(batch);
  const auto loss = out.sum / static_cast<double>(out.count);
  t.forward = ms_since(start);
  start = Clock::now();
  loss.backward();
  t.backward = ms_since(start);
  start = Clock::now();
  torch::nn::utils::clip_grad_norm_(model.parameters(), 1.0);
  optimizer.step();
  t.update = ms_since(start);
  if (loss_out != nullptr) *loss_out = loss.item<double>();
  return t;
}

void write_weights(ssa::models::Decoder& model, const std::string& path) {
  std::vector<ssa::train::NamedTensor> named;
  for (const auto& p : model.named_parameters()) named.push_back({p.key(), p.value().detach()});
  std::filesystem::remove(path);  // the file of an earlier run; save_safetensors creates anew
  ssa::train::save_safetensors(path, named);
}

void write_profile(ssa::models::Decoder& model, torch::optim::AdamW& optimizer, const ssa::data::Batch& batch,
                   const Options& o) {
  ssa::bench::OpProfile profile;
  profile.record([&] {
    for (int r = 0; r < o.reps; ++r) train_step(model, optimizer, batch, nullptr);
  });
  std::FILE* out = std::fopen(o.profile_out.c_str(), "w");
  if (out == nullptr) throw std::runtime_error("cannot write " + o.profile_out);
  profile.write(out, 40, o.reps);
  std::fclose(out);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  ssa::set_cpu_threads(o.threads);
  if (o.blas_threads > 0) ssa::set_openblas_threads(o.blas_threads);
  torch::manual_seed(1);
  ssa::models::Decoder model(decoder_config(o), /*sampler_seed=*/1);
  model.set_activation_checkpointing(o.checkpointing);
  model.set_attention_mode(o.attention == "ssa" ? ssa::attn::AttentionMode::kSubsampled
                                                : ssa::attn::AttentionMode::kDense);
  if (!o.weights_out.empty()) write_weights(model, o.weights_out);
  torch::optim::AdamW optimizer(model.parameters(),
                                torch::optim::AdamWOptions(1e-3).betas({0.9, 0.98}).eps(1e-8).weight_decay(0.01));
  const auto batch = fixed_batch(o.batch, o.length);
  double first_loss = 0;
  // The first step warms up, is not timed, and alone carries the memory probe.
  const int64_t peak_bytes = ssa::peak_cpu_bytes([&] { train_step(model, optimizer, batch, &first_loss); });
  std::vector<double> step_ms, forward_ms, backward_ms, update_ms;
  for (int r = 0; r < o.reps; ++r) {
    const StepTimes t = train_step(model, optimizer, batch, nullptr);
    step_ms.push_back(t.total());
    forward_ms.push_back(t.forward);
    backward_ms.push_back(t.backward);
    update_ms.push_back(t.update);
  }
  if (!o.profile_out.empty()) write_profile(model, optimizer, batch, o);
  std::printf(
      "{\"impl\":\"libtorch-cpp\",\"flavor\":\"%s\",\"attention\":\"%s\",\"threads\":%d,\"length\":%lld,\"batch\":%lld,"
      "\"params\":%lld,\"first_loss\":%.7f,\"median_ms\":%.2f,\"forward_ms\":%.2f,\"backward_ms\":%.2f,"
      "\"update_ms\":%.2f,\"checkpointing\":%s,\"peak_tensor_mb\":%.1f,\"peak_rss_mb\":%.1f,\"reps\":%d}\n",
      o.flavor.c_str(), o.attention.c_str(), o.threads, static_cast<long long>(o.length), static_cast<long long>(o.batch),
      static_cast<long long>(model.parameter_count()), first_loss, ssa::bench::median(step_ms),
      ssa::bench::median(forward_ms), ssa::bench::median(backward_ms), ssa::bench::median(update_ms),
      o.checkpointing ? "true" : "false", static_cast<double>(peak_bytes) / 1e6, ssa::peak_rss_mb(), o.reps);
  return 0;
}
