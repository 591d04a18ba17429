#!/usr/bin/env bash
# Sweep throughput (docs/benchmarks.md): configs/sweeps/array-sizes.json (25 array shapes x 2
# designs on ResNet-18) with -j 2, a re-run of the finished sweep, and -- as the baseline in the
# same run -- the same 25 shapes as 25 separate `compare --timing-only` commands run one after
# another (what a user does without `sweep`). With --design-space, also
# configs/sweeps/design-space.json (608 points x 2 designs on ResNet-50, about 2 minutes).
# Prints a Markdown table: wall seconds, seconds per point, the stage shares, peak RSS.
# usage: bench/sweep.sh [build-dir] [--design-space]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
sim="$build/conlocnn-sim"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

row() {  # name spec dir wall rss
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
name, spec, d, wall, rss = sys.argv[1:6]
t = json.load(open(f"{d}/timing.json"))
st = t["stage_seconds_total"]
tot = sum(st.values()) or 1.0
n = t["points_run"]
share = " / ".join(f"{100 * st[k] / tot:.0f}" for k in ["compile", "plan", "simulate", "write"])
per = float(wall) / n if n else 0.0
print(f"| {name} | {n} | {float(wall):.2f} | {per:.3f} | {share} | {int(rss) / 1024:.0f} |")
PY
}

timed() {  # runs "$@", leaves wall seconds in $wall and peak RSS (KiB, largest process) in $rss
  /usr/bin/time -f '%e %M' -o "$out/time" "$@" > /dev/null
  read -r wall rss < "$out/time"
}

echo "| run | points run | wall s | wall s per point | compile / plan / simulate / write % of worker time | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
timed "$sim" sweep configs/sweeps/array-sizes.json --out "$out/a" -j 2
row "array-sizes.json, -j 2" x "$out/a" "$wall" "$rss"
timed "$sim" sweep configs/sweeps/array-sizes.json --out "$out/a" -j 2
echo "| array-sizes.json re-run (all finished) | 0 | $wall | - | - | $((rss / 1024)) |"

# Baseline: one `compare` process per shape, sequentially.
start=$(date +%s.%N)
for r in 8 16 32 64 128; do
  for c in 8 16 32 64 128; do
    "$sim" compare --workload resnet18 --timing-only --designs elp,fixed \
      --set array.rows=$r --set array.cols=$c \
      --out "$out/b-$r-$c" > /dev/null
  done
done
end=$(date +%s.%N)
base=$(/usr/bin/python3 -c "print(f'{$end - $start:.2f}')")
echo "| baseline: 25 x \`compare --timing-only\`, one after another | 25 | $base | $(/usr/bin/python3 -c "print(f'{$base / 25:.3f}')") | - | - |"

if [ "${2:-}" = "--design-space" ]; then
  timed "$sim" sweep configs/sweeps/design-space.json --out "$out/d" -j 2
  row "design-space.json, -j 2" x "$out/d" "$wall" "$rss"
fi
