#pragma once

#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "modules/common/network.h"
#include "modules/dataflow/dataflow_model.h"
#include "modules/memory/traffic.h"

namespace conloc {

class LevelCodes;
struct CompiledNetwork;
struct DramLayout;

// Which engine executes a job. Each engine runs its jobs in plan order; a job starts once all its
// dependencies (earlier jobs) have completed.
enum class Engine { DmaRead, PeArray, CompensationAdder, VectorUnit, DmaWrite };
constexpr int kEngineCount = 5;
const char* to_string(Engine e);

enum class Buffer { Weights = 0, Activations = 1, Outputs = 2 };

// A DMA transfer: `count` runs of `run_bytes`, strided on both sides. `bits` is what the
// transfer really moves (packed code words need not fill the last byte).
struct Transfer {
  Operand operand = Operand::Inputs;
  Buffer buffer = Buffer::Activations;
  std::uint64_t dram_addr = 0;
  std::uint64_t sram_addr = 0;
  std::uint32_t count = 1;
  std::uint32_t run_bytes = 0;
  std::uint64_t dram_stride = 0;
  std::uint64_t sram_stride = 0;
  // A second stride on the DRAM side: runs come `row_runs` to a row, rows `dram_row_stride`
  // apart (0: one row of `count` runs). A subsampled input band (ConvGeom::in).
  std::uint32_t row_runs = 0;
  std::uint64_t dram_row_stride = 0;
  std::uint64_t bits = 0;
  // The far side is not DRAM but a tensor resident in the activation SRAM (on-chip residency):
  // `dram_addr` is then an address there, and the transfer never leaves the chip.
  bool on_chip = false;
  std::uint64_t bytes() const { return std::uint64_t{count} * run_bytes; }
};

// Every sub_h-th row and sub_w-th column of `s` (from the first): the input a band of a strided
// 1 x 1 conv holds (ConvGeom::in, ConvTile::sub_h), for the planner and the PE array alike.
inline TensorShape subsampled(TensorShape s, int sub_h, int sub_w) {
  s.h = (s.h - 1) / sub_h + 1;
  s.w = (s.w - 1) / sub_w + 1;
  return s;
}

// A tile of a conv / fully-connected layer on the PE array.
struct ConvTile {
  int group = 0;
  int n0 = 0, nt = 0;     // output channels (within the group)
  int c0 = 0, ct = 0;     // input channels of this k-chunk (within the group)
  int oy0 = 0, rows = 0;  // output rows of this band
  // The rows of the tensor the tile group writes: a fused pooling layer's output rows, computed
  // from output rows [oy0, oy0 + rows) (bands of pooled rows overlap there: the rows two bands
  // share are computed by both); otherwise oy0 and rows again.
  int res_y0 = 0, res_rows = 0;
  // Images of the batch in the tile: their bands lie one after another in the activation SRAM
  // ([images][band_rows][W][band_cs]) and their psums in the output buffer ([images][rows*OW][nt]);
  // M = images x rows x OW.
  int image0 = 0, images = 1;
  bool first_chunk = true, last_chunk = true;
  // The band holds every sub_h-th row and sub_w-th column of the input (ConvGeom::in).
  std::uint8_t sub_h = 1, sub_w = 1;
  std::uint64_t wbuf_addr = 0;  // packed weight block [nt][kh*kw*ct] in the weight buffer
  std::uint64_t abuf_addr = 0;  // input band [band_rows][W / sub_w][band_cs] in the activation SRAM
  int band_iy0 = 0, band_rows = 0, band_c0 = 0, band_cs = 0;
  // Bytes from one image's band to the next: 0 when they lie one after another; a resident
  // input read in place ([images][H][W][C]) sets the tensor's H x W x C.
  std::uint64_t image_pitch = 0;
  std::uint64_t obuf_addr = 0;  // psums [rows*OW][nt] int32 in the output buffer
  // A fused output stage's other operands (the fused layer's inputs besides this layer's
  // output), [operand][images][rows*OW][nt] in the output buffer after the psums.
  std::uint64_t fused_addr = 0;
  int input_job = -1;   // the DMA job that loaded the input band (identifies its contents; a
                        // band read in place from a resident input: -2 - its band index)
  int weight_job = -1;  // the DMA job that loaded the weight block
  TileGemm gemm;
};

// A band of a vector-unit layer (pooling, residual add, ReLU).
struct VectorTile {
  int oy0 = 0, rows = 0;
  int band_iy0 = 0, band_rows = 0;
  int image = 0;                        // of the batch
  std::uint64_t abuf_addr[2] = {0, 0};  // input band(s) [band_rows][W][C] in the activation SRAM
                                        // (a per-channel Mul factor: [C])
  std::uint64_t in_bytes = 0;           // bytes the inputs occupy in the activation SRAM
  int part = 0;                         // Concat: the input this tile copies
  bool per_channel_b = false;           // the second input is one value per channel (1x1xC)
  int c0 = 0, ct = 0;                   // the band's chunk of input channels
  int out_ct = 0;                       // output channels of the tile
  std::uint64_t obuf_addr = 0;          // output band [rows][OW][C] bytes in the output buffer
  std::uint64_t ops = 0;                // element operations the vector unit performs
};

// The jobs a job waits for: a few (its loads, the half it overwrites), kept in the job, not in a
// heap block of its own per job.
using JobDeps = boost::container::small_vector<int, 4>;

// One job of a plan: what its engine works on, and the jobs it waits for. A plan holds hundreds of
// thousands (ResNet-50 on a small array), so a job holds only its own engine's work.
class Job {
 public:
  Engine engine = Engine::DmaRead;
  JobDeps deps;

