// Test-only fault injection, off unless the SSA_FAULT environment variable is set, so tests can
// make rare failures happen at a chosen step and rank:
//   SSA_FAULT="nan_loss@5"         the loss of step 5 becomes NaN (on every rank)
//   SSA_FAULT="nan_grad@5:1"       one gradient of step 5 becomes NaN on rank 1 only
//   SSA_FAULT="save_error@8"       the checkpoint of step 8 fails with the I/O error (exit 74) of a full disk
// Several faults: comma-separated. A malformed value is a ConfigError naming SSA_FAULT.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ssa::train {

class FaultInjection {
 public:
  FaultInjection();                           // from $SSA_FAULT
  explicit FaultInjection(const std::string& spec);

  // True if fault `kind` is armed for this (1-based) step on this rank.
  bool fires(const std::string& kind, int64_t step, int rank) const;

 private:
  struct Fault {
    std::string kind;
    int64_t step = 0;
    int rank = -1;  // -1: every rank
  };
  std::vector<Fault> faults_;
};

}  // namespace ssa::train
