#!/usr/bin/env bash
# tests/golden/gate.py on a throwaway repository: a golden whose fields moved is refused until
# its effect note is updated in the same change, names every moved field, and says why.
set -euo pipefail
gate=$(realpath "$(dirname "$0")/gate.py")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q . && git config user.email t@t && git config user.name t
mkdir -p tests/golden
cp "$(dirname "$gate")/check.py" tests/golden/ 2>/dev/null || true
echo '{"summary": {"energy_pj": 100.0, "cycles": 7}, "layers": [{"energy_pj": 1.0}]}' > tests/golden/g.json
printf 'moved: summary.energy_pj\nwhy: the first version\n' > tests/golden/g.effect
git add -A && git commit -qm init
fail() { echo "FAIL: $*" >&2; exit 1; }
echo '{"summary": {"energy_pj": 100.0, "cycles": 7}, "layers": [{"energy_pj": 1.0}]}' > same.json
/usr/bin/python3 "$gate" g same.json > out.txt || fail "an unchanged golden was refused: $(cat out.txt)"
echo '{"summary": {"energy_pj": 101.0, "cycles": 7}, "layers": [{"energy_pj": 2.0}]}' > new.json
# The note unchanged since the commit: refused, naming the fields.
! /usr/bin/python3 "$gate" g new.json > out.txt || fail "accepted with the committed note"
grep -q 'unchanged since the last commit' out.txt || fail "no reason given: $(cat out.txt)"
grep -q 'summary.energy_pj layers\[0\].energy_pj' out.txt || fail "moved fields not listed: $(cat out.txt)"
# Updated, but one moved field not covered: refused.
printf 'moved: summary.energy_pj\nwhy: a new DRAM figure\n' > tests/golden/g.effect
echo >> tests/golden/g.effect
! /usr/bin/python3 "$gate" g new.json > out.txt || fail "accepted with a field not covered"
grep -q 'do not cover layers\[0\].energy_pj' out.txt || fail "the uncovered field not named: $(cat out.txt)"
# Covered but no why: refused.
printf 'moved: summary.energy_pj layers[*].energy_pj\nwhy:\n' > tests/golden/g.effect
! /usr/bin/python3 "$gate" g new.json > out.txt || fail "accepted without a why"
# Covered with a why: accepted.
printf 'moved: summary.energy_pj layers[*].energy_pj\nwhy: a new DRAM figure\n' > tests/golden/g.effect
/usr/bin/python3 "$gate" g new.json > out.txt || fail "refused a described change: $(cat out.txt)"
echo "gate ok"
