#!/usr/bin/python3
"""Activity-based energy per MAC from the synthesized gate netlist (docs/rtl.md).

    toggle_energy.py [--sim BIN] [--stream WORKLOAD:LAYER]... [--holdout WORKLOAD:LAYER]...
                     [--fit | --characterise OUT.json] DESIGN[@KEY=VALUE...]...

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
to fixed8 on the same stream, and beside them what a run charges for the same operations (the
stream header's model: the characterised energy per held code where the energy table has this
circuit, else the structural model) and the structural model's figure.

--fit fits the energy table's structural activity constants to the --stream streams;
--characterise writes a per-code characterisation of every design (docs/rtl.md,
"Characterised MAC energy"), the file an energy table's "mac_characterisation" names.
"""
import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

TRANSISTORS = {"$_NOT_": 2, "$_NAND_": 4, "$_NOR_": 4, "$_AND_": 6, "$_OR_": 6, "$_XOR_": 12,
               "$_XNOR_": 12, "$_MUX_": 12, "$_ANDNOT_": 6, "$_ORNOT_": 6, "$_BUF_": 0,
               "$_DFF_P_": 24, "$_DFFE_PP_": 36}  # flip-flop 24 as the model's, enable a MUX2
FLOPS = ("$_DFF_P_", "$_DFFE_PP_")
# dffunmap: enables and resets as gates, every flip-flop a plain one. A keep_hierarchy module (a
# fixed v2 decoder) is mapped on its own and flattened after mapping (as scripts/synth_mac.sh).
SYNTH = ("synth -top {top}; dffunmap; abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX; "
         "setattr -mod -unset keep_hierarchy; flatten; opt_clean; write_json {out}")


def synthesize(verilog, top, workdir):
    out = os.path.join(workdir, top + ".json")
    subprocess.run(["yosys", "-q", "-p", f"read_verilog {verilog}; " +
                    SYNTH.format(top=top, out=out)], check=True)
    return json.load(open(out))["modules"][top]


def bits_of(values, width):
    """[n] signed ints -> [width, n] booleans (two's complement, LSB first)."""
    v = np.asarray(values, dtype=np.int64)
    return np.stack([((v >> i) & 1).astype(bool) for i in range(width)])


def combinational_order(module):
    """The netlist's gates in an order where every gate follows its inputs' drivers (computed once
    per module); flip-flop outputs and ports are sources."""
    if "_order" in module:
        return module["_order"]
    cells = [c for c in module["cells"].values() if c["type"] not in FLOPS]
    known = {b for port in module["ports"].values() if port["direction"] == "input"
             for b in port["bits"]}
    known |= {c["connections"]["Q"][0] for c in module["cells"].values() if c["type"] in FLOPS}
    order, pending = [], cells
    while pending:
        rest = []
        for c in pending:
            ins = [b for p, bits in c["connections"].items() if p != "Y" for b in bits]
            if all(isinstance(b, str) or b in known for b in ins):
                order.append(c)
                known.add(c["connections"]["Y"][0])
            else:
                rest.append(c)
        if len(rest) == len(pending):
            sys.exit("toggle_energy: combinational loop or undriven net in the netlist")
        pending = rest
    module["_order"] = order
    return order


