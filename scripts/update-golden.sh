#!/usr/bin/env bash
# Regenerates the end-to-end regression goldens in tests/golden/ from the current build. Run it
# only when a change to the model's figures is intended, and say in the commit why they changed.
# usage: scripts/update-golden.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
while read -r name args; do
  [ -z "$name" ] && continue
  # shellcheck disable=SC2086
  "$build/conlocnn-sim" run $args --out "$tmp/$name" > /dev/null
  /usr/bin/python3 tests/golden/extract.py "$tmp/$name" > "tests/golden/$name.json"
  echo "tests/golden/$name.json"
done < tests/golden/cases.txt
