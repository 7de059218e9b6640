// Atomic checkpoint directories (see checkpointer.h).
#include "lib/train/checkpointer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include "lib/core/error.h"
#include "lib/core/exclusive_file.h"
#include "lib/train/checkpoint_manifest.h"
#include "lib/train/imported_weights.h"
#include "lib/train/model_tensors.h"
#include "lib/train/optimizer_state.h"
#include "lib/train/run_dir.h"
#include "lib/train/safetensors.h"

namespace ssa::train {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kFormatVersion = 6;  // 2: per-rank RNG; 3: loss scale; 4: model.safetensors; 5: targets;
                                       // 6: optimizer and state in safetensors

std::string step_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "step_%08lld", static_cast<long long>(step));
  return buf;
}

at::Tensor scalar(int64_t v) { return at::tensor({v}, at::kLong); }   // (1)
at::Tensor scalar(double v) { return at::tensor({v}, at::kDouble); }  // (1)

// The train state and every rank's random streams as named tensors (state.safetensors).
std::vector<NamedTensor> state_tensors(const CheckpointParts& parts) {
  const TrainState& s = parts.state;
  std::vector<NamedTensor> out{{"format_version", scalar(kFormatVersion)},
                               {"step", scalar(s.step)},
                               {"targets", scalar(s.targets)},
                               {"data.epoch", scalar(s.data.epoch)},
                               {"data.cursor", scalar(s.data.cursor)},
                               {"best_valid_loss", scalar(s.best_valid_loss)},
                               {"loss_scale.scale", scalar(s.loss_scale.scale)},
                               {"loss_scale.good_steps", scalar(s.loss_scale.good_steps)},
                               {"skips.steps", scalar(s.skips.steps)},
                               {"skips.nonfinite", scalar(s.skips.nonfinite)},
                               {"skips.nonfinite_in_a_row", scalar(s.skips.nonfinite_in_a_row)},
                               {"threads", scalar(static_cast<int64_t>(at::get_num_threads()))}};
  const auto ranks = parts.all_ranks_rng.empty() ? std::vector<RankRng>{current_rng(parts.model)} : parts.all_ranks_rng;
  out.push_back({"world_size", scalar(static_cast<int64_t>(ranks.size()))});
  for (size_t r = 0; r < ranks.size(); ++r) {
    out.push_back({"rng.torch_cpu." + std::to_string(r), ranks[r].torch_cpu});
    out.push_back({"rng.ssa_sampler." + std::to_string(r), ranks[r].ssa_sampler});
    out.push_back({"rng.torch_cuda." + std::to_string(r), ranks[r].torch_cuda});
  }
  return out;
}

c10::Device model_device(models::Model& model) {
  const auto parameters = model.parameters();
  return parameters.empty() ? c10::Device(c10::kCPU) : parameters.front().device();
}

void read_state(const std::string& path, const std::vector<NamedTensor>& stored, const CheckpointParts& parts) {
  const auto by_name = tensors_by_name(stored);
  const auto get = [&](const std::string& name) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) throw InputError(path + ": state.safetensors has no " + name);
    return it->second;
  };
  const auto get_int = [&](const std::string& name) { return get(name).item<int64_t>(); };
  const auto get_int_or_zero = [&](const std::string& name) {  // keys that 0.11.0 checkpoints lack
    const auto it = by_name.find(name);
    return it == by_name.end() ? int64_t{0} : it->second.item<int64_t>();
  };
  const int64_t version = get_int("format_version");
  if (version != kFormatVersion) {
    throw InputError(path + ": checkpoint format " + std::to_string(version) + ", this build reads " +
                     std::to_string(kFormatVersion));
  }
  TrainState& s = parts.state;
  s.step = get_int("step");
  s.targets = get_int("targets");
  s.data.epoch = get_int("data.epoch");
  s.data.cursor = get_int("data.cursor");
  s.best_valid_loss = get("best_valid_loss").item<double>();
  s.loss_scale.scale = get("loss_scale.scale").item<double>();
  s.loss_scale.good_steps = get_int("loss_scale.good_steps");
  s.skips.steps = get_int_or_zero("skips.steps");
  s.skips.nonfinite = get_int_or_zero("skips.nonfinite");
  s.skips.nonfinite_in_a_row = get_int_or_zero("skips.nonfinite_in_a_row");
  // CPU reductions split work by thread: another count gives other roundings from here on.
  const auto threads = by_name.find("threads");
  if (threads != by_name.end() && threads->second.item<int64_t>() != at::get_num_threads()) {
    spdlog::warn(
        "{}: written with {} CPU threads, this process uses {} (run.threads): its sums round differently, so "
        "its numbers are close to but not bitwise those of {} threads",
        path, threads->second.item<int64_t>(), at::get_num_threads(), threads->second.item<int64_t>());
  }
  const int64_t world_size = get_int("world_size");
  if (parts.rank >= world_size) {
    spdlog::warn("{}: written by {} ranks; rank {} starts fresh random streams", path, world_size, parts.rank);
    return;
  }
  const std::string rank = std::to_string(parts.rank);
  at::Generator default_generator = at::detail::getDefaultCPUGenerator();  // a handle to it
  default_generator.set_state(get("rng.torch_cpu." + rank));
  parts.model.sampler().set_state(get("rng.ssa_sampler." + rank));
  const at::Tensor cuda_rng = get("rng.torch_cuda." + rank);  // empty on CPU runs
  const c10::Device device = model_device(parts.model);
  if (cuda_rng.numel() > 0 && device.is_cuda()) {
    at::Generator cuda_generator = at::globalContext().defaultGenerator(device);  // a handle to it
    cuda_generator.set_state(cuda_rng);
  }
}

}  // namespace

