#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "modules/common/widths.h"

namespace conloc {

// What the buffers' ports deliver to and take from the array per cycle (port width x banks, in
// bytes; 0 = unlimited), and the widths that turn element counts into bytes.
struct PortLimits {
  double weight_bytes = 0, input_bytes = 0, psum_bytes = 0;
  Widths widths;  // what one weight, activation and partial sum take of a port
};

struct ArrayDims {
  ArrayDims(int rows_ = 16, int cols_ = 16, bool scalesim_ = false, int acc_entries_ = 0,
            PortLimits ports_ = {})
      : rows(rows_), cols(cols_), scalesim(scalesim_), acc_entries(acc_entries_), ports(ports_) {}
  int rows = 16;
  int cols = 16;
  // SCALE-Sim v2's compute model instead of ours (array.fold_timing = scalesim): every fold takes
  // T + rows + cols - 2 steps with the full array, and a WS fold also loads its weights (rows
  // cycles, not hidden); no separate first load or last drain.
  bool scalesim = false;
  // Accumulator storage next to each column (TPU-style; array.accumulator_entries): 0 = none,
  // every row fold adds its partial sums into the output buffer. E > 0 (WS): a tile streams its
  // M in chunks of at most E pixels; a chunk's partial sums stay in the accumulators over all
  // row folds and reach the output buffer once, at the price of reloading the fold's weights
  // per chunk.
  int acc_entries = 0;
  // A tile whose operand streams need more bytes than the ports give takes longer
  // (TileTiming::port_stall_cycles).
  PortLimits ports;
};

// `a` with its weight port moving codes of `code_bits` (a layer's own width, design.layer_formats).
inline ArrayDims with_code_bits(ArrayDims a, int code_bits) {
  a.ports.widths.code_bits = code_bits;
  return a;
}

// One tile: out[M x N] += in[M x K] * W[K x N] on the array. `fold_steps` gives, per fold in the
// dataflow's fold order, the cycles one array step takes (the slowest MAC among the fold's
// weights: 1 for single-cycle MACs, the most terms for term-serial ELP_BSD MACs). An empty vector
// means 1 for every fold.
struct TileGemm {
  std::int64_t m = 0;
  std::int64_t k = 0;
  std::int64_t n = 0;
  bool first_k_chunk = true;  // no earlier partial sums to add in the output buffer
  // Tiles run back to back on the array. The weight registers (WS) and accumulators (OS) are
  // double-buffered, so the next tile's first weight load hides behind the current tile's last
  // fold, and a tile's final drain behind the next tile's first fold: only the layer's first tile
  // exposes its load and only its last tile exposes its drain.
  bool first_in_layer = true;
  bool last_in_layer = true;
  // WS with column accumulators: this tile's partial sums go past them to the output buffer on
  // every row fold, as without accumulators (the mapper's choice, ConvMapping::accumulate).
  bool acc_bypass = false;
  std::vector<int> fold_steps;
};

// What a tile costs on the array, in closed form. Access counts are in elements.
struct TileTiming {
  std::uint64_t cycles = 0;
  std::uint64_t folds = 0;
  std::uint64_t standard_cycles = 0;    // folds x (T + rows + cols - 2), for comparison
  std::uint64_t fold_slots = 0;         // sum over folds of rows x cols x T (mapping efficiency)
  std::uint64_t weight_reads = 0;       // weight buffer -> array
  std::uint64_t input_reads = 0;        // activation SRAM -> array
  std::uint64_t psum_reads = 0;         // output buffer -> array / adder
  std::uint64_t psum_writes = 0;        // array -> output buffer
  std::uint64_t weight_reg_writes = 0;  // PE weight-register loads
  std::uint64_t act_reg_writes = 0;     // PE activation-register writes
  std::uint64_t psum_reg_writes = 0;    // PE partial-sum / accumulator register writes
  std::uint64_t acc_reads = 0;          // column accumulator storage (ArrayDims::acc_entries)
  std::uint64_t acc_writes = 0;
  std::uint64_t port_stall_cycles = 0;  // cycles added because a buffer port could not keep up

