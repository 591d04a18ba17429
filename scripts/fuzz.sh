#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and runs each for the
# given seconds, seeded from the shipped files (configs, networks, weights, sweep specs). A finding
# (crash, sanitizer report, non-UserError exception, timeout) fails the script and leaves the
# input in <build folder>/findings/. Prints executions and coverage per target (docs/robustness.md).
# usage: scripts/fuzz.sh [seconds per target, default 20] [build folder, default build-fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
bdir=${2:-build-fuzz}
if ! command -v clang++ > /dev/null; then
  echo "fuzz: clang++ not found (scripts/install-deps.sh installs it); skipped" >&2
  exit 77
fi
cmake -S . -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DCONLOCNN_FUZZ=ON > /dev/null
cmake --build "$bdir" -j2 > /dev/null
bdir=$(cd "$bdir" && pwd)
mkdir -p "$bdir/findings"
corpus() {  # target -> seed folder (a fresh copy, so runs do not grow the repository)
  local d="$bdir/corpus-$1"
  rm -rf "$d" && mkdir -p "$d"
  case $1 in
    config) for f in configs/presets/*.json; do (echo "array.rows=16"; cat "$f") > "$d/$(basename "$f")"; done ;;
    network_json) cp workloads/*.json workloads/fmnist_cnn/network.json "$d/" 2> /dev/null || true ;;
    npy) cp workloads/fmnist_cnn/weights/conv1.*.npy workloads/fmnist_cnn/test_labels.npy "$d/" ;;
    sweep_spec) cp configs/sweeps/*.json "$d/" ;;
    topology_csv) cp workloads/topologies/*.csv "$d/" ;;
    scalesim_cfg) cp tests/data/scalesim-v2/*.cfg "$d/" ;;
    idx)  # a 1 x 2 x 2 image file, a 1-label file, and the image file gzipped
      printf '\0\0\x08\x03\0\0\0\x01\0\0\0\x02\0\0\0\x02\x01\x02\x03\x04' > "$d/images"
      printf '\0\0\x08\x01\0\0\0\x01\x07' > "$d/labels"
      gzip -c "$d/images" > "$d/images.gz" ;;
    onnx) /usr/bin/python3 tests/fuzz/onnx_seeds.py "$d" ;;
  esac
  echo "$d"
}
status=0
for t in config network_json npy sweep_spec topology_csv scalesim_cfg idx onnx; do
  seeds=$(corpus "$t")
  log="$bdir/fuzz_$t.log"
  if (cd "$bdir" && ./fuzz_$t -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
        -max_len=4096 -artifact_prefix=findings/"$t"- "$seeds") > "$log" 2>&1; then
    result=ok
  else
    result=FINDING
    status=1
  fi
  stats=$(grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -1 | sed -E 's/.*#([0-9]+).*cov: ([0-9]+).*/\1 runs, coverage \2/')
  echo "fuzz_$t: $result ($stats in ${secs} s)"
  [ "$result" = ok ] || tail -20 "$log"
done
exit $status
