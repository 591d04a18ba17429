#!/bin/bash
# A/B speed comparison of two builds in the same minutes (this machine is shared and noisy:
# compare only figures measured side by side). Runs each build's conlocnn-sim alternately, with
# the compile cache warm (one untimed run of each first): the array-sizes sweep five times, the
# design-space sweep twice, ResNet-50 timing-only and functional three times; prints each run's
# wall time and stages.
#
# usage: bench/ab.sh BUILD_A BUILD_B     (e.g. a worktree of an older commit's build/, and build/)
#   git worktree add /tmp/base <commit> && cmake -S /tmp/base -B /tmp/base/build \
#     -DCMAKE_BUILD_TYPE=Release && cmake --build /tmp/base/build -j2 --target conlocnn-sim
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: bench/ab.sh BUILD_A BUILD_B" >&2; exit 2; }
cd "$(dirname "$0")/.."
builds=("$1" "$2")
for b in "${builds[@]}"; do
  [ -x "$b/conlocnn-sim" ] || { echo "bench/ab.sh: $b/conlocnn-sim not found" >&2; exit 2; }
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sweep() {  # BUILD SPEC: the sweep's summary line, less its point counts
  rm -rf "$out/s"
  "$1/conlocnn-sim" sweep "configs/sweeps/$2.json" -j 2 --out "$out/s" 2>&1 | tail -1 |
    sed 's/.*design);//'
}
for b in "${builds[@]}"; do  # warm the compile cache
  sweep "$b" array-sizes > /dev/null
  sweep "$b" design-space > /dev/null
done
for _ in 1 2 3 4 5; do
  for b in "${builds[@]}"; do echo "array-sizes  $b $(sweep "$b" array-sizes)"; done
done
for _ in 1 2; do
  for b in "${builds[@]}"; do echo "design-space $b $(sweep "$b" design-space)"; done
done
for _ in 1 2 3; do
  for b in "${builds[@]}"; do
    for mode in --timing-only ""; do
      rm -rf "$out/r"
      /usr/bin/time -f "resnet50 ${mode:-functional} $b %e s" \
        "$b/conlocnn-sim" run --workload resnet50 $mode --out "$out/r" 2>&1 | tail -1
    done
  done
done
