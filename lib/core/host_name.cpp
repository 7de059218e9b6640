// gethostname() wrapper (see host_name.h).
#include "lib/core/host_name.h"

#include <unistd.h>

namespace ssa {

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "unknown-host";
  return host;
}

}  // namespace ssa
