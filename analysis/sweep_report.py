#!/usr/bin/python3
"""Report of a `conlocnn-sim sweep` output folder: energy vs latency of every point with the
Pareto front marked, heat maps over array rows x cols, the energy breakdown of the best points of
each design, and the per-layer trace of one point. Writes DIR/report/report.md and PNG figures.
Reads only the tool's output files (sweep.json, sweep-manifest.json, points/<id>/...).

usage: /usr/bin/python3 analysis/sweep_report.py DIR [--point ID] [--design elp|fixed]
"""
import argparse
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# Every energy component the simulator reports (EnergyBreakdown::component_names).
COMPONENTS = ["mac", "pe_registers", "accumulators", "weight_buffer", "activation_sram",
              "output_buffer", "dram", "compensation_adder", "vector_unit", "sram_leakage",
              "pe_leakage"]
COLORS = {"elp": "tab:blue", "fixed": "tab:orange"}
MARKERS = {"elp": "o", "fixed": "s"}


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
    return r["energy_pj"] * r["latency_s"]


def fig_pareto(rows, keys, title, png):
    """Every point; each design's Pareto front drawn and its points labelled. Returns the fronts."""
    fig, ax = plt.subplots(figsize=(11, 7.5))
    fronts = []
    for d in sorted({r["mac_kind"] for r in rows}):
        sel = [r for r in rows if r["mac_kind"] == d]
        pts = [(r["latency_s"] * 1e3, r["energy_pj"] * 1e-9) for r in sel]
        names = ", ".join(sorted({r["design"] for r in sel}))
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=14, alpha=0.4,
                   color=COLORS.get(d), marker=MARKERS.get(d), label=f"{d}: {names}")
        front = pareto(pts)
        ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], "-", lw=1.2,
                color=COLORS.get(d), label=f"{d}: Pareto front")
        ax.scatter([pts[i][0] for i in front], [pts[i][1] for i in front], s=45,
                   facecolors="none", edgecolors="k", zorder=4)
        # Label the front, alternating sides so neighbours do not overlap.
        shown = front if len(front) <= 12 else front[:: max(1, len(front) // 12)]
        for n, i in enumerate(shown):
            r = sel[i]
            ax.annotate(f"{r['point']} {r['design']} {label(r, keys)}", pts[i], fontsize=6.5,
                        xytext=(8, -11 if n % 2 else 5), textcoords="offset points",
                        color=COLORS.get(d))
        fronts += [sel[i] for i in front]
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("latency per inference (ms)")
    ax.set_ylabel("energy per inference (mJ)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return fronts


def best_per_cell(rows, design):
    """(rows, cols) -> the design's lowest-EDP row over every other swept parameter."""
    cells = {}
    for r in rows:
        if r["mac_kind"] != design:
            continue
        k = (r["array.rows"], r["array.cols"])
        if k not in cells or edp(r) < edp(cells[k]):
            cells[k] = r
    return cells


def fig_heatmaps(rows, keys, title, png):
    designs = sorted({r["mac_kind"] for r in rows})
    rvals = sorted({r["array.rows"] for r in rows})
    cvals = sorted({r["array.cols"] for r in rows})
    metrics = [("energy_pj", 1e-9, "energy (mJ)", "viridis_r"),
               ("latency_s", 1e3, "latency (ms)", "viridis_r"),
               ("utilization_pct", 1, "PE utilisation (%)", "viridis")]
    ncol = len(metrics) + (1 if len(designs) == 2 else 0)
    fig, axes = plt.subplots(len(designs), ncol, figsize=(4.3 * ncol, 3.8 * len(designs)),
                             squeeze=False)
    cells = {d: best_per_cell(rows, d) for d in designs}

    def draw(ax, grid, name, cmap, fmt):
        m = np.ma.masked_invalid(grid)
        im = ax.imshow(m, cmap=cmap, origin="lower", aspect="auto")
        for i in range(len(rvals)):
            for j in range(len(cvals)):
                if np.isfinite(grid[i, j]):
                    rgb = im.cmap(im.norm(grid[i, j]))[:3]
                    dark = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 0.5
                    ax.text(j, i, fmt.format(grid[i, j]), ha="center", va="center", fontsize=7,
                            color="w" if dark else "k")
        ax.set_xticks(range(len(cvals)), [str(c) for c in cvals])
        ax.set_yticks(range(len(rvals)), [str(r) for r in rvals])
        ax.set_xlabel("array cols (PEs)")
        ax.set_ylabel("array rows (PEs)")
        ax.set_title(name, fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046)

    for a, d in enumerate(designs):
        for b, (key, scale, name, cmap) in enumerate(metrics):
            grid = np.full((len(rvals), len(cvals)), np.nan)
            for (rr, cc), r in cells[d].items():
                grid[rvals.index(rr), cvals.index(cc)] = r[key] * scale
            draw(axes[a][b], grid, f"{d}: {name}", cmap, "{:.3g}")
    if len(designs) == 2:
        grid = np.full((len(rvals), len(cvals)), np.nan)
        for k, r in cells["elp"].items():
            f = cells["fixed"].get(k)
            if f:
                grid[rvals.index(k[0]), cvals.index(k[1])] = r["energy_pj"] / f["energy_pj"]
        draw(axes[0][-1], grid, "energy ratio ELP_BSD / fixed point", "RdYlGn_r", "{:.3f}")
        axes[1][-1].axis("off")
    others = [k for k in keys if k not in ("array.rows", "array.cols")]
    sub = f"; each cell: lowest-EDP point over {', '.join(others)}" if others else ""
    fig.suptitle(title + sub, fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def fig_breakdown(rows, keys, title, png, n=5):
    best = []
    for d in sorted({r["mac_kind"] for r in rows}):
        best += sorted((r for r in rows if r["mac_kind"] == d), key=edp)[:n]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(best) + 1.8))
    y = np.arange(len(best))
    left = np.zeros(len(best))
    for c in COMPONENTS:
        v = np.array([(r.get(f"{c}_pj") or 0) * 1e-9 for r in best])
        if v.sum() == 0:
            continue
        ax.barh(y, v, left=left, label=c)
        left += v
    ax.set_yticks(y, [f"{r['point']} {r['design']} {label(r, keys)}" for r in best], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("energy per inference (mJ)")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=4, loc="lower right")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return best


def fig_layers(d, point, rows, title, png):
    designs = [r for r in rows if r["point"] == point]
    fig, (ax_e, ax_c) = plt.subplots(2, 1, figsize=(13, 7), sharex=True)
    width = 0.8 / max(1, len(designs))
    for k, r in enumerate(designs):
        with open(os.path.join(d, "points", point, r["mac_kind"], "layers.csv"), newline="") as f:
            layers = list(csv.DictReader(f))
        x = np.arange(len(layers)) + k * width
        ax_e.bar(x, [float(l["energy_pj"]) * 1e-6 for l in layers], width,
                 label=r["design"], color=COLORS.get(r["mac_kind"]))
        ax_c.bar(x, [float(l["cycles"]) * 1e-3 for l in layers], width, label=r["design"],
                 color=COLORS.get(r["mac_kind"]))
        names = [l["layer"] for l in layers]
    ax_e.set_ylabel("energy (uJ)")
    ax_c.set_ylabel("cycles (thousands)")
    ax_c.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=90, fontsize=6)
    ax_e.legend(fontsize=8)
    ax_e.set_title(title)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def md_table(rows, keys):
    head = "| point | design | " + " | ".join(keys) + " | energy mJ | latency ms | util % | EDP mJ*ms |"
    out = [head, "|" + "---|" * (len(keys) + 6)]
    for r in rows:
        vals = " | ".join(str(r[k]) for k in keys)
        out.append(f"| {r['point']} | {r['design']} | {vals} | {r['energy_pj'] * 1e-9:.3f} | "
                   f"{r['latency_s'] * 1e3:.3f} | {r['utilization_pct']:.1f} | "
                   f"{edp(r) * 1e-6:.4g} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--point", help="point id for the per-layer figure (default: best EDP)")
    args = ap.parse_args()
    sweep, manifest, rows = load(args.dir)
    keys = manifest["swept_keys"]
    workloads = sorted({r["workload"] for r in rows})
    wl = ", ".join(os.path.basename(w) for w in workloads)
    out = os.path.join(args.dir, "report")
    os.makedirs(out, exist_ok=True)
    md = [f"# Sweep report: {os.path.basename(sweep['spec'])}", "",
          f"Workload {wl}; {sweep['points_done']} of {sweep['points']} points finished, "
          f"{sweep['points_failed']} failed, {sweep['points_infeasible']} with an infeasible "
          f"design; swept: {', '.join(keys)}. Figures from `analysis/sweep_report.py`.", ""]

    front = fig_pareto(rows, keys, f"{wl}: energy vs latency per inference, every point and design",
                       os.path.join(out, "pareto.png"))
    md += ["## Energy vs latency", "", "![energy vs latency](pareto.png)", "",
           "Pareto front of each design (no other point of that design is both faster and more "
           "frugal):", "",
           md_table(front, keys), ""]
    if "array.rows" in keys and "array.cols" in keys:
        fig_heatmaps(rows, keys, f"{wl} over array rows x cols", os.path.join(out, "heatmaps.png"))
        md += ["## Over array rows x cols", "", "![heat maps](heatmaps.png)", ""]
    best = fig_breakdown(rows, keys, f"{wl}: energy by component, 5 lowest-EDP points per design",
                         os.path.join(out, "breakdown.png"))
    md += ["## Energy breakdown of the best points", "", "![breakdown](breakdown.png)", "",
           md_table(best, keys), ""]
    point = args.point or min(rows, key=edp)["point"]
    if not any(r["point"] == point for r in rows):
        sys.exit(f"sweep_report: --point {point}: no finished feasible point of that id")
    pr = next(r for r in rows if r["point"] == point)
    designs = " vs ".join(r["design"] for r in rows if r["point"] == point)
    fig_layers(args.dir, point, rows,
               f"{os.path.basename(pr['workload'])}, point {point} ({label(pr, keys)}), "
               f"{designs}: per-layer energy and cycles", os.path.join(out, "layers.png"))
    md += [f"## Per-layer trace of point {point}", "", "![layers](layers.png)", ""]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md))
    print(f"{out}/report.md (+ pareto.png, heatmaps.png, breakdown.png, layers.png)")


if __name__ == "__main__":
    main()
