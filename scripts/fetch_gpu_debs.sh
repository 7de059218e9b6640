#!/usr/bin/env bash
# Downloads (does not install) the Debian 12 packages that scripts/gpu_check.sh and
# scripts/build_gpu.sh need on a GPU machine without a package registry, into DIR (default
# gpu-debs/, ignored by git; carry it to the GPU machine). Run where apt-get works.
#   scripts/fetch_gpu_debs.sh [DIR]
set -euo pipefail
dir=${1:-gpu-debs}
mkdir -p "$dir"
cd "$dir"
apt-get download libyaml-cpp-dev libyaml-cpp0.7 libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libcli11-dev \
  libjpeg62-turbo-dev libjpeg62-turbo zlib1g-dev zlib1g
du -sh . && ls
