#!/usr/bin/env bash
# Whole ResNet-50 (224x224) on 16x16 and 32x32 arrays: timing+energy only (one core, and both
# cores: the compiler quantizes layers on two threads) and bit-exact functional runs (one core),
# with wall time, simulated MACs per second and peak memory; and,
# in the same run, a plain int8 GEMM of the same layers as the yardstick for the simulator's own
# overhead. Usage: bench/resnet50.sh [build-dir]   (prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sim="$build/conlocnn-sim"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

gemm=$(taskset -c 0 "$build/bench/gemm_baseline" resnet50)
gemm_s=$(/usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])['seconds'])" "$gemm")
echo "plain int8 GEMM of ResNet-50's layers (one core): $gemm"
echo
echo "| array | mode | wall s | simulated GMAC/s | peak RSS MiB | wall / plain GEMM | bit-exact |"
echo "|---|---|---|---|---|---|---|"
for dims in 16 32; do
  for mode in timing timing-2cores functional; do
    flags=()
    pin=(taskset -c 0)
    [ "$mode" != functional ] && flags+=(--timing-only)
    [ "$mode" = timing-2cores ] && pin=()
    dir="$out/$dims-$mode"
    /usr/bin/time -f '%e %M' -o "$out/rss" "${pin[@]}" "$sim" run --workload resnet50 \
      --set array.rows=$dims --set array.cols=$dims "${flags[@]}" --out "$dir" > /dev/null
    /usr/bin/python3 - "$dir/summary.json" "$out/rss" "$gemm_s" "$dims" "$mode" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
wall_s, rss_kib = open(sys.argv[2]).read().split()[-2:]
rss_mib = int(rss_kib) / 1024
wall = float(wall_s)  # the whole process, start to exit
print(f"| {sys.argv[4]}x{sys.argv[4]} | {sys.argv[5]} | {wall:.2f} | {s['macs'] / wall / 1e9:.2f} | "
      f"{rss_mib:.0f} | {wall / float(sys.argv[3]):.1f} | {s['bit_exact']} |")
PY
  done
done
