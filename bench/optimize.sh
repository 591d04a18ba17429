#!/usr/bin/env bash
# `conlocnn-sim optimize --max-top1-drop 0.5` on the residual Fashion-MNIST CNN (its defaults:
# both families, fixed point 2-8 and ELP_BSD v2 3-8, validation and test the two halves of the test
# split, 500 calibration images), and
# in the same run the `accuracy` evaluation of its uniform designs alone as the yardstick: the
# search costs the uniform table plus its sensitivity and verification designs. Prints the wall
# times and what optimize measured and chose. Usage: bench/optimize.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sim="$build/conlocnn-sim"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

/usr/bin/time -f '%e' -o "$out/opt.time" "$sim" optimize --max-top1-drop 0.5 --out "$out/opt" \
  > /dev/null 2> "$out/opt.err"
# The uniform designs as accuracy names them: each design once, with every compensation searched.
read -r formats comps < <(/usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
names = dict.fromkeys(u['design'].split('@')[0] for u in d['uniform'])
print(','.join(names), ','.join(d['families'][0]['compensations']))" "$out/opt/optimize.json")
/usr/bin/time -f '%e' -o "$out/acc.time" "$sim" accuracy --formats "$formats" \
  --compensation "$comps" --activation-bits 8 --images test:0-4999 \
  --out "$out/acc" > /dev/null 2> "$out/acc.err"
/usr/bin/python3 - "$out/opt/optimize.json" "$(cat "$out/opt.time")" "$(cat "$out/acc.time")" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
opt_s, acc_s = float(sys.argv[2]), float(sys.argv[3])
c = d["chosen"]["validation"]
print("| run | designs | wall s |")
print("|---|---|---|")
print(f"| accuracy of the uniform designs on the validation images (yardstick) | {len(d['uniform'])} | {acc_s:.1f} |")
n = len(d['sensitivity']) + len(d['families']) + len(d['uniform']) + len(d['verified'])
print(f"| optimize (sensitivity with the widest PEs' own, uniform, verified) | {n} | {opt_s:.1f} |")
print(f"\nchosen {c['design']}: {c['energy_pj'] / 1e6:.3f} uJ, validation top-1 {100 * c['top1']:.2f} %;"
      f" energy vs best uniform {d['energy_vs_best_uniform']:.3f}, vs best uniform fixed"
      f" {d['energy_vs_best_uniform_fixed']:.3f}, vs best fixed-point mix"
      f" {d['energy_vs_best_fixed_mixed']:.3f}")
PY