  // The work, by engine: DmaRead and DmaWrite move a transfer, PeArray and CompensationAdder
  // work on a conv tile (the adder drains its psums), VectorUnit on a vector tile. Reading the
  // wrong one throws std::bad_variant_access; the first write of a new job chooses it.
  const Transfer& xfer() const { return std::get<Transfer>(work_); }
  const ConvTile& conv() const { return std::get<ConvTile>(work_); }
  const VectorTile& vec() const { return std::get<VectorTile>(work_); }
  Transfer& xfer() { return made<Transfer>(); }
  ConvTile& conv() { return made<ConvTile>(); }
  VectorTile& vec() { return made<VectorTile>(); }

 private:
  template <class T>
  T& made() {
    if (std::holds_alternative<std::monostate>(work_)) work_.emplace<T>();
    return std::get<T>(work_);
  }
  std::variant<std::monostate, Transfer, ConvTile, VectorTile> work_;
};

// The order of a conv layer's tile loops (docs/mapping.md). The k-chunk loop is always innermost
// (its partial sums stay in one output-buffer half); what differs is which operand a tile group
// reuses from the buffers:
//  - BandsOuter:  band -> images -> group -> n-tile -> k-chunk. An input band holding every
//    channel is loaded once and serves every n-tile; weights are reloaded per band unless all of
//    the layer's weights fit one half.
//  - NTilesOuter: group -> n-tile -> band -> images -> k-chunk. An n-tile's weights are loaded
//    once when they fit one half and serve every band; input bands are reloaded per n-tile.
enum class TileOrder { BandsOuter, NTilesOuter };
const char* to_string(TileOrder o);

// How one conv / fully-connected layer is mapped onto the array and buffers.
struct ConvMapping {
  TileOrder order = TileOrder::BandsOuter;
  int nt = 1;                 // output channels per tile (per group)
  int ct = 1;                 // input channels per k-chunk (per group)
  int rows = 1;               // output rows per band (rows of result_shape: pooled rows when a
                              // pooling layer is fused)
  int images = 1;             // images of the batch per tile
  bool all_channels = false;  // an input band holds every input channel, not just the chunk's
  // WS with column accumulators (array.accumulator_entries > 0): partial sums stay there over the
  // row folds; otherwise they go to the output buffer every row fold.
  bool accumulate = false;
  // The buffers the layer uses whole, single-buffered (bits 1 << Buffer; mapping.buffering =
  // any): a tile may fill the whole buffer, and a load into it, or a psum tile's reuse of it,
  // waits for the tile before to be done with it (docs/mapping.md, "Single buffering").
  std::uint8_t whole = 0;
  static constexpr std::uint8_t bit(Buffer b) {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(b));
  }
  std::string text() const;  // e.g. "bands_outer nt=16 ct=64 rows=7 images=1 all_ch acc"
};

