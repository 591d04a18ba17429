#!/usr/bin/python3
"""Plots a conlocnn-sim output directory: per-layer energy by component and cycles (from
layers.csv), or, for a `compare` directory, every design per layer against the baseline
(comparison.json).
Reads only the tool's output files. Needs Debian's python3-matplotlib (scripts/install-deps.sh).

usage: /usr/bin/python3 analysis/plot_run.py OUT_DIR [--png FILE]
"""
import argparse
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Every energy component the simulator reports (EnergyBreakdown::component_names).
COMPONENTS = ["mac", "pe_registers", "accumulators", "weight_buffer", "activation_sram",
              "output_buffer", "dram", "compensation_adder", "vector_unit", "sram_leakage",
              "pe_leakage"]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def plot_layers(rows, title, png):
    names = [r["layer"] for r in rows]
    x = range(len(rows))
    fig, (ax_e, ax_c) = plt.subplots(2, 1, figsize=(max(8, len(rows) * 0.35), 8), sharex=True)
    bottom = [0.0] * len(rows)
    for comp in COMPONENTS:
        vals = [float(r.get(comp + "_pj") or 0) * 1e-6 for r in rows]
        ax_e.bar(x, vals, bottom=bottom, label=comp)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax_e.set_ylabel("energy (uJ)")
    ax_e.set_title(title)
    ax_e.legend(fontsize=7, ncol=4)
    compute = [float(r["compute_cycles"]) for r in rows]
    stall = [float(r["stall_cycles"]) for r in rows]
    other = [float(r["cycles"]) - c - s for r, c, s in zip(rows, compute, stall)]
    ax_c.bar(x, compute, label="compute")
    ax_c.bar(x, stall, bottom=compute, label="stall")
    ax_c.bar(x, other, bottom=[c + s for c, s in zip(compute, stall)], label="drain")
    ax_c.set_ylabel("cycles")
    ax_c.legend(fontsize=7)
    ax_c.set_xticks(list(x))
    ax_c.set_xticklabels(names, rotation=90, fontsize=6)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


def plot_comparison(comp, title, png):
    """Energy per layer of every design, and each design's energy ratio to the baseline."""
    order, base = comp["order"], comp["baseline"]
    rows = [r for r in comp["layers"] if r["layer"] != "TOTAL"]
    names = [r["layer"] for r in rows]
    x = list(range(len(rows)))
    fig, (ax_e, ax_r) = plt.subplots(2, 1, figsize=(max(8, len(rows) * 0.4), 8), sharex=True)
    w = 0.8 / len(order)
    for k, d in enumerate(order):
        ax_e.bar([i - 0.4 + w * (k + 0.5) for i in x],
                 [r["designs"][d]["energy_pj"] * 1e-6 for r in rows], w, label=d)
        if d != base:
            ax_r.plot(x, [r["designs"][d]["energy_vs_baseline"] for r in rows], "o-",
                      label=f"energy {d} / {base}")
    ax_e.set_ylabel("energy (uJ)")
    ax_e.set_title(f"{title}: {', '.join(order)} (baseline {base})")
    ax_e.legend(fontsize=8)
    ax_r.axhline(1.0, color="grey", linewidth=0.5)
    ax_r.set_ylabel(f"energy ratio to {base}")
    ax_r.legend(fontsize=8)
    ax_r.set_xticks(x)
    ax_r.set_xticklabels(names, rotation=90, fontsize=6)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--png", help="output image (default: OUT_DIR/plot.png)")
    args = ap.parse_args()
    png = args.png or os.path.join(args.out_dir, "plot.png")
    comparison = os.path.join(args.out_dir, "comparison.json")
    layers = os.path.join(args.out_dir, "layers.csv")
    if ".tmp-" in os.path.basename(os.path.abspath(args.out_dir)):
        sys.exit(f"{args.out_dir}: a result folder still being written (or left by a killed run)")
    if os.path.exists(comparison) and os.path.exists(layers):
        # Current versions replace a result folder as a whole; both files means files of two
        # runs (an older version's leftovers): refuse rather than plot a stale half.
        sys.exit(f"{args.out_dir}: holds both a run (layers.csv) and a comparison "
                 "(comparison.json) from different runs; re-run into an empty folder")
    if os.path.exists(comparison):
        with open(comparison) as f:
            comp = json.load(f)
        workload = next(iter(comp["designs"].values()))["workload"]
        plot_comparison(comp, workload, png)
    elif os.path.exists(layers):
        plot_layers(read_csv(layers), os.path.basename(os.path.abspath(args.out_dir)), png)
    else:
        sys.exit(f"{args.out_dir}: neither layers.csv nor comparison.json found")
    print(png)


if __name__ == "__main__":
    main()
