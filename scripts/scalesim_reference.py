#!/usr/bin/python3
"""SCALE-Sim v2's stall-free compute cycles of every layer of a topology CSV, and the comparison
with a simulator run of the same file (docs/timing.md, "Against SCALE-Sim").

    scalesim_reference.py TOPOLOGY.csv ROWS COLS os|ws|is [LAYERS.csv] [--tol 0.03]

SCALE-Sim (scalesim-project/scale-sim-v2, scalesim/compute/systolic_compute_{os,ws}.py) builds
per fold a demand matrix whose rows are cycles, then skews it by the array width:
  OS: ofmap pixels Sr = M on rows, filters Sc = N on columns, T = K;
      rows per fold = T + (C - 1) drain gap + (R - 1) skew = K + R + C - 2;
      folds = ceil(M / R) * ceil(N / C).
  WS: Sr = K on rows, Sc = N on columns, T = M streams;
      rows per fold = R weight load + T + (C - 1) drain + (R - 1) skew = M + 2R + C - 2;
  IS: Sr = K on rows, Sc = M on columns, T = N streams (systolic_compute_is.py);
      rows per fold = R input load + T + (C - 1) drain + (R - 1) skew = N + 2R + C - 2;
      folds = ceil(K / R) * ceil(N / C).
The layer shapes follow SCALE-Sim's topology convention (scalesim/topology_utils.py): no padding
(the IFMAP is given at its padded size), an output side of ceil((H - Fh + S) / S), so
M = ceil((H - Fh + S) / S) * ceil((W - Fw + S) / S), K = Fh * Fw * C; a layer whose name contains
"DP" is depthwise, one layer per channel named <name>Channel_<i>, each with K = Fh * Fw. Only the first eight
columns are read, as SCALE-Sim does; rows without a name are skipped.
With LAYERS.csv (a simulator run's layers.csv) it prints both per layer and exits 1 when a layer
differs by more than --tol.

With --recorded REPORT (a COMPUTE_REPORT.csv that SCALE-Sim v2 itself wrote, tests/data/scalesim-v2)
the reference is SCALE-Sim's own output instead of these formulas, and the check is exact: per
layer, our compute cycles must equal its "Total Cycles" + 1 (with InterfaceBandwidth CALC it
reports the index of the cycle that serves the last output, counting from 0:
scalesim/memory/double_buffered_scratchpad_mem.py) and our mapping efficiency its "Mapping
Efficiency %" to the 6 digits layers.csv keeps.
"""
import argparse
import csv
import math
import sys


def layers(path):
    rows = list(csv.reader(open(path)))[1:]
    for r in rows:
        if not r or not r[0].strip():
            continue
        h, w, fh, fw, c, n, s = (int(x) for x in r[1:8])
        m = math.ceil((h - fh + s) / s) * math.ceil((w - fw + s) / s)
        name = r[0].strip()
        if "DP" in name:  # depthwise: a layer per channel, each of one channel
            for i in range(c):
                yield f"{name}Channel_{i}", m, fh * fw, n
        else:
            yield name, m, fh * fw * c, n


def cycles(m, k, n, rows, cols, dataflow):
    if dataflow == "os":
        return math.ceil(m / rows) * math.ceil(n / cols) * (k + rows + cols - 2)
    if dataflow == "is":
        return math.ceil(k / rows) * math.ceil(m / cols) * (n + 2 * rows + cols - 2)
    return math.ceil(k / rows) * math.ceil(n / cols) * (m + 2 * rows + cols - 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("topology")
    ap.add_argument("rows", type=int)
    ap.add_argument("cols", type=int)
    ap.add_argument("dataflow", choices=["os", "ws", "is"])
    ap.add_argument("layers", nargs="?")
    ap.add_argument("--tol", type=float, default=0.03)
    ap.add_argument("--recorded", help="SCALE-Sim v2's own COMPUTE_REPORT.csv for the topology")
    a = ap.parse_args()
    if a.recorded:
        return against_recorded(a)
    ours = {}
    if a.layers:
        ours = {r["layer"]: int(r["compute_cycles"]) for r in csv.DictReader(open(a.layers))}
    total_ref = total_ours = 0
    worst = 0.0
    print(f"{'layer':10} {'M':>7} {'K':>6} {'N':>5} {'SCALE-Sim':>10} {'ours':>10} ratio")
    for name, m, k, n in layers(a.topology):
        ref = cycles(m, k, n, a.rows, a.cols, a.dataflow)
        total_ref += ref
        line = f"{name:10} {m:7} {k:6} {n:5} {ref:10}"
        if ours:
            if name not in ours:
                sys.exit(f"scalesim_reference: layer {name} missing from {a.layers}")
            total_ours += ours[name]
            worst = max(worst, abs(ours[name] / ref - 1))
            line += f" {ours[name]:10} {ours[name] / ref:.4f}"
        print(line)
    print(f"total SCALE-Sim {total_ref}" +
          (f", ours {total_ours}, ratio {total_ours / total_ref:.4f}, worst layer off by "
           f"{100 * worst:.2f} %" if ours else ""))
    return 1 if ours and worst > a.tol else 0


def against_recorded(a):
    if not a.layers:
        sys.exit("scalesim_reference: --recorded needs LAYERS.csv")
    report = [[x.strip() for x in r] for r in csv.reader(open(a.recorded))]
    head, rows = report[0], [r for r in report[1:] if r and r[0]]
    col = {name: i for i, name in enumerate(head)}
    ours = [r for r in csv.DictReader(open(a.layers)) if r["type"] in ("conv", "fc")]
    names = [name for name, *_ in layers(a.topology)]
    if len(rows) != len(names) or len(ours) != len(names):
        sys.exit(f"scalesim_reference: {len(names)} layers in {a.topology}, {len(rows)} in "
                 f"{a.recorded}, {len(ours)} PE-array layers in {a.layers}")
    bad = 0
    print(f"{'layer':10} {'SCALE-Sim total + 1':>20} {'ours':>10} {'map. eff. SCALE-Sim':>20} "
          f"{'ours':>8}")
    for name, ref, mine in zip(names, rows, ours):
        cycles_ref = int(ref[col["Total Cycles"]]) + 1 - int(ref[col["Stall Cycles"]])
        eff_ref = float(ref[col["Mapping Efficiency %"]])
        cycles, eff = int(mine["compute_cycles"]), float(mine["mapping_efficiency_pct"])
        ok = mine["layer"] == name and cycles == cycles_ref and \
            abs(eff - eff_ref) <= 5e-6 * max(1.0, eff_ref)
        bad += not ok
        print(f"{name:10} {cycles_ref:20} {cycles:10} {eff_ref:20.6g} {eff:8.6g}"
              f"{'' if ok else '  DIFFERS'}")
    print(f"{len(names) - bad} of {len(names)} layers equal SCALE-Sim v2's report")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