// How a layer is cut to fit the buffers, and the jobs that run it.
struct LayerPlan {
  int layer = 0;
  // Depth-first groups: the first member's plan holds the group's units, one per (band, member)
  // in execution order, each a LayerPlan of its member's rows; every member's own plan has no
  // jobs and says which group it is in (the first member's index).
  std::vector<LayerPlan> units;
  int group = -1;
  int group_last = -1, group_rows = 0;  // the group's last layer, result rows per band
  bool group_cached = false;            // PlanParams::Group::cached
  bool line_buffered = false;           // its input, from DRAM, read through a line buffer
  // A result written on chip (a resident tensor or a group's window): the tensor, the rows of it
  // this plan wrote, and the address row `0` would have (rows [y0, y1) lie from there on, one
  // row W x C after another), for the functional check (Accelerator::check_on_chip).
  int out_tensor = -1;
  int out_y0 = 0, out_y1 = 0;
  std::uint64_t out_base = 0;
  int out_image_lo = 0, out_image_hi = -1;  // the images it wrote (PlanParams::image_lo, hi)
  bool on_pe_array = false;
  int fused_layer = -1;  // the element-wise layer this layer's output stage applies
  int fused_into = -1;   // a fused layer: the layer whose output stage runs it (it has no jobs)
  int band_rows = 0, bands = 0, chunks = 0, n_tiles = 0;
  bool weights_resident = false;  // every weight block fits one half: loaded once per layer
  ConvMapping mapping;            // conv / fc layers
  std::vector<Job> jobs;
  // A plan made with its jobs on demand (plan_network's `jobs_on_demand`): `jobs` is empty and
  // this makes them, the same as planned, from the plan's DRAM layout and a dataflow model (it
  // refers to the compiled network the plan was made for, which must outlive it).
  std::function<std::vector<Job>(const DramLayout&, const DataflowModel*)> make_jobs;
  // Its jobs: the kept ones, or made into `made` (whose old jobs are freed first).
  const std::vector<Job>& jobs_of(const DramLayout& dram, const DataflowModel* df,
                                  std::vector<Job>& made) const {
    if (!make_jobs) return jobs;
    std::vector<Job>().swap(made);  // freed first: the new jobs take its pages
    made = make_jobs(dram, df);
    return made;
  }
};

// Per tensor: the plan of the layer that writes it (-1 for a network input) and of the last one
// that reads it (the number of layers for a network output, which must reach DRAM). A layer
// fused into another's output stage reads and writes in that layer's plan.
struct TensorLife {
  int first = -1, last = -1;
  bool alive_at(int layer) const { return first <= layer && layer <= last; }
  bool overlaps(const TensorLife& o) const { return first <= o.last && o.first <= last; }
};

