#!/usr/bin/python3
"""The headline speed figures (docs/benchmarks.md's table), each measured now beside a baseline
measured in the same run, and the goal issue #26 sets for it.

The baseline for every wall time is the machine itself: a plain int8 GEMM of ResNet-50's layers on
one core (bench/gemm_baseline), run before and after the figures, so a reader can tell a slow
figure from a slow (shared, noisy) machine; sweeps also get their one-worker run, and the mapper's
plan stage (bench/plan_speed) its full pass over every candidate. Each command runs
`--repeat` times (default 3) and the median is reported; peak memory is the largest of the runs.
Every command is measured twice: compiling its networks (the compile cache off: a first run) and
reading them from a warm compile cache (a fresh cache folder, filled by one untimed run first:
any later run of the same workload and design, docs/architecture.md "Compile cache").

usage: bench/figures.py [--build DIR] [--repeat N] [--long]
  --long  also the 640-point design-space sweep (about 2 minutes) and the ONNX imports of
          torchvision's ResNet-50 and VGG-11 where scripts/export_torchvision.py has exported them
Prints a Markdown table.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(cmd, env):
    """Runs cmd; returns (wall seconds, peak RSS MiB) from /usr/bin/time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name] + cmd, env=env, cwd=ROOT,
                       stdout=subprocess.DEVNULL, check=True)
        wall, rss_kib = t.read().split()[-2:]
    return float(wall), int(rss_kib) / 1024


def gemm_seconds(build):
    r = subprocess.run(["taskset", "-c", "0", os.path.join(build, "bench", "gemm_baseline"),
                        "resnet50"], capture_output=True, text=True, check=True)
    return float(json.loads(r.stdout)["seconds"])


def stages(summary_path):
    s = json.load(open(summary_path))["wall_seconds_by_stage"]
    return ", ".join(f"{k} {s[k]:.2f}" for k in ["load", "compile", "plan", "simulate"] if k in s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--long", action="store_true")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    sim = os.path.join(build, "conlocnn-sim")
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    out = tempfile.mkdtemp(prefix="figures-")
    rows = []

    def run_figure(name, goal, args, designs=None, repeat=a.repeat, caches=("off", "warm")):
        for cache in caches:
            run_once(name, goal, args, designs, repeat, cache)

    def run_once(name, goal, args, designs, repeat, cache):
        """designs: a sweep's designs per point (its rate is per design point: one design of one
        point, what a run simulates); None for a run. Stages are the last run's."""
        walls, rss = [], 0.0
        run_env = dict(env, CONLOCNN_CACHE_DIR="off")
        if cache == "warm":
            run_env["CONLOCNN_CACHE_DIR"] = os.path.join(out, f"cache-{len(rows)}")
            timed([sim] + args + ["--out", os.path.join(out, f"{len(rows)}-prime")], run_env)
        for i in range(repeat):
            d = os.path.join(out, f"{len(rows)}-{i}")
            w, m = timed([sim] + args + ["--out", d], run_env)
            walls.append(w)
            rss = max(rss, m)
        wall = statistics.median(walls)
        if designs is None:
            split = stages(os.path.join(d, "summary.json"))
        else:
            t = json.load(open(os.path.join(d, "timing.json")))
            st = t["stage_seconds_total"]
            split = (f"{t['points_run'] * designs / wall:.1f} design points/s; " +
                     ", ".join(f"{k} {st[k]:.1f}" for k in ["compile", "plan", "simulate"]) +
                     " (summed over workers)")
        shown = [os.path.relpath(x, ROOT) if os.path.isabs(x) else x for x in args]
        label = name + (", compile cached" if cache == "warm" else "")
        rows.append((label, goal, f"{wall:.2f}", f"{rss:.0f}", split,
                     ("" if cache == "warm" else "CONLOCNN_CACHE_DIR=off ") + "conlocnn-sim " +
                     " ".join(shown)))

    gemm_before = gemm_seconds(build)
    run_figure("README's main job (ResNet-18, functional)", "-", ["run"])
    run_figure("ResNet-50 timing-only", "0.25 s",
               ["run", "--workload", "resnet50", "--timing-only"])
    run_figure("ResNet-50 functional", "1.5 s, 256 MiB", ["run", "--workload", "resnet50"])
    run_figure("array-sizes sweep, 2 workers", "0.5 s (100 points/s)",
               ["sweep", "configs/sweeps/array-sizes.json", "-j", "2"],
               designs=2)
    run_figure("array-sizes sweep, 1 worker (baseline: parallel speed-up)", "-",
               ["sweep", "configs/sweeps/array-sizes.json", "-j", "1"],
               designs=2)
    # The mapper alone (bench/plan_speed): its plan stage per accelerator, beside a full pass
    # costing every candidate in the same run (its own baseline).
    r = subprocess.run([os.path.join(build, "bench", "plan_speed"), "resnet50", str(a.repeat)],
                       env=dict(env, CONLOCNN_CACHE_DIR="off"), cwd=ROOT, capture_output=True,
                       text=True, check=True)
    p = json.loads(r.stdout)
    rows.append(("mapper: ResNet-50 plan stage per accelerator (16 like the design space's; the "
                 "fastest pass)",
                 "-", f"{p['plan_ms_per_accelerator'] / 1000:.3f}", "-",
                 f"full pass over every candidate {p['plain_search_ms_per_accelerator']:.0f} ms; "
                 f"same mappings: {str(p['same_mappings']).lower()}; with the counts of a run "
                 f"of other DRAM reused {p['reused_plan_ms_per_accelerator']:.0f} ms "
                 f"(same mappings: {str(p['reuse_same_mappings']).lower()})",
                 f"build/bench/plan_speed resnet50 {a.repeat}"))
    # Points that plan alike (eight DRAM technologies per buffer size): a worker plans each
    # buffer size's layer shapes once (MappingReuse).
    run_figure("dram-technologies sweep (32 points x 3 designs), 2 workers", "-",
               ["sweep", "configs/sweeps/dram-technologies.json", "-j", "2"], designs=3)
    if a.long:
        run_figure("design-space sweep, 2 workers", "20 s",
                   ["sweep", "configs/sweeps/design-space.json", "-j", "2"],
                   designs=2, repeat=1, caches=("off",))
        zoo = os.path.join(ROOT, "third_party", "models", "torchvision")
        for model, goal in [("resnet50", "import 0.5 s"), ("vgg11", "import 3 s")]:
            f = os.path.join(zoo, model + ".onnx")
            if os.path.exists(f):
                run_figure(f"torchvision {model} ONNX, timing-only", goal,
                           ["run", "--workload", f, "--timing-only"])
    gemm_after = gemm_seconds(build)

    print(f"Baseline: plain int8 GEMM of ResNet-50's layers, one core: {gemm_before:.2f} s before "
          f"the figures, {gemm_after:.2f} s after.\n")
    print("| figure | goal (#26) | wall s (median of runs) | peak RSS MiB | stages s / rate | "
          "command |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r[:5]) + f" | `{r[5]}` |")
    subprocess.run(["rm", "-rf", out])


if __name__ == "__main__":
    sys.exit(main())
