#!/usr/bin/env bash
# The bad-config corpus through the real binary (tests/configs/bad/README.md): for every case of
# expected.tsv, `ssa-train check NAME.yaml` exits 2, prints nothing on stdout and exactly one
# line on stderr, "ssa-train: error: ...", containing the expected text; and no case writes a
# file. config_test checks the same messages in-process; this checks what a user sees.
# Args: BINARY SOURCE_DIR
set -uo pipefail
binary=$1 src=$2
corpus=$src/tests/configs/bad
work=$(mktemp -d /tmp/ssa-bad-configs.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0 cases=0
while IFS=$'\t' read -r name expected; do
  [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
  cases=$((cases + 1))
  "$binary" check "$corpus/$name" >"$work/.out" 2>"$work/.err"
  status=$?
  err=$(cat "$work/.err")
  problem=""
  [ "$status" -eq 2 ] || problem="exit $status, expected 2"
  [ -s "$work/.out" ] && problem="$problem; wrote to stdout"
  [ "$(wc -l <"$work/.err")" -eq 1 ] || problem="$problem; $(wc -l <"$work/.err") lines on stderr"
  [[ $err == "ssa-train: error: "* ]] || problem="$problem; does not start with 'ssa-train: error: '"
  [[ $err == *"$expected"* ]] || problem="$problem; does not contain '$expected'"
  if [ -n "$problem" ]; then
    echo "FAIL $name: ${problem#; }"
    echo "  stderr: $err"
    failures=$((failures + 1))
  fi
done <"$corpus/expected.tsv"
rm -f "$work/.out" "$work/.err"
left=$(find "$work" -mindepth 1 | head -5)
[ -z "$left" ] || { echo "FAIL: the checks wrote files: $left"; failures=$((failures + 1)); }
[ "$cases" -ge 80 ] || { echo "FAIL: only $cases cases read from expected.tsv"; failures=$((failures + 1)); }
echo "$cases cases, $failures failures"
[ "$failures" -eq 0 ]
