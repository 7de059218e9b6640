#!/usr/bin/env bash
# run.threads under CPU binding, through the real binary: OpenMP binding (OMP_PROC_BIND /
# OMP_PLACES, as HPC sites and SLURM setups export) leaves every core of the process usable, and
# run.threads = 0 means all of them; taskset narrows them, and more threads are refused in one line.
#   cpu_binding_test.sh SSA_TRAIN CONFIG WORK_DIR
set -euo pipefail
bin=$1 config=$2 work=$3
cores=$(nproc)
rm -rf "$work" && mkdir -p "$work"
train() { "$bin" "$config" "run.dir=$work/$1" train.steps=1 train.lr_schedule.warmup_steps=0 eval.every=0 checkpoint.every=1 "${@:2}" 2>"$work/$1.err"; }
expect_threads() {  # NAME N: the run's console says it used N threads
  grep -q "info threads: $2 " "$work/$1.err" || { echo "FAIL: $1 did not use $2 threads:"; cat "$work/$1.err"; exit 1; }
}
for bind in "OMP_PROC_BIND=true OMP_PLACES=cores" "OMP_PROC_BIND=close" "OMP_PROC_BIND=spread OMP_PLACES=threads"; do
  name=bound_$(echo "$bind" | tr -c 'a-zA-Z0-9' _)
  env $bind "$bin" "$config" "run.dir=$work/$name" train.steps=1 train.lr_schedule.warmup_steps=0 eval.every=0 checkpoint.every=1 run.threads=0 >/dev/null 2>"$work/$name.err" \
    || { echo "FAIL: $bind with run.threads=0"; cat "$work/$name.err"; exit 1; }
  expect_threads "$name" "$cores"
  env $bind "$bin" "$config" "run.dir=$work/${name}_all" train.steps=1 train.lr_schedule.warmup_steps=0 eval.every=0 checkpoint.every=1 "run.threads=$cores" >/dev/null 2>&1 \
    || { echo "FAIL: $bind refused run.threads=$cores on $cores cores"; exit 1; }
done
train unbound run.threads=0 >/dev/null
expect_threads unbound "$cores"
if [ "$cores" -ge 2 ]; then
  err=$(taskset -c 0 "$bin" "$config" "run.dir=$work/taskset" train.steps=1 train.lr_schedule.warmup_steps=0 run.threads=2 2>&1 >/dev/null || true)
  echo "$err" | grep -q "run.threads: is 2 but this process may use 1 cores" || { echo "FAIL: taskset -c 0: $err"; exit 1; }
  env OMP_PROC_BIND=true OMP_PLACES=cores taskset -c 1 "$bin" "$config" "run.dir=$work/taskset_bound" train.steps=1 train.lr_schedule.warmup_steps=0 \
    eval.every=0 checkpoint.every=1 run.threads=0 >/dev/null 2>"$work/taskset_bound.err"
  expect_threads taskset_bound 1
fi
echo "cpu binding: OK on $cores cores"