RankRng current_rng(models::Model& model) {
  const c10::Device device = model_device(model);
  return {at::detail::getDefaultCPUGenerator().get_state(), model.sampler().state(),
          device.is_cuda() ? at::globalContext().defaultGenerator(device).get_state() : at::empty({0}, at::kByte)};
}

namespace {

// Copies every stored tensor into the model, after checking that they match it name for name and
// shape for shape (nothing is copied otherwise).
void load_model_tensors(models::Model& model, const std::vector<NamedTensor>& stored, const std::string& path) {
  auto by_name = tensors_by_name(stored);
  const auto targets = model_tensors(model);
  // Every decoder stored an alibi_slopes buffer before 2026-12-07, RoPE and grid ones too; theirs
  // is ignored so those checkpoints still load.
  const bool has_slopes = std::any_of(targets.begin(), targets.end(),
                                      [](const auto& t) { return t.name == "alibi_slopes"; });
  if (!has_slopes) by_name.erase("alibi_slopes");
  const std::string mismatch = model_mismatch(targets, by_name);
  if (!mismatch.empty()) {
    throw InputError(path + ": the checkpoint's tensors do not fit this model: " + mismatch +
                     "; was it written with another model config?");
  }
  copy_into(targets, by_name);
}

}  // namespace

Checkpointer::Checkpointer(std::string checkpoints_dir, int64_t keep_last, SaveAttempts attempts)
    : dir_(std::move(checkpoints_dir)), keep_last_(keep_last), attempts_(attempts) {}

void Checkpointer::save(const CheckpointParts& parts, const SaveHooks& hooks) {
  const fs::path tmp_dir = fs::path(dir_) / (step_name(parts.state.step) + ".tmp");
  for (int64_t attempt = 1;; ++attempt) {
    try {
      if (hooks.before_attempt) hooks.before_attempt(attempt);
      write_checkpoint(parts, hooks);
      break;
    } catch (const std::exception& e) {  // ssa::Error, filesystem_error, c10::Error from save_to
      std::error_code ec;
      fs::remove_all(tmp_dir, ec);  // never leave a partial checkpoint behind
      const std::string what = "cannot write checkpoint " + tmp_dir.string() + ": " + first_line(e);
      if (attempt >= attempts_.count) {
        throw Error(ExitCode::kIo, attempts_.count == 1 ? what : what + " (" + std::to_string(attempt) + " attempts)");
      }
      const double wait_s = attempts_.wait_s * static_cast<double>(attempt);
      spdlog::warn("{} (attempt {} of {}); retrying in {:g} s", what, attempt, attempts_.count, wait_s);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
    }
  }
  prune(parts.state.step);
}

void Checkpointer::write_checkpoint(const CheckpointParts& parts, const SaveHooks& hooks) {
  const fs::path final_dir = fs::path(dir_) / step_name(parts.state.step);
  const fs::path tmp_dir = fs::path(dir_) / (step_name(parts.state.step) + ".tmp");
  std::error_code ec;
  fs::remove_all(tmp_dir, ec);  // a stale partial checkpoint, or a link: the link goes, not its target
  fs::create_directories(dir_);
  make_directory_exclusive(tmp_dir.string());  // ours alone: anything that reappeared there is an error
  CheckpointManifest manifest{parts.state.step, {}};
  const auto save = [&](const std::string& file, const std::vector<NamedTensor>& tensors) {
    manifest.files[file] = save_safetensors((tmp_dir / file).string(), tensors);
  };
  save("model.safetensors", model_tensors(parts.model));
  if (parts.optimizer) save("optimizer.safetensors", adamw_state_tensors(*parts.optimizer, parts.model));
  save("state.safetensors", state_tensors(parts));
  write_complete_marker(tmp_dir.string(), manifest);  // every file above is synced already
  sync_directory(tmp_dir.string());
  if (hooks.before_rename) hooks.before_rename();
  fs::remove_all(final_dir, ec);
  fs::rename(tmp_dir, final_dir);
  sync_directory(dir_);
}

std::vector<std::string> Checkpointer::complete_checkpoints() const {
  std::vector<std::string> found;
  if (!fs::exists(dir_)) return found;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const bool is_step = checkpoint_step(entry.path().string()) >= 0;
    if (is_step && fs::exists(entry.path() / kCompleteMarker)) found.push_back(entry.path().string());
  }
  std::sort(found.begin(), found.end(),
            [](const std::string& a, const std::string& b) { return checkpoint_step(a) < checkpoint_step(b); });
  return found;
}

