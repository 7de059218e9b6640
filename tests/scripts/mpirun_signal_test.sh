#!/usr/bin/env bash
# SIGUSR1 to mpirun (Open MPI forwards it to every rank) stops a 2-rank job cleanly (goal S2): all
# ranks stop after the same step, rank 0 saves that step's checkpoint, and mpirun exits 143.
# Args: SOURCE_DIR. Needs Debian's openmpi-bin (scripts/install-deps.sh installs it).
set -uo pipefail
src=$1 out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "$1"; cat "$out/log"; exit 1; }
trained() { local n; n=$(grep -c '"event":"train"' "$out/run/metrics.jsonl" 2>/dev/null); echo "${n:-0}"; }
MASTER_PORT=29745 bash "$src/scripts/mpirun_example.sh" "$src/configs/test/tiny_decoder.yaml" 2 \
  "run.dir=$out/run" train.steps=100000 checkpoint.every=0 eval.every=0 >"$out/log" 2>&1 &
mpirun_pid=$!  # mpirun_example.sh execs mpirun
for _ in $(seq 1 600); do [ "$(trained)" -ge 3 ] && break; sleep 0.1; done
[ "$(trained)" -ge 3 ] || fail "the job did not reach step 3"
kill -USR1 "$mpirun_pid"
wait "$mpirun_pid"
rc=$?
[ "$rc" -eq 143 ] || fail "mpirun exited $rc, expected 143"
last=$(trained)
checkpoint=$(printf '%s/run/checkpoints/step_%08d/COMPLETE' "$out" "$last")
[ -f "$checkpoint" ] || fail "no complete checkpoint of the last step $last"
[ "$(grep -c "stopped at step $last (SIGUSR1" "$out/log")" -ge 1 ] || fail "no stop message naming SIGUSR1 at step $last"
echo "ok: stopped and saved at step $last"
