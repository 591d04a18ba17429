#!/usr/bin/env bash
# End-to-end tests of `sweep` and `sweep-merge` as a user runs them: determinism across worker
# counts, resume, changed specs, failing and infeasible points, shards under GNU parallel,
# interruption. usage: sweep_test.sh SIM CASE
set -euo pipefail
sim=$(realpath "$1")
case=$2
repo=$(realpath "$(dirname "$0")/../..")
work=$(mktemp -d "${TMPDIR:-/tmp}/conloc-sweep-XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# A small spec: 2 x 2 x 2 = 8 points on tinycnn, both designs.
cat > small.json <<'JSON'
{
  "workloads": ["tinycnn"],
  "designs": ["elp", "fixed"],
  "axes": {"array.rows": [4, 8], "array.cols": [4, 8], "array.dataflow": ["ws", "os"]}
}
JSON

rows() { tail -n +2 "$1" | wc -l; }

case $case in
determinism)
  "$sim" sweep small.json --out a -j 1 > /dev/null
  "$sim" sweep small.json --out b -j 2 > /dev/null
  cmp a/sweep.csv b/sweep.csv || fail "sweep.csv differs between -j 1 and -j 2"
  cmp a/sweep.json b/sweep.json || fail "sweep.json differs between -j 1 and -j 2"
  [ "$(rows a/sweep.csv)" -eq 16 ] || fail "expected 16 rows (8 points x 2 designs)"
  # The array does not change the weights: one compile per design, not per point.
  grep -q '"networks_compiled": 2,' b/timing.json || fail "compiled more than once per design: $(cat b/timing.json)"
  head -1 a/sweep.csv | grep -q '^point,workload,array.rows,array.cols,array.dataflow,design_spec,design,' ||
    fail "swept parameters are not columns: $(head -1 a/sweep.csv)"
  # Every row has its ratios to the baseline (the last design, fixed) at its point.
  /usr/bin/python3 - a/sweep.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by_point = {}
for r in rows:
    by_point.setdefault(r["point"], {})[r["design_spec"]] = r
for p, d in by_point.items():
    b = d["fixed"]
    for r in d.values():
        assert r["baseline"] == "fixed", r
        for k, f in (("energy", lambda x: float(x["energy_pj"])),
                     ("latency", lambda x: float(x["latency_s"])),
                     ("edp", lambda x: float(x["energy_pj"]) * float(x["latency_s"]))):
            got, want = float(r[k + "_vs_baseline"]), f(r) / f(b)
            assert abs(got / want - 1) < 1e-5, (p, k, got, want)
        assert r["status"] == "ok" and r["feasible"] == "true", r
print("ratios ok")
PY
  ;;
resume)
  "$sim" sweep small.json --out a -j 2 > /dev/null
  cp a/sweep.csv first.csv
  stamp=$(stat -c %Y.%N a/points/p0003/point.json)
  out=$("$sim" sweep small.json --out a -j 2)
  echo "$out" | grep -q '8 finished, 0 to run' || fail "re-run did not skip: $out"
  [ "$(stat -c %Y.%N a/points/p0003/point.json)" = "$stamp" ] || fail "finished point rewritten"
  cmp first.csv a/sweep.csv || fail "sweep.csv changed on resume"
  rm -rf a/points/p0005
  out=$("$sim" sweep small.json --out a)
  echo "$out" | grep -q '7 finished, 1 to run' || fail "lost point not re-run: $out"
  cmp first.csv a/sweep.csv || fail "re-run point differs"
  ;;
changed-spec)
  "$sim" sweep small.json --out a > /dev/null
  sed 's/\[4, 8\], "array.cols"/[4, 16], "array.cols"/' small.json > changed.json
  set +e
  err=$("$sim" sweep changed.json --out a 2>&1 >/dev/null)
  code=$?
  set -e
  [ $code -eq 2 ] || fail "changed spec into old folder: exit $code, expected 2"
  echo "$err" | grep -q 'different sweep spec' || fail "no clear message: $err"
  echo "$err" | grep -q -- '--force' || fail "message does not mention --force: $err"
  "$sim" sweep changed.json --out a --force > /dev/null
  grep -q ',16,' a/sweep.csv || fail "--force did not run the new spec"
  [ "$(rows a/sweep.csv)" -eq 16 ] || fail "old points mixed into the new results"
  ;;
batch-failure)
  # A worker simulates a batch of points in one kernel (-j 1 on 8 points: batches of 2). When the
  # batch's simulation fails, each of its points runs again alone: only the failing point is
  # recorded as failed, and its batch partner finishes.
  set +e
  CONLOCNN_SWEEP_FAIL_POINT=p0002 "$sim" sweep small.json --out a -j 1 > out.txt 2>&1
  code=$?
  set -e
  [ $code -eq 1 ] || fail "a failed point must make the exit code 1, got $code: $(cat out.txt)"
  "$sim" sweep small.json --out clean -j 2 > /dev/null
  /usr/bin/python3 - a/sweep.csv clean/sweep.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
clean = {(r["point"], r["design"]): r for r in csv.DictReader(open(sys.argv[2]))}
assert len(rows) == 16, len(rows)
for r in rows:
    if r["point"] == "p0002":
        assert r["status"] == "failed" and "injected failure at point p0002" in r["error"], r
    else:
        want = clean[(r["point"], r["design"])]
        assert r["status"] == "ok", r
        assert (r["energy_pj"], r["cycles"]) == (want["energy_pj"], want["cycles"]), (r, want)
print("a failed batch's other points rerun alone and finished")
PY
  ;;
