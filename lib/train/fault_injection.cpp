// Parsing and matching of SSA_FAULT (see fault_injection.h).
#include "lib/train/fault_injection.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

#include "lib/core/error.h"

namespace ssa::train {
namespace {

// The fault kinds, and whether kind@step/amount is allowed or required for each.
enum class Amount { kNone, kOptional, kRequired };
const std::map<std::string, Amount>& fault_kinds() {
  static const std::map<std::string, Amount> kinds = {{"nan_loss", Amount::kNone},
                                                      {"nan_grad", Amount::kNone},
                                                      {"save_error", Amount::kOptional},
                                                      {"save_kill", Amount::kRequired},
                                                      {"save_kill_renaming", Amount::kNone},
                                                      {"save_flaky", Amount::kRequired},
                                                      {"free_space", Amount::kRequired},
                                                      {"diverge", Amount::kNone},
                                                      {"kill", Amount::kNone},
                                                      {"eval_kill", Amount::kNone},
                                                      {"eval_nan", Amount::kNone},
                                                      {"eval_slow", Amount::kRequired},
                                                      {"slow_load", Amount::kRequired}};
  return kinds;
}

// "diverge, free_space/AMOUNT, ..., save_error[/AMOUNT], ...": the table, for the error line.
std::string fault_kinds_help() {
  std::string help;
  for (const auto& [name, amount] : fault_kinds()) {
    help += (help.empty() ? "" : ", ") + name +
            (amount == Amount::kRequired   ? "/AMOUNT"
             : amount == Amount::kOptional ? "[/AMOUNT]"
                                           : "");
  }
  return help;
}

}  // namespace

FaultInjection::FaultInjection() : FaultInjection(std::getenv("SSA_FAULT") ? std::getenv("SSA_FAULT") : "") {}

FaultInjection::FaultInjection(const std::string& spec) {
  std::stringstream items(spec);
  for (std::string item; std::getline(items, item, ',');) {
    if (item.empty()) continue;
    const size_t at = item.find('@');
    const size_t colon = item.find(':', at == std::string::npos ? 0 : at);
    const size_t slash = item.find('/', at == std::string::npos ? 0 : at);
    Fault f;
    f.kind = item.substr(0, at);
    const auto kind = fault_kinds().find(f.kind);
    try {
      if (kind == fault_kinds().end() || at == std::string::npos) throw std::invalid_argument(item);
      f.step = std::stoll(item.substr(at + 1, std::min(colon, slash) - at - 1));
      if (colon != std::string::npos) f.rank = std::stoi(item.substr(colon + 1));
      if (slash != std::string::npos) {
        if (kind->second == Amount::kNone || slash > colon) throw std::invalid_argument(item);
        f.amount = std::stoll(item.substr(slash + 1, colon - slash - 1));
        if (f.amount <= 0) throw std::invalid_argument(item);
      }
      if (kind->second == Amount::kRequired && f.amount == 0) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw ConfigError("SSA_FAULT: '" + item + "' is not kind@step[/amount][:rank] with one of " + fault_kinds_help());
    }
    faults_.push_back(f);
  }
}

const FaultInjection::Fault* FaultInjection::find(const std::string& kind, int64_t step, int rank) const {
  SSA_CHECK(fault_kinds().count(kind) == 1, ExitCode::kInternal, "fault injection: no fault kind '{}'", kind);
  for (const auto& f : faults_) {
    if (f.kind == kind && f.step == step && (f.rank < 0 || f.rank == rank)) return &f;
  }
  return nullptr;
}

bool FaultInjection::armed(const std::vector<std::string>& kinds) const {
  for (const auto& f : faults_) {
    for (const auto& kind : kinds) {
      if (f.kind == kind) return true;
    }
  }
  return false;
}

bool FaultInjection::fires(const std::string& kind, int64_t step, int rank) const {
  return find(kind, step, rank) != nullptr;
}

int64_t FaultInjection::amount(const std::string& kind, int64_t step, int rank) const {
  const Fault* f = find(kind, step, rank);
  return f == nullptr ? 0 : f->amount;
}

FileSizeLimit::FileSizeLimit(int64_t bytes, bool die) : active_(bytes > 0) {
  if (!active_) return;
  getrlimit(RLIMIT_FSIZE, &previous_);
  previous_handler_ = std::signal(SIGXFSZ, die ? SIG_DFL : SIG_IGN);  // ignored: EFBIG from write()
  rlimit limited = previous_;
  limited.rlim_cur = static_cast<rlim_t>(bytes);
  setrlimit(RLIMIT_FSIZE, &limited);
}

FileSizeLimit::~FileSizeLimit() {
  if (!active_) return;
  setrlimit(RLIMIT_FSIZE, &previous_);
  std::signal(SIGXFSZ, previous_handler_);
}

// The byte past which checkpoint writes fail: save_kill's, else save_error's (0 = no limit); a
// save_error without a byte fails at once.
int64_t SaveFaults::limit_bytes(const FaultInjection& faults, int64_t step, int rank, int64_t killed_at) {
  if (killed_at > 0) return killed_at;
  const int64_t full_disk_at = faults.amount("save_error", step, rank);
  if (faults.fires("save_error", step, rank) && full_disk_at == 0) {
    throw Error(ExitCode::kIo,
                "cannot write checkpoint step " + std::to_string(step) + ": injected fault (SSA_FAULT save_error)");
  }
  return full_disk_at;
}

SaveFaults::SaveFaults(const FaultInjection& faults, int64_t step, int rank)
    : killed_at_(faults.amount("save_kill", step, rank)),
      limit_(limit_bytes(faults, step, rank, killed_at_), /*die=*/killed_at_ > 0),
      flaky_attempts_(faults.amount("save_flaky", step, rank)),
      killed_renaming_(faults.fires("save_kill_renaming", step, rank)) {}

void SaveFaults::before_attempt(int64_t attempt) const {
  if (attempt <= flaky_attempts_) throw Error(ExitCode::kIo, "injected I/O error (SSA_FAULT save_flaky)");
}

void SaveFaults::before_rename() const {
  if (killed_renaming_) std::raise(SIGKILL);
}

}  // namespace ssa::train
