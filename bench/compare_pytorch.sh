#!/usr/bin/env bash
# Like-for-like training step: our C++ decoder (build/bench/ssa_bench_train_step) against the same
# model in PyTorch Python (bench/pytorch_train_step.py) on the LibTorch it was built with (1.13 on
# Debian 12, 2.6 on 13, where the Python twin calls scaled_dot_product_attention), dense and SSA-L4,
# at each length. First checks that the two dense models are the same function (the Python side
# loads the C++ initial weights and must reproduce its first loss to 1e-5), then prints a markdown
# table of median step times and the ratio PyTorch / ours (> 1: ours is faster), and per length
# the targets: our SSA-L4 against our dense and, on 2.x, against the twin's fastest dense step
# (is_causal=True, no ALiBi). bench/compare_versions.sh runs it on both Debian versions.
#
#   bench/compare_pytorch.sh [BUILD_DIR] [--threads N] [--lengths 256,512,1024] [--reps R] [--batch B]
#   bench/compare_pytorch.sh BUILD_DIR --check-only     # the same-function check alone (a ctest;
#                                                       # exits 77 without Debian's python3-torch)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}; [ $# -gt 0 ] && shift
threads=2 lengths=256,512,1024 reps=9 batch=8 check_only=0
while [ $# -gt 0 ]; do
  case $1 in
    --threads) threads=$2 ;; --lengths) lengths=$2 ;; --reps) reps=$2 ;; --batch) batch=$2 ;;
    --check-only) check_only=1; shift; continue ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || { echo "Debian python3-torch / python3-numpy missing" >&2; exit 77; }
cpp=$build/bench/ssa_bench_train_step py=$here/pytorch_train_step.py
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
common=(--threads "$threads" --batch "$batch" --reps "$reps")

# Same function: the first loss on the same weights and batch.
"$cpp" "${common[@]}" --length 128 --reps 1 --weights-out "$tmp/w.safetensors" > "$tmp/check_cpp.json"
/usr/bin/python3 "$py" "${common[@]}" --length 128 --reps 1 --weights "$tmp/w.safetensors" > "$tmp/check_py.json"
/usr/bin/python3 - "$tmp/check_cpp.json" "$tmp/check_py.json" <<'PY'
import json, sys
c, p = (json.load(open(f)) for f in sys.argv[1:3])
assert c["params"] == p["params"], f"parameter counts differ: {c['params']} vs {p['params']}"
assert abs(c["first_loss"] - p["first_loss"]) < 1e-5, f"first losses differ: {c['first_loss']} vs {p['first_loss']}"
print(f"same function: {c['params']} parameters, first loss {c['first_loss']:.6f} (C++) vs {p['first_loss']:.6f} (Python)")
PY
[ "$check_only" = 1 ] && exit 0

torch_version=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')
echo
echo "PyTorch $torch_version, $threads threads, batch $batch, medians of $reps steps"
echo
echo "| attention | T | ours (C++) ms | PyTorch Python ms | PyTorch / ours |"
echo "|---|---:|---:|---:|---:|"
targets=""
for length in ${lengths//,/ }; do
  for attention in dense ssa; do
    "$cpp" "${common[@]}" --length "$length" --attention "$attention" > "$tmp/cpp_$attention.json"
    /usr/bin/python3 "$py" "${common[@]}" --length "$length" --attention "$attention" > "$tmp/py_$attention.json"
  done
  fastest=""
  if /usr/bin/python3 "$py" "${common[@]}" --length "$length" --attention fastest > "$tmp/py_fastest.json" 2>/dev/null; then
    fastest=$tmp/py_fastest.json
  fi
  /usr/bin/python3 - "$tmp" "$fastest" <<'PY'
import json, sys
tmp, fastest = sys.argv[1], sys.argv[2]
load = lambda name: json.load(open(f"{tmp}/{name}.json"))
for attention, name in [("dense", "dense"), ("ssa", "SSA-L4")]:
    c, p = load("cpp_" + attention), load("py_" + attention)
    print(f"| {name} | {c['length']} | {c['median_ms']:.1f} | {p['median_ms']:.1f} | {p['median_ms'] / c['median_ms']:.2f} |")
if fastest:
    f = json.load(open(fastest))
    print(f"| PyTorch fastest dense (is_causal, no ALiBi) | {f['length']} | | {f['median_ms']:.1f} | |")
PY
  targets+=$(/usr/bin/python3 - "$tmp" "$fastest" <<'PY'
import json, sys
tmp, fastest = sys.argv[1], sys.argv[2]
load = lambda name: json.load(open(f"{tmp}/{name}.json"))
dense, ssa = load("cpp_dense"), load("cpp_ssa")
line = f"- T = {ssa['length']}: our SSA-L4 is {dense['median_ms'] / ssa['median_ms']:.2f}x our dense"
if fastest:
    line += f", {json.load(open(fastest))['median_ms'] / ssa['median_ms']:.2f}x PyTorch's fastest dense"
print(line)
PY
)$'\n'
done
echo
echo "$targets"
