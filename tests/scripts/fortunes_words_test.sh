#!/usr/bin/env bash
# The word-level corpus of reproduction set E (scripts/make_fortunes_words.py + prepare-data
# wikitext-103) comes out the same on every machine with the same fortunes package: the split
# sizes of that package's text, and the vocabulary its configs (configs/repro/words_t256_*.yaml,
# vocab_size 4920) expect, which both Debian versions' texts give. Args: SSA_TRAIN_BIN SOURCE_DIR.
set -euo pipefail
bin=$1 src=$2 out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
version=$(dpkg-query -W -f '${Version}' fortunes)
case $version in  # the train split and its token count, per package (2 fortunes fewer in Debian 13's)
  1:1.99.1-7.3) train="train: 4141 fortunes, 151795 words" tokens=155936 ;;  # Debian 12
  1:1.99.1-9) train="train: 4139 fortunes, 151900 words" tokens=156039 ;;    # Debian 13
  *) echo "fortunes $version: add its split and token count here" >&2; exit 1 ;;
esac
/usr/bin/python3 "$src/scripts/make_fortunes_words.py" "$out" --train-share 0.3 | tee "$out/make.log"
grep -qx "$train" "$out/make.log"
"$bin" prepare-data wikitext-103 --input "$out" --out "$out/prepared" | tee "$out/prepare.log"
grep -q "vocab_size 4920 " "$out/prepare.log"
grep -q "vocab_size: 4920" "$src/configs/repro/words_t256_s0.yaml"
# The <unk> replacement reached the token files: id 3 occurs, and no id is beyond the vocabulary.
/usr/bin/python3 - "$out/prepared/train.u32" "$tokens" <<'PY'
import sys
import numpy as np
ids = np.fromfile(sys.argv[1], np.uint32)
assert ids.size == int(sys.argv[2]), ids.size
assert (ids == 3).any() and ids.max() < 4920, (ids.max(), (ids == 3).sum())
PY
echo "fortunes word corpus: as the set E configs expect"
