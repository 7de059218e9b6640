#!/usr/bin/env bash
# Activation checkpointing's memory and time (docs/benchmarks.md): one training step of the
# 4 x 128 LLaMA-style decoder (4 heads sharing 2 kv heads, SwiGLU 512, batch 1) at each length,
# dense and SSA-L4, without and with train.activation_checkpointing, through
# bench/ssa_bench_train_step: the peak live tensor bytes of forward + backward and the peak RSS of
# the process (a fresh one per row), and the step's median time. Each row runs under a virtual
# memory limit (default 20 GiB), so a row that does not fit fails alone: "did not fit".
#   bench/checkpointing_memory.sh [BUILD_DIR] [LENGTHS...]      (defaults: build, 2048 4096 8192 16384)
set -euo pipefail
build=${1:-build}
[ $# -gt 0 ] && shift
lengths=("${@:-2048 4096 8192 16384}")
read -r -a lengths <<< "${lengths[*]}"
limit_kb=${LIMIT_KB:-$((20 * 1024 * 1024))}
reps=${REPS:-1}
echo "| T | attention | checkpointing | peak tensors MB | peak RSS MB | step s | forward s | backward s |"
echo "|---:|---|---|---:|---:|---:|---:|---:|"
for t in "${lengths[@]}"; do
  for attention in dense ssa; do
    for ck in 0 1; do
      line=$( (ulimit -v "$limit_kb"; "$build/bench/ssa_bench_train_step" --flavor llama --length "$t" --batch 1 \
        --attention $attention --checkpointing $ck --reps "$reps") 2> /dev/null) || line=""
      if [ -z "$line" ]; then
        echo "| $t | $attention | $ck | did not fit in $((limit_kb / 1024 / 1024)) GiB | | | | |"
        continue
      fi
      /usr/bin/python3 -c "import json, sys
r = json.loads(sys.argv[1])
print(f\"| {r['length']} | {r['attention']} | {int(r['checkpointing'])} | {r['peak_tensor_mb']:.0f} | {r['peak_rss_mb']:.0f} | \"
      f\"{r['median_ms'] / 1e3:.2f} | {r['forward_ms'] / 1e3:.2f} | {r['backward_ms'] / 1e3:.2f} |\")" "$line"
    done
  done
done
