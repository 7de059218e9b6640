#!/usr/bin/env bash
# Runs ssa-train data-parallel under Open MPI on this machine (Debian: openmpi-bin).
#   scripts/mpirun_example.sh CONFIG.yaml [RANKS] [key=value ...]
# Each rank reads OMPI_COMM_WORLD_RANK/SIZE; rank 0 hosts the rendezvous at MASTER_ADDR:MASTER_PORT.
# Across nodes, add a hostfile (--hostfile) and export MASTER_ADDR=<first host> to every rank (-x).
set -euo pipefail
config=${1:?usage: mpirun_example.sh CONFIG.yaml [RANKS] [key=value ...]}
ranks=${2:-2}
shift $(( $# >= 2 ? 2 : 1 ))
root_flag=()
[ "$(id -u)" -ne 0 ] || root_flag=(--allow-run-as-root)
export MASTER_ADDR=${MASTER_ADDR:-127.0.0.1} MASTER_PORT=${MASTER_PORT:-29500}
# Threads per rank: cores / ranks, so ranks do not oversubscribe the CPU.
threads=$(( $(nproc) / ranks > 0 ? $(nproc) / ranks : 1 ))
exec mpirun "${root_flag[@]}" --oversubscribe -np "$ranks" -x MASTER_ADDR -x MASTER_PORT \
  "$(dirname "$0")/../build/ssa-train" "$config" "run.threads=$threads" "$@"