failure-and-infeasible)
  # A trained workload with one weight file missing fails to compile: its points are recorded as
  # failed; the other workload's points still run. A 1 KiB output buffer cannot hold one row of
  # psums of the wide network: those rows are infeasible, not failures.
  cp -r "$repo/workloads/fmnist_cnn" broken
  rm broken/weights/conv3.weight.npy
  cat > wide.json <<'JSON'
{"name": "wide", "input": [4, 300, 8],
 "layers": [{"name": "c1", "type": "conv", "out_channels": 8, "kernel": 3, "pad": 1}]}
JSON
  cat > f.json <<'JSON'
{
  "workloads": ["wide.json", "broken/network.json"],
  "designs": ["elp", "fixed"],
  "set": {"dram.burst_bytes": 64},
  "axes": {"buffers.output_kib": [1, 8]}
}
JSON
  set +e
  "$sim" sweep f.json --out a -j 2 > out.txt 2>&1
  code=$?
  set -e
  [ $code -eq 1 ] || fail "a failed point must make the exit code 1, got $code: $(cat out.txt)"
  /usr/bin/python3 - a/sweep.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 8, len(rows)
wide = [r for r in rows if r["workload"].endswith("wide.json")]
broken = [r for r in rows if "broken" in r["workload"]]
assert all(r["status"] == "failed" and "conv3.weight.npy" in r["error"] for r in broken), broken
small = [r for r in wide if r["buffers.output_kib"] == "1"]
big = [r for r in wide if r["buffers.output_kib"] == "8"]
assert all(r["status"] == "ok" and r["feasible"] == "false" for r in small), small
assert all("output buffer" in r["infeasible_reason"] and "c1" in r["infeasible_reason"] for r in small)
assert all(r["status"] == "ok" and r["feasible"] == "true" and float(r["cycles"]) > 0 for r in big), big
print("failures and infeasible points recorded")
PY
  ;;
shards)
  command -v parallel > /dev/null || fail "GNU parallel is not installed (scripts/install-deps.sh)"
  "$sim" sweep small.json --out whole > /dev/null
  # Three shards as separate processes under GNU parallel, then merged.
  parallel --will-cite "$sim" sweep small.json --shard {}/3 --out shard{} ::: 1 2 3 > /dev/null
  [ "$(rows shard2/sweep.csv)" -eq 6 ] || fail "shard 2/3 should hold 3 points"
  "$sim" sweep-merge --out merged shard1 shard2 shard3 > /dev/null
  cmp whole/sweep.csv merged/sweep.csv || fail "merged shards differ from the single run"
  # A shard left out: the merge names it, its points and the command that finishes it.
  set +e
  err=$("$sim" sweep-merge --out part shard1 shard3 2>&1 > /dev/null)
  code=$?
  set -e
  [ $code -eq 1 ] && echo "$err" | grep -q 'shard 2/3 is missing 3 points (p0001, p0004, p0007): no folder of it was given; finish it with `sweep small.json --shard 2/3' ||
    fail "missing shard not named: $code $err"
  # One process per point from --list, all into one folder; a final run only collects.
  "$sim" sweep small.json --list --out listed | cut -f5 | parallel --will-cite > /dev/null
  out=$("$sim" sweep small.json --out listed)
  echo "$out" | grep -q '8 finished, 0 to run' || fail "listed points not all finished: $out"
  cmp whole/sweep.csv listed/sweep.csv || fail "per-point runs differ from the single run"
  # Shards of different specs are refused.
  sed 's/"ws", "os"/"ws"/' small.json > other.json
  "$sim" sweep other.json --shard 1/3 --out other > /dev/null
  set +e
  err=$("$sim" sweep-merge --out m2 shard1 other 2>&1)
  code=$?
  set -e
  [ $code -eq 2 ] && echo "$err" | grep -q 'different sweep spec' || fail "mixed shards merged: $code $err"
  ;;
interrupt)
  cat > big.json <<'JSON'
{"workloads": ["resnet18"], "designs": ["elp", "fixed"],
 "axes": {"array.rows": [8, 16, 32, 64], "array.cols": [8, 16, 32, 64]}}
JSON
  "$sim" sweep big.json --out clean -j 2 > /dev/null
  "$sim" sweep big.json --out a -j 2 > /dev/null &
  pid=$!
  sleep 0.4
  kill -INT $pid
  set +e
  wait $pid
  code=$?
  set -e
  [ $code -eq 130 ] || [ $code -eq 0 ] || fail "interrupted sweep exited $code"
  ls a/points | grep -q tmp && fail "half-written point folders left: $(ls a/points)"
  for p in a/points/*; do [ -s "$p/point.json" ] || fail "$p has no point.json"; done
  "$sim" sweep big.json --out a -j 2 > /dev/null
  cmp clean/sweep.csv a/sweep.csv || fail "resumed sweep differs from an uninterrupted one"
  ;;
bad-cli)
  expect2() {
    set +e
    err=$("$sim" "$@" 2>&1 >/dev/null)
    code=$?
    set -e
    [ $code -eq 2 ] || fail "$* exited $code, expected 2"
    echo "$err"
  }
  expect2 sweep small.json --shard 3/2 | grep -q -- '--shard: impossible shard; got "3/2"' || fail shard
  expect2 sweep small.json --shard 0/2 | grep -q 'impossible shard' || fail shard0
  expect2 sweep small.json --point 8 | grep -q -- '--point: no such point' || fail point
  expect2 sweep | grep -q 'missing sweep spec' || fail missing
  expect2 sweep nope.json | grep -q 'nope.json: file not found' || fail nofile
  expect2 sweep small.json -j 0 | grep -q -- '--jobs: out of range' || fail jobs
  expect2 sweep-merge --out m | grep -q 'no shard folders' || fail merge
  "$sim" sweep --schema | grep -q 'filters' || fail schema
  ;;
*)
  fail "unknown case $case"
  ;;
esac
echo "sweep_test $case: ok"
