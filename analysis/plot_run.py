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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conloc_style import COMPONENT_COLORS, COMPONENTS, energy_text  # noqa: E402

# Wide enough for a label per layer, never wider than a screen at 100 % (1920 px at 120 dpi).
MAX_WIDTH_IN = 16


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def fusion_groups(rows):
    """One bar per fusion group (mapping.fusion): a layer run in another's output stage
    (`fusion` = "in X") joins X's bar, named "X + layer"; the members of a depth-first group
    (`fusion` naming "depth-first A..B") are marked "[df N]", N counting the groups."""
    out = []
    groups = []
    for r in rows:
        fusion = r.get("fusion") or ""
        if fusion.startswith("in "):
            continue
        name = r["layer"]
        if fusion.startswith("applies "):
            name += " + " + fusion[len("applies "):].split(";")[0]
        if "depth-first " in fusion:
            group = fusion[fusion.index("depth-first "):]
            if group not in groups:
                groups.append(group)
            name += f" [df {groups.index(group) + 1}]"
        out.append(dict(r, layer=name))
    return out


def plot_layers(rows, title, png):
    rows = fusion_groups(rows)
    names = [r["layer"] for r in rows]
    x = range(len(rows))
    fig, (ax_e, ax_c) = plt.subplots(2, 1, figsize=(min(MAX_WIDTH_IN, max(9, len(rows) * 0.3)), 8.5),
                                     sharex=True)
    bottom = [0.0] * len(rows)
    for comp in COMPONENTS:
        vals = [float(r.get(comp + "_pj") or 0) * 1e-6 for r in rows]
        if not any(vals):
            continue
        total = sum(vals) * 1e6
        ax_e.bar(x, vals, bottom=bottom, label=f"{comp} ({energy_text(total)})",
                 color=COMPONENT_COLORS[comp])
        bottom = [b + v for b, v in zip(bottom, vals)]
    if len(rows) <= 40:  # each layer's total above its bar, where they fit
        for i, b in enumerate(bottom):
            if b > 0:
                ax_e.annotate(f"{b:.3g}", (i, b), ha="center", va="bottom", fontsize=7,
                              xytext=(0, 1), textcoords="offset points")
    ax_e.set_ylabel("energy (uJ)")
    ax_e.set_title(title, fontsize=11)
    ax_e.set_ylim(0, max(bottom + [1e-9]) * 1.45)  # room for the legend above the bars
    ax_e.legend(fontsize=8, ncol=3, loc="upper right")
    compute = [float(r["compute_cycles"]) for r in rows]
    stall = [float(r["stall_cycles"]) for r in rows]
    other = [float(r["cycles"]) - c - s for r, c, s in zip(rows, compute, stall)]
    ax_c.bar(x, compute, label="compute", color="#1f77b4")
    ax_c.bar(x, stall, bottom=compute, label="stall", color="#d62728")
    ax_c.bar(x, other, bottom=[c + s for c, s in zip(compute, stall)], label="drain",
             color="#7f7f7f")
    ax_c.set_ylabel("cycles")
    ax_c.legend(fontsize=8)
    ax_c.set_xticks(list(x))
    ax_c.set_xticklabels(names, rotation=90, fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


def run_title(summary):
    """Workload, design, array and dataflow, and the run's totals, from its summary.json."""
    s = summary
    return (f"{s['workload']}: {s['design']} on a {s['array']['rows']}x{s['array']['cols']} "
            f"{'weight' if s['dataflow'] == 'ws' else 'output'}-stationary array; total "
            f"{energy_text(s['energy_pj'])}, {s['latency_s'] * 1e3:.3g} ms")


def plot_comparison(comp, title, png):
    """Energy per layer of every design, and each design's energy ratio to the baseline."""
    order, base = comp["order"], comp["baseline"]
    rows = [r for r in comp["layers"] if r["layer"] != "TOTAL"]
    total = next((r for r in comp["layers"] if r["layer"] == "TOTAL"), None)
    names = [r["layer"] for r in rows]
    x = list(range(len(rows)))
    fig, (ax_e, ax_r) = plt.subplots(2, 1, figsize=(min(MAX_WIDTH_IN, max(9, len(rows) * 0.3)), 8.5),
                                     sharex=True)
    w = 0.8 / len(order)
    for k, d in enumerate(order):
        label = d
        if total:
            label += f" (total {energy_text(total['designs'][d]['energy_pj'])}"
            label += ")" if d == base else f", x{total['designs'][d]['energy_vs_baseline']:.3f})"
        ax_e.bar([i - 0.4 + w * (k + 0.5) for i in x],
                 [r["designs"][d]["energy_pj"] * 1e-6 for r in rows], w, label=label,
                 color=f"C{k}")
        if d != base:
            # Markers at each layer's bar, not a line: the layers are categories, and a line
            # between them suggested values in between.
            ax_r.plot([i - 0.4 + w * (k + 0.5) for i in x],
                      [r["designs"][d]["energy_vs_baseline"] for r in rows], "o", ms=4,
                      label=f"energy {d} / {base}", color=f"C{k}")
    ax_e.set_ylabel("energy (uJ)")
    ax_e.set_title(f"{title}: {', '.join(order)} (baseline {base})", fontsize=11)
    ax_e.legend(fontsize=9)
    ax_r.axhline(1.0, color="grey", linewidth=0.5)
    ax_r.set_ylabel(f"energy ratio to {base}")
    ax_r.legend(fontsize=9)
    ax_r.set_xticks(x)
    ax_r.set_xticklabels(names, rotation=90, fontsize=7)
    ax_r.grid(axis="x", alpha=0.25)
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
        first = next(iter(comp["designs"].values()))
        title = (f"{first['workload']} on a {first['array']['rows']}x{first['array']['cols']} "
                 f"{first['dataflow']} array")
        plot_comparison(comp, title, png)
    elif os.path.exists(layers):
        summary = os.path.join(args.out_dir, "summary.json")
        title = (run_title(json.load(open(summary))) if os.path.exists(summary)
                 else os.path.basename(os.path.abspath(args.out_dir)))
        plot_layers(read_csv(layers), title, png)
    else:
        sys.exit(f"{args.out_dir}: neither layers.csv nor comparison.json found")
    print(png)


if __name__ == "__main__":
    main()
