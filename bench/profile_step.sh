#!/usr/bin/env bash
# Op-level profile of one training step, ours against the PyTorch twin, side by side: both
# programs of bench/compare_pytorch.sh run --reps steps under their op profiler (ours: a
# RecordFunction callback, bench/op_profile.h; the twin: torch.autograd.profiler) and the table
# lists self time per step by ATen op name, largest first (either side), with calls per step.
# Profilers add a few microseconds per op to both sides: read the shares, not the sum.
#   bench/profile_step.sh [BUILD_DIR] [--flavor alibi|llama] [--attention dense|ssa] [--length T]
#                         [--reps R] [--threads N] [--batch B] [--top K]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}; [ $# -gt 0 ] && shift
flavor=alibi attention=dense length=256 reps=5 threads=2 batch=8 top=20
while [ $# -gt 0 ]; do
  case $1 in
    --flavor) flavor=$2 ;; --attention) attention=$2 ;; --length) length=$2 ;; --reps) reps=$2 ;;
    --threads) threads=$2 ;; --batch) batch=$2 ;; --top) top=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
args=(--flavor "$flavor" --attention "$attention" --length "$length" --reps "$reps" --threads "$threads" --batch "$batch")
"$build/bench/ssa_bench_train_step" "${args[@]}" --profile-out "$tmp/ours.jsonl" > "$tmp/ours.json"
/usr/bin/python3 "$here/pytorch_train_step.py" "${args[@]}" --profile-out "$tmp/twin.jsonl" > "$tmp/twin.json"
/usr/bin/python3 - "$tmp" "$top" <<'PY'
import json, sys
tmp, top = sys.argv[1], int(sys.argv[2])
rows = lambda name: {r["op"]: r for r in map(json.loads, open(f"{tmp}/{name}.jsonl"))}
steps = {name: json.load(open(f"{tmp}/{name}.json")) for name in ("ours", "twin")}
ours, twin = rows("ours"), rows("twin")
s = steps["ours"]
print(f"{s['flavor']} {s['attention']}, T = {s['length']}, batch {s['batch']}, {s['threads']} threads, "
      f"PyTorch {steps['twin']['torch']}; unprofiled medians: ours {s['median_ms']:.1f} ms "
      f"(backward {s['backward_ms']:.1f}), twin {steps['twin']['median_ms']:.1f} ms (backward {steps['twin']['backward_ms']:.1f})\n")
print("| op | ours self ms | twin self ms | ours calls | twin calls |")
print("|---|---:|---:|---:|---:|")
names = sorted(set(ours) | set(twin), key=lambda n: -max(ours.get(n, {}).get("self_ms", 0), twin.get(n, {}).get("self_ms", 0)))
cell = lambda side, n, key: f"{side[n][key]:g}" if n in side else "-"
for n in names[:top]:
    print(f"| {n} | {cell(ours, n, 'self_ms')} | {cell(twin, n, 'self_ms')} | {cell(ours, n, 'calls')} | {cell(twin, n, 'calls')} |")
total = lambda side: sum(r["self_ms"] for r in side.values())
print(f"| (the top 40 of each, summed) | {total(ours):.1f} | {total(twin):.1f} | | |")
PY
