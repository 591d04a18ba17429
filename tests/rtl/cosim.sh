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
read -r a_bits code_bits acc_bits < <(echo "$out" | tail -1 | sed -E 's/.*\(a ([0-9]+) bits, code ([0-9]+) bits, accumulator ([0-9]+) bits[,)].*/\1 \2 \3/')
cd "$work"
# Clocked designs: a loadable decoder table (written first) or a term-serial MAC.
flags=() table=()
case "$out" in *"decoder table"*) flags=(-CFLAGS -DCONLOC_TABLE) table=(rtl/table.txt) ;; esac
case "$out" in *"term-serial"*) flags=(-CFLAGS -DCONLOC_SERIAL) ;; esac
verilator --lint-only -Wall rtl/conloc_mac.v
verilator --cc --exe -O1 --Mdir obj "${flags[@]}" rtl/conloc_mac.v "$src/tb_mac.cpp" -o tb > build.log 2>&1 ||
  { tail -30 build.log; exit 1; }
# Verilator's runtime (verilated.o, verilated_threads.o) is the same for every design and is most
# of a build's compile time: the first co-simulation in a parent folder compiles it (under a lock,
# tests run in parallel) and the others reuse it -- make skips an object newer than its source.
runtime="$(dirname "$work")/verilator-runtime-$(verilator --version | tr -c 'A-Za-z0-9.\n' _)"
mkdir -p "$runtime"
(
  flock 9
  if [ ! -f "$runtime/verilated_threads.o" ]; then
    make -C obj -f Vconloc_mac.mk -j 2 verilated.o verilated_threads.o >> build.log 2>&1 ||
      { tail -30 build.log; exit 1; }
    cp obj/verilated.o obj/verilated_threads.o "$runtime/"
  fi
) 9> "$runtime/lock"
cp "$runtime/verilated.o" "$runtime/verilated_threads.o" obj/
make -C obj -f Vconloc_mac.mk -j 2 tb >> build.log 2>&1 || { tail -30 build.log; exit 1; }
./obj/tb rtl/vectors.txt "$a_bits" "$code_bits" "$acc_bits" "${table[@]}"