  // Adds `times` tiles of cost `o`.
  TileTiming& add(const TileTiming& o, std::uint64_t times = 1) {
    cycles += o.cycles * times;
    folds += o.folds * times;
    standard_cycles += o.standard_cycles * times;
    fold_slots += o.fold_slots * times;
    weight_reads += o.weight_reads * times;
    input_reads += o.input_reads * times;
    psum_reads += o.psum_reads * times;
    psum_writes += o.psum_writes * times;
    weight_reg_writes += o.weight_reg_writes * times;
    act_reg_writes += o.act_reg_writes * times;
    psum_reg_writes += o.psum_reg_writes * times;
    acc_reads += o.acc_reads * times;
    acc_writes += o.acc_writes * times;
    port_stall_cycles += o.port_stall_cycles * times;
    return *this;
  }
  TileTiming& operator+=(const TileTiming& o) { return add(o); }
  bool operator==(const TileTiming& o) const {
    return cycles == o.cycles && folds == o.folds && standard_cycles == o.standard_cycles &&
           fold_slots == o.fold_slots && weight_reads == o.weight_reads &&
           input_reads == o.input_reads && psum_reads == o.psum_reads &&
           psum_writes == o.psum_writes && weight_reg_writes == o.weight_reg_writes &&
           act_reg_writes == o.act_reg_writes && psum_reg_writes == o.psum_reg_writes &&
           acc_reads == o.acc_reads && acc_writes == o.acc_writes &&
           port_stall_cycles == o.port_stall_cycles;
  }
};

// A layer's tiles by their distinct sizes: every combination of an entry of m, of k and of n,
// `times` x the entries' counts of it. k's entries say whether they are a tile's first input-
// channel chunk (TileGemm::first_k_chunk); no tile is the layer's first or last.
struct TileGrid {
  struct Dim {
    std::int64_t value;
    std::uint64_t count;
    bool first_k_chunk = true;  // k's entries only
  };
  // A layer's k takes a first, middle and last chunk size, n a full and last n-tile; m a size
  // per band height (the first, the last, the rest: a few) and image group (full, last). n holds
  // as many as m: an input-stationary floor is the weight-stationary one of the grid with m and n
  // exchanged (InputStationary::tiles_floor).
  static constexpr int kMostM = 16;
  Dim m[kMostM], k[3], n[kMostM];
  int nm = 0, nk = 0, nn = 0;
  std::uint64_t times = 1;
  bool acc_bypass = false;  // TileGemm::acc_bypass of every tile
};

// Over one axis of a grid: the sum of count x f(value) (tiles_floor's separable sums).
template <class F>
std::uint64_t axis_sum(const TileGrid::Dim* d, int entries, F f) {
  std::uint64_t s = 0;
  for (int i = 0; i < entries; ++i)
    s += d[i].count * static_cast<std::uint64_t>(f(d[i]));
  return s;
}

// A systolic dataflow: how a tile is folded onto the array and what that costs. One file per
// variant (weight_stationary.cpp, output_stationary.cpp, input_stationary.cpp); docs/timing.md has
// the formulas.
class DataflowModel {
 public:
  virtual ~DataflowModel() = default;
  virtual const char* name() const = 0;
  // Number of folds of a tile and, for each fold in order, the weight block it holds:
  // rows [k0, k1) x columns [n0, n1) of the tile's K x N weights. Callers use it to compute
  // TileGemm::fold_steps.
  struct FoldBlock {
    std::int64_t k0, k1, n0, n1;
  };
  virtual std::vector<FoldBlock> fold_blocks(std::int64_t m, std::int64_t k, std::int64_t n,
                                             ArrayDims a) const = 0;
  virtual TileTiming tile(const TileGemm& g, ArrayDims a) const = 0;
  // The tiles of `grid`, costed by `tile` and summed.
  TileTiming tiles(const TileGrid& grid, ArrayDims a) const;
  // Field by field at most `tiles`' sums (cycles, folds, the reads and writes), in a few
  // operations per axis entry instead of a tile per combination: the mapper's bound of a class
  // of mappings before it counts their array (docs/mapping.md, "Search"). The fields no cost
  // reads (standard_cycles, fold_slots, port_stall_cycles) are 0. Here `tiles` itself; the
  // dataflows below sum their formulas axis by axis, where they are products of one function
  // of m, one of k and one of n, and take the busiest port's cycles of the sums.
  virtual TileTiming tiles_floor(const TileGrid& grid, ArrayDims a) const { return tiles(grid, a); }
  // Output channels one fold holds: the columns where they occupy them (WS, OS); no limit where
  // they stream through (IS). The greedy mapping's n-tile.
  virtual std::int64_t channels_per_fold(ArrayDims a) const { return a.cols; }
  // Whether fold_blocks depends on the tile's rows m: not where a fold holds weights only (WS),
  // so a fold's step lengths can be cached across a layer's tiles.
  virtual bool folds_depend_on_rows() const { return true; }
  // Whether a tile may keep its partial sums in the column accumulators over the row folds or
  // leave them in the output buffer (docs/mapping.md `acc`): a choice on WS only.
  virtual bool accumulators_optional() const { return false; }
  // Whether a tile's K (taps x input channels) runs along the array rows, folded in row folds
  // (WS, IS); not where it is the temporal dimension (OS).
  virtual bool k_along_rows() const { return true; }
  // Output pixels (a tile's m) one fold holds: the rows (OS) or columns (IS) they occupy; 0 where
  // they stream through (WS). A band whose pixels are a multiple of it wastes no fold.
  virtual std::int64_t pixels_per_fold(ArrayDims) const { return 0; }
};

class WeightStationary final : public DataflowModel {
 public:
  const char* name() const override { return "ws"; }
  bool folds_depend_on_rows() const override { return false; }
  bool accumulators_optional() const override { return true; }
  std::vector<FoldBlock> fold_blocks(std::int64_t m, std::int64_t k, std::int64_t n,
                                     ArrayDims a) const override;
  TileTiming tile(const TileGemm& g, ArrayDims a) const override;
  TileTiming tiles_floor(const TileGrid& grid, ArrayDims a) const override;
};

class OutputStationary final : public DataflowModel {
 public:
  const char* name() const override { return "os"; }
  bool k_along_rows() const override { return false; }
  std::int64_t pixels_per_fold(ArrayDims a) const override { return a.rows; }
  std::vector<FoldBlock> fold_blocks(std::int64_t m, std::int64_t k, std::int64_t n,
                                     ArrayDims a) const override;
  TileTiming tile(const TileGemm& g, ArrayDims a) const override;
  TileTiming tiles_floor(const TileGrid& grid, ArrayDims a) const override;
};

class InputStationary final : public DataflowModel {
 public:
  const char* name() const override { return "is"; }
  std::vector<FoldBlock> fold_blocks(std::int64_t m, std::int64_t k, std::int64_t n,
                                     ArrayDims a) const override;
  TileTiming tile(const TileGemm& g, ArrayDims a) const override;
  TileTiming tiles_floor(const TileGrid& grid, ArrayDims a) const override;
  std::int64_t channels_per_fold(ArrayDims) const override {
    return std::numeric_limits<std::int64_t>::max();
  }
  std::int64_t pixels_per_fold(ArrayDims a) const override { return a.cols; }
};

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

// Stretches a tile to the cycles its busiest buffer port needs for the tile's weight, input and
// partial-sum streams, if that is more than the array's own cycles (docs/timing.md).
void apply_port_limits(TileTiming& t, const PortLimits& p);
// tiles_floor's port term: the sums' cycles raised to the least the busiest port needs for the
// sums' streams (at most the ports' cycles summed tile by tile).
void apply_port_floor(TileTiming& t, const PortLimits& p);

}  // namespace conloc
