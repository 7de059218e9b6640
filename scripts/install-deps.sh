#!/usr/bin/env bash
# Installs everything ssa-train needs to build, train on the embedded default and run its tests,
# from Debian packages only: the same names on Debian 12 (bookworm: LibTorch 1.13, Catch2 2) and
# Debian 13 (trixie: LibTorch 2.6, Catch2 3). Uses sudo when not run as root.
set -euo pipefail
. /etc/os-release
case "${VERSION_ID:-}" in
  12 | 13) ;;
  *) echo "install-deps.sh: Debian 12 or 13 expected, this is ${PRETTY_NAME:-unknown}; trying anyway" >&2 ;;
esac
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# libopenblas0-openmp: without OpenBLAS LibTorch's fp32 GEMM falls back to reference BLAS (~30x
# slower); its OpenMP build shares LibTorch's thread pool, where libopenblas0-pthread's own pool
# oversubscribes the cores (1.3-8.6x slower steps measured, docs/benchmarks.md), so it is also
# made the libblas/liblapack/libopenblas alternative below when both are installed.
# fortunes: the English text corpus of the embedded default config and the integration tests.
# libgloo-dev: headers of ProcessGroupGloo (lib/dist). python3-numpy: scripts/plot_sampling.py and
# its test. openmpi-bin (+ openssh-client, which its launcher looks for): the mpirun launch test.
# zlib1g-dev: gzipped idx and CSV files. dataset-fashion-mnist: the real image data of the vision configs.
# libjpeg62-turbo-dev: decoding ImageNet JPEG folders (data.dataset: imagenet) and writing test JPEGs.
# librdkit-dev + libboost-dev (its headers include Boost) + zlib1g-dev: molecule featurization and
# .csv.gz reading (SSA_WITH_RDKIT); rdkit-data: the first_5k molecule sample the tests read;
# python3-rdkit: the cross-check against a Python OGB smiles2graph. libsentencepiece-dev:
# `ssa-train prepare-data sentencepiece` (SSA_WITH_SENTENCEPIECE; tokenizer training and encoding).
# slurmctld + slurmd + slurm-client + munge: the srun launch test starts a one-node SLURM cluster.
# python3-torch: PyTorch Python on the same LibTorch, for bench/pytorch_train_step.py and the test
# that our decoder and that PyTorch model are the same function.
# python3-pil: the cross-check of our RandAugment ops against PIL's (rand_augment_matches_pil).
# python3-torchvision (0.14 on Debian 12, 0.21 on 13): torchvision's own ViT and Swin, which load
# our torchvision exports (tests/scripts/torchvision_test.sh).
# protobuf-compiler: `protoc --decode_raw`, an independent reader of our TensorBoard events.
# strace: the test that every committed file is fsynced before its rename (file_safety_test).
# clang-format: the house-style check in ctest (scripts/format.sh --check-ctest).
$SUDO apt-get install -y --no-install-recommends \
  build-essential cmake ccache \
  libtorch-dev libopenblas0-openmp \
  libyaml-cpp-dev libspdlog-dev libcli11-dev catch2 libgloo-dev \
  libjpeg62-turbo-dev fortunes dataset-fashion-mnist python3-numpy openmpi-bin openssh-client \
  librdkit-dev libboost-dev zlib1g-dev rdkit-data python3-rdkit libsentencepiece-dev \
  slurmctld slurmd slurm-client munge python3-torch python3-pil python3-torchvision protobuf-compiler strace clang-format
# python3-safetensors (Debian 13 only; 12 has none): the Hugging Face reader of our exports
# (tests/scripts/hf_export_test.sh).
if apt-cache show python3-safetensors > /dev/null 2>&1; then  # not a pipe into grep -q: pipefail saw SIGPIPE
  $SUDO apt-get install -y --no-install-recommends python3-safetensors
fi
# The OpenMP OpenBLAS for LibTorch, also where another package pulled in the pthread build.
multiarch=$(gcc -dumpmachine)
for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
  $SUDO update-alternatives --set "$lib-$multiarch" "/usr/lib/$multiarch/openblas-openmp/$lib"
done
