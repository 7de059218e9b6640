#!/usr/bin/env bash
# Launches 2 ranks under real Open MPI (scripts/mpirun_example.sh): both ranks must discover
# themselves from OMPI_COMM_WORLD_*, train, and keep bitwise-identical parameters.
# Args: SOURCE_DIR. Needs Debian's openmpi-bin (scripts/install-deps.sh installs it).
set -euo pipefail
src=$1 out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
MASTER_PORT=29740 bash "$src/scripts/mpirun_example.sh" "$src/configs/test/tiny_decoder.yaml" 2 \
  "run.dir=$out/run" train.steps=8 checkpoint.every=4 eval.every=0 >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
grep -q "rank 0/2 (openmpi" "$out/log" || { echo "rank 0 did not see Open MPI's environment"; cat "$out/log"; exit 1; }
[ "$(grep -c 'parameters bitwise identical on 2 ranks' "$out/log")" -eq 2 ] || { echo "missing replica checks"; cat "$out/log"; exit 1; }
[ "$(grep -c '"event":"train"' "$out/run/metrics.jsonl")" -eq 8 ] || { echo "expected 8 train lines"; exit 1; }
echo ok
