// An op-level CPU profile without Kineto (Debian's LibTorch builds differ in whether they have it):
// a RecordFunction callback that times every ATen op and autograd node on the calling thread and
// sums each name's self time (its time minus that of the ops it called) and calls. The same names
// and the same "self" as PyTorch's profiler key_averages(), which bench/pytorch_train_step.py
// --profile prints for the Python side. Used by train_step_bench --profile; bench only.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/record_function.h>

namespace ssa::bench {

struct OpTotals {
  double self_ms = 0;
  int64_t calls = 0;
};

class OpProfile {
 public:
  // Records every op of the thread that runs `work` (autograd's CPU backward runs on the caller).
  template <class Work>
  void record(Work&& work) {
    active() = this;
    const auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(&on_start, &on_end).needsInputs(false));
    work();
    at::removeCallback(handle);
    active() = nullptr;
  }

  // The `top` names with the largest self time, as JSON lines {"op","self_ms","calls"} per `steps`.
  void write(std::FILE* out, int top, int steps) const {
    std::vector<std::pair<std::string, OpTotals>> rows(totals_.begin(), totals_.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.self_ms > b.second.self_ms; });
    for (int i = 0; i < top && i < static_cast<int>(rows.size()); ++i) {
      std::fprintf(out, "{\"op\":\"%s\",\"self_ms\":%.2f,\"calls\":%.1f}\n", rows[i].first.c_str(),
                   rows[i].second.self_ms / steps, static_cast<double>(rows[i].second.calls) / steps);
    }
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Frame {
    Clock::time_point start;
    double children_ms = 0;
  };

  static OpProfile*& active() {
    thread_local OpProfile* profile = nullptr;
    return profile;
  }
  static std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction&) {
    if (auto* p = active()) p->stack_.push_back({Clock::now(), 0});
    return nullptr;
  }
  static void on_end(const at::RecordFunction& fn, at::ObserverContext*) {
    auto* p = active();
    if (p == nullptr || p->stack_.empty()) return;
    const Frame frame = p->stack_.back();
    p->stack_.pop_back();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - frame.start).count();
    auto& totals = p->totals_[fn.name()];
    totals.self_ms += ms - frame.children_ms;
    totals.calls += 1;
    if (!p->stack_.empty()) p->stack_.back().children_ms += ms;
  }

  std::vector<Frame> stack_;
  std::map<std::string, OpTotals> totals_;
};

}  // namespace ssa::bench
