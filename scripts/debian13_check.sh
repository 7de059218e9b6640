#!/usr/bin/env bash
# Checks ssa-train on Debian 13 (trixie, LibTorch 2.6) from any Debian host, as root: makes a trixie
# root with debootstrap (kept for the next run), copies this tree into it and there
#   1. runs the README's test command (scripts/test.sh: install, build, all tests; CPU LibTorch 2.6);
#   2. swaps in the CUDA LibTorch (scripts/install-cuda-deps.sh), builds build-cuda/ without tests,
#      and checks that --version says "CUDA yes, NCCL yes", that a tiny config trains on the CPU
#      and that run.device=cuda is refused in one line on a machine without a GPU.
#   scripts/debian13_check.sh [ROOT_DIR] [--cuda-only]   (default: build-debian13-root/ here;
#                                                         --cuda-only: step 2 alone)
# ccache and apt's downloaded packages stay inside the root between the two builds and runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(realpath -m "${1:-build-debian13-root}")
cuda_only=${2:-}
step() { echo "== debian13_check: $* ($(date +%T))"; }
. scripts/debian13_root.sh

# cuDNN 9 for the local nvidia-cudnn package (docs/gpu-build.md): SSA_CUDNN_DIR, else the host's
# CUDA toolkit's, copied into the root.
check_cuda_build() {
  step "CUDA + NCCL variant against libtorch-cuda-dev"
  local found
  found=$(ls -d "${SSA_CUDNN_DIR:-/nonexistent}"/libcudnn.so.9 /usr/local/cuda*/lib64/libcudnn.so.9 2>/dev/null | head -n1 || true)
  if [ -z "$found" ]; then
    echo "debian13_check: no cuDNN 9 (libcudnn.so.9) in SSA_CUDNN_DIR or /usr/local/cuda*/lib64" >&2
    exit 2
  fi
  rm -rf "$root/opt/cudnn" && mkdir -p "$root/opt/cudnn" && cp -L "$(dirname "$found")"/libcudnn*.so.9 "$root/opt/cudnn/"
  in_root "bash scripts/install-cuda-deps.sh /opt/cudnn"
  in_root "bash scripts/build.sh build-cuda -DSSA_BUILD_TESTS=OFF -DSSA_BUILD_BENCH=OFF"
  in_root "bash tests/scripts/cuda_build_test.sh build-cuda/ssa-train"
}

make_root
trap unmount_root EXIT
mount_root
copy_tree
if [ "$cuda_only" != --cuda-only ]; then
  step "the README's test command on Debian 13"
  in_root "bash scripts/test.sh"
fi
check_cuda_build
step "passed"
