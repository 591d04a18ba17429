#!/usr/bin/python3
"""Runs torchvision's CNNs through the simulator and tabulates what happens (issue #25).

Exports the models (scripts/export_torchvision.py, cached), runs each with
`conlocnn-sim run --workload <model>.onnx --timing-only`, and prints one Markdown row per model:
whether it runs (else the first blocker the import names), its MACs against PyTorch's own count
(forward hooks on Conv2d and Linear, written by the export), its weights, and the time to import
(the run's `load` stage). With --check, exits 1 when a model does not run or its MACs differ from
PyTorch's by more than 1 %, and 77 (skipped) when torchvision is not installed.

usage: /usr/bin/python3 scripts/zoo_report.py [--sim build/conlocnn-sim]
           [--models-dir third_party/models/torchvision] [--out out/zoo] [--opset 13] [--check]
           [model ...]
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run_model(sim, onnx_path, out):
    t0 = time.time()
    r = subprocess.run([sim, "run", "--workload", onnx_path, "--timing-only", "--out", out],
                       capture_output=True, text=True)
    wall = time.time() - t0
    if r.returncode != 0:
        lines = [ln.strip() for ln in r.stderr.splitlines() if ln.strip()]
        # The first blocker: the line after "every blocker:", or the error itself.
        blocker = lines[1] if len(lines) > 1 and lines[0].endswith("every blocker:") else \
            (lines[0] if lines else f"exit {r.returncode}")
        return None, blocker.replace("|", "\\|")[:200], wall
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f), None, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", default="build/conlocnn-sim")
    ap.add_argument("--models-dir", default="third_party/models/torchvision")
    ap.add_argument("--out", default="out/zoo")
    ap.add_argument("--opset", type=int, default=13, help="ONNX opset of the exports")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("models", nargs="*")
    a = ap.parse_args()
    export = [sys.executable, os.path.join(HERE, "export_torchvision.py"), "--out", a.models_dir,
              "--opset", str(a.opset)]
    rc = subprocess.run(export + a.models, stdout=subprocess.DEVNULL).returncode
    if rc == 77:
        print("zoo_report: torchvision is not installed (scripts/install-deps.sh); skipped",
              file=sys.stderr)
        return 77
    names = a.models or subprocess.run(export + ["--list"], capture_output=True,
                                       text=True).stdout.split()
    print("| model | runs | MACs (ours / PyTorch) | weights | import |")
    print("|---|---|---|---|---|")
    failed = []
    for name in names:
        try:
            with open(os.path.join(a.models_dir, f"{name}.json")) as f:
                meta = json.load(f)
        except OSError:
            print(f"| {name} | not exported (export_torchvision.py failed) | - | - | - |")
            failed.append(f"{name}: not exported")
            continue
        s, blocker, _ = run_model(a.sim, os.path.join(a.models_dir, f"{name}.onnx"),
                                  os.path.join(a.out, name))
        if s is None:
            print(f"| {name} | no: {blocker} | - / {meta['macs'] / 1e9:.3g} G | "
                  f"{meta['params'] / 1e6:.3g} M | - |")
            failed.append(f"{name}: {blocker}")
            continue
        ratio = s["macs"] / meta["macs"]
        print(f"| {name} | yes | {s['macs'] / 1e9:.4g} / {meta['macs'] / 1e9:.4g} G "
              f"({100 * (ratio - 1):+.2f} %) | {meta['params'] / 1e6:.3g} M | "
              f"{s['wall_seconds_by_stage']['load']:.2f} s |")
        if abs(ratio - 1) > 0.01:
            failed.append(f"{name}: {s['macs']} MACs, PyTorch counts {meta['macs']}")
        sys.stdout.flush()
    if rc != 0 and not failed:
        failed.append(f"export_torchvision.py exited {rc}")
    if a.check and failed:
        print("zoo_report: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
