#!/usr/bin/env bash
# Launches 2 ranks under real SLURM: starts munged, slurmctld and slurmd for a one-node cluster in a
# temporary directory (Debian slurm-wlm + munge), runs `srun -n 2 ssa-train`, and checks that both
# ranks found themselves from SLURM_PROCID/SLURM_NTASKS and the master from SLURM_JOB_NODELIST,
# trained, and kept bitwise-identical parameters. Then, inside batch scripts: mpirun numbers the ranks
# (the script's SLURM_PROCID=0 is no launch), and ssa-train without srun runs as one process. Needs root (slurmd launches the tasks); exits 77
# (skipped) without root or without the SLURM packages.
# Args: SOURCE_DIR BINARY
set -euo pipefail
src=$1 binary=$2
for tool in munged slurmctld slurmd srun sinfo; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/install-deps.sh installs slurm-wlm)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: slurmd must run as root to launch tasks"; exit 77; }

dir=$(mktemp -d /tmp/ssa-slurm.XXXXXX)
chmod 700 "$dir"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$dir"/*.log; do echo "== $f"; tail -20 "$f"; done; exit 1; }

# munge: a fresh key and socket, so nothing of the machine's own munge is needed or touched.
mkdir -p "$dir/munge" "$dir/spool/ctld" "$dir/spool/d"
chmod 700 "$dir/munge"
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/socket" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed"
pids+=("$(cat "$dir/munge/munged.pid")")

host=$(hostname -s)
ctld_port=$((6900 + RANDOM % 500))
cat >"$dir/slurm.conf" <<EOF
ClusterName=ssatest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 600))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/socket
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
export SLURM_CONF=$dir/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$dir/slurmctld.out.log" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$dir/slurmd.out.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do
  sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix)' && break
  sleep 0.5
done
sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix)' || fail "the one-node cluster did not come up"

# srun -n 2: SLURM_PROCID/NTASKS/LOCALID per task, master from SLURM_JOB_NODELIST, port from the job id.
env -u MASTER_ADDR -u MASTER_PORT -u RANK -u WORLD_SIZE \
  timeout 300 srun -n 2 -N 1 --oversubscribe --kill-on-bad-exit=1 "$binary" "$src/configs/test/tiny_decoder.yaml" \
  "run.dir=$dir/run" train.steps=8 checkpoint.every=4 eval.every=0 dist.timeout_s=30 >"$dir/srun.log" 2>&1 ||
  fail "srun exited $?"
grep -q "rank 0/2 (slurm" "$dir/srun.log" || fail "rank 0 did not see SLURM's environment"
[ "$(grep -c 'parameters bitwise identical on 2 ranks' "$dir/srun.log")" -eq 2 ] || fail "missing replica checks"
[ "$(grep -c '"event":"train"' "$dir/run/metrics.jsonl")" -eq 8 ] || fail "expected 8 train lines"

# SLURM's time limit: a 2-minute job with a 112 s margin must stop on its own after about 8 s,
# save, and exit 143 (Slurm 22.05 has no SLURM_JOB_END_TIME, so this reads squeue's end time).
env -u MASTER_ADDR -u MASTER_PORT -u RANK -u WORLD_SIZE \
  timeout 300 srun -n 2 -N 1 -t 2 --oversubscribe "$binary" "$src/configs/test/tiny_decoder.yaml" \
  "run.dir=$dir/limited" train.steps=1000000 checkpoint.every=0 eval.every=0 run.slurm_margin_s=112 \
  >"$dir/limited.log" 2>&1 && status=0 || status=$?
[ "$status" -eq 143 ] || fail "time-limited srun exited $status, expected 143"
grep -q "SLURM job ends in" "$dir/limited.log" || fail "the SLURM end time was not found"
grep -q "SLURM time limit" "$dir/limited.log" || fail "the stop does not name SLURM's time limit"
ls "$dir/limited/checkpoints/"*/COMPLETE >/dev/null || fail "no checkpoint saved at the SLURM stop"

# Batch scripts (sbatch): every process inherits SLURM_PROCID=0 and SLURM_NTASKS=2 from the script.
# Waits for the job; its output file holds both ranks' lines.
run_batch() {  # NAME COMMAND
  sbatch -n 2 -N 1 --oversubscribe -o "$dir/$1.log" --wrap "$2" >/dev/null || fail "sbatch $1 failed"
  for _ in $(seq 240); do [ -z "$(squeue -h 2>/dev/null)" ] && return; sleep 0.5; done
  fail "batch job $1 did not finish"
}
tiny="$src/configs/test/tiny_decoder.yaml train.steps=8 checkpoint.every=8 eval.every=0 dist.timeout_s=30 run.threads=1"
# mpirun inside the batch script: Open MPI numbers the ranks, the master is SLURM's first node.
if command -v mpirun >/dev/null; then
  run_batch mpi "env -u MASTER_ADDR -u MASTER_PORT mpirun --allow-run-as-root --oversubscribe -np 2 $binary $tiny run.dir=$dir/mpi"
  grep -q "rank 0/2 (openmpi, master $host:" "$dir/mpi.log" || fail "mpirun in sbatch: rank 0 did not find itself"
  grep -q "parameters bitwise identical on 2 ranks" "$dir/mpi.log" || fail "mpirun in sbatch: no replica check"
  [ -f "$dir/mpi/checkpoints/step_00000008/COMPLETE" ] || fail "mpirun in sbatch: no checkpoint"
fi
# ssa-train run directly by the batch script: one process, and a warning that srun was not used.
run_batch direct "$binary $tiny run.dir=$dir/direct"
grep -q "SLURM allocation of 2 tasks, but this process was not started by srun" "$dir/direct.log" ||
  fail "no warning for a batch script without srun"
[ -f "$dir/direct/checkpoints/step_00000008/COMPLETE" ] || fail "the batch script's single process did not train"
echo ok
