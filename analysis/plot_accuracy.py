#!/usr/bin/python3
"""Plots the output of `conlocnn-sim accuracy`: top-1 (or, for a network that is not a classifier,
the output SQNR against the float reference) against energy per inference for every weight format
and compensation method (8-bit activations unless --activation-bits), the float reference as a
line, and the Pareto front (no other variant is both more accurate and cheaper) marked.

usage: build/conlocnn-sim accuracy --out out/accuracy
       /usr/bin/python3 analysis/plot_accuracy.py out/accuracy [--png FILE] [--activation-bits 8]
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MARKERS = {"none": "o", "output_constant": "s", "error_feedback": "^", "both": "D"}


def family(r):
    if r["kind"] == "fixed":
        return "fixed point"
    if r["weights"].endswith("v2l"):
        return "ELP_BSD v2, per-layer sets"
    return "ELP_BSD v2" if r["weights"].endswith("v2") else "ELP_BSD v1"


def pareto(rows, y):
    """Rows no other row beats on both energy (lower) and y (higher), by energy."""
    front, best = [], -float("inf")
    for r in sorted(rows, key=lambda r: (r["energy_uj"], -y(r))):
        if y(r) > best:
            front.append(r)
            best = y(r)
    return front


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", help="an `accuracy` output folder")
    ap.add_argument("--png", help="output image (default FOLDER/accuracy.png)")
    ap.add_argument("--activation-bits", type=int, default=8)
    args = ap.parse_args()
    path = os.path.join(args.folder, "accuracy.json")
    if not os.path.isfile(path):
        sys.exit(f"plot_accuracy: {path} not found (run `conlocnn-sim accuracy --out "
                 f"{args.folder}` first)")
    doc = json.load(open(path))
    res = doc["results"]
    flt = [r for r in res if r["kind"] == "float"]
    rows = [r for r in res if r["kind"] != "float" and r["activation_bits"] == args.activation_bits]
    if not rows:
        sys.exit(f"plot_accuracy: no results with {args.activation_bits}-bit activations in {path}")
    classifier = rows[0]["top1"] is not None
    y = (lambda r: 100 * r["top1"]) if classifier else (lambda r: r["output_sqnr_db"])
    fig, ax = plt.subplots(figsize=(13, 6.5))
    colors = {}
    for r in rows:
        fam = family(r)
        c = colors.setdefault(fam, f"C{len(colors)}")
        ax.scatter(r["energy_uj"], y(r), marker=MARKERS.get(r["compensation"], "x"),
                   color=c, s=28, alpha=0.8)
        if classifier:
            # The 95 % confidence interval of a top-1 measured on n images (normal approximation
            # of the binomial): on 10 000 images +-0.5 points near 93 %, on 500 +-2.2.
            p, n = r["top1"], r["images"]
            half = 100 * 1.96 * (p * (1 - p) / n) ** 0.5
            ax.errorbar(r["energy_uj"], y(r), yerr=half, color=c, alpha=0.35, lw=1, capsize=0)
    front = pareto(rows, y)
    ax.plot([r["energy_uj"] for r in front], [y(r) for r in front], "k--", lw=1,
            label="Pareto front")
    # Front points are numbered on the plot and named in a list beside it: names written next to
    # points a few tenths of a uJ apart overlap and cannot be read.
    unit = "%" if classifier else "dB"
    names = []
    for i, r in enumerate(front, 1):
        ax.annotate(str(i), (r["energy_uj"], y(r)), textcoords="offset points",
                    xytext=(5, 6 if i % 2 else -12), fontsize=8, weight="bold")
        names.append(f'{i:2d}  {r["weights"]} {r["compensation"]}: '
                     f'{r["energy_uj"]:.2f} uJ, {y(r):.2f} {unit}')
    fig.text(0.755, 0.93, "Pareto front\n" + "\n".join(names), va="top", ha="left",
             fontsize=8, family="monospace")
    if flt and classifier:
        ax.axhline(100 * flt[0]["top1"], color="grey", lw=1, ls=":", label="float reference")
    for fam, c in colors.items():
        ax.scatter([], [], color=c, marker="o", label=fam)
    for comp, m in MARKERS.items():
        ax.scatter([], [], color="k", marker=m, label=comp, facecolors="none")
    # Every variant is shown: the axis spans them all (none is clipped off the figure).
    ax.set_xlabel("energy per inference (uJ, simulated accelerator)")
    ax.set_ylabel(f"top-1 (%), {doc['dataset']['evaluation']}, bars: 95 % confidence"
                  if classifier else f"output SQNR vs float (dB), {doc['dataset']['evaluation']}")
    ax.set_title(f"{doc['workload']}: accuracy vs energy, {args.activation_bits}-bit activations "
                 f"(calibrated on {doc['dataset']['calibration']})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    png = args.png or os.path.join(args.folder, "accuracy.png")
    fig.tight_layout(rect=(0, 0, 0.75, 1))  # the right quarter holds the front's list
    fig.savefig(png, dpi=120)
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
