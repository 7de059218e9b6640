#!/usr/bin/env bash
# Runs a set of configs into OUT/<config stem>/ (the baseline, normally the dense S0 row, first),
# then prints the paper's table layout (scripts/paper_table.py) to OUT/table.md and draws Fig. 6
# (scripts/plot_curves.py) to OUT/fig6.png. A finished run is not rerun; an interrupted one resumes
# from its newest checkpoint, so the same command continues after a kill.
#
#   scripts/run_table.sh OUT CONFIG.yaml... [-- dotted.key=value ...]   (overrides apply to every run)
#
# SSA_TRAIN (default build/ssa-train) names the binary; PYTHON (default /usr/bin/python3) the python.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${SSA_TRAIN:-$here/../build/ssa-train}
python=${PYTHON:-/usr/bin/python3}
[ $# -ge 2 ] || { echo "usage: $0 OUT CONFIG.yaml... [-- key=value ...]" >&2; exit 2; }
out=$1; shift
configs=() overrides=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; overrides=("$@"); break; fi
  configs+=("$1"); shift
done
mkdir -p "$out"
runs=()
for config in "${configs[@]}"; do
  run="$out/$(basename "${config%.yaml}")"
  runs+=("$run")
  if [ -f "$run/finished" ]; then echo "$run: finished earlier, kept"; continue; fi
  echo "$run: training ($config)"
  "$bin" "$config" "run.dir=$run" "${overrides[@]}" > "$run.stdout" 2>&1 || {
    echo "$run: ssa-train failed, see $run.stdout" >&2; exit 1; }
  touch "$run/finished"
done
"$python" "$here/paper_table.py" "${runs[@]}" | tee "$out/table.md"
"$python" "$here/plot_curves.py" "$out/fig6.png" "${runs[@]}"
echo "wrote $out/table.md, $out/fig6.png (+ .txt legend)"
