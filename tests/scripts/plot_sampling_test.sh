#!/usr/bin/env bash
# inspect-sampling -> scripts/plot_sampling.py -> a valid PNG of the expected size whose top-right
# (above the causal diagonal) is the "never sampled" color. Args: SSA_TRAIN_BIN SOURCE_DIR.
set -euo pipefail
bin=$1 src=$2 out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" inspect-sampling "$src/configs/test/tiny_decoder.yaml" --layer 1 --samples 100 --out "$out/p.csv" >/dev/null
/usr/bin/python3 "$src/scripts/plot_sampling.py" "$out/p.csv" "$out/p.png" --scale 2
/usr/bin/python3 - "$out/p.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (128, 128), (w, h)
idat = data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8]
raw = zlib.decompress(idat)
row = raw[1:1 + 3 * w]                       # first pixel row, after its filter byte
assert row[-3:] == bytes([68, 1, 84]), row[-3:]   # top right: probability 0
assert row[:3] == bytes([253, 231, 37]), row[:3]  # top left: window 0 attends densely
print("ok")
PY