def evaluate(module, inputs, state=None, nets=None, per_transition=False):
    """Evaluates the netlist on vectors. inputs: port -> [n] ints (ports not given are held at
    0); state: flip-flop output bit -> value (a bool held over the vectors, e.g. a loaded decoder
    table, or an [n] array, one per vector). Returns (outputs: port -> [n] signed ints,
    toggle-weighted transistor count summed over gates between consecutive vectors -- or, with
    per_transition, an [n - 1] array of it per transition -- gates). `nets`, when given, receives
    every net's values."""
    n = len(next(iter(inputs.values())))
    net = {} if nets is None else nets
    for name, port in module["ports"].items():
        if port["direction"] == "input":
            b = bits_of(inputs.get(name, np.zeros(n, np.int64)), len(port["bits"]))
            for i, bit in enumerate(port["bits"]):
                net[bit] = b[i]
    const = {"0": np.zeros(n, bool), "1": np.ones(n, bool), "x": np.zeros(n, bool)}
    for c in module["cells"].values():
        if c["type"] in FLOPS:  # a register's output is constant while no write enable is set
            q = c["connections"]["Q"][0]
            v = (state or {}).get(q, False)
            net[q] = np.asarray(v, bool) if np.ndim(v) else np.full(n, bool(v))
    order = combinational_order(module)
    weighted = np.zeros(n - 1) if per_transition else 0
    for c in order:
        conn = c["connections"]
        ins = {p: [const[b] if isinstance(b, str) else net[b] for b in bits]
               for p, bits in conn.items() if p != "Y"}
        t = c["type"]
        A = ins["A"][0]
        B = ins["B"][0] if "B" in ins else None
        y = {"$_NOT_": lambda: ~A, "$_BUF_": lambda: A, "$_AND_": lambda: A & B,
             "$_NAND_": lambda: ~(A & B), "$_OR_": lambda: A | B, "$_NOR_": lambda: ~(A | B),
             "$_XOR_": lambda: A ^ B, "$_XNOR_": lambda: ~(A ^ B),
             "$_ANDNOT_": lambda: A & ~B, "$_ORNOT_": lambda: A | ~B,
             "$_MUX_": lambda: np.where(ins["S"][0], B, A)}[t]()
        net[conn["Y"][0]] = y
        if per_transition:
            weighted += TRANSISTORS[t] * (y[1:] != y[:-1])
        else:
            weighted += TRANSISTORS[t] * int(np.count_nonzero(y[1:] != y[:-1]))
    outs = {}
    for name, port in module["ports"].items():
        if port["direction"] == "output":
            w = len(port["bits"])
            val = np.zeros(n, dtype=np.int64)
            for i, bit in enumerate(port["bits"]):
                b = const[bit] if isinstance(bit, str) else net[bit]
                val |= b.astype(np.int64) << i
            outs[name] = np.where(val >= (1 << (w - 1)), val - (1 << w), val)
    return outs, weighted, len(order)


def evaluate_serial(module, code, act, acc_in, pes, acc_out=None):
    """A term-serial MAC (ports clk, start, done) on a stream of `pes` PEs' operations, PE-major:
    each PE clocks its own operations back to back -- a `start` cycle, then cycles until `done` --
    and all PEs are evaluated side by side, one clock cycle at a time. Counts each gate output's
    and flip-flop's toggles between one cycle and the next of the same PE, charged to the
    operation that cycle works on, and checks every result against `acc_out` (the C++ datapath's)
    when given. Returns (transistor toggles per operation, [pes, m]; results, [pes, m]; cycles
    summed over PEs; mismatches)."""
    m = len(code) // pes
    ops = [np.asarray(x[:pes * m], np.int64).reshape(pes, m) for x in (code, act, acc_in)]
    flops = [c for c in module["cells"].values() if c["type"] in FLOPS]
    order = combinational_order(module)
    rows = np.arange(pes)
    ptr = np.zeros(pes, np.int64)  # each PE's current operation
    start = np.ones(pes, bool)     # the next cycle begins a new operation
    state = {c["connections"]["Q"][0]: np.zeros(pes, bool) for c in flops}
    prev, prev_active = None, None
    per_op, results = np.zeros((pes, m)), np.zeros((pes, m), np.int64)
    cycles = 0
    for _ in range(8 * m + 8):
        active = ptr < m
        if not active.any():
            break
        i = np.minimum(ptr, m - 1)
        inputs = {"code": ops[0][rows, i], "a": ops[1][rows, i], "acc_in": ops[2][rows, i],
                  "start": (start & active).astype(np.int64)}
        nets = {}
        evaluate(module, inputs, state, nets)
        weighted = np.zeros(pes)
        if prev is not None:
            both = active & prev_active
            for c in order:
                y = c["connections"]["Y"][0]
                weighted += TRANSISTORS[c["type"]] * ((nets[y] != prev[y]) & both)
        cycles += int(np.count_nonzero(active))
        # The clock edge: every enabled flip-flop takes its D (idle PEs hold).
        new = {}
        for c in flops:
            conn = c["connections"]
            d = nets[conn["D"][0]] if not isinstance(conn["D"][0], str) else \
                np.full(pes, conn["D"][0] == "1")
            en = active.copy()
            if "E" in conn:
                en &= nets[conn["E"][0]]
            q = conn["Q"][0]
            new[q] = np.where(en, d, state[q])
            weighted += TRANSISTORS[c["type"]] * (new[q] != state[q])
        per_op[rows[active], i[active]] += weighted[active]
        state, prev, prev_active = new, nets, active
        # After the edge: is each PE's operation done? (done and acc_out follow the registers.)
        probe, _, _ = evaluate(module, {"code": inputs["code"], "a": inputs["a"],
                                        "acc_in": inputs["acc_in"],
                                        "start": np.zeros(pes, np.int64)}, state)
        done = (probe["done"] != 0) & active
        results[rows[done], i[done]] = probe["acc_out"][done]
        ptr = np.where(done, ptr + 1, ptr)
        start = done
    # An operation that never reaches `done` is wrong too (at most 8 cycles per operation allowed).
    bad = int(np.sum(m - np.minimum(ptr, m)))
    if acc_out is not None:
        want = np.asarray(acc_out[:pes * m], np.int64).reshape(pes, m)
        bad += int(np.count_nonzero((results != want) & (np.arange(m) < ptr[:, None])))
    return per_op, results, cycles, bad


