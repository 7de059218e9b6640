#!/usr/bin/env bash
# Two tiny runs (dense S0, and SSA-L4 + dense fine-tune) -> scripts/paper_table.py and
# scripts/plot_curves.py: the table has both rows, the baseline row reads C = M = S = 1.00, the SSA
# row's C is below 1, and the Fig. 6 PNG is valid and of the documented size. Args: SSA_TRAIN_BIN SOURCE_DIR.
set -euo pipefail
bin=$1 src=$2 out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
short=(train.steps=12 eval.every=6 checkpoint.every=0 log.every=1)
"$bin" "$src/configs/test/tiny_decoder.yaml" "run.dir=$out/s0" train.phases.0.attention=dense "${short[@]}" >/dev/null 2>&1
"$bin" "$src/configs/test/tiny_decoder.yaml" "run.dir=$out/ssa_ft" "${short[@]}" >/dev/null 2>&1
/usr/bin/python3 "$src/scripts/paper_table.py" "$out/s0" "$out/ssa_ft" | tee "$out/table.md"
/usr/bin/python3 "$src/scripts/plot_curves.py" "$out/curves.png" "$out/s0" "$out/ssa_ft"
/usr/bin/python3 - "$out/table.md" "$out/curves.png" <<'PY'
import struct, sys
rows = {}
for line in open(sys.argv[1]):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 7 and cells[0] in ("s0", "ssa_ft"):
        rows[cells[0]] = cells
assert set(rows) == {"s0", "ssa_ft"}, rows
assert rows["s0"][4:] == ["1.00", "1.00", "1.00"], rows["s0"]
assert rows["s0"][1] == "-", rows["s0"]                    # S0 has no SSA phase
assert float(rows["ssa_ft"][1]) > 0 and rows["ssa_ft"][2].endswith("(+FT)"), rows["ssa_ft"]
assert float(rows["ssa_ft"][4]) < 1.0, rows["ssa_ft"]      # fewer attention FLOPs than dense
data = open(sys.argv[2], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
assert struct.unpack(">II", data[16:24]) == (1020, 284), struct.unpack(">II", data[16:24])
legend = open(sys.argv[2] + ".txt").read()
assert "s0" in legend and "ssa_ft" in legend, legend
print("ok")
PY
# A directory without metrics.jsonl is a one-line error, not a traceback.
if err=$(/usr/bin/python3 "$src/scripts/paper_table.py" "$out" 2>&1); then echo "expected failure"; exit 1; fi
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ $err == *"metrics.jsonl: no such file"* ]] || { echo "bad error: $err"; exit 1; }
echo ok
