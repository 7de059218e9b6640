#!/usr/bin/env bash
# The CUDA + NCCL build on a machine without a GPU: --version names both, a tiny config trains on
# the CPU to the end, and run.device=cuda is refused with one line and exit 2, writing nothing.
#   tests/scripts/cuda_build_test.sh SSA_TRAIN_BIN     (run from the source folder)
set -euo pipefail
bin=$1 out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "cuda_build_test: $*" >&2; exit 1; }

version=$("$bin" --version)
echo "$version"
[[ $version == *"CUDA yes, NCCL yes"* ]] || fail "--version lacks 'CUDA yes, NCCL yes'"

"$bin" configs/test/tiny_decoder.yaml "run.dir=$out/cpu" train.steps=4 train.lr_schedule.warmup_steps=2 \
  checkpoint.every=4 eval.every=0 2>"$out/cpu.err" || { cat "$out/cpu.err"; fail "the CPU run failed"; }
[ "$(grep -c '"event":"train"' "$out/cpu/metrics.jsonl")" -ge 1 ] || fail "no train line in metrics.jsonl"
[ -e "$out/cpu/checkpoints/step_00000004/COMPLETE" ] || fail "no checkpoint of step 4"

set +e
"$bin" configs/test/tiny_decoder.yaml "run.dir=$out/gpu" run.device=cuda train.steps=4 train.lr_schedule.warmup_steps=2 >"$out/gpu.out" 2>"$out/gpu.err"
code=$?
set -e
cat "$out/gpu.err"
[ "$code" -eq 2 ] || fail "run.device=cuda without a GPU: exit $code, expected 2"
grep -q '^ssa-train: error: .*run.device: cuda requested but no CUDA device is available' "$out/gpu.err" ||
  fail "run.device=cuda: no one-line error naming run.device"
[ "$(grep -c 'ssa-train: error:' "$out/gpu.err")" -eq 1 ] || fail "more than one error line"
[ ! -s "$out/gpu.out" ] && [ ! -e "$out/gpu" ] || fail "the refused run wrote output"
echo "cuda_build_test: passed"
