#!/usr/bin/env bash
# Debian 13 only: replaces the CPU LibTorch by Debian's CUDA build (libtorch-cuda-dev 2.6, CUDA
# 12.4) with NCCL and nvcc, for `scripts/build.sh build-cuda`. docs/gpu-build.md explains it.
#   scripts/install-cuda-deps.sh [CUDNN_DIR]
# libtorch-cuda depends on Debian's nvidia-cudnn, which only downloads cuDNN from NVIDIA when it is
# installed (and fails offline). Instead, the cuDNN 9 libraries in CUDNN_DIR (NVIDIA's tarball's
# lib/ folder, or a CUDA toolkit's lib64/; default: the first /usr/local/cuda*/lib64 that has
# libcudnn.so.9) are packaged as a local nvidia-cudnn by scripts/make_cudnn_deb.sh and installed.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
cudnn_dir=${1:-$(dirname "$(ls -d /usr/local/cuda*/lib64/libcudnn.so.9 2>/dev/null | head -n1 || true)")}
if [ ! -e "$cudnn_dir/libcudnn.so.9" ]; then
  echo "install-cuda-deps.sh: no cuDNN 9 (libcudnn.so.9) in '${cudnn_dir}'; pass the folder that has it" >&2
  exit 2
fi
deb=$(mktemp -d)/nvidia-cudnn-local.deb
bash scripts/make_cudnn_deb.sh "$cudnn_dir" "$deb"
$SUDO apt-get update
# contrib and non-free must be enabled: libtorch-cuda-dev is in contrib, its CUDA libraries in non-free.
$SUDO apt-get install -y --no-install-recommends "$deb"
# libgloo-cuda-dev: the Gloo headers of ProcessGroupGloo (the CUDA build of Gloo replaces libgloo-dev).
$SUDO apt-get install -y --no-install-recommends libtorch-cuda-dev libgloo-cuda-dev libnccl-dev nvidia-cuda-toolkit
