#include "sim/mapping/mapper.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <unordered_map>

#include "modules/base/error.h"
#include "modules/layers/layer_kind.h"

namespace conloc {

namespace {

// The loop orders mapping.order allows (greedy keeps the planner's old order unless told).
std::vector<TileOrder> orders(const SimConfig& cfg) {
  if (cfg.mapping.order == "ntiles_outer") return {TileOrder::NTilesOuter};
  if (cfg.mapping.order == "bands_outer" || !cfg.mapping.search) return {TileOrder::BandsOuter};
  return {TileOrder::BandsOuter, TileOrder::NTilesOuter};
}

// The largest value in [1, hi] for which `fits` holds (fits is monotone: true up to a point), or 0.
template <class F>
int largest(int hi, F fits) {
  int lo = 0;  // fits(lo) holds (0 stands for "none")
  while (lo < hi) {
    const int mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

double objective(MappingObjective o, double pj, double cycles) {
  switch (o) {
    case MappingObjective::Energy:
      return pj;
    case MappingObjective::Latency:
      return cycles;
    case MappingObjective::Edp:
      return pj * cycles;
  }
  return pj * cycles;
}

}  // namespace

MappingSpace mapping_space(const SimConfig& cfg, const CompiledNetwork& cn, int layer,
                           const PlanParams& p) {
  const Network& net = cn.net;
  const Layer& l = net.layers[layer];
  const int ng = static_cast<int>(net.gemm(l).n);
  const int batch = p.images_planned();  // the images the plan covers, as ConvGeom counts them
  MappingSpace s;
  s.orders = orders(cfg);
  // Output channels per tile: whole column folds (1, 2, 3, 4, 8, 16, ... of them, and all), or
  // half a fold or a single channel for buffers too small for a fold's psums or kernels. Like
  // every size below, the set does not depend on the buffers, so a bigger buffer only adds
  // candidates that fit.
  std::set<int> nts = {ng};
  for (int folds = 1; (folds - 1) * p.array.cols < ng; folds = folds < 4 ? folds + 1 : folds * 2)
    nts.insert(std::min(ng, folds * p.array.cols));
  for (int nt : {1, p.array.cols / 2})
    if (nt >= 1 && nt < std::min(ng, p.array.cols)) nts.insert(nt);
  s.nt.assign(nts.begin(), nts.end());
  s.all_ch = {true, false};
  s.input_channels = net.in_shape(l).c / l.groups;
  std::set<int> images = {1, batch};
  for (int parts : {2, 4})
    images.insert((batch + parts - 1) / parts);
  s.images.assign(images.begin(), images.end());
  s.output_rows = result_shape(net, layer, p).h;
  s.rows = balanced_sizes(s.output_rows, s.output_rows);
  for (int rows : fold_balanced_rows(cn, layer, p))
    if (std::find(s.rows.begin(), s.rows.end(), rows) == s.rows.end()) s.rows.push_back(rows);
  const bool ws_acc =
      p.array.acc_entries > 0 && !p.array.scalesim && p.dataflow->accumulators_optional();
  s.acc = ws_acc ? std::vector<bool>{true, false} : std::vector<bool>{p.array.acc_entries > 0};
  return s;
}

std::vector<ConvMapping> mapping_candidates(const SimConfig& cfg, const CompiledNetwork& cn,
                                            int layer, const PlanParams& p) {
  const auto greedy = greedy_mapping(cn, layer, p);
  if (std::holds_alternative<Infeasibility>(greedy)) return {};
  ConvMapping g = std::get<ConvMapping>(greedy);
  const ConvMappingCounter counter(cn, layer, p);
  // Every axis below takes distinct values: no mapping comes twice.
  std::vector<ConvMapping> out;
  auto add = [&](const ConvMapping& m) {
    if (!counter.misfit(m)) out.push_back(m);
  };
  const MappingSpace s = mapping_space(cfg, cn, layer, p);
  if (!cfg.mapping.search) {
    for (TileOrder o : s.orders) {
      g.order = o;
      add(g);
    }
    return out;
  }
  // At most every combination, reserved: growing the list would copy it, and the pages of a
  // reserve larger than it needs are never touched.
  out.reserve((cfg.mapping.whole_buffers ? 8 : 1) * s.nt.size() * s.all_ch.size() *
              balanced_sizes(s.input_channels, s.input_channels).size() * s.images.size() *
              s.rows.size() * s.orders.size() * s.acc.size());
  // Whether a mapping fits the buffers (using `whole` whole): the planner's own check. Order and
  // accumulator use do not change what fits.
  auto fits = [&](int nt, int ct, int rows, int nb, bool all_ch, std::uint8_t whole) {
    return !counter.misfit(
        ConvMapping{TileOrder::BandsOuter, nt, ct, rows, nb, all_ch, false, whole});
  };
  // A buffer used whole earns its place in a candidate when the tile needs it (it does not fit
  // with that buffer in halves) or, for the weight buffer, when it holds weights the halves
  // would reload (the weight traffic differs): otherwise the same tiles double-buffered move the
  // same bytes and wait less, and the candidate would only lengthen the search.
  const std::uint8_t W = ConvMapping::bit(Buffer::Weights);
  auto needed = [&](const ConvMapping& m) {
    for (std::uint8_t b = 1; b <= m.whole; b <<= 1) {
      if (!(m.whole & b)) continue;
      ConvMapping halves = m;
      halves.whole = static_cast<std::uint8_t>(m.whole & ~b);
      if (!counter.misfit(halves)) {
        if (b != W || counter.dram_weight_bits(halves) == counter.dram_weight_bits(m)) {
          return false;
        }
      }
    }
    return true;
  };
  const int masks = cfg.mapping.whole_buffers ? 8 : 1;
  for (int w = 0; w < masks; ++w) {
    const auto whole = static_cast<std::uint8_t>(w);
    for (int nt : s.nt) {
      for (bool all_ch : s.all_ch) {
        // Input channels per chunk: balanced chunks up to as many as fit with one row and image.
        const int ct_most =
            largest(s.input_channels, [&](int ct) { return fits(nt, ct, 1, 1, all_ch, whole); });
        for (int ct : balanced_sizes(s.input_channels, ct_most)) {
          for (int nb : s.images) {
            const int rows_most =
                largest(s.output_rows, [&](int r) { return fits(nt, ct, r, nb, all_ch, whole); });
            // Each fits (what fits shrinks with neither fewer rows nor fewer channels, and the
            // space offers accumulator use only with accumulators): no check per candidate.
            for (int rows : s.rows) {
              if (rows > rows_most) continue;
              for (TileOrder o : s.orders) {
                for (bool acc : s.acc) {
                  const ConvMapping m{o, nt, ct, rows, nb, all_ch, acc, whole};
                  if (whole == 0 || needed(m)) out.push_back(m);
                }
              }
            }
          }
        }
      }
    }
  }
  // Never empty when the greedy mapping fits: the space holds the smallest tile (one output
  // channel, one input channel, one row, one image, a band of one channel), which then fits too.
  return out;
}

namespace {

// The energy and cycles of `mc.counts` on layer `layer`.
void cost(const SimConfig& cfg, const CompiledNetwork& cn, int layer, const PlanParams& p,
          const EnergyModel& em, const LayerMacEnergy& mac, const MemoryCosts& memory,
          MappingCost& mc) {
  const ConvCounts& c = mc.counts;
  // What the engines and memories would measure for this plan (see PeArray::execute,
  // CompensationAdder::execute and the DMA engine).
  LayerResult r;
  r.stats.array = c.array;
  r.stats.compute_cycles = c.array.cycles;
  r.stats.output_stage_outputs = c.outputs;
  r.stats.fused_layer = p.fused_layer(layer);
  r.stats.fused_ops = c.fused_ops;
  const int W = static_cast<int>(Operand::Weights), I = static_cast<int>(Operand::Inputs),
            O = static_cast<int>(Operand::Outputs);
  const auto acc_bits = static_cast<std::uint64_t>(p.widths.accumulator_bits);
  LayerTraffic& t = r.traffic;
  t.dram.read_bits[W] = c.dram_weight_bits;
  t.dram.read_bits[I] = c.dram_input_bits + c.fused_input_bits;
  t.dram.write_bits[O] = c.dram_output_bits;
  t.weight_buffer.write_bits[W] = c.dram_weight_bits;
  t.weight_buffer.read_bits[W] =
      c.array.weight_reads *
      static_cast<std::uint64_t>(cn.code_bits(static_cast<std::size_t>(layer)));
  t.activation_sram.write_bits[I] = c.dram_input_bits;
  const auto act_bits = static_cast<std::uint64_t>(p.widths.activation_bits);
  t.activation_sram.read_bits[I] = c.array.input_reads * act_bits;
  t.output_buffer.read_bits[O] =
      (c.array.psum_reads + c.outputs) * acc_bits + c.dram_output_bits + c.onchip_output_bits;
  // A resident output is written back into the activation SRAM.
  t.activation_sram.write_bits[O] = c.onchip_output_bits;
  t.output_buffer.write_bits[O] = c.array.psum_writes * acc_bits + c.outputs * act_bits;
  // A fused pooling stage reads each result once and writes the pooled ones.
  if (c.pooled > 0) {
    t.output_buffer.read_bits[O] += c.outputs * act_bits;
    t.output_buffer.write_bits[O] += c.pooled * act_bits;
  }
  // A fused output stage's other operands: written by the DMA (from DRAM, or from the activation
  // SRAM when resident), read by the output stage.
  t.output_buffer.write_bits[I] = c.fused_input_bits + c.fused_onchip_bits;
  t.output_buffer.read_bits[I] = c.fused_input_bits + c.fused_onchip_bits;
  t.activation_sram.read_bits[I] += c.fused_onchip_bits;
  // A roofline over the engines that run side by side, plus what cannot overlap: the first
  // tile's loads before it and the last tile group's output stage and write-back after it.
  const double bw = cfg.dram.bytes_per_cycle, lanes = cfg.array.cols;
  const auto latency = static_cast<double>(cfg.dram.latency_cycles);
  const double read_bytes =
      static_cast<double>(c.dram_weight_bits + c.dram_input_bits + c.fused_input_bits) / 8.0;
  const double dram_bytes = read_bytes + static_cast<double>(c.dram_output_bits) / 8.0;
  // Double buffering lets a tile's load start only when the tile two before it has finished, so
  // a tile that waits for its own load takes at least (load + compute) / 2, the load being the
  // DRAM latency plus its bytes. Likewise a tile group's psum half is free again only when its
  // output stage and write-back are done: a group takes at least (compute + drain) / 2.
  const double tiles = static_cast<double>(c.tiles), loads = static_cast<double>(c.load_tiles),
               groups = static_cast<double>(c.tile_groups);
  const auto array = static_cast<double>(c.array.cycles);
  const double load = latency + read_bytes / std::max(1.0, loads) / bw;
  const double group_outputs = static_cast<double>(c.outputs) / groups;
  const double drain = group_outputs / lanes + latency + group_outputs / bw +
                       static_cast<double>(c.write_bursts) / groups;
  // A DMA engine issues a burst per cycle and keeps at most max_outstanding in flight, each for
  // the DRAM latency: many small bursts are latency-bound (Little's law), not bandwidth-bound.
  const double in_flight = static_cast<double>(cfg.dram.max_outstanding);
  const double per_burst = std::max(1.0, latency / in_flight);
  const auto reads = static_cast<double>(c.read_bursts),
             writes = static_cast<double>(c.write_bursts);
  // A buffer used whole (single-buffered) overlaps nothing: a load into it starts when the tile
  // before is done with it, and a psum tile when the group before has drained, so every such tile
  // waits for its whole load, every group for its whole drain, each as long as its bytes or its
  // bursts take (a depthwise layer's channel leaves in a burst per pixel). Never less than the
  // double-buffered waits: the mapper's bounds cost every candidate as double-buffered.
  const std::uint8_t whole = mc.mapping.whole;
  const bool in_whole = whole &
                        (ConvMapping::bit(Buffer::Weights) | ConvMapping::bit(Buffer::Activations)),
             out_whole = whole & ConvMapping::bit(Buffer::Outputs);
  const double in_wait =
      in_whole
          ? loads * (latency + std::max(read_bytes / bw, reads * per_burst) / std::max(1.0, loads))
          : loads * std::max(0.0, (load - array / tiles) / 2.0);
  const double out_wait = out_whole
                              ? groups * (group_outputs / lanes + latency +
                                          std::max(group_outputs / bw, writes / groups * per_burst))
                              : groups * std::max(0.0, (drain - array / groups) / 2.0);
  const double compute = array + std::max(in_wait, out_wait);
  const double dma = std::max(reads, writes) * per_burst;
  const auto outputs = static_cast<double>(c.outputs), last = static_cast<double>(c.last_outputs);
  mc.cycles = std::max({compute, dram_bytes / bw, dma, outputs / lanes}) +
              static_cast<double>(c.first_load_bits) / 8.0 / bw + latency + last / lanes +
              last / bw + latency;
  r.cycles = static_cast<std::uint64_t>(mc.cycles);
  mc.energy = layer_energy(cn, static_cast<std::size_t>(layer), r, cfg, em, mac, nullptr, &memory);
  mc.objective = objective(cfg.mapping.objective, mc.energy.total(), mc.cycles);
}

}  // namespace

MappingCost evaluate_mapping(const SimConfig& cfg, const CompiledNetwork& cn, int layer,
                             const PlanParams& p, const EnergyModel& em,
                             const std::vector<LayerMacEnergy>& macs, const ConvMapping& m,
                             const MemoryCosts* memory) {
  MappingCost mc;
  mc.mapping = m;
  mc.counts = count_conv(cn, layer, p, m);
  std::optional<MemoryCosts> own;
  if (!memory) own.emplace(cfg, em);
  cost(cfg, cn, layer, p, em, macs.at(static_cast<std::size_t>(layer)), memory ? *memory : *own,
       mc);
  return mc;
}

namespace {

// What the mapper counts of a layer shape under one accelerator's planning parameters: its
// candidates in classes of one tile size and accumulator use, and each class's array counts
// (count_array, the most work), counted when a search first needs them (array()).
// members[class_begin[k] .. class_begin[k + 1]) are class k's candidates, in candidate order.
struct ShapeCounts {
  std::vector<ConvMapping> mappings;
  std::vector<std::uint32_t> array_class;  // per candidate
  std::vector<std::uint32_t> class_begin, members;
  static constexpr std::uint32_t kUncounted = ~std::uint32_t{0};
  std::size_t classes() const { return array_of.size(); }
  bool counted(std::size_t k) const { return array_of[k] != kUncounted; }
  // Class k's array counts.
  const TileTiming& array(std::size_t k, const ConvMappingCounter& counter) {
    if (!counted(k)) {
      array_of[k] = static_cast<std::uint32_t>(arrays.size());
      arrays.push_back(counter.count_array(mappings[members[class_begin[k]]]));
    }
    return arrays[array_of[k]];
  }
  // Per class, its array's place in `arrays` (the few classes counted), or kUncounted.
  std::vector<std::uint32_t> array_of;
  std::vector<TileTiming> arrays;
};

std::shared_ptr<ShapeCounts> count_shape(const SimConfig& cfg, const CompiledNetwork& cn, int layer,
                                         const PlanParams& p) {
  auto sc = std::make_shared<ShapeCounts>();
  sc->mappings = mapping_candidates(cfg, cn, layer, p);
  const std::size_t n = sc->mappings.size();
  sc->array_class.reserve(n);
  // A candidate's class by its tile sizes and accumulator use (each a non-negative int).
  struct ClassHash {
    std::size_t operator()(const std::array<int, 5>& c) const {
      std::size_t h = 0;
      for (int v : c)
        h = h * 0x9e3779b97f4a7c15ULL + static_cast<std::size_t>(v);
      return h;
    }
  };
  std::unordered_map<std::array<int, 5>, std::uint32_t, ClassHash> classes;
  classes.reserve(n);
  std::vector<std::uint32_t> class_size;
  for (const ConvMapping& m : sc->mappings) {
    const std::uint32_t k =
        classes
            .emplace(std::array<int, 5>{m.nt, m.ct, m.rows, m.images, m.accumulate},
                     static_cast<std::uint32_t>(classes.size()))
            .first->second;
    sc->array_class.push_back(k);
    if (k == class_size.size()) class_size.push_back(0);
    ++class_size[k];
  }
  const std::size_t nc = class_size.size();
  sc->array_of.assign(nc, ShapeCounts::kUncounted);
  sc->class_begin.assign(nc + 1, 0);
  for (std::size_t k = 0; k < nc; ++k)
    sc->class_begin[k + 1] = sc->class_begin[k] + class_size[k];
  sc->members.resize(n);
  std::vector<std::uint32_t> next(sc->class_begin.begin(), sc->class_begin.end() - 1);
  for (std::uint32_t i = 0; i < n; ++i)
    sc->members[next[sc->array_class[i]]++] = i;
  return sc;
}

}  // namespace

struct MappingReuse::Impl {
  std::map<std::vector<std::int64_t>, std::shared_ptr<ShapeCounts>> shapes;
  std::size_t reused = 0;
  bool verify = false;
};

namespace {

// What a shape's counts depend on beside the layer (LayerChooser::best's key): every field of
// `p` but its per-layer and per-tensor vectors (which best's key reduces to the layer's), and
// mapping.search and mapping.order (mapping_candidates). The sizes catch a field added to
// PlanParams and not to this key: runs of different values would share counts.
static_assert(sizeof(PlanParams) == 248 && sizeof(ArrayDims) == 56 && sizeof(PortLimits) == 40,
              "a PlanParams field is missing from planning_key");
void planning_key(const SimConfig& cfg, const PlanParams& p, std::vector<std::int64_t>& key) {
  auto real = [](double v) {
    std::int64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return bits;
  };
  const ArrayDims& a = p.array;
  const std::string dataflow = p.dataflow ? p.dataflow->name() : "";
  key.insert(key.end(),
             {a.rows, a.cols, a.scalesim, a.acc_entries, real(a.ports.weight_bytes),
              real(a.ports.input_bytes), real(a.ports.psum_bytes), a.ports.widths.code_bits,
              a.ports.widths.activation_bits, a.ports.widths.accumulator_bits,
              static_cast<std::int64_t>(dataflow.size())});
  key.insert(key.end(), dataflow.begin(), dataflow.end());
  key.insert(key.end(), {p.widths.code_bits, p.widths.activation_bits, p.widths.accumulator_bits,
                         static_cast<std::int64_t>(p.weight_half_bytes),
                         static_cast<std::int64_t>(p.act_half_bytes),
                         static_cast<std::int64_t>(p.out_half_bytes), p.serial_steps, p.batch,
                         static_cast<std::int64_t>(p.burst_bytes), p.row_lo, p.row_hi,
                         static_cast<std::int64_t>(p.weights_at), p.weights_loaded, p.image_lo,
                         p.image_hi, cfg.mapping.search, p.whole, cfg.mapping.whole_buffers});
  key.insert(key.end(), cfg.mapping.order.begin(), cfg.mapping.order.end());
}

// The best mapping of conv / fc layer `layer` under `p` (whose fused_stage says whether its output
// stage runs the next layer), costed; none when no mapping fits. Layers of the same shape have
// the same candidates and counts (their weights change only the MAC energy, and term-serial step
// lengths, which the mapper ignores): counted once in `memo`, costed per layer.
class LayerChooser {
 public:
  LayerChooser(const SimConfig& cfg, const CompiledNetwork& cn, const EnergyModel& em,
               const std::vector<LayerMacEnergy>& macs, MappingReuse* reuse)
      : cfg_(cfg), cn_(cn), em_(em), macs_(macs), memory_(cfg, em), reuse_(reuse) {}

  // A cached depth-first group's transfer of `bytes` into a window, charged to `layer`: a move
  // within the activation SRAM (a read and a write of each byte through its port) or, `from_dram`,
  // a staged input's load (a DRAM read at its bandwidth and one latency, and an SRAM write).
  std::pair<double, double> window_transfer(int layer, std::uint64_t bytes, bool from_dram) const {
    const int I = static_cast<int>(Operand::Inputs);
    LayerResult r;
    const std::uint64_t bits = bytes * static_cast<std::uint64_t>(cn_.widths.activation_bits);
    (from_dram ? r.traffic.dram : r.traffic.activation_sram).read_bits[I] = bits;
    r.traffic.activation_sram.write_bits[I] = bits;
    const double port = static_cast<double>(cfg_.buffers.port_bytes[1]) * cfg_.buffers.banks[1];
    const double cycles =
        from_dram ? std::ceil(static_cast<double>(bits) / 8.0 / cfg_.dram.bytes_per_cycle) +
                        static_cast<double>(cfg_.dram.latency_cycles)
                  : 2.0 * std::ceil(static_cast<double>(bytes) / port);
    r.cycles = static_cast<std::uint64_t>(cycles);
    const EnergyBreakdown e =
        layer_energy(cn_, static_cast<std::size_t>(layer), r, cfg_, em_,
                     macs_.at(static_cast<std::size_t>(layer)), nullptr, &memory_);
    return {e.total(), cycles};
  }

  // Mapping `m` of conv / fc layer `layer` under `p`, costed.
  MappingCost fixed(int layer, const PlanParams& p, const ConvMapping& m) const {
    MappingCost c;
    c.mapping = m;
    c.counts = count_conv(cn_, layer, p, m);
    cost(cfg_, cn_, layer, p, em_, macs_.at(static_cast<std::size_t>(layer)), memory_, c);
    return c;
  }

  // Branch and bound over the candidates, in two levels (docs/mapping.md, "Search"): a class of
  // candidates (one tile size and accumulator use: its array counts) has a lower bound from
  // count_floor, each candidate a tighter one; classes and then their candidates are costed in
  // full in the order of their bounds while a bound is below the best objective found. The
  // choice is the one costing every candidate would make: the first in candidate order of least
  // objective.
  std::optional<MappingCost> best(int layer, const PlanParams& p) {
    const Network& net = cn_.net;
    const Layer& l = net.layers[static_cast<std::size_t>(layer)];
    const TensorShape in = net.in_shape(l), o = net.out_shape(l);
    const int fused = p.fused_layer(layer);
    // Residency changes what fits (the activation halves, an input read in place) and what moves.
    std::vector<std::int64_t> key = {in.h,
                                     in.w,
                                     in.c,
                                     o.h,
                                     o.w,
                                     o.c,
                                     l.kh,
                                     l.kw,
                                     l.groups,
                                     l.stride_h,
                                     l.stride_w,
                                     l.pad_t,
                                     l.pad_l,
                                     l.pad_b,
                                     l.pad_r,
                                     l.dil_h,
                                     l.dil_w,
                                     static_cast<std::int64_t>(p.act_half_bytes),
                                     p.on_chip(l.inputs[0]),
                                     p.on_chip(fused >= 0 ? net.layers[fused].output : l.output),
                                     cn_.code_bits(static_cast<std::size_t>(layer))};
    if (fused >= 0) {
      // A fused stage's operands share the output half; a fused pooling's window sets the bands.
      const Layer& f = net.layers[static_cast<std::size_t>(fused)];
      key.insert(key.end(),
                 {static_cast<int>(f.inputs.size()), static_cast<int>(layer_kind(f.type).rows),
                  f.kh, f.kw, f.stride_h, f.stride_w, f.pad_t, f.pad_l, f.pad_b, f.pad_r});
      for (int t : fused_operands(net, fused, layer))
        key.push_back(p.on_chip(t));
    }
    const ConvMappingCounter counter(cn_, layer, p);
    Shape& s = shape(layer, p, key, counter);
    const ShapeCounts& sc = *s.counts;
    if (sc.mappings.empty()) return std::nullopt;
    const double mac_pj = macs_.at(static_cast<std::size_t>(layer)).pj;
    const MappingObjective objective = cfg_.mapping.objective;
    // A bound computed in another order of floating-point operations than the objective it
    // bounds: a candidate is skipped only when its bound exceeds the best by more than rounding.
    // The shape's orders are by the bounds of its first layer: near this layer's, so few
    // candidates are costed before the best, and any order gives the same choice.
    constexpr double kRounding = 1e-9;
    std::optional<MappingCost> chosen;
    std::size_t chosen_index = 0;
    auto beaten = [&](double bound) {
      return chosen && bound > chosen->objective * (1 + kRounding);
    };
    for (const std::uint32_t k : s.class_order) {
      if (beaten(s.class_bound(k, mac_pj, objective))) continue;
      // The class's bound of its floor arrays, then of its counted ones.
      if (!s.counted[k]) {
        s.counted[k] = true;
        s.class_bounds[k] = class_bound_of(s, k, layer, p, counter, false);
        if (beaten(s.class_bound(k, mac_pj, objective))) continue;
      }
      const Bound* bounds = expand(s, k, layer, p, counter);
      for (std::uint32_t j = sc.class_begin[k]; j < sc.class_begin[k + 1]; ++j) {
        const std::uint32_t i = sc.members[j];
        if (beaten(s.bound(bounds[j - sc.class_begin[k]], mac_pj, objective))) continue;
        MappingCost c = cost_candidate(s, layer, p, counter, i);
        if (!chosen || c.objective < chosen->objective ||
            (c.objective == chosen->objective && i < chosen_index)) {
          chosen = std::move(c);
          chosen_index = i;
        }
      }
    }
    return chosen;
  }

  // Vector layer `layer` on its own (what fusing it saves): its planned jobs' sums, costed as the
  // simulator costs them, and a roofline of its cycles; none when it does not fit on its own.
  std::optional<MappingCost> alone(int layer, const PlanParams& p) const {
    const VectorCounts v = count_vector(cn_, layer, p);
    if (v.infeasible) return std::nullopt;
    const int I = static_cast<int>(Operand::Inputs), O = static_cast<int>(Operand::Outputs);
    const auto act = static_cast<std::uint64_t>(p.widths.activation_bits);
    LayerResult r;
    r.stats.vector_ops = v.ops;
    LayerTraffic& t = r.traffic;
    t.dram.read_bits[I] = v.dram_input_bits;
    t.dram.write_bits[O] = v.dram_output_bits;
    t.activation_sram.write_bits[I] = v.dram_input_bits;
    t.activation_sram.read_bits[I] = v.input_reads * act;
    t.output_buffer.write_bits[O] = v.dram_output_bits + v.onchip_output_bits;
    t.output_buffer.read_bits[O] = v.dram_output_bits + v.onchip_output_bits;
    t.activation_sram.write_bits[O] = v.onchip_output_bits;  // a resident output
    const double bw = cfg_.dram.bytes_per_cycle;
    const auto latency = static_cast<double>(cfg_.dram.latency_cycles);
    const double bytes = static_cast<double>(v.dram_input_bits + v.dram_output_bits) / 8.0;
    const double bursts = static_cast<double>(std::max(v.read_bursts, v.write_bursts));
    MappingCost mc;
    mc.cycles = std::max({static_cast<double>(v.ops) / cfg_.vector_lanes, bytes / bw,
                          bursts * std::max(1.0, latency / cfg_.dram.max_outstanding)}) +
                2 * latency;
    r.cycles = static_cast<std::uint64_t>(mc.cycles);
    mc.energy = layer_energy(cn_, static_cast<std::size_t>(layer), r, cfg_, em_,
                             macs_.at(static_cast<std::size_t>(layer)), nullptr, &memory_);
    mc.objective = objective(cfg_.mapping.objective, mc.energy.total(), mc.cycles);
    return mc;
  }

 private:
  const SimConfig& cfg_;
  const CompiledNetwork& cn_;
  const EnergyModel& em_;
  const std::vector<LayerMacEnergy>& macs_;
  const MemoryCosts memory_;
  MappingReuse* reuse_;  // optional
  // A layer shape's candidates (under the PlanParams that shape the key in best) in classes of
  // one tile size and accumulator use (their array counts), with lower bounds of their costs: a
  // class's from count_floor and count_array_floor, then, when the class is first searched, from
  // count_floor and its counted array; a candidate's from its own counts (computed when its class
  // is first searched past that). Both are the cycles and the energy of those counts less what
  // depends on the layer and not on the shape -- the MACs, their decoder and PE registers, a fused
  // stage's operations (docs/mapping.md, "Search") -- so they hold for any layer of the shape, and
  // a candidate's is tight: a layer costs a few candidates in full, not most of them. Counts are
  // not kept (a hundred thousand of them would be tens of megabytes to write); the array's are, per
  // class, and with the candidates they are what runs of the same planning parameters share
  // (MappingReuse): the bounds are this run's, priced by its energy model.
  struct Bound {
    double pj = 0, cycles = 0, outputs = 0;
  };
  struct Shape {
    std::shared_ptr<ShapeCounts> counts;
    double nominal_outputs = 1;  // the layer's outputs, batch included (layer_energy's nominal)
    // Per class: its bound, whether that is of its counted array, and where its candidates'
    // bounds start in `member_bounds` once known (kUnknown before: a search expands a few
    // classes, and bounds for every candidate would be megabytes of fresh pages per shape).
    static constexpr std::uint32_t kUnknown = ~std::uint32_t{0};
    std::vector<Bound> class_bounds;
    std::vector<bool> counted;
    std::vector<std::uint32_t> bounds_at;
    std::vector<std::uint32_t> class_order;  // by the class bounds for the first layer's MACs
    std::vector<Bound> member_bounds;        // the expanded classes' members, in member order
    // A bound for a layer of MAC energy `mac_pj` (which scales with the outputs a mapping
    // computes, as in layer_energy).
    double bound(const Bound& b, double mac_pj, MappingObjective o) const {
      return objective(o, b.pj + mac_pj / nominal_outputs * b.outputs, b.cycles);
    }
    double class_bound(std::size_t k, double mac_pj, MappingObjective o) const {
      return bound(class_bounds[k], mac_pj, o);
    }
  };
  std::map<std::vector<std::int64_t>, Shape> memo_;

  // What `counts` (with the array's) cost, less what depends on the layer: a bound.
  Bound bound_of(MappingCost& b, int layer, const PlanParams& p) const {
    const LayerMacEnergy no_mac;
    b.counts.fused_ops = 0;
    cost(cfg_, cn_, layer, p, em_, no_mac, memory_, b);
    // What a layer's own MAC sets (its decoder, its PE registers' widths) and its fused
    // operation are left out: the rest holds for every layer of the shape.
    return {b.energy.total() - b.energy.mac - b.energy.pe_registers - b.energy.vector_unit,
            b.cycles, static_cast<double>(b.counts.outputs)};
  }

  Shape& shape(int layer, const PlanParams& p, const std::vector<std::int64_t>& key,
               const ConvMappingCounter& counter) {
    auto it = memo_.find(key);
    if (it != memo_.end()) return it->second;
    Shape s;
    const Layer& l = cn_.net.layers[static_cast<std::size_t>(layer)];
    if (reuse_) {
      std::vector<std::int64_t> whole = key;
      planning_key(cfg_, p, whole);
      auto& shared = reuse_->impl()->shapes[whole];
      if (shared) {
        ++reuse_->impl()->reused;
        if (reuse_->impl()->verify) {
          const auto again = count_shape(cfg_, cn_, layer, p);
          auto same = [](const ConvMapping& a, const ConvMapping& b) {
            return a.text() == b.text();
          };
          bool arrays_same = again->class_begin == shared->class_begin;
          for (std::size_t k = 0; arrays_same && k < shared->classes(); ++k)
            arrays_same = !shared->counted(k) ||
                          again->array(k, counter) == shared->arrays[shared->array_of[k]];
          CONLOC_ASSERT(std::equal(again->mappings.begin(), again->mappings.end(),
                                   shared->mappings.begin(), shared->mappings.end(), same) &&
                            arrays_same,
                        "mapper",
                        "layer " + l.name +
                            ": counts found for its planning parameters differ "
                            "from its own (a parameter missing from planning_key)");
        }
      } else {
        shared = count_shape(cfg_, cn_, layer, p);
      }
      s.counts = shared;
    } else {
      s.counts = count_shape(cfg_, cn_, layer, p);
    }
    ShapeCounts& sc = *s.counts;
    s.nominal_outputs =
        static_cast<double>(cn_.net.out_shape(l).elements()) * static_cast<double>(cfg_.batch);
    const std::size_t nc = sc.classes();
    // Arrays an earlier run of these planning parameters counted bound their classes already.
    s.counted.resize(nc);
    for (std::size_t k = 0; k < nc; ++k)
      s.counted[k] = sc.counted(k);
    s.class_bounds.reserve(nc);
    for (std::uint32_t k = 0; k < nc; ++k)
      s.class_bounds.push_back(class_bound_of(s, k, layer, p, counter, !s.counted[k]));
    s.bounds_at.assign(nc, Shape::kUnknown);
    // Classes by their bounds for this layer, ties in class order (a stable order of pairs).
    const double mac_pj = macs_.at(static_cast<std::size_t>(layer)).pj;
    std::vector<std::pair<double, std::uint32_t>> by_bound(nc);
    for (std::uint32_t k = 0; k < nc; ++k)
      by_bound[k] = {s.class_bound(k, mac_pj, cfg_.mapping.objective), k};
    std::sort(by_bound.begin(), by_bound.end());
    s.class_order.resize(nc);
    for (std::size_t k = 0; k < nc; ++k)
      s.class_order[k] = by_bound[k].second;
    return memo_.emplace(key, std::move(s)).first->second;
  }

  // Class `k`'s bound: of count_floor and its array's floor (`floor`), or its counted array.
  Bound class_bound_of(Shape& s, std::uint32_t k, int layer, const PlanParams& p,
                       const ConvMappingCounter& counter, bool floor) const {
    ShapeCounts& sc = *s.counts;
    const ConvMapping& m = sc.mappings[sc.members[sc.class_begin[k]]];
    MappingCost b;
    b.counts = counter.count_floor(m);
    b.counts.array = floor ? counter.count_array_floor(m) : sc.array(k, counter);
    return bound_of(b, layer, p);
  }

  // The bounds of class `k`'s candidates in member order, computed when first asked for (valid
  // until another class is expanded).
  const Bound* expand(Shape& s, std::uint32_t k, int layer, const PlanParams& p,
                      const ConvMappingCounter& counter) const {
    ShapeCounts& sc = *s.counts;
    if (s.bounds_at[k] == Shape::kUnknown) {
      s.bounds_at[k] = static_cast<std::uint32_t>(s.member_bounds.size());
      const TileTiming& array = sc.array(k, counter);
      MappingCost b;
      for (std::uint32_t j = sc.class_begin[k]; j < sc.class_begin[k + 1]; ++j) {
        b.counts = counter.count_without_array(sc.mappings[sc.members[j]]);
        b.counts.array = array;
        s.member_bounds.push_back(bound_of(b, layer, p));
      }
    }
    return s.member_bounds.data() + s.bounds_at[k];
  }

  // Candidate `i` of shape `s`, costed for `layer`.
  MappingCost cost_candidate(Shape& s, int layer, const PlanParams& p,
                             const ConvMappingCounter& counter, std::size_t i) {
    ShapeCounts& sc = *s.counts;
    MappingCost c;
    c.mapping = sc.mappings[i];
    c.counts = counter.count_without_array(sc.mappings[i]);
    c.counts.array = sc.array(sc.array_class[i], counter);
    cost(cfg_, cn_, layer, p, em_, macs_.at(static_cast<std::size_t>(layer)), memory_, c);
    return c;
  }
};

// What the plans of layers [first, last] cost under `p` (energy, cycles), each with the halves
// the resident tensors leave it; none when one of them does not fit. A layer fused into
// another's output stage costs nothing of its own.
std::optional<std::pair<double, double>> span_cost(const CompiledNetwork& cn, LayerChooser& chooser,
                                                   const PlanParams& p,
                                                   const std::vector<TensorLife>& lives, int first,
                                                   int last) {
  double pj = 0, cycles = 0;
  for (int li = std::max(0, first); li <= last; ++li) {
    if (p.fused_into_previous(li)) continue;
    const PlanParams q = p.for_layer(li, lives);
    const std::optional<MappingCost> c = cn.net.layers[static_cast<std::size_t>(li)].on_pe_array()
                                             ? chooser.best(li, q)
                                             : chooser.alone(li, q);
    if (!c) return std::nullopt;
    pj += c->energy.total();
    cycles += c->cycles;
  }
  return std::make_pair(pj, cycles);
}

// Residency, greedily in the order tensors are produced: a tensor that has a producer and a
// reader and fits the activation SRAM beside the resident tensors alive with it (placed from
// the top down, as high as it fits) stays there when the layers of its life cost less by
// mapping.objective with it resident (their halves shrunk, its producer writing it on chip, its
// readers reading it in place) than with it in DRAM.
void choose_residency(const SimConfig& cfg, const CompiledNetwork& cn, LayerChooser& chooser,
                      PlanParams& q) {
  const Network& net = cn.net;
  const int n = static_cast<int>(net.layers.size());
  q.resident.assign(net.tensors.size(), PlanParams::kInDram);
  const std::vector<TensorLife> lives = tensor_lives(net, q);
  const std::uint64_t top = 2 * q.act_store();
  for (std::size_t t = 0; t < net.tensors.size(); ++t) {
    const TensorLife life = lives[t];
    if (life.first < 0 || life.last >= n || life.first == life.last) continue;
    const std::uint64_t size = q.resident_size(net, static_cast<int>(t));
    if (size > top) continue;
    // As high as it fits below the resident tensors whose lives overlap its own.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> taken;  // [begin, end)
    for (std::size_t u = 0; u < t; ++u) {
      if (!q.on_chip(static_cast<int>(u)) || !lives[u].overlaps(life)) continue;
      taken.push_back({q.resident[u], q.resident[u] + q.resident_size(net, static_cast<int>(u))});
    }
    // Candidates: right below the top or below a taken range; the highest that is free.
    std::optional<std::uint64_t> at;
    auto consider = [&](std::uint64_t end) {
      if (end < size || (at && end - size <= *at)) return;
      for (const auto& [b, e] : taken)
        if (b < end && end - size < e) return;
      at = end - size;
    };
    consider(top);
    for (const auto& range : taken)
      consider(range.first);
    if (!at) continue;
    const auto before = span_cost(cn, chooser, q, lives, life.first, life.last);
    q.resident[t] = *at;
    const auto after = span_cost(cn, chooser, q, lives, life.first, life.last);
    const MappingObjective o = cfg.mapping.objective;
    if (!after || (before && objective(o, after->first, after->second) >=
                                 objective(o, before->first, before->second))) {
      q.resident[t] = PlanParams::kInDram;
    }
  }
}

// What depth-first group `g`'s units cost under `q` (energy, cycles: units run one after
// another), or none when it does not fit. Units of a member alike in rows, clipping and weight
// loads cost alike: costed once.
std::optional<std::pair<double, double>> group_cost(const CompiledNetwork& cn,
                                                    LayerChooser& chooser, const PlanParams& q,
                                                    const PlanParams::Group& g,
                                                    const std::vector<TensorLife>& lives) {
  const auto units = group_units(cn, q, g, lives);
  if (std::holds_alternative<Infeasibility>(units)) return std::nullopt;
  std::map<std::tuple<int, int, bool, bool, bool>, std::pair<double, double>> seen;
  double pj = 0, cycles = 0;
  for (const GroupUnit& u : std::get<std::vector<GroupUnit>>(units)) {
    if (u.move || u.load >= 0) {
      const auto c = chooser.window_transfer(u.layer, u.bytes, !u.move);
      pj += c.first;
      cycles += c.second;
      continue;
    }
    const Layer& l = cn.net.layers[static_cast<std::size_t>(u.layer)];
    const int h = result_shape(cn.net, u.layer, u.params).h;
    const auto key =
        std::make_tuple(u.layer, u.params.row_hi - u.params.row_lo, u.params.row_lo == 0,
                        u.params.row_hi == h, u.params.weights_loaded);
    auto it = seen.find(key);
    if (it == seen.end()) {
      std::pair<double, double> c;
      if (l.on_pe_array()) {
        const MappingCost m = chooser.fixed(u.layer, u.params, u.mapping);
        c = {m.energy.total(), m.cycles};
      } else {
        const std::optional<MappingCost> m = chooser.alone(u.layer, u.params);
        if (!m) return std::nullopt;
        c = {m->energy.total(), m->cycles};
      }
      it = seen.emplace(key, c).first;
    }
    pj += it->second.first;
    cycles += it->second.second;
  }
  return std::make_pair(pj, cycles);
}

// `q` with group `g` added: a resident tensor between members becomes a window, and a resident
// tensor the group reads or writes, now alive over the whole group, goes back to DRAM when it
// would share bytes with another resident tensor alive with it.
PlanParams with_group(const Network& net, const PlanParams& q, const PlanParams::Group& g,
                      const std::vector<TensorLife>& lives) {
  PlanParams r = q;
  r.groups.push_back(g);
  if (r.resident.empty()) return r;
  for (int m = g.first; m < g.last; ++m) {
    if (r.fused_into_previous(m)) continue;
    const auto t = static_cast<std::size_t>(result_tensor(net, m, r));
    if (lives[t].last <= g.last) r.resident[t] = PlanParams::kInDram;
  }
  const std::vector<TensorLife> now = tensor_lives(net, r);
  for (std::size_t t = 0; t < r.resident.size(); ++t) {
    if (r.resident[t] == PlanParams::kInDram) continue;
    const bool touched = now[t].first != lives[t].first || now[t].last != lives[t].last;
    if (!touched) continue;
    const std::uint64_t size = r.resident_size(net, static_cast<int>(t));
    for (std::size_t u = 0; u < r.resident.size(); ++u) {
      if (u == t || r.resident[u] == PlanParams::kInDram || !now[u].overlaps(now[t])) continue;
      if (r.resident[u] < r.resident[t] + size &&
          r.resident[t] < r.resident[u] + r.resident_size(net, static_cast<int>(u))) {
        r.resident[t] = PlanParams::kInDram;
        break;
      }
    }
  }
  return r;
}

// Whether every layer and group `r` (a schedule with one group more than `q`, whose tensor lives
// are `lives`) changes still fits: those in the lives of the tensors whose residency or life the
// group changed.
bool leaves_room(const CompiledNetwork& cn, LayerChooser& chooser, const PlanParams& q,
                 const std::vector<TensorLife>& lives, const PlanParams& r) {
  const Network& net = cn.net;
  const std::vector<TensorLife> now = tensor_lives(net, r);
  const int n = static_cast<int>(net.layers.size());
  std::vector<bool> touched(static_cast<std::size_t>(n), false);
  for (std::size_t t = 0; t < net.tensors.size(); ++t) {
    const bool was = q.on_chip(static_cast<int>(t)), is = r.on_chip(static_cast<int>(t));
    if (!was && !is) continue;
    if (was == is && q.resident[t] == r.resident[t] && lives[t].first == now[t].first &&
        lives[t].last == now[t].last) {
      continue;
    }
    for (const TensorLife& life : {lives[t], now[t]})
      for (int li = std::max(0, life.first); li <= std::min(n - 1, life.last); ++li)
        touched[static_cast<std::size_t>(li)] = true;
  }
  std::vector<const PlanParams::Group*> group_of(static_cast<std::size_t>(n), nullptr);
  for (const PlanParams::Group& g : r.groups)
    for (int li = g.first; li <= g.last; ++li)
      group_of[static_cast<std::size_t>(li)] = &g;
  std::set<const PlanParams::Group*> checked;
  for (int li = 0; li < n; ++li) {
    if (!touched[static_cast<std::size_t>(li)]) continue;
    if (const PlanParams::Group* g = group_of[static_cast<std::size_t>(li)]) {
      // Its units, conv and vector members alike (group_units checks the convs only).
      if (checked.insert(g).second && !group_cost(cn, chooser, r, *g, now)) return false;
    } else if (!r.fused_into_previous(li) && !span_cost(cn, chooser, r, now, li, li)) {
      return false;
    }
  }
  return true;
}

// Depth-first groups, greedily from the first layer on: of the chains starting at a layer (up
// to eight plans, every tensor between members read by members only), with bands of 1, 2, 4,
// ... result rows of the last member, the one that saves the most by mapping.objective against
// its members run one after another (as scheduled so far) and leaves every layer outside it
// room to run (leaves_room) becomes a group, and the search goes on after it; else after the
// layer. A chain of one plan is that plan run band by band with its
// weights pinned in the whole weight buffer: it wins where they fit the buffer but not a half
// (the plan alone reloads them per band). Where no group starts, `ungrouped` says why.
void choose_groups(const SimConfig& cfg, const CompiledNetwork& cn, LayerChooser& chooser,
                   PlanParams& q, std::vector<std::string>& ungrouped) {
  const Network& net = cn.net;
  const int n = static_cast<int>(net.layers.size());
  std::vector<TensorLife> lives = tensor_lives(net, q);
  std::vector<std::optional<std::pair<double, double>>> alone(static_cast<std::size_t>(n));
  for (int li = 0; li < n; ++li)
    alone[static_cast<std::size_t>(li)] = span_cost(cn, chooser, q, lives, li, li);
  const MappingObjective o = cfg.mapping.objective;
  constexpr int kMostPlans = 8;
  int li = 0;
  while (li < n) {
    if (q.fused_into_previous(li)) {
      ++li;
      continue;
    }
    // The groups from here that save, with their savings.
    std::vector<std::pair<double, PlanParams::Group>> saving;
    double pj = 0, cycles = 0;
    int plans = 0;
    // The group from here that comes closest (least objective over its members' alone), when
    // none saves: what NetworkPlan::ungrouped tells the user.
    std::optional<PlanParams::Group> closest;
    double closest_ratio = 0;
    bool alone_fits = false;  // the layer in one band: nothing to split (a 1-row result)
    for (int last = li; last < n && plans < kMostPlans; ++last) {
      if (!alone[static_cast<std::size_t>(last)]) break;
      pj += alone[static_cast<std::size_t>(last)]->first;
      cycles += alone[static_cast<std::size_t>(last)]->second;
      plans += !q.fused_into_previous(last);
      if (q.fused_layer(last) >= 0) continue;  // the group ends with the fused layer
      // Every member's result but the last one's is read by members only.
      bool closed = true;
      for (int m = li; m < last && closed; ++m) {
        if (q.fused_into_previous(m) || q.fused_layer(m) == last) continue;
        closed = lives[static_cast<std::size_t>(result_tensor(net, m, q))].last <= last;
      }
      if (!closed) continue;
      const int h = result_shape(net, last, q).h;
      // The chain's residency and lives do not depend on its bands: one trial, bands varied.
      PlanParams trial = with_group(net, q, {li, last, 1, false}, lives);
      const std::vector<TensorLife> trial_lives = tensor_lives(net, trial);
      for (int k = 0;; ++k) {
        const int r = std::min(1 << (k / 2), h);
        const PlanParams::Group g{li, last, r, k % 2 == 1};
        trial.groups.back() = g;
        const auto c = group_cost(cn, chooser, trial, g, trial_lives);
        if (c) {
          const double alone_objective = objective(o, pj, cycles);
          const double ratio = objective(o, c->first, c->second) / alone_objective;
          // One plan in one band is the layer alone, not a group to tell about.
          const bool alone_again = plans == 1 && r == h;
          alone_fits = alone_fits || alone_again;
          if (!alone_again && (!closest || ratio < closest_ratio)) {
            closest = g;
            closest_ratio = ratio;
          }
          const double saves = alone_objective - objective(o, c->first, c->second);
          if (saves > 0) saving.push_back({saves, g});
        }
        if (r == h && k % 2 == 1) break;
      }
    }
    // The group that saves the most (the first found of equal savings) and leaves every other
    // layer and group room to run: a group changes which tensors stay resident and for how long,
    // which shrinks the halves of layers outside it.
    std::stable_sort(saving.begin(), saving.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::optional<PlanParams::Group> best;
    for (const auto& [saves, g] : saving) {
      PlanParams r = with_group(net, q, g, lives);
      if (leaves_room(cn, chooser, q, lives, r)) {
        best = g;
        q = std::move(r);
        break;
      }
    }
    if (!best) {
      std::string why = !saving.empty() ? kLeavesNoRoom
                        : closest       ? kCheaperAlone
                        : alone_fits    ? kOneBandOnly
                                        : kNoBandFits;
      if (closest && saving.empty()) {
        char pct[32];
        std::snprintf(pct, sizeof pct, "%+.1f %%", 100.0 * (closest_ratio - 1.0));
        why += " (closest group: " + net.layers[static_cast<std::size_t>(closest->first)].name +
               ".." + net.layers[static_cast<std::size_t>(closest->last)].name + " in bands of " +
               std::to_string(closest->rows) + " rows, " + pct + " " + to_string(o) + ")";
      }
      ungrouped[static_cast<std::size_t>(li)] = why;
      ++li;
      continue;
    }
    lives = tensor_lives(net, q);
    li = best->last + 1;
  }
}

}  // namespace

Schedule choose_schedule(const SimConfig& cfg, const CompiledNetwork& cn, const PlanParams& p,
                         const EnergyModel& em, const std::vector<LayerMacEnergy>& macs,
                         MappingReuse* reuse) {
  const Network& net = cn.net;
  Schedule s;
  s.mappings.resize(net.layers.size());
  PlanParams q = p;  // with the fusions decided so far
  if (!q.fused_stage.empty()) q.fused_stage.assign(net.layers.size(), -1);
  LayerChooser chooser(cfg, cn, em, macs, reuse);
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const int li = static_cast<int>(i);
    if (!net.layers[i].on_pe_array()) continue;
    std::optional<MappingCost> own = chooser.best(li, q);
    const int f = p.fused_layer(li);
    if (f >= 0) {
      // Fused when the pair costs less by mapping.objective with the output stage running the
      // next layer than the two layers one after the other (or only the fused pair fits).
      q.fused_stage[i] = f;
      const std::optional<MappingCost> fused = chooser.best(li, q);
      const std::optional<MappingCost> next = chooser.alone(f, q);
      const bool take =
          fused && (!own || !next ||
                    fused->objective <= objective(cfg.mapping.objective,
                                                  own->energy.total() + next->energy.total(),
                                                  own->cycles + next->cycles));
      if (take) {
        own = fused;
      } else {
        q.fused_stage[i] = -1;
      }
    }
    if (own) s.mappings[i] = own->mapping;
  }
  s.fused_stage = q.fused_stage;
  if (cfg.mapping.residency) {
    choose_residency(cfg, cn, chooser, q);
    if (cfg.mapping.depth_first) {
      s.ungrouped.assign(net.layers.size(), "");
      choose_groups(cfg, cn, chooser, q, s.ungrouped);
      s.groups = q.groups;
    }
    // The mappings again, each layer with the halves the resident tensors leave it (a depth-first
    // group's members are mapped per band by the planner).
    const std::vector<TensorLife> lives = tensor_lives(net, q);
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
      if (!net.layers[i].on_pe_array()) continue;
      const std::optional<MappingCost> c =
          chooser.best(static_cast<int>(i), q.for_layer(static_cast<int>(i), lives));
      s.mappings[i] = c ? std::optional<ConvMapping>(c->mapping) : std::nullopt;
    }
    s.resident = q.resident;
  }
  return s;
}

MappingReuse::MappingReuse(bool verify) : impl_(std::make_unique<Impl>()) {
  impl_->verify = verify;
}
MappingReuse::~MappingReuse() = default;

std::size_t MappingReuse::reused() const {
  return impl_->reused;
}

}  // namespace conloc
