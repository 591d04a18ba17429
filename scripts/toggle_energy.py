#!/usr/bin/python3
"""Activity-based energy per MAC from the synthesized gate netlist (docs/rtl.md).

    toggle_energy.py [--sim BIN] [--stream WORKLOAD:LAYER]... DESIGN...

For every design: `conlocnn-sim rtl` writes the Verilog, its co-simulation vectors and the
operand streams of the given layers (64 weight-stationary PEs each: a PE holds its weight code
while the layer's activations stream through it, the partial sum from the PEs above arriving as
acc_in); Yosys synthesizes it to generic gates (as scripts/synth_mac.sh) and writes the netlist as
JSON; this script evaluates the netlist gate by gate on every stream with NumPy, checks acc_out
against the C++ datapath's on every vector, counts each gate output's toggles between consecutive
operations, and turns them into energy: toggles x the gate's transistor count (Yosys' CMOS
estimate: NOT 2, NAND/NOR 4, AND/OR 6, XOR/XNOR/MUX 12) x one energy per transistor toggle.

That one energy is calibrated by the same flow on two reference circuits with uniformly random
operands: an 8 x 8 two's-complement multiplier and a 32-bit adder, to Horowitz's 45 nm 0.2 pJ and
0.1 pJ (ISSCC 2014; configs/energy/horowitz45.json): the least-squares factor, and how far each
anchor lands from it, are printed. Then, per design and stream: pJ per MAC from toggles, the ratio
to fixed8 on the same stream, and the simulator's structural model (the mean of its per-code
MAC energy over the stream's codes, `conlocnn-sim formats` arithmetic) for comparison.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

TRANSISTORS = {"$_NOT_": 2, "$_NAND_": 4, "$_NOR_": 4, "$_AND_": 6, "$_OR_": 6, "$_XOR_": 12,
               "$_XNOR_": 12, "$_MUX_": 12, "$_ANDNOT_": 6, "$_ORNOT_": 6, "$_BUF_": 0}
SYNTH = "synth -top {top}; abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX; opt_clean; write_json {out}"


def synthesize(verilog, top, workdir):
    out = os.path.join(workdir, top + ".json")
    subprocess.run(["yosys", "-q", "-p", f"read_verilog {verilog}; " +
                    SYNTH.format(top=top, out=out)], check=True)
    return json.load(open(out))["modules"][top]


def bits_of(values, width):
    """[n] signed ints -> [width, n] booleans (two's complement, LSB first)."""
    v = np.asarray(values, dtype=np.int64)
    return np.stack([((v >> i) & 1).astype(bool) for i in range(width)])


def evaluate(module, inputs):
    """Evaluates the netlist on vectors. inputs: port -> [n] ints. Returns (outputs: port ->
    [n] signed ints, toggle-weighted transistor count summed over gates, gates)."""
    n = len(next(iter(inputs.values())))
    net = {}
    for name, port in module["ports"].items():
        if port["direction"] == "input":
            b = bits_of(inputs[name], len(port["bits"]))
            for i, bit in enumerate(port["bits"]):
                net[bit] = b[i]
    const = {"0": np.zeros(n, bool), "1": np.ones(n, bool), "x": np.zeros(n, bool)}
    cells = list(module["cells"].values())
    pending = cells
    weighted = 0
    while pending:
        rest = []
        for c in pending:
            conn = c["connections"]
            ins = {p: [const[b] if isinstance(b, str) else net.get(b) for b in bits]
                   for p, bits in conn.items() if p != "Y"}
            if any(x is None for v in ins.values() for x in v):
                rest.append(c)
                continue
            t = c["type"]
            A = ins["A"][0]
            B = ins["B"][0] if "B" in ins else None
            y = {"$_NOT_": lambda: ~A, "$_BUF_": lambda: A, "$_AND_": lambda: A & B,
                 "$_NAND_": lambda: ~(A & B), "$_OR_": lambda: A | B, "$_NOR_": lambda: ~(A | B),
                 "$_XOR_": lambda: A ^ B, "$_XNOR_": lambda: ~(A ^ B),
                 "$_ANDNOT_": lambda: A & ~B, "$_ORNOT_": lambda: A | ~B,
                 "$_MUX_": lambda: np.where(ins["S"][0], B, A)}[t]()
            net[conn["Y"][0]] = y
            weighted += TRANSISTORS[t] * int(np.count_nonzero(y[1:] != y[:-1]))
        if len(rest) == len(pending):
            sys.exit("toggle_energy: combinational loop or undriven net in the netlist")
        pending = rest
    outs = {}
    for name, port in module["ports"].items():
        if port["direction"] == "output":
            w = len(port["bits"])
            val = np.zeros(n, dtype=np.int64)
            for i, bit in enumerate(port["bits"]):
                b = const[bit] if isinstance(bit, str) else net[bit]
                val |= b.astype(np.int64) << i
            outs[name] = np.where(val >= (1 << (w - 1)), val - (1 << w), val)
    return outs, weighted, len(cells)


def calibrate(workdir, n=20000, seed=1):
    rng = np.random.default_rng(seed)
    mul = os.path.join(workdir, "ref_mul.v")
    open(mul, "w").write("module ref_mul(input signed [7:0] a, input signed [7:0] b, "
                         "output signed [15:0] y); assign y = a * b; endmodule\n")
    add = os.path.join(workdir, "ref_add.v")
    open(add, "w").write("module ref_add(input [31:0] a, input [31:0] b, output [31:0] y); "
                         "assign y = a + b; endmodule\n")
    a8, b8 = rng.integers(-128, 128, n), rng.integers(-128, 128, n)
    out, w_mul, _ = evaluate(synthesize(mul, "ref_mul", workdir), {"a": a8, "b": b8})
    assert np.array_equal(out["y"], a8 * b8), "reference multiplier netlist is wrong"
    a32, b32 = rng.integers(0, 2**32, n), rng.integers(0, 2**32, n)
    out, w_add, _ = evaluate(synthesize(add, "ref_add", workdir), {"a": a32, "b": b32})
    want = (a32 + b32) & 0xFFFFFFFF
    assert np.array_equal(out["y"] & 0xFFFFFFFF, want), "reference adder netlist is wrong"
    t_mul, t_add = w_mul / (n - 1), w_add / (n - 1)  # transistor toggles per operation
    # Least squares for one energy per transistor toggle over the two anchors (pJ).
    e = (0.2 * t_mul + 0.1 * t_add) / (t_mul ** 2 + t_add ** 2)
    return e, t_mul, t_add


KINDS = ["adder", "mult", "mux2", "xor2", "and2", "dff"]


def read_stream(path):
    """The operations, the structural model's mean pJ per MAC the simulator wrote above them, and
    that energy by cell kind."""
    with open(path) as f:
        model = float(f.readline().split()[-1])
        words = f.readline().split()[2:]
    by_kind = dict(zip(words[0::2], map(float, words[1::2])))
    data = np.loadtxt(path, dtype=np.int64, ndmin=2, comments="#")
    return data[:, 0], data[:, 1], data[:, 2], data[:, 3], model, by_kind


def fit_activity(results):
    """Per-cell-kind activity factors that bring the structural model's energies to the toggle
    energies: least squares in relative error over every (design, stream), kinds that never
    occur left at 1; negative factors clamped to 0 and the rest refitted."""
    keys = sorted(results)
    kinds = [k for k in KINDS if any(results[key][2].get(k, 0) > 0 for key in keys)]
    target = np.array([results[key][0] for key in keys])
    a = np.array([[results[key][2].get(k, 0) for k in kinds] for key in keys]) / target[:, None]
    active = list(range(len(kinds)))
    while True:
        x, *_ = np.linalg.lstsq(a[:, active], np.ones(len(keys)), rcond=None)
        if (x >= 0).all() or len(active) == 1:
            break
        active.pop(int(np.argmin(x)))
    alpha = dict.fromkeys(kinds, 0.0)
    for i, v in zip(active, x):
        alpha[kinds[i]] = float(v)
    fitted = {key: sum(alpha.get(k, 1.0) * v for k, v in results[key][2].items()) for key in keys}
    return alpha, fitted


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sim", default="build/conlocnn-sim")
    ap.add_argument("--stream", action="append", default=[])
    ap.add_argument("designs", nargs="+")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="toggle-")
    e, t_mul, t_add = calibrate(work)
    print(f"calibration: {e * 1000:.3f} fJ per transistor toggle (8x8 multiply {t_mul:.0f} "
          f"transistor toggles -> {e * t_mul:.3f} pJ vs 0.2; 32-bit add {t_add:.0f} -> "
          f"{e * t_add:.3f} pJ vs 0.1)")
    results = {}
    for d in a.designs:
        out = os.path.join(work, d)
        cmd = [a.sim, "rtl", "--design", d, "--out", out]
        for s in a.stream:
            cmd += ["--stream", s]
        subprocess.run(cmd, check=True, capture_output=True)
        module = synthesize(os.path.join(out, "conloc_mac.v"), "conloc_mac", out)
        for s in a.stream:
            layer = s.rsplit(":", 1)[1]
            code, act, acc_in, acc_out, model, by_kind = read_stream(
                os.path.join(out, f"stream-{layer}.txt"))
            got, weighted, gates = evaluate(module, {"a": act, "code": code, "acc_in": acc_in})
            if not np.array_equal(got["acc_out"], acc_out):
                bad = int(np.count_nonzero(got["acc_out"] != acc_out))
                sys.exit(f"toggle_energy: {d}: gate netlist differs from the C++ datapath on "
                         f"{bad} of {len(code)} operations of {layer}")
            results[(d, layer)] = (e * weighted / (len(code) - 1), model, by_kind)
            print(f"{d:8} {layer:22} {len(code):6} ops {gates:5} gates: "
                  f"{results[(d, layer)][0]:.4f} pJ/MAC from toggles, model {model:.4f}")
    print("\n| design | stream | toggles pJ/MAC | model pJ/MAC | toggles / fixed8 | model / fixed8 |")
    print("|---|---|---|---|---|---|")
    for s in a.stream:
        layer = s.rsplit(":", 1)[1]
        base = results.get(("fixed8", layer), (float("nan"), float("nan"), {}))
        for d in a.designs:
            t, m, _ = results[(d, layer)]
            print(f"| {d} | {layer} | {t:.4f} | {m:.4f} | {t / base[0]:.3f} | {m / base[1]:.3f} |")
    if len(results) > 1:
        # What one activity factor per cell kind could do (docs/rtl.md): the model's split by kind,
        # scaled, against the toggles, and the ratios to fixed8 it would give.
        alpha, fitted = fit_activity(results)
        print("\nactivity factors fitted per cell kind: " +
              ", ".join(f"{k} {v:.3f}" for k, v in alpha.items()))
        print("\n| design | stream | toggles pJ/MAC | fitted model pJ/MAC | error | toggles / fixed8 "
              "| fitted / fixed8 |")
        print("|---|---|---|---|---|---|---|")
        for s in a.stream:
            layer = s.rsplit(":", 1)[1]
            for d in a.designs:
                t = results[(d, layer)][0]
                f = fitted[(d, layer)]
                tb = results.get(("fixed8", layer), (float("nan"),))[0]
                fb = fitted.get(("fixed8", layer), float("nan"))
                print(f"| {d} | {layer} | {t:.4f} | {f:.4f} | {100 * (f / t - 1):+.1f} % | "
                      f"{t / tb:.3f} | {f / fb:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
