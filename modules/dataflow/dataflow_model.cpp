#include "modules/dataflow/dataflow_model.h"

#include <algorithm>
#include <cmath>

namespace conloc {

void apply_port_limits(TileTiming& t, const PortLimits& p) {
  // Cycles a stream of `bits` needs through a port of `bytes` per cycle (0: unlimited). One
  // division, not two: bits / 8 and 8 x bytes are exact, so the quotient rounds alike (the mapper
  // calls this for every tile shape it weighs).
  auto need = [](double bits, double bytes) {
    return bytes > 0 ? static_cast<std::uint64_t>(std::ceil(bits / (8.0 * bytes))) : 0;
  };
  const std::uint64_t port_cycles =
      std::max({need(static_cast<double>(t.weight_reads) * p.widths.code_bits, p.weight_bytes),
                need(static_cast<double>(t.input_reads) * p.widths.activation_bits, p.input_bytes),
                need(static_cast<double>(t.psum_reads + t.psum_writes) * p.widths.accumulator_bits,
                     p.psum_bytes)});
  if (port_cycles > t.cycles) {
    t.port_stall_cycles += port_cycles - t.cycles;
    t.cycles = port_cycles;
  }
}

void apply_port_floor(TileTiming& t, const PortLimits& p) {
  // Floors, not ceilings: the tiles' ceilings sum to at least the sum's floor.
  auto least = [](double bits, double bytes) {
    return bytes > 0 ? static_cast<std::uint64_t>(std::floor(bits / (8.0 * bytes))) : 0;
  };
  const std::uint64_t port_cycles =
      std::max({least(static_cast<double>(t.weight_reads) * p.widths.code_bits, p.weight_bytes),
                least(static_cast<double>(t.input_reads) * p.widths.activation_bits, p.input_bytes),
                least(static_cast<double>(t.psum_reads + t.psum_writes) * p.widths.accumulator_bits,
                      p.psum_bytes)});
  t.cycles = std::max(t.cycles, port_cycles);
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
