#!/usr/bin/env bash
# A checkpoint's model.safetensors reads back in Python with numpy alone (scripts/read_safetensors.py),
# checksums verified; a flipped byte is reported as a checksum mismatch. Args: SSA_TRAIN_BIN SOURCE_DIR.
set -euo pipefail
bin=$1 src=$2 out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" "$src/configs/test/tiny_decoder.yaml" "run.dir=$out/run" train.steps=5 train.lr_schedule.warmup_steps=2 \
  checkpoint.every=5 eval.every=0 2>/dev/null
weights="$out/run/checkpoints/step_00000005/model.safetensors"
cd "$src/scripts"
/usr/bin/python3 - "$weights" <<'PY'
import sys
import read_safetensors
w = read_safetensors.load(sys.argv[1])
assert w["embed.weight"].shape == (256, 64), w["embed.weight"].shape
assert len(w) > 10 and all(a.dtype.kind == "f" for a in w.values())
data = bytearray(open(sys.argv[1], "rb").read())
data[-3] ^= 0x01
open(sys.argv[1] + ".bad", "wb").write(data)
try:
    read_safetensors.load(sys.argv[1] + ".bad")
    raise SystemExit("a flipped byte was not detected")
except ValueError as e:
    assert "checksum mismatch" in str(e), e
print("ok", len(w), "tensors")
PY