def load_registers(module, writes):
    """Clocks the netlist's flip-flops through `writes` (one dict of input port values per rising
    edge), from all-zero: the state `evaluate` then holds (a per-layer decoder table)."""
    state = {}
    flops = [c["connections"] for c in module["cells"].values() if c["type"] in FLOPS]

    def bit(net, b):
        return b == "1" if isinstance(b, str) else bool(net[b][0])

    for w in writes:
        net = {}
        evaluate(module, {k: np.array([v]) for k, v in w.items()}, state, net)
        for conn in flops:
            if "E" not in conn or bit(net, conn["E"][0]):
                state[conn["Q"][0]] = bit(net, conn["D"][0])
    return state


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


# The model's parts in the stream header (before activity factors and toggle rates), and the
# factor each is charged at: the operand path's cell kinds and a term's pass through a term adder
# follow the activation's toggles; the accumulator add follows both its inputs (one factor each);
# a gated operation's partial sum passing the accumulator adder follows the partial sum's.
OPERAND_KINDS = ["adder", "mult", "mux2", "xor2", "and2", "dff"]
RATES = ["activation", "psum", "product"]


def read_stream(path):
    """The operations and the header the simulator wrote above them: the structural model's mean
    pJ per MAC (the energy table's activity factors at the layer's toggle rates), its parts before
    them (by_kind), the layer's operand toggle rates the model used, and the layer's decoder table
    for a per-layer level set ([(index, word)], else empty)."""
    head = {"table": []}
    with open(path) as f:
        for line in f:
            if not line.startswith("#"):
                break
            w = line.split()
            if w[1] == "model_pj_per_mac":
                head["model"] = float(w[2])
            elif w[1] == "structural_pj_per_mac":
                head["structural"] = float(w[2])
            elif w[1] == "model_kind":
                head["model_kind"] = w[2]
            elif w[1] == "table":
                head["table"].append((int(w[2]), int(w[3])))
            else:
                head[w[1]] = dict(zip(w[2::2], map(float, w[3::2])))
    data = np.loadtxt(path, dtype=np.int64, ndmin=2, comments="#")
    return data[:, 0], data[:, 1], data[:, 2], data[:, 3], head


def activity_terms(head, ref):
    """(factor name, pJ per MAC before that factor) of one stream: each part times its driving
    operand's toggle rate relative to `ref` (the table's toggle_* constants)."""
    parts, t = head["model_pj_random_by_kind"], head["operand_toggles"]
    r = {q: t[q] / ref[q] for q in RATES}
    terms = [(k, parts.get(k, 0) * r["activation"]) for k in OPERAND_KINDS]
    terms += [("adder", parts["term_pass"] * r["activation"]),  # the same adders, passing a term
              ("acc_psum", parts["acc"] * r["psum"]), ("acc_product", parts["acc"] * r["product"]),
              ("acc_psum", parts["psum_pass"] * r["psum"])]  # a partial sum passing the adder
    return terms


def levenberg_marquardt(fun, x, iterations=300):
    """Minimises |fun(x)|^2 from x (forward-difference Jacobian, Marquardt's diagonal damping)."""
    r = fun(x)
    cost, lam = r @ r, 1e-3
    for _ in range(iterations):
        jac = np.empty((len(r), len(x)))
        for i in range(len(x)):
            h = 1e-7 * max(1.0, abs(x[i]))
            xi = x.copy()
            xi[i] += h
            jac[:, i] = (fun(xi) - r) / h
        jtj, jtr = jac.T @ jac, jac.T @ r
        while True:
            step = np.linalg.solve(jtj + lam * np.diag(np.diag(jtj) + 1e-12), -jtr)
            with np.errstate(over="ignore", invalid="ignore"):  # a wild step is rejected
                rn = fun(x + step)
            if np.all(np.isfinite(rn)) and rn @ rn < cost:
                x, r, cost, lam = x + step, rn, rn @ rn, max(lam / 3, 1e-12)
                break
            lam *= 10
            if lam > 1e12:
                return x
        if np.max(np.abs(step)) < 1e-9:
            break
    return x


