#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UndefinedBehaviorSanitizer (gcc) in build-asan/, runs
# the whole test suite under it, then the README's main job and a compare and a sweep on the
# sanitized binary. Any sanitizer report fails (-fno-sanitize-recover). docs/robustness.md.
# usage: scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONLOCNN_SANITIZE=ON > /dev/null
cmake --build build-asan -j2 > /dev/null
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
# The fuzz test builds its own (clang) tree; it is not part of this run.
ctest --test-dir build-asan -j2 --output-on-failure -E '^Fuzz\.'
sim=build-asan/conlocnn-sim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$sim" run --out "$out/run" > /dev/null
"$sim" compare --workload workloads/fmnist_cnn/network.json --out "$out/compare" > /dev/null
"$sim" sweep configs/sweeps/array-sizes.json --out "$out/sweep" -j 2 > /dev/null
echo "sanitize: test suite and end-to-end commands clean under ASan + UBSan"
