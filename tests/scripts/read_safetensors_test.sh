#!/usr/bin/env bash
# A checkpoint's model.safetensors, state.safetensors and optimizer.safetensors read back in Python
# with numpy alone (scripts/read_safetensors.py), checksums verified; a flipped byte is reported as a
# checksum mismatch. Args: SSA_TRAIN_BIN SOURCE_DIR.
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
state = read_safetensors.load(sys.argv[1].replace("model.safetensors", "state.safetensors"))
assert state["format_version"][0] == 6 and state["step"][0] == 5, state["step"]
assert state["rng.torch_cpu.0"].dtype.kind == "u" and state["rng.torch_cuda.0"].size == 0
moments = read_safetensors.load(sys.argv[1].replace("model.safetensors", "optimizer.safetensors"))
for name, weight in w.items():
    if name + ".step" in moments:
        assert moments[name + ".step"][0] == 5 and moments[name + ".exp_avg"].shape == weight.shape, name
assert len(moments) == 3 * sum(1 for name in w if name + ".step" in moments) and len(moments) > 30
print("ok", len(w), "weights,", len(state), "state and", len(moments), "optimizer tensors")
PY
