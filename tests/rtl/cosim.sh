#!/usr/bin/env bash
# Generates a design's MAC with `conlocnn-sim rtl`, lints it with Verilator (-Wall), builds the
# testbench and co-simulates every vector against the C++ datapath (docs/rtl.md).
# usage: tests/rtl/cosim.sh CONLOCNN_SIM DESIGN WORK_DIR [--set k=v]...
# Exit 77 (skipped) only where Verilator is not installed; scripts/install-deps.sh installs it.
set -euo pipefail
sim=$1 design=$2 work=$3
shift 3
if ! command -v verilator > /dev/null; then
  echo "cosim: verilator not found (scripts/install-deps.sh installs it); skipped" >&2
  exit 77
fi
src="$(cd "$(dirname "$0")" && pwd)"
rm -rf "$work" && mkdir -p "$work"
out=$("$sim" rtl --design "$design" --out "$work/rtl" "$@")
echo "$out"
# "<design>: DIR/conloc_mac.v (a A bits, code C bits, accumulator ACC bits), ..."
read -r a_bits code_bits acc_bits < <(echo "$out" | sed -E 's/.*\(a ([0-9]+) bits, code ([0-9]+) bits, accumulator ([0-9]+) bits\).*/\1 \2 \3/')
cd "$work"
verilator --lint-only -Wall rtl/conloc_mac.v
verilator --cc --exe --build -j 2 -O1 --Mdir obj rtl/conloc_mac.v "$src/tb_mac.cpp" -o tb > build.log 2>&1 ||
  { tail -30 build.log; exit 1; }
./obj/tb rtl/vectors.txt "$a_bits" "$code_bits" "$acc_bits"
