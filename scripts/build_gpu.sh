#!/usr/bin/env bash
# Builds ssa-train into build-gpu/ against the LibTorch inside an installed PyTorch CUDA wheel
# (which brings CUDA and NCCL), instead of Debian's CPU libtorch-dev. docs/gpu-build.md explains it.
#   scripts/build_gpu.sh [DEPS_PREFIX]
# DEPS_PREFIX: where yaml-cpp, spdlog, fmt, CLI11 (and optionally gloo headers, RDKit) were unpacked
# from Debian .debs with `dpkg -x`, for machines without a package registry. PYTHON picks the
# interpreter that has torch (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
deps=${1:-}
torch_prefix=$("${PYTHON:-python3}" -c 'import torch; print(torch.utils.cmake_prefix_path)')
prefixes="$torch_prefix"
includes=""
if [ -n "$deps" ]; then
  prefixes="$prefixes;$deps/usr;$deps/usr/lib/x86_64-linux-gnu/cmake"
  includes="-isystem $deps/usr/include"
  export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefixes" \
  -DCMAKE_CXX_FLAGS="$includes" -DSSA_BUILD_TESTS="${SSA_BUILD_TESTS:-OFF}"
cmake --build build-gpu -j"$(nproc)"