struct PlanParams {
  ArrayDims array;
  const DataflowModel* dataflow = nullptr;
  Widths widths;  // what a weight code, an activation and a partial sum occupy and move
  std::uint64_t weight_half_bytes = 0;
  std::uint64_t act_half_bytes = 0;
  std::uint64_t out_half_bytes = 0;
  // The buffers used whole (ConvMapping::whole): their "halves" above are the whole buffer, and
  // a plan alternates over one of them, not two. Set by with_whole only.
  std::uint8_t whole = 0;
  int halves(Buffer b) const { return whole & ConvMapping::bit(b) ? 1 : 2; }
  // These parameters for a mapping that uses the buffers `whole` whole (its tile sizes,
  // capacities and addresses then refer to the whole buffer).
  PlanParams with_whole(std::uint8_t whole) const;
  // Capacities count activations and partial sums at their widths (docs/timing.md);
  // the model's backing stores keep one byte per activation and four per partial sum, so a
  // half's storage (and every address) is in those units:
  std::uint64_t act_capacity() const {  // activations
    return act_half_bytes * 8 / static_cast<std::uint64_t>(widths.activation_bits);
  }
  std::uint64_t out_act_capacity() const {
    return out_half_bytes * 8 / static_cast<std::uint64_t>(widths.activation_bits);
  }
  std::uint64_t psum_capacity() const {  // psums
    return out_half_bytes * 8 / static_cast<std::uint64_t>(widths.accumulator_bits);
  }
  std::uint64_t act_store() const { return act_capacity(); }  // bytes of one stored half
  std::uint64_t out_store() const { return std::max(4 * psum_capacity(), out_act_capacity()); }
  bool serial_steps = false;       // fold step lengths from the weights (term-serial MACs)
  int batch = 1;                   // images per run (workload.batch)
  std::uint32_t burst_bytes = 64;  // DMA burst (dram.burst_bytes): count_conv counts bursts
  // Per layer: the mapping to plan it with (from the mapper); none = greedy_mapping's.
  std::vector<std::optional<ConvMapping>> mappings;
  // Per layer: the element-wise layer its output stage applies (output_stage_fusions), or -1;
  // empty: no fusion (mapping.fusion = none).
  std::vector<int> fused_stage;
  int fused_layer(int layer) const {
    return static_cast<std::size_t>(layer) < fused_stage.size() ? fused_stage[layer] : -1;
  }
  // Whether layer `layer` runs in the previous layer's output stage (it has no plan of its own).
  bool fused_into_previous(int layer) const { return layer > 0 && fused_layer(layer - 1) == layer; }
  // On-chip residency (mapping.fusion = residency and up; docs/mapping.md "Residency"): per
  // tensor, where it lives in the activation SRAM's store (kInDram: in DRAM). A resident tensor
  // is written there by its producer's write-back and read in place by its consumers; it
  // occupies its bytes from its producer to its last consumer, and a layer's two halves lie
  // below every resident tensor alive while it runs (for_layer). Empty: every tensor in DRAM.
  static constexpr std::uint64_t kInDram = ~std::uint64_t{0};
  std::vector<std::uint64_t> resident;
  bool on_chip(int tensor) const {
    return static_cast<std::size_t>(tensor) < resident.size() && resident[tensor] != kInDram;
  }
  // What tensor `t` occupies when resident: every image of the batch, one activation per byte.
  std::uint64_t resident_size(const Network& net, int t) const {
    return static_cast<std::uint64_t>(net.tensors[static_cast<std::size_t>(t)].elements()) *
           static_cast<std::uint64_t>(std::max(1, batch));
  }
  // A plan unit of a depth-first group (plan_network, PlanParams::groups): only the result rows
  // [row_lo, row_hi) of the layer (row_hi < 0: all of them); its weights pinned in the weight
  // buffer at `weights_at` for the whole group (kInDram: not pinned), loaded by the group's first
  // band and read where they are by the others (`weights_loaded`).
  int row_lo = 0, row_hi = -1;
  std::uint64_t weights_at = kInDram;
  bool weights_loaded = false;
  // The images [image_lo, image_hi) of the batch a plan covers (image_hi < 0: every image): a
  // depth-first group runs its units image by image. Addresses stay the whole batch's (image i
  // of a tensor at i x its elements from its start).
  int image_lo = 0, image_hi = -1;
  int images_planned() const { return (image_hi < 0 ? std::max(1, batch) : image_hi) - image_lo; }
  // Depth-first fusion groups (mapping.fusion = depth-first; docs/mapping.md "Depth-first"):
  // consecutive layers run band by band of the last one's result rows, each band computing the
  // rows of every member it needs (rows two bands share recomputed or cached: Group::cached),
  // the tensors between members held in windows of the activation SRAM, never in DRAM.
  struct Group {
    int first = 0, last = 0;  // layers (a member fused into another's output stage included)
    int rows = 1;             // result rows of `last` per band
    // Rows two bands need: recomputed by the second band (false), or kept in the window from the
    // band before (true: line-buffer style, moved to the window's start before the band).
    bool cached = false;
  };
  std::vector<Group> groups;
  // The parameters layer `layer` is planned with: the activation SRAM's halves shrunk to what the
  // resident tensors alive during it (`lives`: tensor_lives) leave free, the lowest address
  // among them.
  PlanParams for_layer(int layer, const std::vector<TensorLife>& lives) const;
  // The partial sums one tile may hold when the output stage also reads `operands` more
  // activations per output (a fused layer's other inputs), which share the output half.
  std::uint64_t psum_capacity(int operands) const {
    if (operands == 0) return psum_capacity();
    const auto bits = static_cast<std::uint64_t>(widths.accumulator_bits) +
                      static_cast<std::uint64_t>(operands * widths.activation_bits);
    return std::min(out_half_bytes * 8 / bits, out_store() / (4 + operands));
  }
};

// Output-stage fusion (docs/mapping.md, "Fusion"): per layer, the layer its output stage can
// apply to its results before they leave the chip, or -1. A conv / fc layer qualifies when the
// next layer is the only reader of its output and is either element-wise (its kind reads each
// output element's own position of its inputs: add, mul, max, relu, act, abs), with every other
// input of the output's shape, or a pooling layer (maxpool, avgpool, gap) of that output alone.
std::vector<int> output_stage_fusions(const Network& net);

