// Launcher environment discovery and the SLURM hostlist expander (see launch_env.h).
#include "lib/dist/launch_env.h"

#include <cstdlib>
#include <optional>

#include "lib/core/error.h"

namespace ssa::dist {
namespace {

std::optional<int> read_int(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 0) throw ConfigError(std::string("environment ") + name + "='" + v + "' is not a count");
  return static_cast<int>(n);
}

std::optional<std::string> read_string(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

// One launcher's view: its rank/size/local-rank variable names, and the variable that counts the
// ranks on this host (ranks on several hosts need a master address that is not 127.0.0.1).
struct LauncherVars {
  const char* launcher;
  const char* rank;
  const char* size;
  const char* local_rank;
  const char* local_size;
};

// Innermost first: a launcher started by another (torchrun or mpirun inside a SLURM job, which
// leaves SLURM_PROCID=0 in every rank's environment) numbers the ranks; the outer one only tells
// where the job runs.
constexpr LauncherVars kLaunchers[] = {
    {"torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"},
    {"openmpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
     "OMPI_COMM_WORLD_LOCAL_SIZE"},
    {"pmi", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"},
    {"slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE"},
};

// Zero-pads `n` to `width` digits, as SLURM ranges like [01-10] do.
std::string padded(long n, size_t width) {
  std::string s = std::to_string(n);
  return s.size() < width ? std::string(width - s.size(), '0') + s : s;
}

// "01-03,07" -> 01 02 03 07
std::vector<std::string> expand_range_list(const std::string& ranges, const std::string& hostlist) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= ranges.size()) {
    const size_t comma = std::min(ranges.find(',', at), ranges.size());
    const std::string part = ranges.substr(at, comma - at);
    const size_t dash = part.find('-');
    const std::string lo = part.substr(0, dash), hi = dash == std::string::npos ? lo : part.substr(dash + 1);
    if (lo.empty() || hi.empty() || lo.find_first_not_of("0123456789") != std::string::npos ||
        hi.find_first_not_of("0123456789") != std::string::npos || std::stol(hi) < std::stol(lo)) {
      throw ConfigError("SLURM_JOB_NODELIST='" + hostlist + "': bad range '" + part + "'");
    }
    for (long n = std::stol(lo); n <= std::stol(hi); ++n) out.push_back(padded(n, lo.size()));
    at = comma + 1;
  }
  return out;
}

// One hostlist expression, e.g. "rack[1-2]-node[01-02]": every bracket is a range, and the names
// are their product, the first bracket varying slowest (rack1-node01, rack1-node02, rack2-node01, ...).
std::vector<std::string> expand_expression(const std::string& expression, const std::string& hostlist) {
  const size_t open = expression.find('[');
  if (open == std::string::npos) return {expression};
  const size_t close = expression.find(']', open);
  if (close == std::string::npos) throw ConfigError("SLURM_JOB_NODELIST='" + hostlist + "': unclosed '['");
  const std::string prefix = expression.substr(0, open);
  const auto numbers = expand_range_list(expression.substr(open + 1, close - open - 1), hostlist);
  const auto rests = expand_expression(expression.substr(close + 1), hostlist);
  std::vector<std::string> names;
  for (const auto& n : numbers) {
    for (const auto& rest : rests) names.push_back(prefix + n + rest);
  }
  return names;
}

}  // namespace

// Expressions are separated by the commas outside brackets; commas inside separate ranges.
std::vector<std::string> expand_hostlist(const std::string& hostlist) {
  std::vector<std::string> hosts;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= hostlist.size(); ++i) {
    const char c = i < hostlist.size() ? hostlist[i] : ',';
    if (c == '[') ++depth;
    if (c == ']' && --depth < 0) throw ConfigError("SLURM_JOB_NODELIST='" + hostlist + "': ']' without '['");
    if (c != ',' || (depth > 0 && i < hostlist.size())) continue;
    const std::string expression = hostlist.substr(start, i - start);
    if (!expression.empty()) {
      for (auto& name : expand_expression(expression, hostlist)) hosts.push_back(std::move(name));
    }
    start = i + 1;
  }
  return hosts;
}

