#!/usr/bin/env bash
# Two tiny runs (dense S0, and SSA-L4 + dense fine-tune) through scripts/run_table.sh, which trains
# them and calls scripts/paper_table.py and scripts/plot_curves.py: the table has both rows, the
# baseline row reads C = M = S = 1.00, the SSA row's C is below 1, the Fig. 6 PNG is valid and of
# the documented size, and a second call keeps the finished runs. Then paper_table.py alone: M from
# the CUDA allocator's peaks, and a one-line error for a missing metrics.jsonl.
# Args: SSA_TRAIN_BIN SOURCE_DIR.
set -euo pipefail
bin=$1 src=$2 out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sed 's/fraction: 0.75, attention: ssa/fraction: 0.75, attention: dense/' "$src/configs/test/tiny_decoder.yaml" > "$out/s0.yaml"
cp "$src/configs/test/tiny_decoder.yaml" "$out/ssa_ft.yaml"
short=(train.steps=12 eval.every=6 checkpoint.every=0 log.every=1)
SSA_TRAIN=$bin "$src/scripts/run_table.sh" "$out/table" "$out/s0.yaml" "$out/ssa_ft.yaml" -- "${short[@]}"
again=$(SSA_TRAIN=$bin "$src/scripts/run_table.sh" "$out/table" "$out/s0.yaml" "$out/ssa_ft.yaml" -- "${short[@]}")
[ "$(grep -c 'finished earlier, kept' <<< "$again")" -eq 2 ] || { echo "finished runs were rerun: $again"; exit 1; }
/usr/bin/python3 - "$out/table/table.md" "$out/table/fig6.png" <<'PY'
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
# CUDA runs: M is the mean of cuda_peak_mb over train lines (the paper averages memory over
# training), neither the process RSS (equal here) nor the max: base mean(100, 300) = 200, other
# mean(50, 250) = 150 -> 0.75 (the max would give 0.83).
mkdir -p "$out/gpu_base" "$out/gpu_ssa"
for run in gpu_base:100:300 gpu_ssa:50:250; do
  IFS=: read -r name first second <<< "$run"
  for step in 1 2; do
    peak=$([ $step = 1 ] && echo "$first" || echo "$second")
    echo "{\"step\":$step,\"event\":\"train\",\"phase\":\"ssa\",\"flops\":1,\"step_time_s\":1,\"peak_rss_mb\":9000,\"cuda_peak_mb\":$peak}"
  done > "$out/$name/metrics.jsonl"
done
m=$(/usr/bin/python3 "$src/scripts/paper_table.py" "$out/gpu_base" "$out/gpu_ssa" | awk -F'|' '$2 ~ /gpu_ssa/ {gsub(/ /, "", $7); print $7}')
[ "$m" = "0.75" ] || { echo "CUDA memory ratio: expected 0.75, got '$m'"; exit 1; }
# A directory without metrics.jsonl is a one-line error, not a traceback.
if err=$(/usr/bin/python3 "$src/scripts/paper_table.py" "$out" 2>&1); then echo "expected failure"; exit 1; fi
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ $err == *"metrics.jsonl: no such file"* ]] || { echo "bad error: $err"; exit 1; }
echo ok