def fit_activity(results, fit_keys, p=8):
    """The MAC activity constants of an energy table (docs/energy.md, docs/rtl.md): the reference
    toggle rates are the geometric means of the fit streams' layer rates (3 significant digits);
    one factor per cell kind of the operand path (term passes share the adder's), and two for the
    accumulator add (its partial-sum input, shared with the partial-sum pass, and its product
    input). A design comparison reads ratios and a run reports energies, so the factors minimise
    the log errors of both -- each design's energy and its ratio to fixed8 on the same stream --
    over the fit streams (Levenberg-Marquardt on log-factors, positive by construction, with the
    residuals raised to p / 2 so the worst points weigh most, an L^p norm, p = 2, 4 then 8).
    Returns (constants, fitted pJ for every key of `results`)."""
    keys = sorted(fit_keys)
    ref = {q: float(f"{np.exp(np.mean([np.log(results[k][1]['operand_toggles'][q]) for k in keys])):.3g}")
           for q in RATES}
    names = sorted({n for key in results for n, v in activity_terms(results[key][1], ref) if v > 0})

    def row(key):
        out = dict.fromkeys(names, 0.0)
        for n, v in activity_terms(results[key][1], ref):
            if v > 0:
                out[n] += v
        return [out[n] for n in names]

    all_keys = list(results)
    a_all = np.array([row(k) for k in all_keys])
    fit = np.array([k in keys for k in all_keys])
    t = np.array([results[k][0] for k in all_keys])
    base = np.array([all_keys.index(("fixed8", k[1])) for k in all_keys])

    def residuals(x, power):
        f = a_all @ np.exp(x)
        r = np.concatenate([np.log(f / t)[fit], np.log((f / f[base]) / (t / t[base]))[fit]])
        return np.sign(r) * np.abs(r) ** (power / 2)

    x = np.zeros(len(names))
    for power in (2, 4, p):
        x = levenberg_marquardt(lambda v: residuals(v, power), x)
    # 4 significant digits; a factor the fit drives to nothing is 0.
    alpha = dict(zip(names, (float(f"{v:.4g}") if v > 1e-6 else 0.0 for v in np.exp(x))))
    fitted = {k: float(a_all[i] @ np.array([alpha[n] for n in names]))
              for i, k in enumerate(all_keys)}
    constants = {f"activity_{k}": alpha.get(k, 0.0) for k in OPERAND_KINDS if k != "dff"}
    constants.update({"activity_acc_psum": alpha.get("acc_psum", 0.0),
                      "activity_acc_product": alpha.get("acc_product", 0.0),
                      "activity_term_pass": alpha.get("adder", 0.0),
                      "activity_psum_pass": alpha.get("acc_psum", 0.0)})
    constants.update({f"toggle_{q}": ref[q] for q in RATES})
    return constants, fitted


def popcount(x, width):
    """Bits set in the low `width` bits of each element of an int64 array."""
    x = np.asarray(x, np.int64)
    return sum(((x >> i) & 1) for i in range(width)).astype(float)


def nonnegative_least_squares(x, y):
    """argmin |x c - y| over c >= 0 for a few columns: the best unconstrained solution over every
    subset of columns whose solution is nonnegative (a zero weight's activation column, say, is
    pure noise)."""
    best, best_err = np.zeros(x.shape[1]), float(y @ y)
    for mask in range(1, 1 << x.shape[1]):
        cols = [i for i in range(x.shape[1]) if mask >> i & 1]
        c, *_ = np.linalg.lstsq(x[:, cols], y, rcond=None)
        if np.all(c >= 0):
            r = x[:, cols] @ c - y
            if r @ r < best_err:
                best_err, best = float(r @ r), np.zeros(x.shape[1])
                best[cols] = c
    return best


