// How long until the SLURM job's time limit, so a run can stop and save before the scheduler
// kills it. Read from SLURM_JOB_END_TIME (set by Slurm 23.02 and later) or, on older Slurm, from
// `squeue -h -o %e -j $SLURM_JOB_ID`. Outside SLURM, or for a job without a limit, there is none.
#pragma once
#include <ctime>
#include <optional>
#include <string>

#include "lib/dist/launch_env.h"

namespace ssa::dist {

// Seconds from `now` to the job's end time; nullopt when not in a SLURM job, the job has no
// limit, or neither source answers. `squeue` is the command run when the variable is absent.
std::optional<double> slurm_seconds_left(const EnvLookup& env, std::time_t now, const std::string& squeue = "squeue");
std::optional<double> slurm_seconds_left();  // from the process environment and clock

// squeue's %e, "2026-11-23T16:00:00" in local time, as a time_t; nullopt for "Unknown", "NONE",
// "INVALID" or anything else that is not such a time.
std::optional<std::time_t> parse_slurm_time(const std::string& text);

}  // namespace ssa::dist
