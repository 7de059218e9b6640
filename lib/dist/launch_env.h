// Who am I in a multi-process job? Reads the launcher's environment: torchrun (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR/PORT), Open MPI (OMPI_COMM_WORLD_*), MPICH/Hydra PMI (PMI_RANK,
// PMI_SIZE, MPI_LOCALRANKID) and SLURM's srun (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, with
// SLURM_STEP_ID). Nested launchers (mpirun or torchrun inside a SLURM job): the innermost numbers
// the ranks. Inside a SLURM job the master is the first host of SLURM_JOB_NODELIST with a port
// derived from SLURM_JOB_ID, unless MASTER_ADDR/MASTER_PORT say otherwise. No launcher: one process.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ssa::dist {

struct LaunchInfo {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string launcher = "none";  // torchrun, openmpi, pmi, slurm or none; "openmpi inside slurm" when nested
  std::string warning;            // for the log: e.g. a SLURM batch script that did not use srun
};

// getenv-like lookup: nullptr when the variable is unset. Throws ConfigError (one line naming the
// variables) on incomplete or impossible environments.
using EnvLookup = std::function<const char*(const char*)>;
LaunchInfo discover_launch(const EnvLookup& env);
LaunchInfo discover_launch();  // from the process environment

// SLURM hostlist syntax: "gpu[01-03,07],login1" -> gpu01 gpu02 gpu03 gpu07 login1; several
// brackets in one name expand to their product, as `scontrol show hostnames` does.
std::vector<std::string> expand_hostlist(const std::string& hostlist);

}  // namespace ssa::dist
