#!/usr/bin/python3
"""Plots the output of `conlocnn-sim formats --json`: SQNR against average MAC energy for every
fixed-point and ELP_BSD preset (the trade-off a weight format buys), the frontier of formats that
no other format beats on both, names as labels.

usage: build/conlocnn-sim formats --json [--weights W.npy] > formats.json
       /usr/bin/python3 analysis/plot_formats.py formats.json [--png FILE]
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("formats_json")
    ap.add_argument("--png", help="output image (default: next to the JSON, .png)")
    args = ap.parse_args()
    rows = json.load(open(args.formats_json))
    png = args.png or os.path.splitext(args.formats_json)[0] + ".png"
    fig, ax = plt.subplots(figsize=(9, 6))
    rows = [r for r in rows if r["sqnr_db"] is not None]

    def family(r):
        if r["kind"] == "fixed":
            return "fixed point"
        return "ELP_BSD v2" if r["name"].endswith("v2") else "ELP_BSD v1"

    for fam, marker in (("fixed point", "s"), ("ELP_BSD v1", "o"), ("ELP_BSD v2", "^")):
        pts = sorted((r for r in rows if family(r) == fam), key=lambda r: r["code_bits"])
        if not pts:
            continue
        ax.plot([r["mac_energy_pj"] for r in pts], [r["sqnr_db"] for r in pts], marker,
                linestyle="-", label=fam)
        for r in pts:
            ax.annotate(r["name"], (r["mac_energy_pj"], r["sqnr_db"]),
                        textcoords="offset points", xytext=(4, -10 if fam == "ELP_BSD v2" else 4),
                        fontsize=7)
    # Frontier: formats no other format beats on both MAC energy and SQNR.
    front, best = [], -1e9
    for r in sorted(rows, key=lambda r: (r["mac_energy_pj"], -r["sqnr_db"])):
        if r["sqnr_db"] > best:
            front.append(r)
            best = r["sqnr_db"]
    ax.plot([r["mac_energy_pj"] for r in front], [r["sqnr_db"] for r in front], "k--", lw=1,
            label="frontier (best SQNR for the energy)")
    ax.scatter([r["mac_energy_pj"] for r in front], [r["sqnr_db"] for r in front], s=90,
               facecolors="none", edgecolors="k", zorder=4)
    ax.set_xlabel("average MAC energy (pJ)")
    ax.set_ylabel("weight SQNR (dB)")
    ax.set_title("weight formats: weight SQNR vs average MAC energy (frontier marked)")
    ax.grid(True, linewidth=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    print(png)


if __name__ == "__main__":
    main()
