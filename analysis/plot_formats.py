#!/usr/bin/python3
"""Plots the output of `conlocnn-sim formats --json`: SQNR against average MAC energy for every
fixed-point and ELP_BSD preset (the trade-off a weight format buys), code width as labels.

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
    fig, ax = plt.subplots(figsize=(7, 5))
    for kind, marker in (("fixed", "s"), ("elp_bsd", "o")):
        pts = [r for r in rows if r["kind"] == kind and r["sqnr_db"] is not None]
        ax.plot([r["mac_energy_pj"] for r in pts], [r["sqnr_db"] for r in pts], marker, linestyle="-",
                label="fixed point" if kind == "fixed" else "ELP_BSD")
        for r in pts:
            ax.annotate(f'{r["name"]} ({r["code_bits"]} b)', (r["mac_energy_pj"], r["sqnr_db"]),
                        textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel("average MAC energy (pJ)")
    ax.set_ylabel("weight SQNR (dB)")
    ax.set_title("weight formats: accuracy of the weights vs MAC energy")
    ax.grid(True, linewidth=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    print(png)


if __name__ == "__main__":
    main()
