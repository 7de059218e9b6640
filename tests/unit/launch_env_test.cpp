// Rank discovery from each launcher's environment, the SLURM hostlist expander, the one-line
// errors for incomplete or impossible environments, and the SLURM job's time left.
#include "tests/support/catch.h"

#include <map>

#include "lib/core/error.h"
#include "lib/dist/launch_env.h"
#include "lib/dist/slurm_time_limit.h"

using namespace ssa::dist;

namespace {

EnvLookup env_of(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

LaunchInfo discover(const std::map<std::string, std::string>& vars) { return discover_launch(env_of(vars)); }

std::string error_of(const std::map<std::string, std::string>& vars) {
  try {
    discover(vars);
  } catch (const ssa::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("no launcher means one process", "[dist][launch]") {
  const auto l = discover({});
  CHECK(l.world_size == 1);
  CHECK(l.rank == 0);
  CHECK(l.launcher == "none");
}

TEST_CASE("torchrun, Open MPI, PMI and SLURM environments", "[dist][launch]") {
  const auto t = discover(
      {{"RANK", "3"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "1234"}});
  CHECK((t.rank == 3 && t.world_size == 8 && t.local_rank == 1 && t.master_addr == "node7" && t.master_port == 1234));
  CHECK(t.launcher == "torchrun");
  const auto o = discover(
      {{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "2"}, {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}});
  CHECK((o.rank == 1 && o.world_size == 2 && o.local_rank == 1 && o.launcher == "openmpi"));
  CHECK(o.master_addr == "127.0.0.1");
  const auto p = discover({{"PMI_RANK", "0"}, {"PMI_SIZE", "4"}, {"MPI_LOCALRANKID", "0"}});
  CHECK((p.world_size == 4 && p.launcher == "pmi"));
  const auto s = discover({{"SLURM_PROCID", "5"},
                           {"SLURM_NTASKS", "16"},
                           {"SLURM_LOCALID", "1"},
                           {"SLURM_STEP_ID", "0"},
                           {"SLURM_JOB_NODELIST", "gpu[007-009,12],login1"},
                           {"SLURM_JOB_ID", "123456"}});
  CHECK((s.rank == 5 && s.world_size == 16 && s.local_rank == 1 && s.launcher == "slurm"));
  CHECK(s.master_addr == "gpu007");
  CHECK(s.master_port == 20000 + 123456 % 40000);
}

// The SLURM environments below are what Slurm 22.05 (Debian bookworm) gave a one-node cluster's
// `sbatch -n 2` script, `mpirun -np 2` inside it, and `srun -n 2` (tests/scripts/srun_test.sh's set-up).
TEST_CASE("nested launchers: the innermost numbers the ranks, SLURM tells the master", "[dist][launch]") {
  const std::map<std::string, std::string> batch = {{"SLURM_PROCID", "0"},
                                                    {"SLURM_NTASKS", "2"},
                                                    {"SLURM_LOCALID", "0"},
                                                    {"SLURM_JOB_NODELIST", "vm[1-2]"},
                                                    {"SLURM_JOB_ID", "7"}};
  // mpirun inside sbatch: every rank has SLURM_PROCID=0 from the batch script.
  auto mpi = batch;
  mpi.insert({{"OMPI_COMM_WORLD_RANK", "1"},
              {"OMPI_COMM_WORLD_SIZE", "2"},
              {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
              {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}});
  const auto m = discover(mpi);
  CHECK((m.rank == 1 && m.world_size == 2 && m.local_rank == 1));
  CHECK(m.launcher == "openmpi");  // the batch script's SLURM_PROCID is no launch
  CHECK((m.master_addr == "vm1" && m.master_port == 20007));
  CHECK(m.warning.empty());
  // torchrun inside srun: SLURM numbers the torchrun agents, torchrun the ranks.
  auto nested = batch;
  nested.insert(
      {{"SLURM_STEP_ID", "0"}, {"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "vm2"}});
  const auto t = discover(nested);
  CHECK((t.rank == 3 && t.world_size == 4 && t.local_rank == 1 && t.master_addr == "vm2"));
  CHECK(t.launcher == "torchrun inside slurm");
  // srun itself.
  auto task = batch;
  task.insert({{"SLURM_STEP_ID", "0"}});
  task["SLURM_PROCID"] = "1";
  const auto s = discover(task);
  CHECK((s.rank == 1 && s.world_size == 2 && s.launcher == "slurm" && s.master_addr == "vm1"));
}

TEST_CASE("a SLURM batch script without srun is one process, with a warning", "[dist][launch]") {
  const auto b = discover(
      {{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_JOB_NODELIST", "vm"}, {"SLURM_JOB_ID", "7"}});
  CHECK((b.rank == 0 && b.world_size == 1 && b.launcher == "none"));
  CHECK(b.warning.find("SLURM allocation of 4 tasks, but this process was not started by srun") == 0);
  CHECK(discover({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}).warning.empty());
}

TEST_CASE("MPI ranks on several hosts need a master address outside SLURM", "[dist][launch]") {
  const std::map<std::string, std::string> two_hosts = {
      {"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "4"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}};
  CHECK(error_of(two_hosts) ==
        "openmpi environment: 4 ranks, 2 on this host (OMPI_COMM_WORLD_LOCAL_SIZE): ranks on several hosts need "
        "MASTER_ADDR, rank 0's host (mpirun -x MASTER_ADDR=...)");
  auto with_master = two_hosts;
  with_master["MASTER_ADDR"] = "node1";
  CHECK(discover(with_master).master_addr == "node1");
  CHECK(discover({{"PMI_RANK", "0"}, {"PMI_SIZE", "2"}, {"MPI_LOCALNRANKS", "2"}}).master_addr == "127.0.0.1");
}

TEST_CASE("incomplete or impossible environments name the variables", "[dist][launch]") {
  CHECK(error_of({{"RANK", "0"}}) == "incomplete torchrun environment: RANK and WORLD_SIZE must both be set");
  CHECK(error_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}}) ==
        "incomplete torchrun environment: RANK and WORLD_SIZE are set but MASTER_ADDR is not");
  CHECK(error_of({{"OMPI_COMM_WORLD_RANK", "2"}, {"OMPI_COMM_WORLD_SIZE", "2"}}) ==
        "openmpi environment: OMPI_COMM_WORLD_RANK=2 is not below OMPI_COMM_WORLD_SIZE=2");
  CHECK(error_of({{"RANK", "x"}, {"WORLD_SIZE", "2"}}) == "environment RANK='x' is not a count");
  CHECK(error_of({{"MASTER_PORT", "70000"}}) == "environment MASTER_PORT=70000 is not a port");
}

TEST_CASE("SLURM hostlists expand ranges, padding, lists and suffixes", "[dist][hostlist]") {
  CHECK(expand_hostlist("node1") == std::vector<std::string>{"node1"});
  CHECK(expand_hostlist("a[1-3],b") == std::vector<std::string>{"a1", "a2", "a3", "b"});
  CHECK(expand_hostlist("gpu[08-10,15]") == std::vector<std::string>{"gpu08", "gpu09", "gpu10", "gpu15"});
  CHECK(expand_hostlist("r[1-2]-ib,x[3]") == std::vector<std::string>{"r1-ib", "r2-ib", "x3"});
  CHECK_THROWS_AS(expand_hostlist("a[1-"), ssa::ConfigError);
  CHECK_THROWS_AS(expand_hostlist("a1-2]"), ssa::ConfigError);
  CHECK_THROWS_AS(expand_hostlist("a[3-1]"), ssa::ConfigError);
}

// Expected lists are what `scontrol show hostnames` of Slurm 22.05 (Debian bookworm) printed.
TEST_CASE("SLURM hostlists with several brackets expand like scontrol: the first bracket varies slowest",
          "[dist][hostlist]") {
  using names = std::vector<std::string>;
  CHECK(expand_hostlist("rack[1-2]-node[01-02]") ==
        names{"rack1-node01", "rack1-node02", "rack2-node01", "rack2-node02"});
  CHECK(expand_hostlist("rack[01-3]-node[01-2,5]") == names{"rack01-node01", "rack01-node02", "rack01-node5",
                                                            "rack02-node01", "rack02-node02", "rack02-node5",
                                                            "rack03-node01", "rack03-node02", "rack03-node5"});
  CHECK(expand_hostlist("a[1-2]-b[1,3],c[5-6]") == names{"a1-b1", "a1-b3", "a2-b1", "a2-b3", "c5", "c6"});
  CHECK(expand_hostlist("a[1-2]b[3-4]") == names{"a1b3", "a1b4", "a2b3", "a2b4"});
  CHECK(expand_hostlist("n[009-011]") == names{"n009", "n010", "n011"});
  CHECK(expand_hostlist("n[8-10]") == names{"n8", "n9", "n10"});
  CHECK(expand_hostlist("a,b[1-2],c") == names{"a", "b1", "b2", "c"});
}

TEST_CASE("SLURM time left: SLURM_JOB_END_TIME, else squeue's end time, else none", "[dist][slurm]") {
  const std::time_t now = 1'800'000'000;
  // Outside a SLURM job there is no limit, whatever else is set.
  CHECK_FALSE(slurm_seconds_left(env_of({{"SLURM_JOB_END_TIME", "1800000600"}}), now).has_value());
  // Slurm >= 23.02 exports the end time.
  CHECK(slurm_seconds_left(env_of({{"SLURM_JOB_ID", "7"}, {"SLURM_JOB_END_TIME", "1800000600"}}), now) == 600.0);
  // Older Slurm: ask squeue (here a stand-in command; "#" comments out squeue's arguments).
  const auto end = parse_slurm_time("2027-01-15T08:30:00");
  REQUIRE(end.has_value());
  CHECK(slurm_seconds_left(env_of({{"SLURM_JOB_ID", "7"}}), *end - 90, "echo 2027-01-15T08:30:00 #") == 90.0);
  // A job without a limit ("Unknown"), or no squeue at all: no limit.
  CHECK_FALSE(slurm_seconds_left(env_of({{"SLURM_JOB_ID", "7"}}), now, "echo Unknown #").has_value());
  CHECK_FALSE(slurm_seconds_left(env_of({{"SLURM_JOB_ID", "7"}}), now, "/no/such/squeue").has_value());
}

TEST_CASE("squeue end times parse as local time: anything else is no time", "[dist][slurm]") {
  const auto a = parse_slurm_time("2027-01-15T08:30:00"), b = parse_slurm_time("2027-01-15T09:30:05");
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(*b - *a == 3605);
  for (const char* bad : {"Unknown", "NONE", "INVALID", "", "2027-01-15", "2027-01-15T08:30:00x"}) {
    CHECK_FALSE(parse_slurm_time(bad).has_value());
  }
}
