#!/usr/bin/python3
"""Report of a `conlocnn-sim sweep` output folder: energy vs latency of every point with each
design's Pareto front, heat maps over array rows x cols for every value of the other swept axes
(one row of panels per combination: each design's energy and its ratio to the baseline), the
energy breakdown of the best points of each design, and the per-layer trace of one point.
Writes DIR/report/report.md and PNG figures. Reads only the tool's output files (sweep.json,
sweep-manifest.json, points/<id>/...).

usage: /usr/bin/python3 analysis/sweep_report.py DIR [--point ID]
"""
import argparse
import csv
import itertools
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conloc_style import COMPONENT_COLORS, COMPONENTS  # noqa: E402
# One colour and one marker per design, in the order the spec lists them.
PALETTE = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
           "tab:pink", "tab:gray", "tab:olive", "tab:cyan"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">"]
FACETS_PER_PAGE = 6


def style(designs):
    """design -> (colour, marker), stable in the spec's order."""
    return {d: (PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]) for i, d in enumerate(designs)}


def load(d):
    """The sweep's rows; refuses a folder whose table and manifest disagree (mixed results)."""
    try:
        sweep = json.load(open(os.path.join(d, "sweep.json")))
        manifest = json.load(open(os.path.join(d, "sweep-manifest.json")))
    except (OSError, ValueError) as e:
        sys.exit(f"sweep_report: {d}: not a finished sweep folder ({e})")
    if sweep["spec_hash"] != manifest["spec_hash"]:
        sys.exit(f"sweep_report: {d}: sweep.json and sweep-manifest.json are of different specs")
    if not sweep["complete"]:
        print(f"sweep_report: {d}: sweep is incomplete ({sweep['points_done']} of "
              f"{sweep['points']} points); reporting the finished ones", file=sys.stderr)
    rows = [r for r in sweep["rows"] if r["status"] == "ok" and r["feasible"]]
    if not rows:
        sys.exit(f"sweep_report: {d}: no feasible finished point to report")
    return sweep, manifest, rows


def label(r, keys):
    """Short text of a point's swept values: '16x32 ws elp5'."""
    parts = []
    if "array.rows" in keys and "array.cols" in keys:
        parts.append(f"{r['array.rows']}x{r['array.cols']}")
    for k in keys:
        if k in ("array.rows", "array.cols"):
            continue
        v = r[k]
        parts.append(str(v) if not isinstance(v, (int, float)) else f"{k.split('.')[-1]}={v}")
    return " ".join(parts) if parts else r["point"]


