#!/usr/bin/env bash
# The training-step comparison (bench/compare_pytorch.sh) and the attention microbenchmark on both
# platforms in one run, one after the other on an otherwise idle machine: here (Debian 12,
# LibTorch 1.13, build/) and inside the Debian 13 root of scripts/debian13_check.sh (LibTorch 2.6
# CPU; its CPU packages are put back and its build/ brought up to date first). As root.
#   bench/compare_versions.sh [ROOT_DIR] [compare_pytorch.sh options...]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(realpath -m "${1:-build-debian13-root}")
[ $# -gt 0 ] && shift
[ -x "$root/usr/bin/apt-get" ] || { echo "no Debian 13 root at $root; run scripts/debian13_check.sh first" >&2; exit 2; }
. scripts/debian13_root.sh
trap unmount_root EXIT
mount_root
copy_tree
in_root "bash scripts/install-deps.sh >/dev/null && bash scripts/build.sh >/dev/null"
attention_bench="--threads 2 --lengths 1024 --reps 5"
echo "## Debian 12"
bench/compare_pytorch.sh build "$@"
build/bench/ssa_bench_attention $attention_bench
echo "## Debian 13"
in_root "bench/compare_pytorch.sh build $* && build/bench/ssa_bench_attention $attention_bench"
