#!/usr/bin/python3
"""Where each ELP_BSD v2 format lies against the fixed-point curve of weight SQNR against MAC
energy per operation (fixed3 .. fixed8, linear between neighbouring widths), from `formats --json`
output: dB above (+) or below (-) the curve at the format's energy; "off" outside the curve.

usage: /usr/bin/python3 analysis/frontier.py FORMATS.json [FORMATS.json ...]
  e.g. build/conlocnn-sim formats --json > syn.json
       build/conlocnn-sim formats --json --workload workloads/fmnist_cnn/network.json \\
           --layer conv3 > conv3.json
"""
import json
import sys


def margins(rows):
    curve = sorted((r["mac_energy_pj"], r["sqnr_db"]) for r in rows if r["kind"] == "fixed")
    out = {}
    for r in rows:
        if "v2" not in r["name"]:
            continue
        e, s = r["mac_energy_pj"], r["sqnr_db"]
        out[r["name"]] = None
        for (e0, s0), (e1, s1) in zip(curve, curve[1:]):
            if e0 <= e <= e1:
                out[r["name"]] = s - (s0 + (e - e0) / (e1 - e0) * (s1 - s0))
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tables = []
    for path in sys.argv[1:]:
        try:
            rows = json.load(open(path))
        except (OSError, ValueError) as e:
            sys.exit(f"frontier: {path}: not a formats --json file ({e})")
        if not isinstance(rows, list) or not rows or "mac_energy_pj" not in rows[0]:
            sys.exit(f"frontier: {path}: not a formats --json file")
        tables.append((path, margins(rows), rows[0].get("mac_operands", "?")))
    names = list(tables[0][1])
    print("| format | " + " | ".join(f"{p} ({o})" for p, _, o in tables) + " |")
    print("|---|" + "---|" * len(tables))
    for n in names:
        cells = []
        for _, m, _ in tables:
            v = m.get(n)
            cells.append("off the curve" if v is None else f"{v:+.2f} dB")
        print(f"| {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
