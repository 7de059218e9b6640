#!/usr/bin/env bash
# Like-for-like training step: our C++ decoder (build/bench/ssa_bench_train_step) against the same
# model in PyTorch Python (bench/pytorch_train_step.py) on the LibTorch it was built with (1.13 on
# Debian 12, 2.6 on 13, where the Python twin calls scaled_dot_product_attention), dense and SSA-L4,
# at each length. First checks that the two dense models are the same function (the Python side
# loads the C++ initial weights and must reproduce its first loss to 1e-5; the ALiBi decoder and the
# LLaMA-style one: RoPE, RMSNorm, SwiGLU, GQA, no biases), then prints a markdown
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

# Same function: the first loss on the same weights and batch, for the ALiBi and the LLaMA-style decoder.
for flavor in alibi llama; do
  "$cpp" "${common[@]}" --flavor "$flavor" --length 128 --reps 1 --weights-out "$tmp/w.safetensors" > "$tmp/check_cpp.json"
  /usr/bin/python3 "$py" "${common[@]}" --flavor "$flavor" --length 128 --reps 1 --weights "$tmp/w.safetensors" > "$tmp/check_py.json"
  /usr/bin/python3 - "$tmp/check_cpp.json" "$tmp/check_py.json" "$flavor" <<'PY'
import json, sys
c, p = (json.load(open(f)) for f in sys.argv[1:3])
assert c["params"] == p["params"], f"{sys.argv[3]}: parameter counts differ: {c['params']} vs {p['params']}"
assert abs(c["first_loss"] - p["first_loss"]) < 1e-5, f"{sys.argv[3]}: first losses differ: {c['first_loss']} vs {p['first_loss']}"
print(f"same function ({sys.argv[3]}): {c['params']} parameters, first loss {c['first_loss']:.6f} (C++) vs {p['first_loss']:.6f} (Python)")
PY
done
[ "$check_only" = 1 ] && exit 0

torch_version=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')
echo
echo "PyTorch $torch_version, $threads threads, batch $batch, medians of $reps steps"
echo
echo "| decoder | attention | T | ours (C++) ms | PyTorch Python ms | PyTorch / ours |"
echo "|---|---|---:|---:|---:|---:|"
targets=""
for length in ${lengths//,/ }; do
  for flavor in alibi llama; do
    for attention in dense ssa; do
      "$cpp" "${common[@]}" --flavor "$flavor" --length "$length" --attention "$attention" > "$tmp/cpp_${flavor}_$attention.json"
      /usr/bin/python3 "$py" "${common[@]}" --flavor "$flavor" --length "$length" --attention "$attention" > "$tmp/py_${flavor}_$attention.json"
    done
  done
  fastest=""
  if /usr/bin/python3 "$py" "${common[@]}" --length "$length" --attention fastest > "$tmp/py_fastest.json" 2>/dev/null; then
    fastest=$tmp/py_fastest.json
  fi
  /usr/bin/python3 - "$tmp" "$fastest" <<'PY'
import json, sys
tmp, fastest = sys.argv[1], sys.argv[2]
load = lambda name: json.load(open(f"{tmp}/{name}.json"))
for flavor, decoder in [("alibi", "ALiBi"), ("llama", "LLaMA-style")]:
    for attention, name in [("dense", "dense"), ("ssa", "SSA-L4")]:
        c, p = load(f"cpp_{flavor}_{attention}"), load(f"py_{flavor}_{attention}")
        print(f"| {decoder} | {name} | {c['length']} | {c['median_ms']:.1f} | {p['median_ms']:.1f} | {p['median_ms'] / c['median_ms']:.2f} |")
if fastest:
    f = json.load(open(fastest))
    print(f"| ALiBi | PyTorch fastest dense (is_causal, no ALiBi) | {f['length']} | | {f['median_ms']:.1f} | |")
PY
  targets+=$(/usr/bin/python3 - "$tmp" "$fastest" <<'PY'
import json, sys
tmp, fastest = sys.argv[1], sys.argv[2]
load = lambda name: json.load(open(f"{tmp}/{name}.json"))
dense, ssa = load("cpp_alibi_dense"), load("cpp_alibi_ssa")
llama_dense, llama_ssa = load("cpp_llama_dense"), load("cpp_llama_ssa")
line = f"- T = {ssa['length']}: our SSA-L4 is {dense['median_ms'] / ssa['median_ms']:.2f}x our dense"
line += f" (LLaMA-style: {llama_dense['median_ms'] / llama_ssa['median_ms']:.2f}x)"
if fastest:
    line += f", {json.load(open(fastest))['median_ms'] / ssa['median_ms']:.2f}x PyTorch's fastest dense"
print(line)
PY
)$'\n'
done
echo
echo "$targets"
