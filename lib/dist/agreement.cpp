// Failure agreement across ranks (see agreement.h).
#include "lib/dist/agreement.h"

#include <exception>

#include "lib/core/error.h"

namespace ssa::dist {

void run_agreeing(Communicator& comm, const std::string& what, const std::function<void()>& work,
                  Patience patience) {
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
  const double worst = patience == Patience::kSlowRanks ? comm.agree_max(static_cast<double>(code))
                                                        : comm.all_reduce_max(static_cast<double>(code));
  if (error) std::rethrow_exception(error);
  if (worst > 0) {
    throw Error(static_cast<ExitCode>(static_cast<int>(worst)), what + " failed on another rank; see its error");
  }
}

}  // namespace ssa::dist
