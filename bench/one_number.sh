#!/usr/bin/env bash
# One number per question (issue #23's goal, docs/benchmarks.md): the same design on the same
# workload gets the same energy whichever command asks. For ResNet-18, ResNet-50 and MobileNet-V2
# on a 16x16 weight-stationary and a 32x32 output-stationary array, designs elp5, elp5v2, fixed5,
# fixed8 and elp5 with buffers used whole where the mapper chooses (mapping.buffering = any, its
# mappings' own path through the mapper and planner): `run` (functional), `run --timing-only`, `compare --timing-only` (the four designs
# side by side) and one `sweep` over both arrays (timing-only). Prints, per (network, array,
# design), the energy and MAC energy of the functional run and the largest relative difference
# of any other command's energy_pj and mac_pj from it, then every zoo network on both arrays with
# the default design (run vs run --timing-only). Exits 1 if any difference is not zero.
# usage: bench/one_number.sh [build-dir]      (several minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sim=$(realpath "$build/conlocnn-sim")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
designs=(elp5 elp5v2 fixed5 fixed8 elp5@mapping.buffering=any)
arrays=("16 ws" "32 os")

for net in resnet18 resnet50 mobilenet_v2; do
  for a in "${arrays[@]}"; do
    set -- $a
    sets=(--set array.rows=$1 --set array.cols=$1 --set array.dataflow=$2)
    for d in "${designs[@]}"; do
      "$sim" run --workload $net --design $d "${sets[@]}" --out "$out/f-$net-$1-$d" > /dev/null
      "$sim" run --workload $net --design $d "${sets[@]}" --timing-only \
        --out "$out/t-$net-$1-$d" > /dev/null
    done
    "$sim" compare --workload $net --designs "$(IFS=,; echo "${designs[*]}")" "${sets[@]}" \
      --timing-only --out "$out/c-$net-$1" > /dev/null
  done
done
cat > "$out/spec.json" <<JSON
{"workloads": ["resnet18", "resnet50", "mobilenet_v2"],
 "designs": ["elp5", "elp5v2", "fixed5", "fixed8", "elp5@mapping.buffering=any"],
 "zip": [{"array.rows": [16, 32], "array.cols": [16, 32], "array.dataflow": ["ws", "os"]}]}
JSON
"$sim" sweep "$out/spec.json" --out "$out/sweep" -j 2 > /dev/null

/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
# sweep.json: the rows at full precision (sweep.csv prints 6 significant digits, as layers.csv)
sweep = {(r["workload"], str(r["array.rows"]), r["design_spec"]): r
         for r in json.load(open(f"{out}/sweep/sweep.json"))["rows"]}
worst = 0.0
print("| network | array | design | energy mJ | MAC uJ | run --timing-only | compare | sweep |")
print("|---|---|---|---|---|---|---|---|")
for net in ["resnet18", "resnet50", "mobilenet_v2"]:
    for rows, df in [("16", "ws"), ("32", "os")]:
        for d in ["elp5", "elp5v2", "fixed5", "fixed8", "elp5@mapping.buffering=any"]:
            f = json.load(open(f"{out}/f-{net}-{rows}-{d}/summary.json"))
            others = {
                "timing": json.load(open(f"{out}/t-{net}-{rows}-{d}/summary.json")),
                "compare": json.load(open(f"{out}/c-{net}-{rows}/{d}/summary.json")),
                "sweep": sweep[(net, rows, d)],
            }
            cells = []
            for k, o in others.items():
                diff = max(abs(float(o["energy_pj"]) / f["energy_pj"] - 1),
                           abs(float(o["mac_pj"]) / f["mac_pj"] - 1))
                worst = max(worst, diff)
                cells.append("equal" if diff == 0 else f"{100 * diff:.2g} %")
            print(f"| {net} | {rows}x{rows} {df} | {d} | {f['energy_pj'] * 1e-9:.4f} | "
                  f"{f['mac_pj'] * 1e-6:.2f} | " + " | ".join(cells) + " |")
print(f"\nlargest difference from the functional run: {100 * worst:.3g} %")
sys.exit(0 if worst == 0 else 1)
PY

echo
echo "| zoo network | array | run energy mJ | timing-only: energy | MAC |"
echo "|---|---|---|---|---|"
status=0
for net in resnet18 resnet34 resnet50 vgg16 alexnet mobilenet_v1 mobilenet_v2 lenet5 tinycnn; do
  for a in "${arrays[@]}"; do
    set -- $a
    sets=(--set array.rows=$1 --set array.cols=$1 --set array.dataflow=$2)
    "$sim" run --workload $net "${sets[@]}" --out "$out/zf" > /dev/null
    "$sim" run --workload $net "${sets[@]}" --timing-only --out "$out/zt" > /dev/null
    /usr/bin/python3 - "$out" "$net" "$1x$1 $2" <<'PY' || status=1
import json, sys
out, net, arr = sys.argv[1:4]
f = json.load(open(f"{out}/zf/summary.json"))
t = json.load(open(f"{out}/zt/summary.json"))
de = t["energy_pj"] / f["energy_pj"] - 1
dm = t["mac_pj"] / f["mac_pj"] - 1
cell = lambda d: "equal" if d == 0 else f"{100 * d:+.2g} %"
print(f"| {net} | {arr} | {f['energy_pj'] * 1e-9:.4f} | {cell(de)} | {cell(dm)} |")
sys.exit(0 if de == 0 and dm == 0 else 1)
PY
  done
done
exit $status
