#!/usr/bin/env bash
# Regenerates the end-to-end regression goldens in tests/golden/ from the current build. A golden
# whose figures moved is rewritten only if the same change updates its effect note
# (tests/golden/NAME.effect: the fields that moved, as patterns, and why; tests/golden/gate.py
# checks it against the committed note), so running this script cannot bake in a change nobody
# described. Nothing is written unless every golden passes the gate. docs/testing.md.
# usage: scripts/update-golden.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
refused=0
while read -r name args; do
  [ -z "$name" ] && continue
  # shellcheck disable=SC2086
  "$build/conlocnn-sim" run $args --out "$tmp/$name" > /dev/null
  /usr/bin/python3 tests/golden/extract.py "$tmp/$name" > "$tmp/$name.json"
  /usr/bin/python3 tests/golden/gate.py "$name" "$tmp/$name.json" || refused=1
done < tests/golden/cases.txt
if [ "$refused" -ne 0 ]; then
  echo "update-golden: nothing written" >&2
  exit 1
fi
while read -r name args; do
  [ -z "$name" ] && continue
  if ! cmp -s "$tmp/$name.json" "tests/golden/$name.json"; then
    cp "$tmp/$name.json" "tests/golden/$name.json"
    echo "tests/golden/$name.json"
  fi
done < tests/golden/cases.txt
