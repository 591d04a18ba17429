#!/usr/bin/python3
"""Plots the output of `conlocnn-sim optimize`: validation top-1 (or output SQNR, for an SQNR
budget) against energy per inference for every uniform design and every verified mixed design of
each format family, the budget as a line, the chosen design, the best fixed-point mix and the best
uniform ones marked with their test figures.

usage: build/conlocnn-sim optimize --max-top1-drop 0.5 --out out/optimize
       /usr/bin/python3 analysis/plot_optimize.py out/optimize [--png FILE]
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", help="an `optimize` output folder")
    ap.add_argument("--png", help="output image (default FOLDER/optimize.png)")
    args = ap.parse_args()
    path = os.path.join(args.folder, "optimize.json")
    if not os.path.isfile(path):
        sys.exit(f"plot_optimize: {path} not found (run `conlocnn-sim optimize --out "
                 f"{args.folder}` first)")
    doc = json.load(open(path))
    top1 = "max_top1_drop_points" in doc["budget"]
    y = (lambda m: 100 * m["top1"]) if top1 else (lambda m: m["output_sqnr_db"])
    fig, ax = plt.subplots(figsize=(11, 6.5))
    groups = [
        ("uniform fixed point", "tab:blue", "s",
         [u for u in doc["uniform"] if u["design"].startswith("fixed")]),
        ("uniform ELP_BSD", "tab:orange", "^",
         [u for u in doc["uniform"] if u["design"].startswith("elp")]),
        ("mixed fixed point, verified", "tab:green", "o",
         [v for v in doc["verified"] if v["family"] == "fixed"]),
        ("mixed ELP_BSD v2, verified", "tab:purple", "v",
         [v for v in doc["verified"] if v["family"] == "elp"]),
        ("mixed ELP_BSD v2 + fixed point on its PE, verified", "tab:red", "<",
         [v for v in doc["verified"] if v["family"] == "elp+fixed"]),
    ]
    for label, color, marker, ms in groups:
        ax.scatter([m["energy_pj"] / 1e6 for m in ms], [y(m) for m in ms], c=color,
                   marker=marker, s=36, label=label, alpha=0.8)
    if top1:
        line = 100 * doc["float_top1"]["validation"] - doc["budget"]["max_top1_drop_points"]
        ax.axhline(100 * doc["float_top1"]["validation"], color="grey", lw=1, label="float")
    else:
        line = doc["budget"]["min_output_sqnr_db"]
    ax.axhline(line, color="red", ls="--", lw=1, label="budget")
    notes = []
    for key, name, marker, shape in (("chosen", "chosen", "*", "star"),
                                     ("best_fixed_mixed", "best fixed-point mix", "X", "cross"),
                                     ("best_uniform", "best uniform", "D", "diamond"),
                                     ("best_uniform_fixed", "best uniform fixed point", "P", "plus")):
        c = doc.get(key)
        if not c or (key == "best_fixed_mixed" and c == doc.get("chosen")):
            continue
        v, t = c["validation"], c["test"]
        ax.scatter([v["energy_pj"] / 1e6], [y(v)], marker=marker, s=220, facecolors="none",
                   edgecolors="black", linewidths=1.5)
        notes.append(f"({shape}) {name}: {v['design']}\n    {v['energy_pj'] / 1e6:.3f} uJ, "
                     f"validation {y(v):.2f}, test {y(t):.2f}")
    # Designs far below the budget would squash the interesting range: they are left out of the
    # plot and counted on it.
    everything = [y(m) for _, _, _, ms in groups for m in ms]
    floor = line - 2
    ax.set_ylim(floor, max(everything + [line]) + 0.5)
    below = [v for v in everything if v < floor]
    if below:
        ax.text(0.01, 0.02, f"{len(below)} designs below the range shown (lowest {min(below):.2f})",
                transform=ax.transAxes, fontsize=8, color="grey")
    ax.set_xlabel("energy per inference (uJ)")
    ax.set_ylabel("validation top-1 (%)" if top1 else "validation output SQNR (dB)")
    ax.set_title(f"optimize: {doc['workload']} on {doc['dataset']['name']} "
                 f"(validation {doc['dataset']['validation']}, test {doc['dataset']['test']})")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    fig.text(0.01, 0.01, "\n".join(notes), fontsize=8, family="monospace", va="bottom")
    fig.subplots_adjust(bottom=0.1 + 0.032 * len(notes) * 2)
    out = args.png or os.path.join(args.folder, "optimize.png")
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
