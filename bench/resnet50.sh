#!/usr/bin/env bash
# Whole ResNet-50 (224x224) on 16x16 and 32x32 arrays: timing+energy only (one core, and both
# cores: the compiler quantizes layers on two threads) and bit-exact functional runs (one core),
# each with the mapper (mapping.search=full, the default) and with the fixed greedy rule, with wall
# time, plan time, simulated latency, simulated MACs per second and peak memory; and,
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
echo "| array | mode | mapping | wall s | plan s | simulated ms | simulated GMAC/s | peak RSS MiB | wall / plain GEMM | bit-exact |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for dims in 16 32; do
  for mode in timing timing-2cores functional; do
   for search in full greedy; do
    flags=()
    pin=(taskset -c 0)
    [ "$mode" != functional ] && flags+=(--timing-only)
    [ "$mode" = timing-2cores ] && pin=()
    dir="$out/$dims-$mode-$search"
    /usr/bin/time -f '%e %M' -o "$out/rss" "${pin[@]}" "$sim" run --workload resnet50 \
      --set array.rows=$dims --set array.cols=$dims --set mapping.search=$search "${flags[@]}" \
      --out "$dir" > /dev/null
    /usr/bin/python3 - "$dir/summary.json" "$out/rss" "$gemm_s" "$dims" "$mode" "$search" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
wall_s, rss_kib = open(sys.argv[2]).read().split()[-2:]
rss_mib = int(rss_kib) / 1024
wall = float(wall_s)  # the whole process, start to exit
print(f"| {sys.argv[4]}x{sys.argv[4]} | {sys.argv[5]} | {sys.argv[6]} | {wall:.2f} | "
      f"{s['wall_seconds_by_stage']['plan']:.2f} | {s['latency_s'] * 1e3:.1f} | "
      f"{s['macs'] / wall / 1e9:.2f} | {rss_mib:.0f} | {wall / float(sys.argv[3]):.1f} | "
      f"{s['bit_exact']} |")
PY
   done
  done
done
