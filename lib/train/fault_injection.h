// Test-only fault injection, off unless the SSA_FAULT environment variable is set, so tests can
// make rare failures happen at a chosen step and rank:
//   SSA_FAULT="nan_loss@5"         the loss of step 5 becomes NaN (on every rank)
//   SSA_FAULT="nan_grad@5:1"       one gradient of step 5 becomes NaN on rank 1 only
//   SSA_FAULT="save_error@8"       the checkpoint of step 8 fails with the I/O error (exit 74) of a full disk
//   SSA_FAULT="save_error@8/4096"  while the checkpoint of step 8 is written, any file write past byte
//                                  4096 fails (EFBIG through RLIMIT_FSIZE), as on a disk that fills up
//   SSA_FAULT="save_kill@8/4096"   the process dies (SIGXFSZ) at byte 4096 of a checkpoint-8 file, as
//                                  if killed in the middle of the save
//   SSA_FAULT="save_kill_renaming@8"  the process SIGKILLs itself when checkpoint 8 is complete and
//                                  synced under its .tmp name, before the rename to its final name
//   SSA_FAULT="save_flaky@8/2"     the first 2 attempts at writing checkpoint 8 fail with an I/O error
//                                  (a transient network file system error); later attempts succeed
//   SSA_FAULT="free_space@0/1000"  the disk check before training sees 1000 bytes free
//   SSA_FAULT="diverge@5:1"        after step 5 one parameter of rank 1 is nudged: replicas diverge
//   SSA_FAULT="kill@5"             the process SIGKILLs itself in the middle of step 5 (after its
//                                  backward, before the gradient all-reduce and the optimizer step)
//   SSA_FAULT="slow_load@0/3000:1" rank 1 takes 3000 ms longer to load the data (step 0: before
//                                  training), as a rank on a slower node or file system would
//   SSA_FAULT="eval_kill@3:1"      rank 1 SIGKILLs itself as it starts validation batch 3 (the
//                                  third batch overall, counted from 1), in training or in eval
//   SSA_FAULT="eval_nan@2:0"       rank 0's predictions on validation batch 2 become NaN (a model
//                                  that diverged), in training or in eval
//   SSA_FAULT="eval_slow@1/12000"  validation batch 1 starts 12000 ms late (every rank)
// Grammar: kind@step[/amount][:rank] (amount: bytes, attempts for save_flaky, milliseconds for
// slow_load and eval_slow). Several faults: comma-separated. A malformed value is a ConfigError naming SSA_FAULT.
#pragma once
#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

namespace ssa::train {

class FaultInjection {
 public:
  FaultInjection();  // from $SSA_FAULT
  explicit FaultInjection(const std::string& spec);

  // True if any fault of these kinds is armed, at any step and rank.
  bool armed(const std::vector<std::string>& kinds) const;
  // True if fault `kind` is armed for this (1-based) step on this rank.
  bool fires(const std::string& kind, int64_t step, int rank) const;
  // The amount of an armed kind@step/amount on this rank (bytes of save_error and save_kill,
  // failing attempts of save_flaky, bytes free of free_space, milliseconds of slow_load); 0 when none.
  int64_t amount(const std::string& kind, int64_t step, int rank) const;

 private:
  struct Fault {
    std::string kind;
    int64_t step = 0;
    int rank = -1;       // -1: every rank
    int64_t amount = 0;  // save_error/save_kill: file writes fail past this byte (0 = before writing);
                         // save_flaky: failing attempts; slow_load: the delay in milliseconds
  };
  const Fault* find(const std::string& kind, int64_t step, int rank) const;
  std::vector<Fault> faults_;
};

// While alive, every file write past `bytes` fails with EFBIG (RLIMIT_FSIZE, SIGXFSZ ignored): a
// disk that fills up in the middle of a save. With `die`, SIGXFSZ keeps its default action and the
// process is killed at that byte instead. bytes 0: no effect.
class FileSizeLimit {
 public:
  FileSizeLimit(int64_t bytes, bool die);
  ~FileSizeLimit();
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  bool active_ = false;
  rlimit previous_{};
  void (*previous_handler_)(int) = nullptr;
};

// The faults armed for the checkpoint save of `step` on `rank`, for as long as it lives:
// save_error (thrown at once, or file writes failing past a byte), save_kill (death at a byte),
// save_kill_renaming (death before the rename) and save_flaky (the first attempts fail). Nothing
// when none is armed.
class SaveFaults {
 public:
  SaveFaults(const FaultInjection& faults, int64_t step, int rank);
  void before_attempt(int64_t attempt) const;  // throws the injected error of a flaky attempt
  void before_rename() const;                  // SIGKILL with save_kill_renaming

 private:
  static int64_t limit_bytes(const FaultInjection& faults, int64_t step, int rank, int64_t killed_at);
  int64_t killed_at_;  // save_kill's byte (0: none); declared before limit_, which is built from it
  FileSizeLimit limit_;
  int64_t flaky_attempts_;
  bool killed_renaming_;
};

}  // namespace ssa::train