// The shape of the tensor layer `layer`'s plan writes: its fused layer's output when its output
// stage applies one (PlanParams::fused_layer), else its own. A conv mapping's `rows` count rows
// of this tensor.
TensorShape result_shape(const Network& net, int layer, const PlanParams& p);

// The tensor layer `layer`'s plan writes: its fused layer's output when its output stage runs one
// (PlanParams::fused_layer), else its own.
int result_tensor(const Network& net, int layer, const PlanParams& p);

// The rows [lo, hi) of `tensor` that result rows [y0, y1) of layer `layer`'s plan read (a conv's
// input through its fused pooling's windows; a fused stage's operand at the result rows).
std::pair<int, int> rows_read(const CompiledNetwork& cn, int layer, const PlanParams& p, int tensor,
                              int y0, int y1);

// A fused layer's inputs other than its producer's output, in input order.
std::vector<int> fused_operands(const Network& net, int fused_layer, int producer);

// Where every tensor and weight block lives in DRAM, and the packed weight image.
struct DramLayout {
  // Per tensor: the first image's HWC bytes; image b follows at tensor_addr + b * elements.
  std::vector<std::uint64_t> tensor_addr;
  std::vector<std::vector<std::uint64_t>> weight_block_addr;  // per layer, per block
  std::uint64_t weights_base = 0;
  std::uint64_t size = 0;
};

struct NetworkPlan {
  std::vector<LayerPlan> layers;
  DramLayout dram;
  std::vector<std::uint64_t> resident;  // PlanParams::resident the plan was made with
  // Per layer: why the mapper started no depth-first group at it ("cheaper one after another"
  // with the closest group, "no band fits", "one band only"), empty elsewhere
  // (sim/mapping/mapper.h Schedule::ungrouped).
  std::vector<std::string> ungrouped;
};

// The layers between which a tensor must stay where it is (tensor_lives).
std::vector<TensorLife> tensor_lives(const Network& net, const PlanParams& p);

// Why a layer, or a mapping of it, cannot run: the one "does not fit" value of the planner and
// the mapper. A legal outcome, not an error: `run` reports it as an input error, a sweep records
// the point as infeasible and goes on, the mapper drops the candidate.
struct Infeasibility {
  int layer = -1;
  std::string layer_name;
  std::string buffer;            // "weight buffer", "activation SRAM", "output buffer"; empty
                                 // when no buffer is short (a tile size out of range, say)
  std::string config_key;        // the parameter that would make it fit, e.g. buffers.output_kib
  std::string what;              // what does not fit, e.g. "one output row of psums"
  std::uint64_t need_bytes = 0;  // in one half of the buffer
  std::uint64_t half_bytes = 0;  // what one half (double buffering) holds
  std::uint64_t bytes_short() const { return need_bytes - half_bytes; }
  std::uint64_t min_kib() const { return (2 * need_bytes + 1023) / 1024; }
  std::string message() const;
};

struct PlanResult {
  NetworkPlan plan;                         // complete only when feasible
  std::optional<Infeasibility> infeasible;  // the first layer that does not fit
};

// The mapping the planner used before the mapper (mapping.search = greedy): bands outer, the
// most output channels (up to one column fold; all of them on an input-stationary array, or as
// few as leave room for 1, 2 or 4 column folds' rows of psums, with input bands of every channel
// or of a chunk, whichever takes the fewest array cycles), input channels and rows that fit, as
// many images as the halves hold, accumulators whenever the array has them. Or why the layer cannot
// be tiled at all (then no mapping fits).
std::variant<ConvMapping, Infeasibility> greedy_mapping(const CompiledNetwork& cn, int layer,
                                                        const PlanParams& p);

// Every size that splits `total` into nearly equal parts (ceil(total / parts) for any number of
// parts; about 2 sqrt(total) values), largest first, up to `most`. Balanced parts waste the least
// on a ragged last tile, and the set does not depend on the buffer sizes, so a bigger buffer only
// adds candidates.
std::vector<int> balanced_sizes(int total, int most);

