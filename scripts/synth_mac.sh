#!/usr/bin/env bash
# Synthesizes generated MACs with Yosys to a generic gate library (AND, NAND, OR, NOR, XOR, XNOR,
# MUX, NOT) and prints, per design, the cells by type and Yosys' transistor estimate next to the
# simulator's structural model of the same datapath (docs/rtl.md). Flip-flop enables and resets
# are mapped to gates (dffunmap), and Yosys' estimate leaves the plain flip-flops out: they are
# added at 24 transistors each, the model's size. A module marked keep_hierarchy (a fixed v2
# decoder) is mapped on its own and flattened only after mapping, so it stays a separate circuit;
# its transistors are shown apart, and the model / Yosys ratio leaves them out, since the model
# costs that decoder per weight fetch, not in the MAC.
# usage: scripts/synth_mac.sh [--sim BIN] DESIGN... (default BIN build/conlocnn-sim)
set -euo pipefail
sim=build/conlocnn-sim
if [ "${1:-}" = "--sim" ]; then sim=$2; shift 2; fi
if ! command -v yosys > /dev/null; then
  echo "synth_mac: yosys not found (scripts/install-deps.sh installs it); skipped" >&2
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '| design | cells | AND | NAND | OR | NOR | NOT | XOR | XNOR | MUX | DFF | transistors (Yosys) | of which fixed decoder | transistor-equivalents (model) | model / Yosys without fixed decoder |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for d in "$@"; do
  "$sim" rtl --design "$d" --out "$tmp/$d" > /dev/null
  dec_stat=""
  if grep -q '^module conloc_dec' "$tmp/$d/conloc_mac.v"; then
    dec_stat="tee -q -o $tmp/$d/dec.txt stat -tech cmos conloc_dec;"
  fi
  yosys -q -p "read_verilog $tmp/$d/conloc_mac.v; synth -top conloc_mac; dffunmap; abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX; $dec_stat setattr -mod -unset keep_hierarchy; flatten; opt_clean; tee -q -o $tmp/$d/stat.txt stat -tech cmos" > "$tmp/$d/yosys.log" 2>&1
  dec=0
  if [ -n "$dec_stat" ]; then
    dec=$(awk '/Estimated number of transistors:/ {sub(/[+]$/, "", $5); print $5}' "$tmp/$d/dec.txt" | tail -1)
  fi
  count() { awk -v c="\$_$1_" 'BEGIN {n = 0} $1 == c {n = $2} END {print n}' "$tmp/$d/stat.txt"; }
  cells=$(awk '/Number of cells:/ {print $4}' "$tmp/$d/stat.txt" | tail -1)
  dff=$(count DFF_P)
  tr=$(awk '/Estimated number of transistors:/ {sub(/[+]$/, "", $5); print $5}' "$tmp/$d/stat.txt" | tail -1)
  [ -n "$tr" ] && tr=$(( tr + 24 * dff ))
  model=$(sed -nE 's/.*: ([0-9.]+) transistor-equivalents.*/\1/p' "$tmp/$d/README.md")
  [ -n "$cells" ] && [ -n "$tr" ] && [ -n "$model" ] && [ -n "$dec" ] || { echo "synth_mac: $d: no statistics" >&2; exit 1; }
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f |\n' "$d" "$cells" \
    "$(count AND)" "$(count NAND)" "$(count OR)" "$(count NOR)" "$(count NOT)" "$(count XOR)" \
    "$(count XNOR)" "$(count MUX)" "$dff" "$tr" "$dec" "$model" "$(echo "$model / ($tr - $dec)" | bc -l)"
done