void Checkpointer::remove_unfinished() const {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("step_", 0) != 0 || entry.path().extension() != ".tmp") continue;
    std::error_code removed;
    fs::remove_all(entry.path(), removed);
    if (removed) {
      spdlog::warn("could not delete unfinished checkpoint {}: {}", entry.path().string(), removed.message());
    } else {
      spdlog::warn("deleted unfinished checkpoint {} (a save was interrupted)", entry.path().string());
    }
  }
}

void Checkpointer::prune(int64_t saved_step) {
  std::vector<std::string> kept;
  for (const auto& path : complete_checkpoints()) {
    if (checkpoint_step(path) <= saved_step) {
      kept.push_back(path);
      continue;
    }
    // Newer than the step just saved: the run resumed from an older checkpoint because this one
    // could not be loaded. Set aside, so that it neither counts towards keep_last nor is tried again.
    std::error_code ec;
    fs::remove_all(path + ".unreadable", ec);  // set aside before, at an earlier attempt of this run
    fs::rename(path, path + ".unreadable", ec);
    if (ec) {
      spdlog::warn("could not set aside unreadable checkpoint {}: {}", path, ec.message());
    } else {
      spdlog::warn("set aside unreadable checkpoint {} as {}.unreadable", path, path);
    }
  }
  for (size_t i = 0; i + static_cast<size_t>(keep_last_) < kept.size(); ++i) {
    std::error_code ec;
    fs::remove_all(kept[i], ec);
    if (ec) spdlog::warn("could not delete old checkpoint {}: {}", kept[i], ec.message());
  }
}

std::optional<std::string> Checkpointer::restore_latest(const CheckpointParts& parts) {
  auto all = complete_checkpoints();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      load_checkpoint(*it, parts);
      return *it;
    } catch (const std::exception& e) {
      spdlog::warn("skipping unreadable checkpoint {}: {}", *it, e.what());
    }
  }
  if (!all.empty()) {
    throw InputError(dir_ + ": none of the " + std::to_string(all.size()) +
                     " checkpoints could be loaded; refusing to start over in this run directory");
  }
  return std::nullopt;
}

int64_t estimated_checkpoint_bytes(models::Model& model) {
  int64_t bytes = 0;
  for (const auto& t : model_tensors(model)) bytes += t.tensor.numel() * static_cast<int64_t>(t.tensor.element_size());
  for (const auto& p : model.parameters()) bytes += 2 * p.numel() * static_cast<int64_t>(sizeof(float));
  return bytes;
}

std::string check_free_space(const std::string& dir, int64_t needed, int64_t available) {
  const auto mb = [](int64_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6); };
  if (available < needed) {
    throw Error(ExitCode::kIo, dir + ": " + mb(available) + " free, but one checkpoint of this model needs about " +
                                   mb(needed) + "; free some space or use another run.dir");
  }
  if (available < 2 * needed) {
    return dir + ": " + mb(available) + " free, room for fewer than two checkpoints of this model (about " +
           mb(needed) + " each)";
  }
  return "";
}

void load_weights(const std::string& path, models::Model& model) {
  if (is_imported_checkpoint(path)) return import_weights(path, model);
  const CheckpointManifest manifest = read_complete_marker(path);
  try {
    load_model_tensors(model, load_checked(path, "model.safetensors", manifest), path);
  } catch (const c10::Error& e) {
    throw InputError(path + ": cannot load the weights: " + std::string(e.what_without_backtrace()));
  }
}

void load_checkpoint(const std::string& path, const CheckpointParts& parts) {
  const fs::path dir(path);
  if (fs::exists(dir / "state.pt") && !fs::exists(dir / "state.safetensors")) {
    throw InputError(path + ": written by ssa-train 0.9 (checkpoint format 5, state.pt); this build reads format " +
                     std::to_string(kFormatVersion));
  }
  const CheckpointManifest manifest = read_complete_marker(path);
  try {
    load_model_tensors(parts.model, load_checked(path, "model.safetensors", manifest), path);
    if (parts.optimizer) {
      restore_adamw_state(*parts.optimizer, parts.model, load_checked(path, "optimizer.safetensors", manifest),
                          (dir / "optimizer.safetensors").string());
    }
    read_state((dir / "state.safetensors").string(), load_checked(path, "state.safetensors", manifest), parts);
  } catch (const c10::Error& e) {
    throw InputError(path + ": cannot load checkpoint: " + std::string(e.what_without_backtrace()));
  }
}

std::string resolve_checkpoint(const std::string& path) {
  if (is_imported_checkpoint(path)) return path;
  if (fs::exists(fs::path(path) / kCompleteMarker)) return path;
  const auto found = Checkpointer(run_paths(path).checkpoints, 2).complete_checkpoints();
  if (found.empty()) throw InputError(path + ": no complete checkpoint here or in its checkpoints/");
  return found.back();
}

}  // namespace ssa::train