// Output rows per band that split the layer's folds evenly, where the array's folds split a
// tile's output pixels (OS, IS; pixels_per_fold): for each balanced size f of the layer's
// F = ceil(OH x OW / P) folds, the most rows that fill at most f folds. Equal bands of rows can
// cost folds that these do not (docs/mapping.md, "Bands of whole folds"). Empty where the
// dataflow folds no pixels or the band's rows are not the conv's (a fused pooling window). Like
// balanced_sizes, independent of the buffers; in the mapper's space and greedy_mapping's choices.
std::vector<int> fold_balanced_rows(const CompiledNetwork& cn, int layer, const PlanParams& p);

// Why mapping `m` of `layer` cannot run with `p` (a tile size out of range, accumulators the
// array lacks, a tile larger than a buffer half); nothing when it can.
std::optional<Infeasibility> mapping_misfit(const CompiledNetwork& cn, int layer,
                                            const PlanParams& p, const ConvMapping& m);

// What a conv layer's plan under mapping `m` adds up to, in closed form: the same sums the
// planned jobs give (tests/unit/test_mapping.cpp checks them job by job), fast enough for the
// mapper to evaluate thousands of mappings. Fold step lengths of term-serial MACs are not
// known here: `array.cycles` counts one cycle per step.
struct ConvCounts {
  TileTiming array;  // summed over the tiles, the layer's first load and last drain included
  std::uint64_t tiles = 0;
  std::uint64_t tile_groups = 0;  // (band, images, group, n-tile): one output stage and write-back
  std::uint64_t dram_weight_bits = 0;  // DMA into the weight buffer
  std::uint64_t dram_input_bits = 0;   // DMA into the activation SRAM
  std::uint64_t dram_output_bits = 0;  // DMA out of the output buffer to DRAM
  // ... to the activation SRAM instead (a resident output), and a fused stage's operands read
  // from a resident tensor there (on-chip transfers: no DRAM).
  std::uint64_t onchip_output_bits = 0, fused_onchip_bits = 0;
  std::uint64_t outputs = 0;          // output-stage results
  std::uint64_t first_load_bits = 0;  // what must arrive before the first tile can start
  std::uint64_t last_outputs = 0;     // results of the last tile group (drained after compute)
  // DMA bursts in and out: a run of bytes contiguous on both sides is cut into bursts of
  // PlanParams::burst_bytes, and a band of only some of a pixel's channels is one run per pixel.
  std::uint64_t read_bursts = 0, write_bursts = 0;
  // A fused output stage: its other operands read from DRAM into the output buffer, and the
  // element operations it performs for the fused layer.
  std::uint64_t fused_input_bits = 0;
  std::uint64_t fused_ops = 0;
  // A fused pooling stage: the pooled results it writes to the output buffer (it reads each of
  // the `outputs` once).
  std::uint64_t pooled = 0;
  // Tiles that wait for a load of their own (every tile when weights stream per tile or bands
  // hold one chunk, else one per band load): for the mapper's latency estimate only, not compared
  // with the jobs.
  std::uint64_t load_tiles = 0;
  bool operator==(const ConvCounts& o) const;
};
ConvCounts count_conv(const CompiledNetwork& cn, int layer, const PlanParams& p,
                      const ConvMapping& m);

// mapping_misfit and count_conv for many mappings of one conv / fc layer under `p` (which must
// outlive it), the layer's geometry worked out once (a mapper weighs thousands of mappings).
// count_conv also comes in its two parts, for a mapper that counts the array only where it must:
// count_array, the most work, depends on the mapping's tile sizes (nt, ct, rows, images) and
// accumulator use but not on its order or input bands; count_without_array is every other count
// (`array` left empty). Together they are count's counts exactly. count_floor is, field by field,
// at most count_without_array's counts of every mapping with `m`'s tile sizes and accumulator use
// (any order, bands of all channels or of the chunk's), and 0 load_tiles and fused_ops: costed
// with count_array's counts, a lower bound for all of them at once (the mapper's class bound).
// count_array_floor is, field by field, at most count_array's counts (DataflowModel::tiles_floor
// of the layer's tiles, without the first tile's load and the last one's drain): with
// count_floor's, a looser class bound that costs no tile.
class ConvMappingCounter {
 public:
  ConvMappingCounter(const CompiledNetwork& cn, int layer, const PlanParams& p);
  ~ConvMappingCounter();
  std::optional<Infeasibility> misfit(const ConvMapping& m) const;
  ConvCounts count(const ConvMapping& m) const;
  TileTiming count_array(const ConvMapping& m) const;
  TileTiming count_array_floor(const ConvMapping& m) const;
  ConvCounts count_without_array(const ConvMapping& m) const;
  ConvCounts count_floor(const ConvMapping& m) const;
  // count_without_array's dram_weight_bits alone (the mapper asks whether a weight buffer used
  // whole changes them, for many candidates).
  std::uint64_t dram_weight_bits(const ConvMapping& m) const;

