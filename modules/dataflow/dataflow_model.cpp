#include "modules/dataflow/dataflow_model.h"

#include <algorithm>
#include <cmath>

namespace conloc {

namespace {

// The cycles the busiest port needs for `t`'s weight, input and partial-sum streams through
// ports of so many bytes a cycle (0: unlimited), each stream's rounded up (`Up`) or down. One
// division per stream, not two: bits / 8 and 8 x bytes are exact, so the quotient rounds alike
// (the mapper calls this for every tile shape it weighs).
template <bool Up>
std::uint64_t busiest_port(const TileTiming& t, const PortLimits& p) {
  auto cycles = [](double bits, double bytes) -> std::uint64_t {
    if (bytes <= 0) return 0;
    const double q = bits / (8.0 * bytes);
    return static_cast<std::uint64_t>(Up ? std::ceil(q) : std::floor(q));
  };
  return std::max(
      {cycles(static_cast<double>(t.weight_reads) * p.widths.code_bits, p.weight_bytes),
       cycles(static_cast<double>(t.input_reads) * p.widths.activation_bits, p.input_bytes),
       cycles(static_cast<double>(t.psum_reads + t.psum_writes) * p.widths.accumulator_bits,
              p.psum_bytes)});
}

}  // namespace

void apply_port_limits(TileTiming& t, const PortLimits& p) {
  const std::uint64_t port_cycles = busiest_port<true>(t, p);
  if (port_cycles > t.cycles) {
    t.port_stall_cycles += port_cycles - t.cycles;
    t.cycles = port_cycles;
  }
}

void apply_port_floor(TileTiming& t, const PortLimits& p) {
  // Floors, not ceilings: the tiles' ceilings sum to at least the sum's floor.
  t.cycles = std::max(t.cycles, busiest_port<false>(t, p));
}

TileTiming DataflowModel::tiles(const TileGrid& grid, ArrayDims a) const {
  TileTiming sum;
  TileGemm t;
  t.acc_bypass = grid.acc_bypass;
  t.first_in_layer = false;
  t.last_in_layer = false;
  for (const TileGrid::Dim* m = grid.m; m != grid.m + grid.nm; ++m)
    for (const TileGrid::Dim* n = grid.n; n != grid.n + grid.nn; ++n)
      for (const TileGrid::Dim* k = grid.k; k != grid.k + grid.nk; ++k) {
        t.m = m->value;
        t.k = k->value;
        t.n = n->value;
        t.first_k_chunk = k->first_k_chunk;
        sum.add(tile(t, a), grid.times * m->count * n->count * k->count);
      }
  return sum;
}

}  // namespace conloc