namespace {

// The SLURM variables describe a task only inside an srun step; a batch script (sbatch) sees
// SLURM_PROCID=0 and SLURM_NTASKS of the whole allocation but no SLURM_STEP_ID.
bool slurm_task(const EnvLookup& env) { return read_string(env, "SLURM_STEP_ID").has_value(); }

void check_counts(const LauncherVars& l, const std::optional<int>& rank, const std::optional<int>& size) {
  if (!rank || !size) {
    throw ConfigError(std::string("incomplete ") + l.launcher + " environment: " + l.rank + " and " + l.size +
                      " must both be set");
  }
  if (*size < 1 || *rank >= *size) {
    throw ConfigError(std::string(l.launcher) + " environment: " + l.rank + "=" + std::to_string(*rank) +
                      " is not below " + l.size + "=" + std::to_string(*size));
  }
}

// Master address and port: MASTER_ADDR/MASTER_PORT; else, inside a SLURM job, the first host of
// its node list and a port from its job id (srun, and mpirun inside sbatch, start rank 0 there).
void find_master(const EnvLookup& env, const LauncherVars* launcher, LaunchInfo& info) {
  const auto addr = read_string(env, "MASTER_ADDR");
  const auto nodes = read_string(env, "SLURM_JOB_NODELIST");
  if (nodes && !addr) info.master_addr = expand_hostlist(*nodes).at(0);
  if (nodes) {
    if (const auto job = read_int(env, "SLURM_JOB_ID")) info.master_port = 20000 + *job % 40000;
  }
  if (addr) info.master_addr = *addr;
  if (const auto port = read_int(env, "MASTER_PORT")) {
    if (*port < 1 || *port > 65535)
      throw ConfigError("environment MASTER_PORT=" + std::to_string(*port) + " is not a port");
    info.master_port = *port;
  }
  if (launcher == nullptr || info.world_size == 1 || addr || nodes) return;
  if (info.launcher == "torchrun") {
    throw ConfigError("incomplete torchrun environment: RANK and WORLD_SIZE are set but MASTER_ADDR is not");
  }
  const auto local_size = read_int(env, launcher->local_size);
  if (local_size && *local_size < info.world_size) {
    throw ConfigError(info.launcher + " environment: " + std::to_string(info.world_size) + " ranks, " +
                      std::to_string(*local_size) + " on this host (" + launcher->local_size +
                      "): ranks on several hosts need MASTER_ADDR, rank 0's host (mpirun -x MASTER_ADDR=...)");
  }
}

}  // namespace

LaunchInfo discover_launch(const EnvLookup& env) {
  LaunchInfo info;
  const LauncherVars* used = nullptr;
  for (const auto& l : kLaunchers) {
    const auto rank = read_int(env, l.rank), size = read_int(env, l.size);
    if (!rank && !size) continue;
    const bool slurm = std::string(l.launcher) == "slurm";
    if (slurm && !slurm_task(env)) {
      if (!used && size.value_or(1) > 1) {
        info.warning = "SLURM allocation of " + std::to_string(*size) + " tasks, but this process was not started " +
                       "by srun: running as one process (start the ranks with srun ssa-train ..., or mpirun)";
      }
      continue;
    }
    check_counts(l, rank, size);
    if (used) {  // an outer launcher around the one that numbers the ranks
      info.launcher += std::string(" inside ") + l.launcher;
      continue;
    }
    used = &l;
    info.rank = *rank;
    info.world_size = *size;
    info.local_rank = read_int(env, l.local_rank).value_or(0);
    info.launcher = l.launcher;
  }
  find_master(env, used, info);
  return info;
}

LaunchInfo discover_launch() {
  return discover_launch([](const char* name) { return std::getenv(name); });
}

}  // namespace ssa::dist