 private:
  struct Impl;
  std::unique_ptr<const Impl> impl_;
};

// What a vector layer's plan adds up to (its jobs' sums): the mapper weighs a fused output stage
// against running the layer on its own with these.
struct VectorCounts {
  std::uint64_t dram_input_bits = 0, dram_output_bits = 0;
  std::uint64_t onchip_output_bits = 0;  // written to a resident output in the activation SRAM
  std::uint64_t read_bursts = 0, write_bursts = 0;
  std::uint64_t input_reads = 0;  // activations the vector unit reads from the activation SRAM
  std::uint64_t ops = 0, tiles = 0;
  std::optional<Infeasibility> infeasible;  // the layer does not fit on its own
};
VectorCounts count_vector(const CompiledNetwork& cn, int layer, const PlanParams& p);

// One unit of a depth-first group: member `layer`'s rows of band `band`, with the parameters it
// is planned with (its rows, the windows its inputs and result are in, the halves left, where
// its weights are pinned) and, for a conv member, its mapping.
struct GroupUnit {
  int layer = 0, band = 0;
  PlanParams params;
  ConvMapping mapping;
  // A cached group's move of the rows a window keeps for the next band to the window's start
  // (an activation SRAM read and write of `bytes`, charged to the layer that wrote them).
  bool move = false;
  // A cached group's load of the rows of a staged DRAM input (tensor `load`, -1: none) no band
  // before loaded: `bytes` from `from` bytes into the tensor to `to` in its window, charged to
  // the member reading it.
  int load = -1;
  std::uint64_t from = 0, to = 0, bytes = 0;
};
// The units of depth-first group `g` in execution order (docs/mapping.md "Depth-first"): for
// every band of the last member's result rows, each member's rows the band needs (found
// backwards from the last member; rows two bands share recomputed by both, or computed once and
// kept, moved to the window's start by a move unit before the next band), its input read
// in place from the window holding the rows its producer just computed, its result written to a
// window of its own. Windows lie at the top of the activation SRAM below the resident tensors
// alive then, each sized for the most rows a band needs; the halves get what is left; every
// member's weights are pinned for the whole group when they all fit the weight buffer. Or why
// the group does not fit. A batch runs image by image, every image's bands through the same
// windows; pinned weights are loaded by the first image's first band.
std::variant<std::vector<GroupUnit>, Infeasibility> group_units(
    const CompiledNetwork& cn, const PlanParams& p, const PlanParams::Group& g,
    const std::vector<TensorLife>& lives);

// Cuts every layer into tiles that fit the double-buffered halves and orders the jobs, or says
// which layer does not fit which buffer and by how many bytes. `jobs_on_demand`: a layer outside
// depth-first groups keeps not its jobs but how to make them (LayerPlan::make_jobs), for the
// simulation to make when the layer runs. A plan then holds one layer's jobs at a time, not a
// network's (ResNet-50 on an 8 x 8 array: a quarter of a million jobs, 60 MB, whose fresh pages
// cost more than making them twice).
PlanResult plan_network(const CompiledNetwork& cn, const PlanParams& p,
                        bool jobs_on_demand = false);

// Packs the codes of one weight block (`nt` channels x the chunk's kh*kw*ct taps) LSB-first into
// bytes, in the order the PE array reads them: [n][(r * kw + s) * ct + ci].
// Codes are packed at the layer's own width (CompiledNetwork::code_bits); `codes` is the layer's
// MAC's (made once per layer: a layer has many blocks).
std::vector<std::uint8_t> pack_weight_block(const CompiledNetwork& cn, int layer, const ConvTile& t,
                                            const LevelCodes& codes);

// Index of a ConvTile's weight block within its layer (group, n-tile, chunk order).
int weight_block_index(const LayerPlan& lp, const ConvTile& t);

}  // namespace conloc
