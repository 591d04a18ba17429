#!/usr/bin/python3
"""Reduces a run's output directory to the figures the regression goldens pin: summary totals and
per-layer cycles, traffic and energy. Used by scripts/update-golden.sh and the golden test."""
import json
import sys

d = sys.argv[1]
s = json.load(open(f"{d}/summary.json"))
layers = json.load(open(f"{d}/layers.json"))
keep = ["cycles", "compute_cycles", "stall_cycles", "dram_weights_read_bytes", "dram_inputs_read_bytes",
        "dram_outputs_written_bytes", "energy_pj", "output_mismatches"]
out = {
    "summary": {k: s[k] for k in ["macs", "cycles", "stall_cycles", "energy_pj", "dram_bytes_read",
                                  "dram_bytes_written", "bit_exact", "energy_breakdown_pj"]},
    "layers": [{"layer": l["layer"], **{k: l[k] for k in keep}} for l in layers],
}
print(json.dumps(out, indent=1, sort_keys=True))