def pareto(points):
    """Indices of the points no other point beats on both energy and latency."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front, best = [], float("inf")
    for i in order:
        if points[i][1] < best:
            front.append(i)
            best = points[i][1]
    return front


def edp(r):
    return r["energy_per_inference_pj"] * r["latency_per_inference_s"]


def fig_pareto(rows, keys, designs, title, png):
    """Every point, one marker per design; each design's Pareto front drawn and its points
    labelled. Returns the fronts."""
    fig, ax = plt.subplots(figsize=(11, 7.5))
    fronts = []
    st = style(designs)
    for d in designs:
        sel = [r for r in rows if r["design_spec"] == d]
        if not sel:
            continue
        colour, marker = st[d]
        pts = [(r["latency_per_inference_s"] * 1e3, r["energy_per_inference_pj"] * 1e-9)
               for r in sel]
        names = ", ".join(sorted({r["design"] for r in sel}))
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=16, alpha=0.45, color=colour,
                   marker=marker, label=f"{d} ({names})" if names != d else d)
        front = pareto(pts)
        ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "-", lw=1.2,
                color=colour, label=f"{d}: Pareto front")
        ax.scatter([pts[i][0] for i in front], [pts[i][1] for i in front], s=45,
                   facecolors="none", edgecolors="k", zorder=4)
        # Label the front, alternating sides so neighbours do not overlap.
        shown = front if len(front) <= 12 else front[:: max(1, len(front) // 12)]
        for n, i in enumerate(shown):
            r = sel[i]
            ax.annotate(f"{r['point']} {r['design']} {label(r, keys)}", pts[i], fontsize=7,
                        xytext=(8, -11 if n % 2 else 5), textcoords="offset points",
                        color=colour)
        fronts += [sel[i] for i in front]
    ax.set_xscale("log")
    ax.set_yscale("log")
    # Log axes labelled with plain numbers at 1, 2, 5 x 10^k: the default labels only the powers
    # of ten (a sweep spanning 2-25 ms showed one label, "10^1") and writes them in mathtext.
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("latency per inference (ms)")
    ax.set_ylabel("energy per inference (mJ)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return fronts


def facets(rows, keys):
    """The swept axes other than array rows and cols, and every combination of their values
    that some row has, in sorted order: one row of heat-map panels each, so no axis is folded
    into another."""
    other = [k for k in keys if k not in ("array.rows", "array.cols")]
    combos = sorted({tuple(r[k] for k in other) for r in rows}, key=lambda t: [str(v) for v in t])
    return other, combos


def fig_heatmaps(rows, keys, designs, baseline, title, out):
    """Heat maps over array rows x cols: per facet (combination of the other swept axes), each
    design's energy per inference and, for every design but the baseline, its energy over the
    baseline's at the same point. Pages of FACETS_PER_PAGE facets: heatmaps.png, heatmaps-2.png,
    ... Returns the file names."""
    rvals = sorted({r["array.rows"] for r in rows})
    cvals = sorted({r["array.cols"] for r in rows})
    other, combos = facets(rows, keys)
    ratio_designs = [d for d in designs if d != baseline]
    panels = [("energy", d) for d in designs] + [("ratio", d) for d in ratio_designs]
    by = {(tuple(r[k] for k in other), r["design_spec"], r["array.rows"], r["array.cols"]): r
          for r in rows}
    files = []
    pages = [combos[i:i + FACETS_PER_PAGE] for i in range(0, len(combos), FACETS_PER_PAGE)]
    for page_no, page in enumerate(pages):
        fig, axes = plt.subplots(len(page), len(panels),
                                 figsize=(3.6 * len(panels) + 0.5, 3.3 * len(page) + 0.8),
                                 squeeze=False)
        # One colour scale per kind of panel on a page, so colours compare across designs.
        grids = {}
        for a, combo in enumerate(page):
            for b, (kind, d) in enumerate(panels):
                grid = np.full((len(rvals), len(cvals)), np.nan)
                for i, rr in enumerate(rvals):
                    for j, cc in enumerate(cvals):
                        r = by.get((combo, d, rr, cc))
                        base = by.get((combo, baseline, rr, cc))
                        if r is None:
                            continue
                        if kind == "energy":
                            grid[i, j] = r["energy_per_inference_pj"] * 1e-9
                        elif base is not None and r.get("energy_vs_baseline") is not None:
                            grid[i, j] = r["energy_vs_baseline"]
                grids[a, b] = grid
        limits = {}
        for kind in ("energy", "ratio"):
            vals = np.concatenate([g[np.isfinite(g)] for (a, b), g in grids.items()
                                   if panels[b][0] == kind] or [np.array([])])
            limits[kind] = (vals.min(), vals.max()) if vals.size else (None, None)
        for a, combo in enumerate(page):
            facet = ", ".join(f"{k.split('.')[-1]}={v}" for k, v in zip(other, combo))
            for b, (kind, d) in enumerate(panels):
                name = (f"{d}: energy (mJ)" if kind == "energy" else f"{d} / {baseline}: energy")
                draw_grid(fig, axes[a][b], grids[a, b], rvals, cvals,
                          "viridis_r" if kind == "energy" else "RdYlGn_r",
                          "{:.3g}" if kind == "energy" else "{:.3f}",
                          name + (f"\n{facet}" if facet else ""), limits[kind])
        page_title = title + (f" (page {page_no + 1} of {len(pages)})" if len(pages) > 1 else "")
        fig.suptitle(page_title, fontsize=12)
        fig.tight_layout(rect=(0, 0, 1, 0.97))
        name = "heatmaps.png" if page_no == 0 else f"heatmaps-{page_no + 1}.png"
        fig.savefig(os.path.join(out, name), dpi=100)
        plt.close(fig)
        files.append(name)
    return files


def draw_grid(fig, ax, grid, rvals, cvals, cmap, fmt, title, limits):
    m = np.ma.masked_invalid(grid)
    im = ax.imshow(m, cmap=cmap, origin="lower", aspect="auto", vmin=limits[0], vmax=limits[1])
    for i in range(len(rvals)):
        for j in range(len(cvals)):
            if np.isfinite(grid[i, j]):
                rgb = im.cmap(im.norm(grid[i, j]))[:3]
                dark = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 0.5
                ax.text(j, i, fmt.format(grid[i, j]), ha="center", va="center", fontsize=8,
                        color="w" if dark else "k")
    ax.set_xticks(range(len(cvals)), [str(c) for c in cvals])
    ax.set_yticks(range(len(rvals)), [str(r) for r in rvals])
    ax.set_xlabel("array cols (PEs)")
    ax.set_ylabel("array rows (PEs)")
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.046)


def fig_breakdown(rows, keys, designs, title, png, n=5):
    best = []
    for d in designs:
        best += sorted((r for r in rows if r["design_spec"] == d), key=edp)[:n]
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(best) + 2.4))
    y = np.arange(len(best))
    left = np.zeros(len(best))
    for c in COMPONENTS:  # a colour of its own for every component, as in every figure
        v = np.array([(r.get(f"{c}_pj") or 0) / r["batch"] * 1e-9 for r in best])
        if v.sum() == 0:
            continue
        ax.barh(y, v, left=left, label=c, color=COMPONENT_COLORS[c])
        left += v
    for k, total in enumerate(left):
        ax.text(total, k, f" {total:.3g}", va="center", fontsize=8)
    ax.set_yticks(y, [f"{r['point']} {r['design_spec']} {label(r, keys)}" for r in best],
                  fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("energy per inference (mJ)")
    ax.set_title(title)
    ax.set_xlim(0, left.max() * 1.08)  # room for the totals
    # Below the bars, not over them (inside, it hid the last bars and their totals).
    ax.legend(fontsize=8, ncol=6, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return best


def fig_layers(d, point, rows, designs, title, png):
    here = [r for r in rows if r["point"] == point]
    st = style(designs)
    fig, (ax_e, ax_c) = plt.subplots(2, 1, figsize=(13, 7), sharex=True)
    width = 0.8 / max(1, len(here))
    for k, r in enumerate(here):
        # A design whose run another point simulated has its files there.
        folder = r["same_run_as"] or f"{point}/{r['design_spec'].replace('/', '_')}"
        with open(os.path.join(d, "points", folder, "layers.csv"), newline="") as f:
            layers = list(csv.DictReader(f))
        x = np.arange(len(layers)) + k * width
        colour = st[r["design_spec"]][0]
        ax_e.bar(x, [float(l["energy_pj"]) * 1e-6 for l in layers], width,
                 label=r["design_spec"], color=colour)
        ax_c.bar(x, [float(l["cycles"]) * 1e-3 for l in layers], width, label=r["design_spec"],
                 color=colour)
        names = [l["layer"] for l in layers]
    ax_e.set_ylabel("energy (uJ)")
    ax_c.set_ylabel("cycles (thousands)")
    ax_c.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=90, fontsize=7)
    ax_e.legend(fontsize=8)
    ax_e.set_title(title)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def md_table(rows, keys, baseline):
    head = ("| point | design | " + " | ".join(keys) + " | energy mJ | latency ms | util % | "
            f"EDP mJ*ms | energy / {baseline} |")
    out = [head, "|" + "---|" * (len(keys) + 7)]
    for r in rows:
        vals = " | ".join(str(r[k]) for k in keys)
        ratio = r.get("energy_vs_baseline")
        out.append(f"| {r['point']} | {r['design_spec']} | {vals} | "
                   f"{r['energy_per_inference_pj'] * 1e-9:.3f} | "
                   f"{r['latency_per_inference_s'] * 1e3:.3f} | {r['utilization_pct']:.1f} | "
                   f"{edp(r) * 1e-6:.4g} | {'-' if ratio is None else f'{ratio:.3f}'} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--point", help="point id for the per-layer figure (default: best EDP)")
    args = ap.parse_args()
    sweep, manifest, rows = load(args.dir)
    keys = manifest["swept_keys"]
    designs = manifest["designs"]
    baseline = manifest["baseline"]
    workloads = sorted({r["workload"] for r in rows})
    wl = ", ".join(os.path.basename(w) for w in workloads)
    out = os.path.join(args.dir, "report")
    os.makedirs(out, exist_ok=True)
    md = [f"# Sweep report: {os.path.basename(sweep['spec'])}", "",
          f"Workload {wl}; designs {', '.join(designs)} (baseline {baseline}); "
          f"{sweep['points_done']} of {sweep['points']} points finished, "
          f"{sweep['points_failed']} failed, {sweep['points_infeasible']} with an infeasible "
          f"design; swept: {', '.join(keys) or 'nothing'}. Figures from "
          "`analysis/sweep_report.py`; energies and latencies per inference.", ""]

    front = fig_pareto(rows, keys, designs,
                       f"{wl}: energy vs latency per inference, every point, one marker per design",
                       os.path.join(out, "pareto.png"))
    md += ["## Energy vs latency", "", "![energy vs latency](pareto.png)", "",
           "Pareto front of each design (no other point of that design is both faster and more "
           "frugal):", "",
           md_table(front, keys, baseline), ""]
    figures = ["pareto.png"]
    if "array.rows" in keys and "array.cols" in keys:
        other, _ = facets(rows, keys)
        pages = fig_heatmaps(rows, keys, designs, baseline, f"{wl} over array rows x cols", out)
        figures += pages
        md += ["## Over array rows x cols", "",
               "One row of panels per combination of " + (", ".join(other) or "nothing else") +
               ": each design's energy per inference, and each design's energy over the "
               f"baseline's ({baseline}) at the same point.", ""]
        md += [f"![heat maps]({p})" for p in pages] + [""]
    best = fig_breakdown(rows, keys, designs,
                         f"{wl}: energy by component, 5 lowest-EDP points per design",
                         os.path.join(out, "breakdown.png"))
    figures.append("breakdown.png")
    md += ["## Energy breakdown of the best points", "", "![breakdown](breakdown.png)", "",
           md_table(best, keys, baseline), ""]
    point = args.point or min(rows, key=edp)["point"]
    if not any(r["point"] == point for r in rows):
        sys.exit(f"sweep_report: --point {point}: no finished feasible point of that id")
    pr = next(r for r in rows if r["point"] == point)
    here = " vs ".join(r["design_spec"] for r in rows if r["point"] == point)
    fig_layers(args.dir, point, rows, designs,
               f"{os.path.basename(pr['workload'])}, point {point} ({label(pr, keys)}), "
               f"{here}: per-layer energy and cycles", os.path.join(out, "layers.png"))
    figures.append("layers.png")
    md += [f"## Per-layer trace of point {point}", "", "![layers](layers.png)", ""]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md))
    print(f"{out}/report.md (+ {', '.join(figures)})")


if __name__ == "__main__":
    main()
