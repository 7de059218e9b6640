// This machine's name, for the run-directory lock's owner line and per-host file names.
#pragma once
#include <string>

namespace ssa {

// gethostname(), or "unknown-host" where it fails.
std::string host_name();

}  // namespace ssa
