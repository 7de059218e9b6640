// Failure agreement across ranks (see agreement.h).
#include "lib/dist/agreement.h"

#include <exception>

#include "lib/core/error.h"

namespace ssa::dist {
namespace {

// One number that a max over ranks turns into the worst exit code and, among the ranks that
// failed with it, the lowest rank: code * 2^16 + (2^16 - 1 - rank). Exact in a double.
constexpr double kRankSlots = 65536;

double outcome(ExitCode code, int rank) {
  if (code == ExitCode::kOk) return 0;
  return static_cast<double>(code) * kRankSlots + (kRankSlots - 1 - rank);
}

}  // namespace

void run_agreeing(Collectives& comm, const std::string& what, const std::function<void()>& work, Patience patience) {
  std::exception_ptr error;
  auto code = ExitCode::kOk;
  try {
    work();
  } catch (const Error& e) {
    error = std::current_exception();
    code = e.code();
  } catch (...) {
    error = std::current_exception();
    code = ExitCode::kInternal;
  }
  const double mine = outcome(code, comm.rank());
  const double worst = patience == Patience::kSlowRanks ? comm.agree_max(mine) : comm.all_reduce_max(mine);
  if (error) std::rethrow_exception(error);
  if (worst > 0) {
    const auto worst_code = static_cast<int>(worst / kRankSlots);
    const auto failed_rank = static_cast<int>(kRankSlots - 1 - (worst - worst_code * kRankSlots));
    throw Error(static_cast<ExitCode>(worst_code),
                what + " failed on rank " + std::to_string(failed_rank) + "; see its error");
  }
}

}  // namespace ssa::dist
