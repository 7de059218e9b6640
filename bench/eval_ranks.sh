#!/usr/bin/env bash
# Wall time of `ssa-train eval` on 1 rank and on N ranks (torchrun-style variables on this host,
# run.threads=1 each), on an otherwise idle machine; checks that both print the same dense and
# largest-ensemble loss (relative 1e-6) and prints one markdown row for docs/benchmarks.md.
#   bench/eval_ranks.sh CONFIG.yaml CHECKPOINT [N (default 2)] [-- key=value ...]
# SSA_TRAIN (default build/ssa-train) names the binary; MASTER_PORT (default 29640) the port.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${SSA_TRAIN:-$here/../build/ssa-train}
[ $# -ge 2 ] || { echo "usage: $0 CONFIG.yaml CHECKPOINT [N] [-- key=value ...]" >&2; exit 2; }
config=$1 checkpoint=$2
shift 2
world=2
if [ $# -gt 0 ] && [ "$1" != "--" ]; then world=$1; shift; fi
[ "${1:-}" = "--" ] && shift
overrides=("run.threads=1" "$@")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Runs `ranks` processes of eval; rank 0's stdout goes to $out/<ranks>.jsonl; prints the seconds.
run_eval() {
  local ranks=$1 start end pids=()
  start=$EPOCHREALTIME
  for ((r = 0; r < ranks; r++)); do
    RANK=$r LOCAL_RANK=$r WORLD_SIZE=$ranks MASTER_ADDR=127.0.0.1 MASTER_PORT=${MASTER_PORT:-29640} \
      "$bin" eval "$config" --checkpoint "$checkpoint" "${overrides[@]}" > "$out/$ranks.$r.jsonl" 2> "$out/$ranks.$r.err" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { cat "$out"/"$ranks".*.err >&2; exit 1; }; done
  end=$EPOCHREALTIME
  cp "$out/$ranks.0.jsonl" "$out/$ranks.jsonl"
  /usr/bin/python3 -c "print($end - $start)"
}

one=$(run_eval 1)
many=$(run_eval "$world")
/usr/bin/python3 - "$out/1.jsonl" "$out/$world.jsonl" "$one" "$many" "$world" "$config" << 'EOF'
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
one, many, world, config = float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
for x, y in ((a[0], b[0]), (a[-1], b[-1])):
    if abs(x["loss"] - y["loss"]) > 1e-6 * abs(x["loss"]):
        sys.exit(f"eval_ranks.sh: {x['mode']} loss differs: {x['loss']} (1 rank) vs {y['loss']} ({world} ranks)")
print("| config | targets | ensemble | 1 rank (s) | %s ranks (s) | speed-up |" % world)
print("|---|---:|---:|---:|---:|---:|")
print(f"| {config} | {a[0]['targets']} | {a[-1]['samples']} | {one:.1f} | {many:.1f} | {one / many:.2f}x |")
EOF
