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
columns are read, as SCALE-Sim does; rows without a name are skipped. A GEMM list (header
Layer, M, N, K: SCALE-Sim's `-i gemm`) is read as those products.
With LAYERS.csv (a simulator run's layers.csv) it prints both per layer and exits 1 when a layer
differs by more than --tol.

With --recorded PREFIX (the three report files SCALE-Sim v2 itself wrote, tests/data/scalesim-v2)
the reference is SCALE-Sim's own output instead of these formulas, and the run's own report files
(next to LAYERS.csv) are compared with them column by column (against_recorded says how).
"""
import argparse
import csv
import math
import os
import re
import sys


def topology(path):
    """Per layer as SCALE-Sim runs it (a DP layer split per channel): name, M, K, N, and the IFMAP
    words SCALE-Sim fetches from DRAM when its SRAM holds the layer -- the ones some window
    touches -- and the words our DMA reads: the rows and columns the windows span (whole rows of
    a band), but only the touched ones along an axis where a 1 x 1 kernel strides (a strided DMA,
    docs/mapping.md). The two differ only where a kernel wider than 1 is smaller than its
    stride."""
    rows = list(csv.reader(open(path)))
    gemm = [x.strip().lower() for x in rows[0][1:4]] == ["m", "n", "k"]
    for r in rows[1:]:
        if not r or not r[0].strip():
            continue
        name = r[0].strip()
        if gemm:  # SCALE-Sim's -i gemm: a layer is M x K times K x N (topology_utils.py)
            m, n, k = (int(x) for x in r[1:4])
            yield name, m, k, n, m * k, m * k
            continue
        h, w, fh, fw, c, n, s = (int(x) for x in r[1:8])
        m = math.ceil((h - fh + s) / s) * math.ceil((w - fw + s) / s)

        def side(size, f):  # (touched, read by our DMA) along one axis, inside the IFMAP
            out = math.ceil((size - f + s) / s)
            spanned = min(size, (out - 1) * s + f)
            if f >= s:
                return spanned, spanned
            touched = sum(max(0, min(f, size - y * s)) for y in range(out))
            return touched, touched if f == 1 else spanned
        (th, sh), (tw, sw) = side(h, fh), side(w, fw)
        if "DP" in name:  # depthwise: a layer per channel, each of one channel
            for i in range(c):
                yield f"{name}Channel_{i}", m, fh * fw, n, th * tw, sh * sw
        else:
            yield name, m, fh * fw * c, n, th * tw * c, sh * sw * c


def layers(path):
    for name, m, k, n, *_ in topology(path):
        yield name, m, k, n


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
    ap.add_argument("--recorded", metavar="PREFIX",
                    help="SCALE-Sim v2's own reports for the topology: PREFIX.COMPUTE_REPORT.csv, "
                         "PREFIX.BANDWIDTH_REPORT.csv, PREFIX.DETAILED_ACCESS_REPORT.csv")
    ap.add_argument("--stalls", type=lambda v: v.split(","), default=[], metavar="LAYER,...",
                    help="layers whose array waits on our drain path (see against_recorded)")
    ap.add_argument("--dram-reads-once", action="store_true",
                    help="SCALE-Sim's SRAMs held every layer's operands: its DRAM reads are ours")
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


def read_report(path):
    """A SCALE-Sim report file (ours or SCALE-Sim's): its rows as {column: float}."""
    rows = [[x.strip() for x in r] for r in csv.reader(open(path))]
    head = [h for h in rows[0] if h]
    return [{h: float(r[i]) for i, h in enumerate(head)} for r in rows[1:] if r and r[0]]


def against_recorded(a):
    """Our three report files (next to LAYERS.csv) against SCALE-Sim's (PREFIX.<REPORT>.csv).

    Exact (integers equal, fractions to 1e-9 relative): Total Cycles, Stall Cycles, the three
    utilisations, SRAM IFMAP and Filter reads and their bandwidths. SRAM OFMAP writes on an OS
    array: SCALE-Sim adds R + C per fold to its count (systolic_compute_os.py adds the padded fold
    demand's rows + columns once more), so theirs = ours + folds x (R + C), and its bandwidth
    likewise. SRAM start / stop: our windows are the array's first and last compute cycle, so they
    must hold SCALE-Sim's per-operand ones, ending at the Total Cycles. DRAM: with
    --dram-reads-once (SCALE-Sim's SRAMs hold every layer's operands, google.cfg) its Filter reads
    must equal ours, and its IFMAP reads the words the windows touch where ours are the rows and
    columns they span (topology(): equal unless the kernel is smaller than the stride); OFMAP
    writes on an OS array within 1 %. The rest of the DRAM columns come from the two memory
    models (docs/timing.md) and are printed, not compared.

    --stalls LAYER,...: layers where our array waits on its own drain path (output stage and
    write-back after each tile, which SCALE-Sim does not model): there our compute cycles
    (Total - Stall Cycles) must equal SCALE-Sim's and our stall must be non-zero (the exception
    cannot outlive its cause); the columns divided by Total Cycles are not compared.
    """
    if not a.layers:
        sys.exit("scalesim_reference: --recorded needs LAYERS.csv")
    run = os.path.dirname(a.layers) or "."
    ours_rows = [r for r in csv.DictReader(open(a.layers)) if r["type"] in ("conv", "fc")]
    names = [name for name, *_ in layers(a.topology)]
    reports = {}
    for kind in ("COMPUTE_REPORT", "BANDWIDTH_REPORT", "DETAILED_ACCESS_REPORT"):
        theirs = read_report(f"{a.recorded}.{kind}.csv")
        ours = read_report(os.path.join(run, f"{kind}.csv"))
        if not len(theirs) == len(ours) == len(names) == len(ours_rows):
            sys.exit(f"scalesim_reference: {len(names)} layers in {a.topology}, {len(theirs)} in "
                     f"{a.recorded}.{kind}.csv, {len(ours)} in our {kind}.csv, "
                     f"{len(ours_rows)} PE-array layers in {a.layers}")
        reports[kind] = (theirs, ours)
    pes_edge = a.rows + a.cols
    ifmap = [(touched, read) for *_, touched, read in topology(a.topology)]
    bad = 0
    for i, name in enumerate(names):
        c_t, c_o = (r[i] for r in reports["COMPUTE_REPORT"])
        b_t, b_o = (r[i] for r in reports["BANDWIDTH_REPORT"])
        d_t, d_o = (r[i] for r in reports["DETAILED_ACCESS_REPORT"])
        folds = int(ours_rows[i]["folds"])
        quirk = folds * pes_edge if a.dataflow == "os" else 0
        total = c_o["Total Cycles"]
        stalls = name in a.stalls
        if stalls:
            checks = [("Total - Stall Cycles", c_t["Total Cycles"] - c_t["Stall Cycles"],
                       total - c_o["Stall Cycles"], 0),
                      ("Stall Cycles > 0", 1, c_o["Stall Cycles"] > 0, 0)]
        else:
            checks = [(c, c_t[c], c_o[c], 0) for c in ("Total Cycles", "Stall Cycles")]
            checks.append(("Overall Util %", c_t["Overall Util %"], c_o["Overall Util %"], 1e-9))
        checks += [(c, c_t[c], c_o[c], 1e-9) for c in ("Mapping Efficiency %", "Compute Util %")]
        checks += [(c, d_t[c], d_o[c], 0) for c in ("SRAM IFMAP Reads", "SRAM Filter Reads")]
        checks += [("SRAM OFMAP Writes - quirk", d_t["SRAM OFMAP Writes"] - quirk,
                    d_o["SRAM OFMAP Writes"], 0)]
        if not stalls:
            checks += [(c, b_t[c], b_o[c], 1e-9) for c in
                       ("Avg IFMAP SRAM BW", "Avg FILTER SRAM BW")]
            checks += [("Avg OFMAP SRAM BW - quirk", b_t["Avg OFMAP SRAM BW"] - quirk / total,
                        b_o["Avg OFMAP SRAM BW"], 1e-9)]
        if a.dram_reads_once:
            touched, read = ifmap[i]
            checks += [("DRAM IFMAP Reads = words touched", touched, d_t["DRAM IFMAP Reads"], 0),
                       ("DRAM IFMAP Reads = words our DMA reads", read, d_o["DRAM IFMAP Reads"],
                        0),
                       ("DRAM Filter Reads", d_t["DRAM Filter Reads"], d_o["DRAM Filter Reads"],
                        0)]
        if a.dataflow == "os":
            checks += [("DRAM OFMAP Writes", d_t["DRAM OFMAP Writes"], d_o["DRAM OFMAP Writes"],
                        0.01)]
        for op in ("IFMAP", "Filter", "OFMAP"):
            start, stop = f"SRAM {op} Start Cycle", f"SRAM {op} Stop Cycle"
            checks.append((f"{start} <= SCALE-Sim's", 1, d_o[start] <= d_t[start], 0))
            checks.append((f"{stop} >= SCALE-Sim's", 1, d_o[stop] >= d_t[stop], 0))
        checks.append(("last compute cycle = our Total Cycles", total,
                       max(d_o[f"SRAM {op} Stop Cycle"] for op in ("IFMAP", "Filter", "OFMAP")), 0))
        failed = [(what, t, o) for what, t, o, tol in checks
                  if abs(o - t) > tol * max(1.0, abs(t))]
        # Our reader writes '_' for a character a layer name cannot hold ("Test 1" -> "Test_1").
        if ours_rows[i]["layer"] != re.sub(r"[^A-Za-z0-9_.-]", "_", name):
            failed.append(("layer name", name, ours_rows[i]["layer"]))
        bad += bool(failed)
        dram = ", ".join(f"{c} {d_t[c]:.0f} / {d_o[c]:.0f}" for c in
                         ("DRAM IFMAP Reads", "DRAM Filter Reads", "DRAM OFMAP Writes"))
        print(f"{name:12} {len(checks)} checks, {len(failed)} differ; SCALE-Sim / ours: {dram}")
        for what, t, o in failed:
            print(f"    DIFFERS {what}: SCALE-Sim {t!r}, ours {o!r}")
    print(f"{len(names) - bad} of {len(names)} layers equal SCALE-Sim v2's reports")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