def fnv1a64(data):
    """FNV-1a, 64 bits: the simulator looks a characterisation up by this hash of the design's
    generated Verilog (fnv1a_hex, sim/config/sim_config.cpp)."""
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def characterise(module, out_dir, e, streams, pes=(0, 16, 32, 48), ops=400):
    """A design's energy per operation by held weight code (a power macromodel, docs/rtl.md):
    every valid code (vectors.txt) is held while a reference operand sequence streams through --
    the activations and partial sums of up to `ops` consecutive operations of PEs `pes` of each
    stream (`streams`: read_stream's tuples) -- and the gate-level energy of each operation (its transition from the one before; a
    term-serial MAC's cycles for it) is fitted, per code, as pJ per toggled bit of the
    activation, the partial sum and the product, plus, for a term-serial MAC, pJ per operation
    (its shared shifter's input and amount change from cycle to cycle within an operation even
    when the operands hold). Nonnegative least squares, then scaled so that the code's energy
    over the reference is kept; a PE segment's first operation is not used. Returns {code: [4
    coefficients, then the code's mean activation, partial-sum and product toggles over the
    reference]} and the worst relative error of a code's least-squares energy over the
    reference before that scaling."""
    a_bits = len(module["ports"]["a"]["bits"])
    acc_bits = len(module["ports"]["acc_in"]["bits"])
    serial = "start" in module["ports"]
    segments = []  # per stream: activations and partial sums, [len(pes), n]
    for code, act, acc_in, _, _ in streams:
        m = len(code) // 64
        n = min(ops, m)
        segments.append((np.stack([act[p * m:p * m + n] for p in pes]),
                         np.stack([acc_in[p * m:p * m + n] for p in pes])))
    vectors = np.loadtxt(os.path.join(out_dir, "vectors.txt"), dtype=np.int64, ndmin=2,
                         comments="#")

    def table_state(entries):  # a decoder table written, (address, word) pairs
        return load_registers(module, [{"tbl_we": 1, "tbl_addr": i, "tbl_data": w}
                                       for i, w in entries])

    # What is held: (row key, code, decoder state). A fixed decoder: every valid code. A loadable
    # decoder (values.txt): every magnitude it can hold, of either sign, a table's worth at a time,
    # keyed by the level (2|v| + (v < 0), MacModel::energy_key): a layer's own set puts another
    # magnitude behind each code.
    holds = []
    if os.path.exists(os.path.join(out_dir, "values.txt")):
        values = [tuple(map(int, line.split())) for line in open(os.path.join(out_dir,
                                                                              "values.txt"))]
        entries = sum(1 for _ in open(os.path.join(out_dir, "table.txt")))
        sign = 1 << len(module["ports"]["code"]["bits"]) - 1
        for first in range(0, len(values), entries):
            chunk = values[first:first + entries]
            state = table_state([(i + 1, w) for i, (_, w) in enumerate(chunk)])
            if first == 0:
                holds.append((0, 0, state))
            for i, (m, _) in enumerate(chunk):
                holds += [(2 * m, i + 1, state), (2 * m + 1, sign | (i + 1), state)]
    else:
        table = []
        if os.path.exists(os.path.join(out_dir, "table.txt")):  # the preset's level set, loaded
            table = [tuple(map(int, line.split()))
                     for line in open(os.path.join(out_dir, "table.txt"))]
        state = table_state(table)
        holds = [(int(c), int(c), state) for c in np.unique(vectors[:, 0])]

    def toggles(x):  # [segments, n] -> bits changing from each operation to the next, flattened
        return (x[:, 1:] ^ x[:, :-1]).reshape(-1)

    codes = [key for key, _, _ in holds]
    xs = {c: [] for c in codes}
    ys = {c: [] for c in codes}
    for act, acc_in in segments:
        if serial:  # clocked: every code's segments side by side, one PE each
            k = len(holds)
            held = np.repeat([code for _, code, _ in holds], act.size)
            per_op, out, _, _ = evaluate_serial(module, held, np.tile(act.reshape(-1), k),
                                                np.tile(acc_in.reshape(-1), k), k * len(act))
            per_op = per_op.reshape(k, len(act), -1)
            out = out.reshape(k, len(act), -1)
        for j, (c, code, state) in enumerate(holds):
            if serial:
                y, acc_out = per_op[j][:, 1:].reshape(-1), out[j]
            else:
                got, w, _ = evaluate(module, {"a": act.reshape(-1),
                                              "code": np.full(act.size, code),
                                              "acc_in": acc_in.reshape(-1)}, state,
                                     per_transition=True)
                acc_out = got["acc_out"].reshape(act.shape)
                y = np.r_[w, 0].reshape(act.shape)[:, :-1].reshape(-1)  # within each segment
            cols = [popcount(toggles(act), a_bits), popcount(toggles(acc_in), acc_bits),
                    popcount(toggles(acc_out - acc_in), acc_bits), np.full(y.size, float(serial))]
            xs[c].append(np.stack(cols, 1))
            ys[c].append(e * y)
    coefficients, worst = {}, 0.0
    for c in codes:
        xs_c, ys_c = xs[c], ys[c]
        x, y = np.concatenate(xs_c), np.concatenate(ys_c)
        k = nonnegative_least_squares(x if serial else x[:, :3], y)
        k = k if serial else np.r_[k, 0.0]
        # Least squares per operation need not keep the code's total (without an intercept the
        # fit ran 2-6 % low on it, and as much low on unseen layers): scaled to keep it.
        if (x @ k).sum() > 0:
            worst = max(worst, abs((x @ k).sum() / y.sum() - 1))
            k = k * y.sum() / (x @ k).sum()
        # The code's mean operand toggles over the reference: what a run without simulated
        # operands prices the code at (its reference energy, k x these + k0).
        ref = x[:, :3].mean(axis=0)
        coefficients[int(c)] = [float(f"{v:.5g}") for v in k] + [float(f"{v:.5g}") for v in ref]
    return coefficients, worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sim", default="build/conlocnn-sim")
    ap.add_argument("--stream", action="append", default=[])
    ap.add_argument("--holdout", action="append", default=[],
                    help="a stream measured and checked like --stream but left out of the "
                         "activity fit (out-of-sample validation)")
    ap.add_argument("--max-ratio-error", type=float, default=None,
                    help="exit 1 if a design's model / fixed8 ratio is further than this "
                         "(relative) from its toggles / fixed8 ratio on a stream")
    ap.add_argument("--max-error", type=float, default=None,
                    help="exit 1 if a design's model energy per MAC is further than this "
                         "(relative) from its toggles' on a stream")
    ap.add_argument("--fit", action="store_true",
                    help="fit the energy table's MAC activity constants to the --stream streams "
                         "and show what they give on every stream")
    ap.add_argument("--characterise", metavar="OUT.json",
                    help="characterise every design's energy per held weight code on "
                         "the --stream streams' operands and write the table the energy model "
                         "reads (configs/energy/mac-characterisation-45nm.json, docs/rtl.md)")
    ap.add_argument("designs", nargs="+")
    a = ap.parse_args()
    characterised = {}
    # Scratch for the generated, synthesised and simulated designs (about 12 MB), removed at exit:
    # each run of the suite's toggle tests left one behind.
    work = tempfile.mkdtemp(prefix="toggle-")
    atexit.register(shutil.rmtree, work, True)
    e, t_mul, t_add = calibrate(work)
    print(f"calibration: {e * 1000:.3f} fJ per transistor toggle (8x8 multiply {t_mul:.0f} "
          f"transistor toggles -> {e * t_mul:.3f} pJ vs 0.2; 32-bit add {t_add:.0f} -> "
          f"{e * t_add:.3f} pJ vs 0.1)")
    streams = a.stream + a.holdout
    results = {}
    serial_designs = set()  # clocked several cycles per operation: checked, never fitted
    for d in a.designs:
        # DESIGN@KEY=VALUE[@KEY=VALUE...]: a registry design with configuration changes (e.g.
        # elp6v2@design.elp.term_price=0), reported under the whole token.
        name, *sets = d.split("@")
        out = os.path.join(work, d.replace("/", "_"))
        cmd = [a.sim, "rtl", "--design", name, "--out", out]
        if sets and name.startswith("elp") and name != "elp":
            sets = [f"design.elp.format={name}"] + sets  # the changes apply to that format
        for kv in sets:
            cmd += ["--set", kv]
        for s in streams:
            cmd += ["--stream", s]
        subprocess.run(cmd, check=True, capture_output=True)
        module = synthesize(os.path.join(out, "conloc_mac.v"), "conloc_mac", out)
        serial = "start" in module["ports"]
        if serial:
            serial_designs.add(d)
        data = {s: read_stream(os.path.join(out, f"stream-{s.rsplit(':', 1)[1]}.txt"))
                for s in streams}  # each stream file read once
        if a.characterise:
            # A term-serial MAC's energy per operation depends on whether its input channel is
            # live (shifting a zero activation switches nothing): its reference spans 16 PEs of
            # each layer, so dead channels are in it (with 4, layers came out 5-12 % high).
            codes, worst = characterise(module, out, e, [data[s] for s in a.stream],
                                        pes=tuple(range(0, 64, 4)) if serial else (0, 16, 32, 48))
            characterised[d] = {"verilog_fnv1a64": fnv1a64(
                open(os.path.join(out, "conloc_mac.v"), "rb").read()),
                "codes": [[c] + k for c, k in sorted(codes.items())]}
            if os.path.exists(os.path.join(out, "values.txt")):  # rows keyed by the level held
                characterised[d]["keyed_by"] = "level"
            print(f"{d}: {len(codes)} codes characterised (least squares off a code's mean "
                  f"energy by up to {100 * worst:.1f} %, scaled to it)", flush=True)
        for s in streams:
            layer = s.rsplit(":", 1)[1]
            code, act, acc_in, acc_out, head = data[s]
            model = head["model"]
            # A per-layer level set: write the layer's decoder table first; it then holds.
            state = load_registers(module, [{"tbl_we": 1, "tbl_addr": i, "tbl_data": word}
                                            for i, word in head["table"]])
            if serial:  # several cycles per operation: clocked, PE by PE
                per_op, _, cycles, bad = evaluate_serial(module, code, act, acc_in, 64, acc_out)
                weighted, transitions = per_op.sum(), len(code) - 1
                gates = len(combinational_order(module))
            else:
                got, w, gates = evaluate(module, {"a": act, "code": code, "acc_in": acc_in},
                                         state, per_transition=True)
                bad = int(np.count_nonzero(got["acc_out"] != acc_out))
                # Within each PE's operations only, as the term-serial MACs are measured: where
                # one PE's stream gives way to the next the held weight changes, which a run
                # charges as a weight fetch (the decoder read) and a PE register load, not as
                # MAC energy -- through a 127-entry table that transition alone is 1.2 pJ.
                keep = np.ones(len(w), bool)
                keep[len(code) // 64 - 1::len(code) // 64] = False
                weighted, transitions = w[keep].sum(), int(keep.sum())
            if bad:
                sys.exit(f"toggle_energy: {d}: gate netlist differs from the C++ datapath on "
                         f"{bad} of {len(code)} operations of {layer}")
            results[(d, layer)] = (e * weighted / transitions, head)
            print(f"{d:8} {layer:22} {len(code):6} ops {gates:5} gates: "
                  f"{results[(d, layer)][0]:.4f} pJ/MAC from toggles, model {model:.4f}")
    # "model": what a run charges for these operations (the characterised energy per held code
    # where the energy table has this circuit, else the structural model); "structural": the
    # structural model's figure either way.
    print("\n| design | stream | toggles pJ/MAC | model pJ/MAC | error | toggles / fixed8 | "
          "model / fixed8 | ratio error | model kind | structural pJ/MAC | error | ratio error |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    off = []
    worst = {}  # (stream group, "model" or "structural") -> [|energy error|, |ratio error|]
    for s in streams:
        layer = s.rsplit(":", 1)[1]
        group = "held out" if s in a.holdout and s not in a.stream else "streams"
        base = results.get(("fixed8", layer))
        for d in a.designs:
            t, head = results[(d, layer)]
            cells = []
            for kind in ("model", "structural"):
                m = head.get(kind, head["model"])
                mb = base[1].get(kind, base[1]["model"]) if base else float("nan")
                tb = base[0] if base else float("nan")
                err, ratio = m / t - 1, (m / mb) / (t / tb) - 1
                cells.append((m, err, t / tb, m / mb, ratio))
                w = worst.setdefault((group, kind), [0.0, None])  # no ratio without fixed8
                w[0] = max(w[0], abs(err))
                if base:
                    w[1] = max(w[1] or 0.0, abs(ratio))
            (m, err, tr, mr, ratio), (ms, errs, _, _, ratios) = cells
            print(f"| {d} | {layer} | {t:.4f} | {m:.4f} | {100 * err:+.1f} % | {tr:.3f} | "
                  f"{mr:.3f} | {100 * ratio:+.1f} % | {head.get('model_kind', '-')} | {ms:.4f} | "
                  f"{100 * errs:+.1f} % | {100 * ratios:+.1f} % |")
            if a.max_ratio_error is not None and not abs(ratio) <= a.max_ratio_error:
                off.append(f"{d} on {layer}: model / fixed8 {mr:.3f}, toggles / fixed8 {tr:.3f}")
            if a.max_error is not None and not abs(err) <= a.max_error:
                off.append(f"{d} on {layer}: model {m:.4f} pJ/MAC, toggles {t:.4f}")
    for (group, kind), (wa, wr) in sorted(worst.items()):
        print(f"worst error, {group}, {kind}: energy {100 * wa:.1f} %, ratio to fixed8 " +
              ("-" if wr is None else f"{100 * wr:.1f} %"))
    # Term-serial designs are left out of the fit: their multi-term cycles are charged at
    # activity_serial_switch, which the fitted parts do not carry.
    fit_keys = [(d, s.rsplit(":", 1)[1]) for s in a.stream for d in a.designs
                if d not in serial_designs]
    if a.fit and "fixed8" in a.designs:
        # The energy table's MAC activity constants (docs/rtl.md) fitted to these streams, and
        # what they give on every stream; held-out streams marked.
        constants, fitted = fit_activity(
            {k: v for k, v in results.items() if k[0] not in serial_designs}, fit_keys)
        print("\nenergy table constants fitted: " +
              ", ".join(f"{k} {v:.4g}" for k, v in constants.items()))
        print("\n| design | stream | toggles pJ/MAC | fitted model pJ/MAC | error | toggles / fixed8 "
              "| fitted / fixed8 | ratio error |")
        print("|---|---|---|---|---|---|---|---|")
        worst = {True: [0.0, 0.0], False: [0.0, 0.0]}  # in fit -> worst |abs|, |ratio| error
        for s in streams:
            layer = s.rsplit(":", 1)[1]
            held = s in a.holdout and s not in a.stream
            for d in [x for x in a.designs if x not in serial_designs]:
                t = results[(d, layer)][0]
                f = fitted[(d, layer)]
                tb = results.get(("fixed8", layer), (float("nan"),))[0]
                fb = fitted.get(("fixed8", layer), float("nan"))
                r = (f / fb) / (t / tb) - 1
                w = worst[not held]
                w[0], w[1] = max(w[0], abs(f / t - 1)), max(w[1], abs(r))
                print(f"| {d} | {layer}{' (held out)' if held else ''} | {t:.4f} | {f:.4f} | "
                      f"{100 * (f / t - 1):+.1f} % | {t / tb:.3f} | {f / fb:.3f} | "
                      f"{100 * r:+.1f} % |")
        for in_fit, (wa, wr) in worst.items():
            if in_fit or a.holdout:
                print(f"worst error {'in the fit' if in_fit else 'held out'}: absolute "
                      f"{100 * wa:.1f} %, ratio to fixed8 {100 * wr:.1f} %")
    if a.characterise:
        doc = {"name": os.path.splitext(os.path.basename(a.characterise))[0],
               "description": "Energy per operation of each MAC design by held weight code: pJ "
                              "per toggled bit of the activation operand, the incoming partial sum "
                              "and the product, and (term-serial MACs) pJ per operation, fitted to "
                              "gate-level toggles (docs/rtl.md)",
               "command": " ".join(["scripts/toggle_energy.py --characterise",
                                    os.path.basename(a.characterise)] +
                                   [f"--stream {x}" for x in a.stream] + a.designs),
               "reference": "every valid code held while the activations and partial sums of "
                            "up to 400 operations of PEs 0, 16, 32 and 48 (term-serial designs: "
                            "0, 4, ..., 60) of each stream pass: " +
                            ", ".join(a.stream),
               "fj_per_transistor_toggle": float(f"{e * 1000:.4g}"),
               "columns": ["code", "pj_per_activation_toggle", "pj_per_psum_toggle",
                           "pj_per_product_toggle", "pj_per_operation",
                           "reference_activation_toggles", "reference_psum_toggles",
                           "reference_product_toggles"],
               "designs": characterised}
        tmp = a.characterise + ".tmp"
        with open(tmp, "w") as f:  # one line per code
            text = json.dumps({k: v for k, v in doc.items() if k != "designs"}, indent=1)
            designs = ",\n".join(
                f' "{d}": {{"verilog_fnv1a64": "{v["verilog_fnv1a64"]}", ' +
                (f'"keyed_by": "{v["keyed_by"]}", ' if "keyed_by" in v else "") + '"codes": [\n' +
                ",\n".join("  " + json.dumps(row) for row in v["codes"]) + "]}"
                for d, v in characterised.items())
            f.write(text[:-2] + ',\n "designs": {\n' + designs + "}\n}\n")
        os.replace(tmp, a.characterise)  # never a half-written table
        print(f"wrote {a.characterise}: {len(characterised)} designs")
    if off:
        sys.exit("toggle_energy: the model is off by more than allowed: " + "; ".join(off))
    return 0


if __name__ == "__main__":
    sys.exit(main())
