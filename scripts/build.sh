#!/usr/bin/env bash
# Configures and builds ssa-train, its tests and benchmarks (Release).
#   scripts/build.sh [BUILD_DIR [CMAKE_ARGS...]]     BUILD_DIR defaults to build/
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "${@:2}"
cmake --build "$dir" -j"$(nproc)"
