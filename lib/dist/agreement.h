// Failure agreement: every rank runs its part of a step (possibly nothing), then all ranks learn
// whether any part failed, so no rank is left waiting in a collective for one that gave up.
#pragma once
#include <functional>
#include <string>

#include "lib/dist/collectives.h"

namespace ssa::dist {

// How long ranks wait for each other after their part: a collective's timeout (dist.timeout_s),
// or, for work whose length differs by rank, Communicator::agree_max's (dist.load_timeout_s).
enum class Patience { kCollective, kSlowRanks };

// Runs `work` here, then agrees on the worst failure code. The rank whose work threw rethrows
// its own error; the others throw Error(worst code, "<what> failed on rank R; see its error"),
// R being the lowest rank that failed with that code. A non-ssa exception counts as
// ExitCode::kInternal.
void run_agreeing(Collectives& comm, const std::string& what, const std::function<void()>& work,
                  Patience patience = Patience::kCollective);

}  // namespace ssa::dist
