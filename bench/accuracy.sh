#!/usr/bin/env bash
# The whole accuracy table of the residual Fashion-MNIST CNN (`conlocnn-sim accuracy` with its
# defaults: float, fixed8/6/5/4/3 and every ELP_BSD preset x every compensation with 8-bit
# activations, plus a 4-bit-activation row per format; 10,000 test images, 500 calibration
# images) on all cores; and, in the same run, one variant alone as the yardstick (the table's
# cost per variant should be close to it). Usage: bench/accuracy.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sim="$build/conlocnn-sim"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() {  # name, then accuracy options; prints "wall_s variants images"
  /usr/bin/time -f '%e' -o "$out/$1.time" "$sim" accuracy --out "$out/$1" "${@:2}" \
    > /dev/null 2> "$out/$1.err"
  /usr/bin/python3 - "$out/$1/accuracy.json" "$(cat "$out/$1.time")" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
q = [r for r in d["results"] if r["kind"] != "float"]
print(sys.argv[2], len(q), q[0]["images"])
PY
}

read -r one_s one_n images < <(run one --formats fixed8 --compensation none --activation-bits 8)
read -r all_s all_n _ < <(run table)
echo "| run | variants (+ float) | images | wall s | s per variant |"
echo "|---|---|---|---|---|"
echo "| one variant (fixed8, no compensation) | $one_n | $images | $one_s | $one_s |"
/usr/bin/python3 -c "import sys; a,n=float(sys.argv[1]),int(sys.argv[2]); print(f'| whole table | {n} | {sys.argv[3]} | {a:.1f} | {a/n:.2f} |')" "$all_s" "$all_n" "$images"
