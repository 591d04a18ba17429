"""What every figure of analysis/ shares: the energy components the simulator reports
(EnergyBreakdown::component_names) and one colour for each, the same in every figure."""

COMPONENTS = ["mac", "pe_registers", "accumulators", "weight_buffer", "activation_sram",
              "output_buffer", "dram", "compensation_adder", "vector_unit", "sram_leakage",
              "pe_leakage"]

# Eleven distinguishable colours (matplotlib's tab10 and one more), one per component: related
# components are not given shades of one hue, so no two are confused.
COMPONENT_COLORS = dict(zip(COMPONENTS, [
    "#1f77b4",  # mac: blue
    "#aec7e8",  # pe_registers: light blue
    "#17becf",  # accumulators: cyan
    "#2ca02c",  # weight_buffer: green
    "#bcbd22",  # activation_sram: olive
    "#ff7f0e",  # output_buffer: orange
    "#d62728",  # dram: red
    "#9467bd",  # compensation_adder: purple
    "#8c564b",  # vector_unit: brown
    "#7f7f7f",  # sram_leakage: grey
    "#e377c2",  # pe_leakage: pink
]))


def energy_text(pj):
    """An energy in pJ as a short string with a sensible unit."""
    for unit, scale in (("mJ", 1e9), ("uJ", 1e6), ("nJ", 1e3)):
        if abs(pj) >= scale:
            return f"{pj / scale:.3g} {unit}"
    return f"{pj:.3g} pJ"
