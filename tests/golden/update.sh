#!/usr/bin/env bash
# Regenerates the golden loss curves of tests/integration/golden_test.cpp from the tiny test
# configs (one per model family), after a change that is meant to alter training numerics.
#   tests/golden/update.sh [BUILD_DIR]   (default build)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build}/ssa-train
for name in tiny_decoder tiny_pixels tiny_swin tiny_egt; do
  run=$(mktemp -d)
  "$bin" "configs/test/$name.yaml" "run.dir=$run" checkpoint.every=0 eval.every=0 run.threads=1 > /dev/null 2>&1
  golden=tests/golden/$name.jsonl
  if [ "$name" = tiny_egt ]; then  # per RDKit release (golden_test.cpp): rdkit-2022.09 on Debian 12
    release=$(/usr/bin/python3 -c 'from rdkit import rdBase; print(".".join(rdBase.rdkitVersion.split(".")[:2]))')
    golden=tests/golden/$name.rdkit-$release.jsonl
  fi
  /usr/bin/python3 - "$run/metrics.jsonl" > "$golden" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m["event"] == "train":
        print(json.dumps({"step": m["step"], "loss": m["loss"]}, separators=(",", ":")))
    else:
        print(json.dumps({"step": m["step"], "valid_loss": m["valid_loss"]}, separators=(",", ":")))
PY
  rm -rf "$run"
  echo "$golden: $(wc -l < "$golden") lines"
done
