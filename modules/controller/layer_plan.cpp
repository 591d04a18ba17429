#include "modules/controller/layer_plan.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <numeric>

#include "modules/base/error.h"
#include "modules/common/compiled_network.h"
#include "modules/layers/layer_kind.h"

namespace conloc {

const char* to_string(Engine e) {
  switch (e) {
    case Engine::DmaRead:
      return "dma_read";
    case Engine::PeArray:
      return "pe_array";
    case Engine::CompensationAdder:
      return "compensation_adder";
    case Engine::VectorUnit:
      return "vector_unit";
    case Engine::DmaWrite:
      return "dma_write";
  }
  return "?";
}

namespace {

// What `elements` of `bits` each occupy in a buffer's capacity, in bytes.
std::uint64_t packed_bytes(std::uint64_t elements, int bits) {
  return (elements * static_cast<std::uint64_t>(bits) + 7) / 8;
}
constexpr std::uint64_t kAlign = 64;

std::uint64_t align_up(std::uint64_t v) {
  return (v + kAlign - 1) / kAlign * kAlign;
}

// Where tensor `t` lives: its address in the activation SRAM when resident, else in DRAM.
std::uint64_t tensor_base(const PlanParams& p, const DramLayout& dram, int t) {
  return p.on_chip(t) ? p.resident[static_cast<std::size_t>(t)]
                      : dram.tensor_addr[static_cast<std::size_t>(t)];
}

std::uint64_t block_bytes(std::int64_t nt, std::int64_t taps, std::int64_t ct, int code_bits) {
  return static_cast<std::uint64_t>((nt * taps * ct * code_bits + 7) / 8);
}

// Thrown inside the planner only (the one "does not fit" value, Infeasibility, as an exception):
// plan_network and greedy_mapping return it.
[[noreturn]] void does_not_fit(const Layer& l, const std::string& buffer, const std::string& key,
                               std::uint64_t need, std::uint64_t half, const std::string& what) {
  Infeasibility i;
  i.layer_name = l.name;
  i.buffer = buffer;
  i.config_key = key;
  i.what = what;
  i.need_bytes = need;
  i.half_bytes = half;
  throw i;
}

// A buffer's halves in turn (double buffering), or its whole (one "half": every load waits for
// the last user of the whole buffer).
struct Halves {
  int count = 2;
  int loads = 0;
  int last_user[2] = {-1, -1};
  int next() { return loads++ % count; }
};

// The parameters mapping `m` is planned and counted with: `p`, or, for a mapping that uses
// buffers whole, their copy in `own` (PlanParams::with_whole).
const PlanParams& params_for(const PlanParams& p, const ConvMapping& m,
                             std::optional<PlanParams>& own) {
  return m.whole ? own.emplace(p.with_whole(m.whole)) : p;
}

int push(LayerPlan& lp, Job j) {
  lp.jobs.push_back(std::move(j));
  return static_cast<int>(lp.jobs.size()) - 1;
}

void add_dep(Job& j, int dep) {
  if (dep >= 0 && std::find(j.deps.begin(), j.deps.end(), dep) == j.deps.end())
    j.deps.push_back(dep);
}

// A DMA job moving `pixels` pixels x `channels` activations of an HWC tensor with `tensor_c`
// channels per pixel, to or from a packed [pixels][channels] region of a buffer: one contiguous
// run when the channels are the whole pixel, one run per pixel otherwise. The model stores an
// activation per byte; the transfer moves `act_bits` per activation.
// `on_chip`: the tensor is resident in the activation SRAM at `dram_addr` (Transfer::on_chip).
Job tensor_dma(Engine e, Operand op, Buffer b, std::uint64_t dram_addr, std::uint64_t sram_addr,
               std::uint64_t pixels, std::uint64_t channels, std::uint64_t tensor_c, int dep,
               int act_bits, bool on_chip) {
  Job j;
  j.engine = e;
  add_dep(j, dep);
  Transfer& x = j.xfer();
  x.on_chip = on_chip;
  x.operand = op;
  x.buffer = b;
  x.dram_addr = dram_addr;
  x.sram_addr = sram_addr;
  if (channels == tensor_c) {
    x.run_bytes = static_cast<std::uint32_t>(pixels * channels);
  } else {
    x.count = static_cast<std::uint32_t>(pixels);
    x.run_bytes = static_cast<std::uint32_t>(channels);
    x.dram_stride = tensor_c;
    x.sram_stride = channels;
  }
  x.bits = x.bytes() * static_cast<std::uint64_t>(act_bits);
  return j;
}

// A DMA read of one packed weight block.
Job weight_dma(std::uint64_t dram_addr, std::uint64_t sram_addr, std::uint64_t bytes,
               std::uint64_t bits, int dep) {
  Job j;
  j.engine = Engine::DmaRead;
  add_dep(j, dep);
  j.xfer().operand = Operand::Weights;
  j.xfer().buffer = Buffer::Weights;
  j.xfer().dram_addr = dram_addr;
  j.xfer().sram_addr = sram_addr;
  j.xfer().run_bytes = static_cast<std::uint32_t>(bytes);
  j.xfer().bits = bits;
  return j;
}

// A conv layer's dimensions as the planner sees them.
struct ConvGeom {
  const Layer& l;
  // `in`: the input as the planner sees it, `src`: as it lies in DRAM or on chip. They differ
  // where a 1 x 1 kernel strides over an input it loads: its windows touch one row (column) in
  // `stride_h` (`stride_w`), and a band holds only those, fetched by a strided DMA (a row stride
  // and a pixel stride, Transfer::row_runs), so `in` is that subsampled view (sub_h x sub_w) and
  // the layer a 1 x 1 stride-1 conv over it (rows `sy` apart). An input read in place is read as
  // it lies.
  TensorShape in, src, out;
  int sub_h = 1, sub_w = 1;  // the view's subsampling of `src`
  int sy = 1;                // the row stride over `in`
  int groups = 1, ng = 1, cg = 1, taps = 1, batch = 1, code_bits = 8;
  int fused = -1;                   // the layer the output stage applies, or -1
  const Layer* fused_l = nullptr;   // ... and the layer itself
  int operands = 0;                 // its other inputs, read into the output buffer
  const Layer* pool = nullptr;      // the fused layer when it pools a window of the output
  TensorShape res;                  // what the layer writes (result_shape)
  std::uint64_t psum_capacity = 0;  // psums per tile, next to the fused operands
  // Residency: the input is read in place from the activation SRAM (no input bands to load or
  // to fit in a half); the result is written back there instead of to DRAM.
  bool in_place = false, res_on_chip = false;
  int operands_on_chip = 0;    // of the fused layer's other inputs, those resident
  int row_lo = 0, row_hi = 0;  // the result rows planned (PlanParams::row_lo, row_hi)
  int rows_planned() const { return row_hi - row_lo; }
  int image_lo = 0;  // the first image planned; `batch` images from it (PlanParams::image_lo)
  ConvGeom(const CompiledNetwork& cn, int li, const PlanParams& p)
      : l(cn.net.layers[li]),
        in(cn.net.in_shape(l)),
        out(cn.net.out_shape(l)),
        res(result_shape(cn.net, li, p)) {
    in_place = p.on_chip(l.inputs[0]);
    src = in;
    // (Bottom and right padding only add output rows and columns that read nothing.)
    if (!in_place) {
      if (l.kh == 1 && l.stride_h > 1 && l.pad_t == 0) sub_h = l.stride_h;
      if (l.kw == 1 && l.stride_w > 1 && l.pad_l == 0) sub_w = l.stride_w;
      in = subsampled(src, sub_h, sub_w);
    }
    sy = l.stride_h / sub_h;
    row_lo = p.row_lo;
    row_hi = p.row_hi < 0 ? res.h : p.row_hi;
    groups = l.groups;
    ng = static_cast<int>(cn.net.gemm(l).n);
    cg = in.c / l.groups;
    taps = l.kh * l.kw;
    image_lo = p.image_lo;
    batch = p.images_planned();
    code_bits = cn.code_bits(static_cast<std::size_t>(li));
    fused = p.fused_layer(li);
    if (fused >= 0) {
      fused_l = &cn.net.layers[fused];
      operands = static_cast<int>(fused_l->inputs.size()) - 1;  // all but this layer's output
      if (layer_kind(fused_l->type).rows == RowReach::Window) pool = fused_l;
    }
    res_on_chip = p.on_chip(fused >= 0 ? fused_l->output : l.output);
    if (fused >= 0) {
      for (int t : fused_operands(cn.net, fused, li))
        operands_on_chip += p.on_chip(t);
    }
    psum_capacity = p.psum_capacity(operands);
  }
  // What `psums` partial sums and, with a fused output stage, their outputs' other operands
  // occupy in the output buffer, and what that holds.
  std::uint64_t psum_bytes(std::uint64_t psums, const PlanParams& p) const {
    return packed_bytes(psums, p.widths.accumulator_bits) +
           static_cast<std::uint64_t>(operands) * packed_bytes(psums, p.widths.activation_bits);
  }
  std::string psum_what(const std::string& what) const {
    return fused < 0 ? what : what + " with the operands of the fused " + fused_l->name;
  }
  // Output rows [lo, hi) that result rows [y0, y0 + r) need: the same rows, or the windows of
  // the fused pooling's rows.
  int conv_lo(int y0) const { return pool ? std::max(0, y0 * pool->stride_h - pool->pad_t) : y0; }
  int conv_hi(int y0, int r) const {
    return pool ? std::min(out.h, (y0 + r - 1) * pool->stride_h - pool->pad_t + pool->kh) : y0 + r;
  }
  // Output rows that r result rows need at most.
  int conv_rows(int r) const {
    return pool ? std::min(out.h, (r - 1) * pool->stride_h + pool->kh) : r;
  }
  // Input rows that r result rows need at most.
  int rows_in(int r) const { return std::min(in.h, (conv_rows(r) - 1) * sy + l.span_h()); }
  // See fold_balanced_rows in layer_plan.h; rows_planned() split.
  std::vector<int> fold_balanced_rows(const PlanParams& p) const {
    const std::int64_t px = p.dataflow->pixels_per_fold(p.array);
    if (px == 0 || pool) return {};
    const int total = rows_planned();
    std::vector<int> v;
    const auto all = static_cast<int>((std::int64_t{total} * out.w + px - 1) / px);
    for (int f : balanced_sizes(all, all)) {
      const auto rows = static_cast<int>(std::min<std::int64_t>(total, f * px / out.w));
      if (rows >= 1 && std::find(v.begin(), v.end(), rows) == v.end()) v.push_back(rows);
    }
    return v;
  }
  // The folds along the pixel axis of the planned rows in bands of `rows` (one image).
  std::uint64_t band_folds(int rows, const PlanParams& p) const {
    const std::int64_t px = p.dataflow->pixels_per_fold(p.array);
    const int total = rows_planned(), full = total / rows, last = total - full * rows;
    auto folds = [&](int r) { return (std::int64_t{r} * out.w + px - 1) / px; };
    return static_cast<std::uint64_t>(full * folds(rows) + (last > 0 ? folds(last) : 0));
  }
  // Input rows [lo, hi) of the band of output rows [oy0, oy0 + r).
  int band_lo(int oy0) const { return std::max(0, oy0 * sy - l.pad_t); }
  int band_hi(int oy0, int r) const {
    return std::min(in.h, (oy0 + r - 1) * sy - l.pad_t + l.span_h());
  }
  // DMA bursts of `rows` input rows of whole pixels: one run per band, per row where the view
  // skips rows, per pixel where it skips columns (ConvPlanner::load_bands).
  std::uint64_t whole_pixel_bursts(std::uint64_t rows, std::uint64_t burst) const {
    const auto c = static_cast<std::uint64_t>(in.c), w = static_cast<std::uint64_t>(in.w);
    if (sub_w > 1) return rows * w * ((c + burst - 1) / burst);
    if (sub_h > 1) return rows * ((w * c + burst - 1) / burst);
    return (rows * w * c + burst - 1) / burst;
  }
  std::uint64_t block(std::int64_t nt, std::int64_t ct) const {
    return block_bytes(nt, taps, ct, code_bits);
  }
  std::uint64_t block_bits(std::int64_t nt, std::int64_t ct) const {
    return static_cast<std::uint64_t>(nt * taps * ct * code_bits);
  }
  // Bytes / bits of all k-chunk blocks of an n-tile of `nt` channels.
  std::uint64_t ntile_bytes(int nt, int ct) const {
    const int chunks = (cg + ct - 1) / ct;
    return static_cast<std::uint64_t>(chunks - 1) * block(nt, ct) +
           block(nt, cg - (chunks - 1) * ct);
  }
};

// `balanced`: bands made equal (below); a depth-first group's members keep as many rows as fit,
// since their units clip the bands to the rows each computes.
ConvMapping greedy(const ConvGeom& g, const PlanParams& p, bool balanced = true,
                   std::int64_t most_channels = std::numeric_limits<std::int64_t>::max(),
                   bool bands_of_all_channels = true) {
  const Layer& l = g.l;
  ConvMapping m;
  // 1. Output channels per tile: what one fold holds (every channel on an input-stationary
  //    array, where they stream through rather than occupy columns; at most `most_channels`),
  //    limited by one output row of psums and by one input channel's weights.
  int nt = static_cast<int>(std::min<std::int64_t>(
      {g.ng, p.dataflow->channels_per_fold(p.array), std::max<std::int64_t>(1, most_channels)}));
  // Partial sums of one result row (the output rows its pooling window needs) of one channel.
  const auto psum_row = static_cast<std::uint64_t>(g.conv_rows(1)) * g.out.w;
  if (psum_row > g.psum_capacity) {
    does_not_fit(l, "output buffer", "buffers.output_kib", g.psum_bytes(psum_row, p),
                 p.out_half_bytes,
                 g.pool ? "the psums of the output rows one row of the fused " + g.pool->name +
                              " reads, one channel"
                        : g.psum_what("one output row of psums for one channel"));
  }
  nt = static_cast<int>(std::min<std::uint64_t>(nt, g.psum_capacity / psum_row));
  while (nt > 1 && g.block(nt, 1) > p.weight_half_bytes)
    --nt;
  if (g.block(nt, 1) > p.weight_half_bytes) {
    does_not_fit(l, "weight buffer", "buffers.weight_kib", g.block(1, 1), p.weight_half_bytes,
                 "the kernel of one input channel");
  }
  // 2. Input bands hold every channel when one band row does; otherwise a k-chunk of channels.
  const std::uint64_t row_elems = static_cast<std::uint64_t>(g.rows_in(1)) * g.in.w;
  // A resident input is read in place: its bands hold every channel and take no half.
  const std::uint64_t act_capacity =
      g.in_place ? std::numeric_limits<std::uint64_t>::max() : p.act_capacity();
  const bool all_ch = g.in_place || (bands_of_all_channels && row_elems * g.in.c <= act_capacity);
  int ct = g.cg;
  while (ct > 1 && g.block(nt, ct) > p.weight_half_bytes)
    --ct;
  if (!all_ch) {
    if (row_elems > p.act_capacity()) {
      does_not_fit(l, "activation SRAM", "buffers.activation_kib",
                   packed_bytes(row_elems, p.widths.activation_bits), p.act_half_bytes,
                   "the input rows of one output row, one channel");
    }
    ct = static_cast<int>(std::min<std::uint64_t>(ct, act_capacity / row_elems));
  }
  // Under SCALE-Sim's fold timing, a k-chunk of whole row folds where K runs along the rows (WS,
  // IS): SCALE-Sim folds a layer's K in one piece, so a chunk that ends inside a fold would add a
  // fold it does not have.
  if (p.array.scalesim && ct < g.cg && p.dataflow->k_along_rows()) {
    const int step = p.array.rows / std::gcd(p.array.rows, g.taps);  // channels per whole fold set
    if (ct >= step) ct -= ct % step;
  }
  const int cs = all_ch ? g.in.c : ct;
  // 3. Output rows per band.
  int rows = 1;
  while (rows < g.rows_planned() &&
         static_cast<std::uint64_t>(g.rows_in(rows + 1)) * g.in.w * cs <= act_capacity &&
         static_cast<std::uint64_t>(g.conv_rows(rows + 1)) * g.out.w * nt <= g.psum_capacity) {
    ++rows;
  }
  // As few bands as fit, of equal size (the last no shorter than the rest), unless a split of
  // the folds that fits takes fewer folds (the fewest bands among those): each one of the sizes
  // the search weighs (mapping_space), so the search never does worse than this rule. (A 28-wide
  // layer on 32 rows: 4 x 7 rows fill 28 folds, 8 + 8 + 8 + 4 rows 25.)
  if (balanced) {
    const int total = g.rows_planned();
    const int fit = rows, bands = (total + fit - 1) / fit;
    rows = (total + bands - 1) / bands;
    const std::vector<int> split = g.fold_balanced_rows(p);
    std::uint64_t least = split.empty() ? 0 : g.band_folds(rows, p);
    for (int r : split) {
      if (r > fit) continue;
      if (const std::uint64_t f = g.band_folds(r, p); f < least || (f == least && r > rows)) {
        rows = r;
        least = f;
      }
    }
  }
  // 4. Images of the batch per tile: as many as the two halves hold at these band sizes, so that
  //    one loaded weight block serves them all (and an OS array fills more rows).
  const std::uint64_t band_elems1 = static_cast<std::uint64_t>(g.rows_in(rows)) * g.in.w * cs;
  const std::uint64_t psum_elems1 = static_cast<std::uint64_t>(g.conv_rows(rows)) * g.out.w * nt;
  m.images = static_cast<int>(std::max<std::uint64_t>(
      1, std::min<std::uint64_t>({static_cast<std::uint64_t>(g.batch), act_capacity / band_elems1,
                                  g.psum_capacity / psum_elems1})));
  m.order = TileOrder::BandsOuter;
  m.nt = nt;
  m.ct = ct;
  m.rows = rows;
  m.all_channels = all_ch;
  m.accumulate = p.array.acc_entries > 0;
  return m;
}

std::optional<Infeasibility> misfit(const ConvGeom& g, const PlanParams& p, const ConvMapping& m) {
  auto bad = [&](const std::string& what, const std::string& key) {
    Infeasibility i;
    i.layer_name = g.l.name;
    i.config_key = key;
    i.what = what;
    return i;
  };
  auto range = [&](const char* what, int v, int hi) {
    return bad(
        what + std::string(" = ") + std::to_string(v) + " is outside 1.." + std::to_string(hi), "");
  };
  if (m.nt < 1 || m.nt > g.ng) return range("output channels per tile", m.nt, g.ng);
  if (m.ct < 1 || m.ct > g.cg) return range("input channels per chunk", m.ct, g.cg);
  if (m.rows < 1 || m.rows > g.rows_planned())
    return range("output rows per band", m.rows, g.rows_planned());
  if (m.images < 1 || m.images > g.batch) return range("images per tile", m.images, g.batch);
  if (m.accumulate && p.array.acc_entries <= 0) {
    return bad("accumulating in column accumulators needs array.accumulator_entries > 0",
               "array.accumulator_entries");
  }
  auto over = [&](const char* what, std::uint64_t need, const char* buffer, const char* key,
                  std::uint64_t half) {
    Infeasibility i = bad(what, key);
    i.buffer = buffer;
    i.need_bytes = need;
    i.half_bytes = half;
    return i;
  };
  const std::uint64_t psum =
      static_cast<std::uint64_t>(m.images) * g.conv_rows(m.rows) * g.out.w * m.nt;  // psums
  if (psum > g.psum_capacity) {
    return over(g.psum_what("the psum tile").c_str(), g.psum_bytes(psum, p), "output buffer",
                "buffers.output_kib", p.out_half_bytes);
  }
  if (g.block(m.nt, m.ct) > p.weight_half_bytes) {
    return over("the weight block", g.block(m.nt, m.ct), "weight buffer", "buffers.weight_kib",
                p.weight_half_bytes);
  }
  const std::uint64_t band = static_cast<std::uint64_t>(m.images) * g.rows_in(m.rows) * g.in.w *
                             static_cast<std::uint64_t>(m.all_channels ? g.in.c : m.ct);
  if (!g.in_place && band > p.act_capacity()) {
    return over("the input band", packed_bytes(band, p.widths.activation_bits), "activation SRAM",
                "buffers.activation_kib", p.act_half_bytes);
  }
  return std::nullopt;
}

// Plans one conv / fully-connected layer under a mapping that fits (docs/mapping.md): places its
// weight blocks in DRAM, then walks the tile loops in the mapping's order, pushing DMA, PE-array,
// output-stage and write-back jobs whose dependencies keep every buffer half double-buffered.
class ConvPlanner {
 public:
  ConvPlanner(const CompiledNetwork& cn, int li, const PlanParams& p, const ConvMapping& m,
              const DramLayout& dram)
      : p_(params_for(p, m, own_)),
        g_(cn, li, p_),
        cl_(cn.layers[li]),
        m_(m),
        gemm_k_(cn.net.gemm(g_.l).k),
        in_base_(tensor_base(p, dram, g_.l.inputs[0])),
        // A fused output stage writes the fused layer's output; this layer's never leaves.
        res_base_(
            tensor_base(p, dram, g_.fused >= 0 ? cn.net.layers[g_.fused].output : g_.l.output)) {
    if (g_.fused >= 0) {
      for (int t : fused_operands(cn.net, g_.fused, li)) {
        fused_base_.push_back(tensor_base(p, dram, t));
        fused_on_chip_.push_back(p.on_chip(t));
      }
    }
    lp_.fused_layer = g_.fused;
    wh_.count = p_.halves(Buffer::Weights);
    ah_.count = p_.halves(Buffer::Activations);
    oh_.count = p_.halves(Buffer::Outputs);
    const auto why = misfit(g_, p_, m);
    CONLOC_ASSERT(!why, "planner", "mapping of " + g_.l.name + " does not fit: " + why->message());
    lp_.layer = li;
    lp_.on_pe_array = true;
    lp_.mapping = m;
    lp_.band_rows = m.rows;
    lp_.bands = (g_.rows_planned() + m.rows - 1) / m.rows;
    lp_.chunks = (g_.cg + m.ct - 1) / m.ct;
    lp_.n_tiles = (g_.ng + m.nt - 1) / m.nt;
  }

  LayerPlan plan(std::vector<std::uint64_t>& block_addr, std::uint64_t& next_addr) {
    // At most a PE job, a weight load and an input load per tile, and an output stage, a
    // write-back and a band load per tile group: room for them at once, not by doubling.
    const auto tile_groups = static_cast<std::size_t>(g_.l.groups) *
                             static_cast<std::size_t>(lp_.bands) *
                             static_cast<std::size_t>((g_.batch + m_.images - 1) / m_.images) *
                             static_cast<std::size_t>(lp_.n_tiles);
    lp_.jobs.reserve(3 * tile_groups * static_cast<std::size_t>(lp_.chunks + 1));
    place_weights(block_addr, next_addr);
    if (m_.order == TileOrder::BandsOuter) {
      band_groups([&](const Band& bd, int img0, int images, const std::vector<int>& band_jobs,
                      int band_half) {
        for (int grp = 0; grp < g_.l.groups; ++grp)
          for (int nti = 0; nti < lp_.n_tiles; ++nti)
            tile_group(bd, img0, images, grp, nti, band_jobs, band_half, -1);
      });
    } else {
      for (int grp = 0; grp < g_.l.groups; ++grp)
        for (int nti = 0; nti < lp_.n_tiles; ++nti)
          ntile_outer(grp, nti);
    }
    mark_first_and_last_tiles();
    return std::move(lp_);
  }

 private:
  struct Band {
    int index;
    int oy0, r;       // result rows
    int cy0, cr;      // output rows computed for them
    int iy_lo, rows;  // input rows they read
  };

  int ntile_channels(int nti) const { return std::min(m_.nt, g_.ng - nti * m_.nt); }
  int chunk_channels(int ch) const { return std::min(m_.ct, g_.cg - ch * m_.ct); }
  int block_index(int grp, int nti, int ch) const {
    return (grp * lp_.n_tiles + nti) * lp_.chunks + ch;
  }

  // Weight blocks in DRAM, in (group, n-tile, chunk) order, each byte-aligned, and where each
  // sits in the weight buffer when loaded as part of the whole layer (resident) or of its n-tile.
  // A depth-first group's later bands find their blocks placed already (`block_addr` filled).
  void place_weights(std::vector<std::uint64_t>& block_addr, std::uint64_t& next_addr) {
    std::uint64_t total = 0;
    const bool placed = !block_addr.empty();
    std::size_t i = 0;
    for (int grp = 0; grp < g_.l.groups; ++grp) {
      for (int nti = 0; nti < lp_.n_tiles; ++nti) {
        for (int ch = 0; ch < lp_.chunks; ++ch, ++i) {
          const std::uint64_t b = g_.block(ntile_channels(nti), chunk_channels(ch));
          if (!placed) {
            block_addr.push_back(next_addr);
            next_addr += b;
          }
          CONLOC_ASSERT(i < block_addr.size(), "planner", "a band's weight blocks changed");
          block_size_.push_back(b);
          total += b;
        }
      }
    }
    CONLOC_ASSERT(i == block_addr.size(), "planner", "a band's weight blocks changed");
    if (!placed) next_addr = align_up(next_addr);
    blocks_ = block_addr;
    // Pinned for a depth-first group: where the group placed them, loaded by its first band.
    pinned_ = p_.weights_at != PlanParams::kInDram;
    lp_.weights_resident = pinned_ || total <= p_.weight_half_bytes;
    resident_off_.resize(blocks_.size());
    ntile_off_.resize(blocks_.size());
    block_job_.assign(blocks_.size(), -1);
    std::uint64_t off = 0;
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      resident_off_[b] = (pinned_ ? p_.weights_at : 0) + off;
      ntile_off_[b] = b % static_cast<std::size_t>(lp_.chunks) == 0
                          ? 0
                          : ntile_off_[b - 1] + block_size_[b - 1];
      off += block_size_[b];
    }
  }

  // Term-serial MACs: each fold's step length, the longest weight it holds (cached: a WS fold
  // does not depend on the tile's rows).
  std::vector<int> fold_steps(int grp, int n0, int out_channels, int c0, int in_channels,
                              std::int64_t mm) {
    std::vector<int> steps;
    if (!p_.serial_steps || cl_.step_cycles.empty()) return steps;  // every weight one cycle
    const std::vector<std::int64_t> key = {grp, n0, c0,
                                           p_.dataflow->folds_depend_on_rows() ? mm : 0};
    auto it = step_cache_.find(key);
    if (it != step_cache_.end()) return it->second;
    const std::int64_t kc = std::int64_t{g_.taps} * in_channels;
    for (const auto& b : p_.dataflow->fold_blocks(mm, kc, out_channels, p_.array)) {
      int s = 1;
      for (auto nl = b.n0; nl < b.n1; ++nl) {
        const std::int64_t row = std::int64_t{grp} * g_.ng + n0 + nl;
        for (auto kl = b.k0; kl < b.k1; ++kl) {
          const std::int64_t tap = kl / in_channels, ci = kl % in_channels;
          s = std::max<int>(s, cl_.step_cycles[row * gemm_k_ + tap * g_.cg + c0 + ci]);
        }
      }
      steps.push_back(s);
    }
    step_cache_[key] = steps;
    return steps;
  }

  Band band(int b) const {
    const int oy0 = g_.row_lo + b * m_.rows, r = std::min(m_.rows, g_.row_hi - oy0);
    const int cy0 = g_.conv_lo(oy0), cr = g_.conv_hi(oy0, r) - cy0;
    const int lo = g_.band_lo(cy0);
    return Band{b, oy0, r, cy0, cr, lo, g_.band_hi(cy0, cr) - lo};
  }

  // One input band per image, one after another in a half: [image][band rows][W][channels].
  // A subsampled view (ConvGeom::in) reads its rows and pixels where they lie in the input.
  std::vector<int> load_bands(const Band& bd, int img0, int images, int half,
                              std::uint64_t channels, std::uint64_t c_off) {
    std::vector<int> jobs;
    const TensorShape &in = g_.in, &src = g_.src;
    const auto rows = static_cast<std::uint64_t>(bd.rows), w = static_cast<std::uint64_t>(in.w),
               c = static_cast<std::uint64_t>(src.c);
    const std::uint64_t bytes = rows * w * channels;
    const std::uint64_t row_pitch = static_cast<std::uint64_t>(g_.sub_h) * src.w * c;
    for (int i = 0; i < images; ++i) {
      Job j = tensor_dma(Engine::DmaRead, Operand::Inputs, Buffer::Activations,
                         in_base_ + static_cast<std::uint64_t>(img0 + i) * src.elements() +
                             static_cast<std::uint64_t>(bd.iy_lo) * row_pitch + c_off,
                         half * p_.act_store() + static_cast<std::uint64_t>(i) * bytes, rows * w,
                         channels, c, ah_.last_user[half], p_.widths.activation_bits, false);
      if (g_.sub_h > 1 || g_.sub_w > 1) {
        // A row of whole pixels is one run, rows row_pitch apart; otherwise a run per pixel,
        // sub_w pixels apart, in rows row_pitch apart.
        Transfer& x = j.xfer();
        const bool whole_rows = g_.sub_w == 1 && channels == c;
        x.count = static_cast<std::uint32_t>(whole_rows ? rows : rows * w);
        x.run_bytes = static_cast<std::uint32_t>(whole_rows ? w * c : channels);
        x.dram_stride = whole_rows ? row_pitch : static_cast<std::uint64_t>(g_.sub_w) * c;
        x.sram_stride = x.run_bytes;
        x.row_runs = whole_rows ? 0 : static_cast<std::uint32_t>(w);
        x.dram_row_stride = whole_rows ? 0 : row_pitch;
      }
      jobs.push_back(push(lp_, std::move(j)));
    }
    return jobs;
  }

  // Loads the all-channel input bands of an image group (when bands hold every channel).
  std::vector<int> all_channel_bands(const Band& bd, int img0, int images, int& half) {
    if (!m_.all_channels || g_.in_place) return {};
    half = ah_.next();
    return load_bands(bd, img0, images, half, static_cast<std::uint64_t>(g_.in.c), 0);
  }

  // Every (band, image group) in order, with the all-channel bands loaded for it.
  template <typename Body>
  void band_groups(Body&& body) {
    for (int b = 0; b < lp_.bands; ++b) {
      const Band bd = band(b);
      const int end = g_.image_lo + g_.batch;
      for (int img0 = g_.image_lo; img0 < end; img0 += m_.images) {
        const int images = std::min(m_.images, end - img0);
        int band_half = 0;
        const std::vector<int> band_jobs = all_channel_bands(bd, img0, images, band_half);
        body(bd, img0, images, band_jobs, band_half);
      }
    }
  }

  // The weight block of a tile: resident for the layer, loaded once for its n-tile, or streamed
  // into the next half. Sets the tile's weight-buffer address; returns the loading job and the
  // streamed half (-1 when not streamed).
  std::pair<int, int> weights_for(ConvTile& tile, int block, int ntile_half) {
    const std::uint64_t bits = g_.block_bits(tile.nt, tile.ct);
    if (lp_.weights_resident) {
      if (pinned_ && p_.weights_loaded) {
        // Loaded by the group's first band: no job; a key of its own for the PE array's cache.
        tile.wbuf_addr = resident_off_[block];
        return {-2 - block, -1};
      }
      if (block_job_[block] < 0) {
        block_job_[block] = push(
            lp_, weight_dma(blocks_[block], resident_off_[block], block_size_[block], bits, -1));
      }
      tile.wbuf_addr = resident_off_[block];
      return {block_job_[block], -1};
    }
    if (ntile_half >= 0) {
      tile.wbuf_addr = ntile_half * p_.weight_half_bytes + ntile_off_[block];
      return {block_job_[block], -1};
    }
    const int whalf = wh_.next();
    tile.wbuf_addr = whalf * p_.weight_half_bytes;
    return {push(lp_, weight_dma(blocks_[block], tile.wbuf_addr, block_size_[block], bits,
                                 wh_.last_user[whalf])),
            whalf};
  }

  // The k-chunks of one (band, image group, group, n-tile) on the array, then its output stage
  // and write-backs. `band_jobs` / `band_half`: the all-channel band loaded for it; `ntile_half`:
  // the weight half holding the n-tile's blocks when they were loaded once for it (else -1).
  // Returns the last compute job.
  int tile_group(const Band& bd, int img0, int images, int grp, int nti,
                 const std::vector<int>& band_jobs, int band_half, int ntile_half) {
    const int out_half = oh_.next();
    int last_compute = -1;
    ConvTile tile;
    for (int ch = 0; ch < lp_.chunks; ++ch) {
      tile = ConvTile{};
      tile.group = grp;
      tile.n0 = nti * m_.nt;
      tile.nt = ntile_channels(nti);
      tile.c0 = ch * m_.ct;
      tile.ct = chunk_channels(ch);
      tile.oy0 = bd.cy0;
      tile.rows = bd.cr;
      tile.res_y0 = bd.oy0;
      tile.res_rows = bd.r;
      tile.image0 = img0;
      tile.images = images;
      tile.first_chunk = ch == 0;
      tile.last_chunk = ch == lp_.chunks - 1;
      tile.band_iy0 = bd.iy_lo;
      tile.band_rows = bd.rows;
      tile.sub_h = static_cast<std::uint8_t>(g_.sub_h);
      tile.sub_w = static_cast<std::uint8_t>(g_.sub_w);
      const auto [wjob, whalf] = weights_for(tile, block_index(grp, nti, ch), ntile_half);
      // Inputs.
      std::vector<int> ajobs = band_jobs;
      int ahalf = band_half;
      if (g_.in_place) {
        // The band is a slice of the resident input, [images][H][W][C]: nothing to load.
        tile.band_c0 = 0;
        tile.band_cs = g_.in.c;
        tile.image_pitch = static_cast<std::uint64_t>(g_.in.elements());
        tile.abuf_addr = in_base_ + static_cast<std::uint64_t>(img0) * tile.image_pitch +
                         static_cast<std::uint64_t>(bd.iy_lo) * g_.in.w * g_.in.c;
        tile.input_job = -2 - (bd.index * g_.batch + img0 - g_.image_lo);
      } else if (m_.all_channels) {
        tile.band_c0 = 0;
        tile.band_cs = g_.in.c;
      } else {
        ahalf = ah_.next();
        ajobs = load_bands(bd, img0, images, ahalf, static_cast<std::uint64_t>(tile.ct),
                           static_cast<std::uint64_t>(grp) * g_.cg + tile.c0);
        tile.band_c0 = grp * g_.cg + tile.c0;
        tile.band_cs = tile.ct;
      }
      if (!g_.in_place) {
        tile.abuf_addr = ahalf * p_.act_store();
        tile.input_job = ajobs.back();
      }
      tile.weight_job = wjob;
      tile.obuf_addr = out_half * p_.out_store();
      tile.gemm.m = static_cast<std::int64_t>(images) * bd.cr * g_.out.w;
      tile.gemm.k = static_cast<std::int64_t>(g_.taps) * tile.ct;
      tile.gemm.n = tile.nt;
      tile.gemm.first_k_chunk = tile.first_chunk;
      tile.gemm.acc_bypass = !m_.accumulate;
      tile.gemm.fold_steps = fold_steps(grp, tile.n0, tile.nt, tile.c0, tile.ct, tile.gemm.m);
      Job c;
      c.engine = Engine::PeArray;
      add_dep(c, wjob);
      for (int j : ajobs)
        add_dep(c, j);
      add_dep(c, last_compute);
      if (ch == 0) add_dep(c, oh_.last_user[out_half]);
      c.conv() = tile;
      last_compute = push(lp_, c);
      if (whalf >= 0) wh_.last_user[whalf] = last_compute;
      if (!g_.in_place) ah_.last_user[ahalf] = last_compute;
    }
    write_back(tile, bd, img0, images, grp, out_half, last_compute);
    return last_compute;
  }

  // The output stage of a tile group, then each image's results to their place in DRAM; the
  // output half is free after the last write. A fused element-wise stage first reads the fused
  // layer's other operands for the group's outputs into the output half, after the psums (as soon
  // as the half is free: it loads while the group computes); a fused pooling stage writes the
  // pooled rows.
  void write_back(ConvTile tile, const Band& bd, int img0, int images, int grp, int out_half,
                  int last_compute) {
    const TensorShape& out = g_.out;
    const std::uint64_t pixels = static_cast<std::uint64_t>(bd.cr) * out.w;
    const std::uint64_t outputs = static_cast<std::uint64_t>(images) * pixels * tile.nt;
    const std::uint64_t channel = static_cast<std::uint64_t>(grp) * g_.ng + tile.n0;
    Job o;
    o.engine = Engine::CompensationAdder;
    add_dep(o, last_compute);
    tile.fused_addr = tile.obuf_addr + 4 * outputs;
    for (std::size_t k = 0; k < fused_base_.size(); ++k) {
      for (int i = 0; i < images; ++i) {
        add_dep(o, push(lp_,
                        tensor_dma(Engine::DmaRead, Operand::Inputs, Buffer::Outputs,
                                   fused_base_[k] +
                                       static_cast<std::uint64_t>(img0 + i) * out.elements() +
                                       static_cast<std::uint64_t>(bd.cy0) * out.w * out.c + channel,
                                   tile.fused_addr + k * outputs +
                                       static_cast<std::uint64_t>(i) * pixels * tile.nt,
                                   pixels, tile.nt, out.c, oh_.last_user[out_half],
                                   p_.widths.activation_bits, fused_on_chip_[k])));
      }
    }
    o.conv() = tile;
    const int ojob = push(lp_, o);
    const TensorShape& res = g_.res;
    const std::uint64_t res_pixels = static_cast<std::uint64_t>(bd.r) * res.w;
    int prev = ojob;  // chained, so the last write frees the half after all of them
    for (int i = 0; i < images; ++i) {
      Job wr =
          tensor_dma(Engine::DmaWrite, Operand::Outputs, Buffer::Outputs,
                     res_base_ + static_cast<std::uint64_t>(img0 + i) * res.elements() +
                         static_cast<std::uint64_t>(bd.oy0) * res.w * res.c + channel,
                     tile.obuf_addr + static_cast<std::uint64_t>(i) * res_pixels * tile.nt,
                     res_pixels, tile.nt, res.c, ojob, p_.widths.activation_bits, g_.res_on_chip);
      add_dep(wr, prev);
      prev = push(lp_, wr);
    }
    oh_.last_user[out_half] = prev;
  }

  // NTilesOuter: the n-tile's blocks, loaded once into a half of their own when they fit one,
  // then every (band, image group) with them.
  void ntile_outer(int grp, int nti) {
    const int out_channels = ntile_channels(nti);
    int ntile_half = -1;
    if (!lp_.weights_resident && g_.ntile_bytes(out_channels, m_.ct) <= p_.weight_half_bytes) {
      ntile_half = wh_.next();
      for (int ch = 0; ch < lp_.chunks; ++ch) {
        const int block = block_index(grp, nti, ch);
        block_job_[block] = push(
            lp_, weight_dma(blocks_[block], ntile_half * p_.weight_half_bytes + ntile_off_[block],
                            block_size_[block], g_.block_bits(out_channels, chunk_channels(ch)),
                            wh_.last_user[ntile_half]));
      }
    }
    int last = -1;
    band_groups([&](const Band& bd, int img0, int images, const std::vector<int>& band_jobs,
                    int band_half) {
      last = tile_group(bd, img0, images, grp, nti, band_jobs, band_half, ntile_half);
    });
    if (ntile_half >= 0) wh_.last_user[ntile_half] = last;
  }

  // Only the layer's first tile exposes a weight load, only its last one a drain.
  void mark_first_and_last_tiles() {
    int first = -1, last = -1;
    for (std::size_t j = 0; j < lp_.jobs.size(); ++j) {
      if (lp_.jobs[j].engine != Engine::PeArray) continue;
      if (first < 0) first = static_cast<int>(j);
      last = static_cast<int>(j);
      lp_.jobs[j].conv().gemm.first_in_layer = false;
      lp_.jobs[j].conv().gemm.last_in_layer = false;
    }
    if (first >= 0) {
      lp_.jobs[first].conv().gemm.first_in_layer = true;
      lp_.jobs[last].conv().gemm.last_in_layer = true;
    }
  }

  std::optional<PlanParams> own_;  // the parameters with the buffers the mapping uses whole
  const PlanParams& p_;
  const ConvGeom g_;
  const CompiledLayer& cl_;
  const ConvMapping m_;
  const std::int64_t gemm_k_;
  const std::uint64_t in_base_, res_base_;
  std::vector<std::uint64_t> fused_base_;  // the fused layer's other operands
  std::vector<bool> fused_on_chip_;        // ... resident in the activation SRAM
  LayerPlan lp_;
  std::vector<std::uint64_t> blocks_, block_size_, resident_off_, ntile_off_;
  std::vector<int> block_job_;  // the job that loaded each block (resident or per n-tile)
  bool pinned_ = false;         // weights pinned for a depth-first group (PlanParams::weights_at)
  Halves wh_, ah_, oh_;         // weight, activation and output buffer halves
  std::map<std::vector<std::int64_t>, std::vector<int>> step_cache_;
};

// Plans one vector-unit layer: image by image (a vector layer has no weights to share across the
// batch), part by part (one per input for a kind like concat), bands of output rows and chunks of
// channels that fit the activation SRAM and output buffer halves; each tile loads its input
// band(s), runs on the vector unit and writes its output band back.
class VectorPlanner {
 public:
  VectorPlanner(const CompiledNetwork& cn, int li, const PlanParams& p, const DramLayout& dram)
      : net_(cn.net),
        l_(net_.layers[li]),
        out_(net_.out_shape(l_)),
        kind_(layer_kind(l_.type)),
        p_(p),
        dram_(dram),
        window_(kind_.rows == RowReach::Window),
        up_(kind_.rows == RowReach::Scale),
        interp_(kind_.rows == RowReach::Interp),
        whole_pixels_(kind_.channel_blocks),
        n_in_(kind_.part_per_input ? 1 : static_cast<int>(l_.inputs.size())),
        per_elem_(ops_per_element(l_)) {
    lp_.layer = li;
    for (int t : l_.inputs)
      any_in_place_ = any_in_place_ || p.on_chip(t);
    row_lo_ = p.row_lo;
    row_hi_ = p.row_hi < 0 ? out_.h : p.row_hi;
    // A kind with one part per input (concat) runs one part per input, into its channels of the
    // output; the rest one part.
    if (kind_.part_per_input) {
      int c0 = 0;
      for (std::size_t i = 0; i < l_.inputs.size(); ++i) {
        parts_.push_back({static_cast<int>(i), c0});
        c0 += net_.tensors[l_.inputs[i]].c;
      }
    } else {
      parts_.push_back({0, 0});
    }
  }

  // The rows [lo, hi) of input `in` that output rows [oy0, oy0 + r) read.
  std::pair<int, int> rows_of(const TensorShape& in, int oy0, int r) const {
    if (in.h == 1 && in.w == 1 && out_.h > 1) return {0, 1};  // a per-channel factor
    return {band_lo(in, oy0), band_hi(in, oy0, r)};
  }

  LayerPlan plan() {
    for (int img = p_.image_lo; img < p_.image_lo + p_.images_planned(); ++img) {
      for (const Part& part : parts_) {
        const TensorShape in = net_.tensors[l_.inputs[part.input]];
        const Cut c = cut(in, part.input);
        if (part.input == 0) {
          lp_.band_rows = c.rows;
          lp_.bands = (row_hi_ - row_lo_ + c.rows - 1) / c.rows;
          lp_.chunks = (c.out_c + c.cc - 1) / c.cc;
        }
        for (int oy0 = row_lo_; oy0 < row_hi_; oy0 += c.rows)
          for (int c0 = 0; c0 < c.out_c; c0 += c.cc)
            tile(img, part, in, oy0, std::min(c.rows, row_hi_ - oy0), c0,
                 std::min(c.cc, c.out_c - c0));
      }
    }
    return std::move(lp_);
  }

 private:
  struct Part {
    int input, out_c0;
  };
  // Output rows per band, channels per chunk, output channels of the part.
  struct Cut {
    int rows, cc, out_c;
  };

  // Input rows that r output rows need at most, and those of the band starting at oy0 (an
  // upsampling kind's output row y reads input row y / scale; a bilinear one the two rows around
  // its sample position, which r rows move by (r - 1) x in / out or, with aligned corners,
  // (r - 1) x (in - 1) / (out - 1), at most (r - 1) x in / (out - 1)).
  int rows_in(const TensorShape& in, int r) const {
    if (interp_) {
      const std::int64_t d = std::max(1, out_.h - 1);
      return static_cast<int>(
          std::min<std::int64_t>(in.h, (std::int64_t{r - 1} * in.h + d - 1) / d + 2));
    }
    return window_ ? std::min(in.h, (r - 1) * l_.stride_h + l_.kh)
           : up_   ? std::min(in.h, (r - 1) / l_.scale_h + 2)
                   : r;
  }
  int band_lo(const TensorShape& in, int oy0) const {
    if (interp_) return interp_point(oy0, in.h, out_.h, l_.align_corners).i0;
    return window_ ? std::max(0, oy0 * l_.stride_h - l_.pad_t) : up_ ? oy0 / l_.scale_h : oy0;
  }
  int band_hi(const TensorShape& in, int oy0, int r) const {
    if (interp_) return interp_point(oy0 + r - 1, in.h, out_.h, l_.align_corners).i1 + 1;
    return window_ ? std::min(in.h, (oy0 + r - 1) * l_.stride_h - l_.pad_t + l_.kh)
           : up_   ? (oy0 + r - 1) / l_.scale_h + 1
                   : oy0 + r;
  }

  // Input activations an output band of r rows and cc channels loads: the chunk's channels of
  // each input, or every channel of the input pixels (a kind whose output pixel reads any channel
  // of its input pixel: depth-to-space, shuffle, slice).
  // Inputs read in place from the activation SRAM (resident) load nothing into a half.
  std::uint64_t band_in(const TensorShape& in, int r, int cc, int part) const {
    int streamed = 0;
    for (int i = 0; i < n_in_; ++i)
      streamed += !p_.on_chip(l_.inputs[static_cast<std::size_t>(part + i)]);
    return static_cast<std::uint64_t>(rows_in(in, r)) * in.w *
           (whole_pixels_ ? static_cast<std::uint64_t>(in.c) * (streamed > 0)
                          : static_cast<std::uint64_t>(cc) * streamed);
  }

  // Channels per tile: all when one band row fits, otherwise a chunk (a kind reading whole
  // pixels, or an input read in place, whose bands are whole pixels: never chunked); then as
  // many rows as fit.
  Cut cut(const TensorShape& in, int part) const {
    const int out_c = whole_pixels_ ? out_.c : in.c;
    const int c_min = whole_pixels_ || any_in_place_ ? out_c : 1;
    if (band_in(in, 1, c_min, part) > p_.act_capacity()) {
      does_not_fit(
          l_, "activation SRAM", "buffers.activation_kib",
          packed_bytes(band_in(in, 1, c_min, part), p_.widths.activation_bits), p_.act_half_bytes,
          whole_pixels_ ? "the input rows of one output row, all channels (" + kind_.name + ")"
                        : "the input rows of one output row, one channel");
    }
    const auto out_row = static_cast<std::uint64_t>(out_.w);
    if (out_row * c_min > p_.out_act_capacity()) {
      does_not_fit(l_, "output buffer", "buffers.output_kib",
                   packed_bytes(out_row * c_min, p_.widths.activation_bits), p_.out_half_bytes,
                   whole_pixels_ ? "one output row, all channels (" + kind_.name + ")"
                                 : "one output row of one channel");
    }
    const int cc =
        c_min == out_c
            ? out_c
            : static_cast<int>(std::min<std::uint64_t>({static_cast<std::uint64_t>(out_c),
                                                        p_.act_capacity() / band_in(in, 1, 1, part),
                                                        p_.out_act_capacity() / out_row}));
    int rows = 1;
    while (rows < row_hi_ - row_lo_ && band_in(in, rows + 1, cc, part) <= p_.act_capacity() &&
           static_cast<std::uint64_t>(rows + 1) * out_.w * cc <= p_.out_act_capacity()) {
      ++rows;
    }
    return {rows, cc, out_c};
  }

  // Output rows [oy0, oy0 + r) and output channels [c0, c0 + occ) of one part of one image.
  void tile(int img, const Part& part, const TensorShape& in, int oy0, int r, int c0, int occ) {
    const int iy_lo = band_lo(in, oy0);
    const int icc = whole_pixels_ ? in.c : occ;  // input channels it reads
    const int ic0 = whole_pixels_ ? 0 : c0;
    const int ahalf = ah_.next();
    VectorTile vt;
    vt.oy0 = oy0;
    vt.rows = r;
    vt.band_iy0 = iy_lo;
    vt.band_rows = band_hi(in, oy0, r) - iy_lo;
    vt.part = part.input;
    vt.image = img;
    vt.out_ct = occ;
    const std::uint64_t band_bytes = static_cast<std::uint64_t>(vt.band_rows) * in.w * icc;
    Job v;
    v.engine = Engine::VectorUnit;
    // Streamed inputs go one after another into a half; a resident one is read in place (its
    // bands hold whole pixels, so the band is a slice of the tensor).
    std::uint64_t streamed = 0;
    for (int i = 0; i < n_in_; ++i) {
      const int t = l_.inputs[part.input + i];
      // A Mul's per-channel factor (1x1xC) is one value per channel of the chunk.
      const bool per_channel = i > 0 && net_.tensors[t].elements() != in.elements();
      if (i > 0) vt.per_channel_b = per_channel;
      const std::uint64_t pixels =
          per_channel ? 1 : static_cast<std::uint64_t>(vt.band_rows) * in.w;
      const std::uint64_t first_pixel = per_channel ? 0 : static_cast<std::uint64_t>(iy_lo) * in.w;
      vt.in_bytes += pixels * icc;
      const std::uint64_t at =
          tensor_base(p_, dram_, t) +
          static_cast<std::uint64_t>(img) * static_cast<std::uint64_t>(net_.tensors[t].elements()) +
          first_pixel * in.c + ic0;
      if (p_.on_chip(t)) {
        vt.abuf_addr[i] = at;
        continue;
      }
      vt.abuf_addr[i] = ahalf * p_.act_store() + streamed++ * band_bytes;
      add_dep(v, push(lp_, tensor_dma(Engine::DmaRead, Operand::Inputs, Buffer::Activations, at,
                                      vt.abuf_addr[i], pixels, icc, in.c, ah_.last_user[ahalf],
                                      p_.widths.activation_bits, false)));
    }
    const int ohalf = oh_.next();
    add_dep(v, oh_.last_user[ohalf]);
    vt.obuf_addr = ohalf * p_.out_store();
    vt.ops = static_cast<std::uint64_t>(r) * out_.w * occ * per_elem_;
    vt.c0 = ic0;
    vt.ct = icc;
    v.vec() = vt;
    const int vjob = push(lp_, v);
    ah_.last_user[ahalf] = vjob;
    oh_.last_user[ohalf] = push(
        lp_, tensor_dma(
                 Engine::DmaWrite, Operand::Outputs, Buffer::Outputs,
                 tensor_base(p_, dram_, l_.output) +
                     static_cast<std::uint64_t>(img) * static_cast<std::uint64_t>(out_.elements()) +
                     static_cast<std::uint64_t>(oy0) * out_.w * out_.c + part.out_c0 + c0,
                 vt.obuf_addr, static_cast<std::uint64_t>(r) * out_.w, occ, out_.c, vjob,
                 p_.widths.activation_bits, p_.on_chip(l_.output)));
  }

  const Network& net_;
  const Layer& l_;
  const TensorShape out_;
  const LayerKind& kind_;
  const PlanParams& p_;
  const DramLayout& dram_;
  const bool window_, up_, interp_;
  const bool whole_pixels_;      // tiles load whole input pixels and write whole output pixels
  bool any_in_place_ = false;    // an input is resident: bands hold whole pixels
  int row_lo_ = 0, row_hi_ = 0;  // the output rows planned (PlanParams::row_lo, row_hi)
  const int n_in_;
  const std::uint64_t per_elem_;  // ops per output element
  std::vector<Part> parts_;
  LayerPlan lp_;
  Halves ah_, oh_;
};

}  // namespace

VectorCounts count_vector(const CompiledNetwork& cn, int layer, const PlanParams& p) {
  DramLayout none;  // addresses do not change the sums
  none.tensor_addr.assign(cn.net.tensors.size(), 0);
  VectorCounts c;
  try {
    const LayerPlan lp = VectorPlanner(cn, layer, p, none).plan();
    for (const Job& j : lp.jobs) {
      auto bursts = [&] {
        return std::uint64_t{j.xfer().count} *
               ((j.xfer().run_bytes + p.burst_bytes - 1) / p.burst_bytes);
      };
      if (j.engine == Engine::DmaRead) {
        c.dram_input_bits += j.xfer().bits;
        c.read_bursts += bursts();
      } else if (j.engine == Engine::DmaWrite && j.xfer().on_chip) {
        c.onchip_output_bits += j.xfer().bits;
      } else if (j.engine == Engine::DmaWrite) {
        c.dram_output_bits += j.xfer().bits;
        c.write_bursts += bursts();
      } else if (j.engine == Engine::VectorUnit) {
        c.input_reads += j.vec().in_bytes;
        c.ops += j.vec().ops;
        ++c.tiles;
      }
    }
  } catch (const Infeasibility& why) {
    c.infeasible = why;
  }
  return c;
}

int weight_block_index(const LayerPlan& lp, const ConvTile& t) {
  return (t.group * lp.n_tiles + t.n0 / lp.mapping.nt) * lp.chunks + t.c0 / lp.mapping.ct;
}

std::string Infeasibility::message() const {
  if (buffer.empty()) return "layer " + layer_name + ": the mapping cannot run: " + what;
  return "layer " + layer_name + ": " + buffer + " too small: " + what + " needs " +
         std::to_string(need_bytes) + " bytes in one half, but a half (double buffering) holds " +
         std::to_string(half_bytes) + " bytes; set " + config_key + " to at least " +
         std::to_string(min_kib());
}

const char* to_string(TileOrder o) {
  return o == TileOrder::BandsOuter ? "bands_outer" : "ntiles_outer";
}

namespace {
// " whole=weights+outputs": the buffers a mapping uses whole, or nothing.
std::string whole_text(std::uint8_t whole) {
  std::string t;
  for (const auto& [b, name] :
       {std::pair{Buffer::Weights, "weights"}, std::pair{Buffer::Activations, "activations"},
        std::pair{Buffer::Outputs, "outputs"}}) {
    if (whole & ConvMapping::bit(b)) t += (t.empty() ? " whole=" : "+") + std::string(name);
  }
  return t;
}
}  // namespace

std::string ConvMapping::text() const {
  return std::string(to_string(order)) + " nt=" + std::to_string(nt) + " ct=" + std::to_string(ct) +
         " rows=" + std::to_string(rows) + " images=" + std::to_string(images) +
         (all_channels ? " all_ch" : "") + (accumulate ? " acc" : "") + whole_text(whole);
}

bool ConvCounts::operator==(const ConvCounts& o) const {
  return array == o.array && tiles == o.tiles && tile_groups == o.tile_groups &&
         dram_weight_bits == o.dram_weight_bits && dram_input_bits == o.dram_input_bits &&
         dram_output_bits == o.dram_output_bits && outputs == o.outputs &&
         first_load_bits == o.first_load_bits && last_outputs == o.last_outputs &&
         read_bursts == o.read_bursts && write_bursts == o.write_bursts &&
         fused_input_bits == o.fused_input_bits && fused_ops == o.fused_ops && pooled == o.pooled &&
         onchip_output_bits == o.onchip_output_bits && fused_onchip_bits == o.fused_onchip_bits;
}

std::vector<int> fused_operands(const Network& net, int fused_layer, int producer) {
  std::vector<int> v;
  for (int t : net.layers[static_cast<std::size_t>(fused_layer)].inputs)
    if (t != net.layers[static_cast<std::size_t>(producer)].output) v.push_back(t);
  return v;
}

std::vector<int> output_stage_fusions(const Network& net) {
  std::vector<int> readers(net.tensors.size(), 0);
  for (const Layer& l : net.layers)
    for (int t : l.inputs)
      ++readers[static_cast<std::size_t>(t)];
  std::vector<int> fused(net.layers.size(), -1);
  for (std::size_t i = 0; i + 1 < net.layers.size(); ++i) {
    const Layer& p = net.layers[i];
    const Layer& f = net.layers[i + 1];
    const LayerKind& k = layer_kind(f.type);
    const TensorShape& out = net.out_shape(p);
    // Element-wise: each output element reads its own position of every input, which the output
    // stage holds for the tile it drains. Pooling: a window of one channel of the output, whose
    // rows the tile group computes (bands of pooled rows).
    const bool elementwise = k.unit == Unit::VectorUnit && k.rows == RowReach::Same &&
                             !k.part_per_input && !k.channel_blocks;
    const bool pooling = k.unit == Unit::VectorUnit && k.rows == RowReach::Window &&
                         f.inputs.size() == 1 && !k.channel_blocks;
    if (!p.on_pe_array() || !(elementwise || pooling) ||
        readers[static_cast<std::size_t>(p.output)] != 1 ||
        std::count(f.inputs.begin(), f.inputs.end(), p.output) != 1) {
      continue;
    }
    if (pooling) {
      fused[i] = static_cast<int>(i + 1);
      continue;
    }
    const TensorShape& fo = net.out_shape(f);
    bool same = fo.h == out.h && fo.w == out.w && fo.c == out.c;
    for (int t : fused_operands(net, static_cast<int>(i + 1), static_cast<int>(i))) {
      const TensorShape& s = net.tensors[static_cast<std::size_t>(t)];
      same = same && s.h == out.h && s.w == out.w && s.c == out.c;  // no broadcast operand
    }
    if (same) fused[i] = static_cast<int>(i + 1);
  }
  return fused;
}

TensorShape result_shape(const Network& net, int layer, const PlanParams& p) {
  const int f = p.fused_layer(layer);
  return net.out_shape(net.layers[static_cast<std::size_t>(f >= 0 ? f : layer)]);
}

std::vector<int> balanced_sizes(int total, int most) {
  std::vector<int> v;
  for (int parts = 1; parts <= total;) {
    const int size = (total + parts - 1) / parts;
    if (size <= most) v.push_back(size);
    if (size == 1) break;
    parts = (total - 1) / (size - 1) + 1;  // the fewest parts of a smaller size
  }
  return v;
}

std::vector<int> fold_balanced_rows(const CompiledNetwork& cn, int layer, const PlanParams& p) {
  return ConvGeom(cn, layer, p).fold_balanced_rows(p);
}

std::optional<Infeasibility> mapping_misfit(const CompiledNetwork& cn, int layer,
                                            const PlanParams& p, const ConvMapping& m) {
  std::optional<PlanParams> own;
  const PlanParams& q = params_for(p, m, own);
  return misfit(ConvGeom(cn, layer, q), q, m);
}

namespace {

// What a layer's bands of `rows` result rows add up to, for every mapping with bands of that
// height: the output rows each band computes (its result rows, or with a fused pooling the rows
// their windows read: the first and last bands clipped by the padding and the last band's size,
// those between all alike) as distinct values and how often each occurs, and the input rows
// they read.
struct BandSums {
  struct Dim {
    int value;
    std::uint64_t count;
  };
  std::vector<Dim> conv_rows;  // output rows per band, and how many bands compute as many
  std::uint64_t all_conv_rows = 0;
  int cr0 = 0, cr_last = 0;        // output rows of the first and last band
  std::uint64_t input_rows = 0;    // input rows of all bands
  std::uint64_t pixel_bursts = 0;  // DMA bursts of all bands' input rows, whole pixels each
  BandSums(const ConvGeom& g, const PlanParams& p, int rows) {
    const int bands = (g.rows_planned() + rows - 1) / rows;
    for (int b = 0; b < bands; ++b) {
      const int y0 = g.row_lo + b * rows;
      const int cy0 = g.conv_lo(y0);
      const int cr = g.conv_hi(y0, std::min(rows, g.row_hi - y0)) - cy0;
      auto d = std::find_if(conv_rows.begin(), conv_rows.end(),
                            [&](const Dim& x) { return x.value == cr; });
      if (d == conv_rows.end()) {
        conv_rows.push_back({cr, 1});
      } else {
        ++d->count;
      }
      all_conv_rows += static_cast<std::uint64_t>(cr);
      if (b == 0) cr0 = cr;
      cr_last = cr;
      const auto in_rows = static_cast<std::uint64_t>(g.band_hi(cy0, cr) - g.band_lo(cy0));
      input_rows += in_rows;
      pixel_bursts += g.whole_pixel_bursts(in_rows, p.burst_bytes);
    }
  }
};

// count_conv's sums, in three parts: the array's tiles, the weight traffic, the input and output
// traffic.
class ConvCounter {
 public:
  ConvCounter(const ConvGeom& g, const BandSums& bands, const PlanParams& p, const ConvMapping& m)
      : g_(g),
        band_sums_(bands),
        p_(p),
        array_(with_code_bits(p.array, g_.code_bits)),
        m_(m),
        bands_((g_.rows_planned() + m_.rows - 1) / m_.rows),
        chunks_((g_.cg + m_.ct - 1) / m_.ct),
        n_tiles_((g_.ng + m_.nt - 1) / m_.nt),
        igroups_((g_.batch + m_.images - 1) / m_.images),
        r_last_(g_.rows_planned() - (bands_ - 1) * m_.rows),
        ct_last_(g_.cg - (chunks_ - 1) * m_.ct),
        nt_last_(g_.ng - (n_tiles_ - 1) * m_.nt),
        nb_last_(g_.batch - (igroups_ - 1) * m_.images),
        nb0_(std::min(m_.images, g_.batch)),
        nt0_(std::min(m_.nt, g_.ng)),
        ct0_(std::min(m_.ct, g_.cg)),
        cr0_(bands.cr0),
        cr_last_(bands.cr_last) {
    c_.tile_groups = u(g_.groups) * u(bands_) * u(igroups_) * u(n_tiles_);
    c_.tiles = c_.tile_groups * u(chunks_);
  }

  ConvCounts count() {
    array();
    weights();
    inputs_and_outputs();
    return c_;
  }
  ConvCounts count_without_array() {
    weights();
    inputs_and_outputs();
    return c_;
  }
  // ConvMappingCounter::count_floor: what the order and the input bands' channels change, at its
  // least over both; the rest as count_without_array counts it.
  ConvCounts count_floor() {
    floor_ = true;
    weights();
    inputs_and_outputs();
    return c_;
  }
  TileTiming count_array() {
    array();
    return c_.array;
  }
  // ConvMappingCounter::dram_weight_bits.
  std::uint64_t count_weights() {
    weights();
    return c_.dram_weight_bits;
  }
  // ConvMappingCounter::count_array_floor.
  TileTiming count_array_floor() const { return p_.dataflow->tiles_floor(grid(), array_); }

 private:
  template <typename T>
  static std::uint64_t u(T v) {
    return static_cast<std::uint64_t>(v);
  }
  using Dim = BandSums::Dim;
  // A loop of n steps of `full` and a last one of `last`, as distinct values and their counts
  // (in place: the mapper counts thousands of candidates, and an allocation per loop showed).
  struct Dims {
    Dim d[2];
    int size = 0;
    const Dim* begin() const { return d; }
    const Dim* end() const { return d + size; }
  };
  static Dims dim(int full, int n, int last) {
    Dims r;
    if (n > 1) r.d[r.size++] = {full, static_cast<std::uint64_t>(n - 1)};
    r.d[r.size++] = {last, 1};
    return r;
  }
  TileTiming tile(int r, int images, int out_channels, int in_channels, bool first_chunk,
                  bool first, bool last) const {
    TileGemm t;
    t.m = std::int64_t{images} * r * g_.out.w;
    t.k = std::int64_t{g_.taps} * in_channels;
    t.n = out_channels;
    t.first_k_chunk = first_chunk;
    t.acc_bypass = !m_.accumulate;
    t.first_in_layer = first;
    t.last_in_layer = last;
    return p_.dataflow->tile(t, array_);
  }
  std::uint64_t bursts(std::uint64_t bytes) const {
    return (bytes + p_.burst_bytes - 1) / p_.burst_bytes;
  }
  // Bursts of one pass over an n-tile's blocks.
  std::uint64_t ntile_bursts(int out_channels) const {
    return u(chunks_ - 1) * bursts(g_.block(out_channels, m_.ct)) +
           bursts(g_.block(out_channels, ct_last_));
  }
  // A transfer of `pixels` pixels x `channels` of a tensor with `tensor_c` channels per pixel:
  // one run when the channels are the whole pixel, else one per pixel (tensor_dma).
  std::uint64_t tensor_bursts(std::uint64_t pixels, std::uint64_t channels,
                              std::uint64_t tensor_c) const {
    return channels == tensor_c ? bursts(pixels * channels) : pixels * bursts(channels);
  }

  // The layer's tiles by their distinct sizes (bands and image groups make m, chunks k, n-tiles
  // n).
  TileGrid grid() const {
    const Dims image_dims = dim(m_.images, igroups_, nb_last_);
    CONLOC_ASSERT(band_sums_.conv_rows.size() * static_cast<std::size_t>(image_dims.size) <=
                      static_cast<std::size_t>(TileGrid::kMostM),
                  "planner", "more distinct band sizes than a tile grid holds");
    TileGrid g;
    g.times = u(g_.groups);
    g.acc_bypass = !m_.accumulate;
    for (const Dim& r : band_sums_.conv_rows)
      for (const Dim& i : image_dims)
        g.m[g.nm++] = {std::int64_t{i.value} * r.value * g_.out.w, r.count * i.count};
    if (chunks_ == 1) {
      g.k[g.nk++] = {std::int64_t{g_.taps} * g_.cg, 1, true};
    } else {
      g.k[g.nk++] = {std::int64_t{g_.taps} * m_.ct, 1, true};
      if (chunks_ > 2) g.k[g.nk++] = {std::int64_t{g_.taps} * m_.ct, u(chunks_ - 2), false};
      g.k[g.nk++] = {std::int64_t{g_.taps} * ct_last_, 1, false};
    }
    for (const Dim& n : dim(m_.nt, n_tiles_, nt_last_))
      g.n[g.nn++] = {n.value, n.count};
    return g;
  }

  // 1. The array: every distinct tile shape once, times how often it occurs.
  void array() {
    c_.array = p_.dataflow->tiles(grid(), array_);
    // The layer's first tile exposes its weight load, the last its drain: both orders start with
    // (band 0, image 0, group 0, n-tile 0, chunk 0) and end with the last of each.
    auto adjust = [&](const TileTiming& with, const TileTiming& without) {
      c_.array.cycles += with.cycles - without.cycles;
      c_.array.port_stall_cycles += with.port_stall_cycles - without.port_stall_cycles;
    };
    if (c_.tiles == 1) {
      adjust(tile(cr0_, nb0_, nt0_, ct0_, true, true, true),
             tile(cr0_, nb0_, nt0_, ct0_, true, false, false));
    } else {
      adjust(tile(cr0_, nb0_, nt0_, ct0_, true, true, false),
             tile(cr0_, nb0_, nt0_, ct0_, true, false, false));
      adjust(tile(cr_last_, nb_last_, nt_last_, ct_last_, chunks_ == 1, false, true),
             tile(cr_last_, nb_last_, nt_last_, ct_last_, chunks_ == 1, false, false));
    }
  }

  // 2. DRAM weights: once when they stay (the whole layer, or an n-tile in NTilesOuter order),
  //    else once per tile, i.e. per band and image group.
  void weights() {
    all_bits_ = u(g_.groups) * u(g_.ng) * u(g_.taps) * u(g_.cg) * u(g_.code_bits);
    const std::uint64_t total_bytes =
        u(g_.groups) *
        (u(n_tiles_ - 1) * g_.ntile_bytes(m_.nt, m_.ct) + g_.ntile_bytes(nt_last_, m_.ct));
    const std::uint64_t per_tile_passes = u(bands_) * u(igroups_);
    const std::uint64_t all_bursts =
        u(g_.groups) * (u(n_tiles_ - 1) * ntile_bursts(m_.nt) + ntile_bursts(nt_last_));
    if (p_.weights_at != PlanParams::kInDram) {
      // Pinned for a depth-first group: loaded by its first band only.
      c_.dram_weight_bits = p_.weights_loaded ? 0 : all_bits_;
      c_.read_bursts = p_.weights_loaded ? 0 : all_bursts;
    } else if (total_bytes <= p_.weight_half_bytes || floor_) {
      // Once (or, for the floor, at least once in either order).
      c_.dram_weight_bits = all_bits_;
      c_.read_bursts = all_bursts;
    } else if (m_.order == TileOrder::BandsOuter) {
      c_.dram_weight_bits = per_tile_passes * all_bits_;
      c_.read_bursts = per_tile_passes * all_bursts;
    } else {
      for (const Dim& n : dim(m_.nt, n_tiles_, nt_last_)) {
        const std::uint64_t bits = u(n.value) * u(g_.taps) * u(g_.cg) * u(g_.code_bits);
        const std::uint64_t passes =
            g_.ntile_bytes(n.value, m_.ct) <= p_.weight_half_bytes ? 1 : per_tile_passes;
        c_.dram_weight_bits += u(g_.groups) * n.count * bits * passes;
        c_.read_bursts += u(g_.groups) * n.count * ntile_bursts(n.value) * passes;
      }
    }
  }

  // 3. Inputs: every band's input rows, per image; all channels once per band (BandsOuter) or
  //    per n-tile and band (NTilesOuter), or the chunk's channels per tile. Outputs: one
  //    write-back per band, image, group and n-tile.
  void inputs_and_outputs() {
    const std::uint64_t band_rows = band_sums_.input_rows;
    const std::uint64_t in_c = u(g_.in.c);
    // A transfer of whole pixels is one run per band, of part of each pixel one run per pixel
    // (tensor_bursts).
    auto chunk_bursts = [&](int channels) {
      return u(channels) == in_c ? band_sums_.pixel_bursts
                                 : band_rows * u(g_.in.w) * bursts(u(channels));
    };
    const std::uint64_t chunked_bursts =
        u(chunks_ - 1) * chunk_bursts(m_.ct) + chunk_bursts(ct_last_);
    const std::uint64_t in_bursts = floor_ ? std::min(band_sums_.pixel_bursts, chunked_bursts)
                                    : m_.all_channels ? band_sums_.pixel_bursts
                                                      : chunked_bursts;
    const std::uint64_t plane = band_rows * u(g_.in.w) * u(g_.batch) * u(p_.widths.activation_bits);
    // How often each band is loaded per image: once, or per group and n-tile; never when the
    // input is read in place.
    // The floor: once, and of the chunk's channels (at most all of them).
    const std::uint64_t band_loads =
        g_.in_place ? 0
        : floor_ || (m_.all_channels && m_.order == TileOrder::BandsOuter)
            ? 1
            : u(g_.groups) * u(n_tiles_);
    c_.dram_input_bits = plane * (m_.all_channels && !floor_ ? in_c : u(g_.cg)) * band_loads;
    c_.read_bursts += in_bursts * u(g_.batch) * band_loads;
    const bool weights_per_tile =
        c_.dram_weight_bits > all_bits_ && m_.order == TileOrder::BandsOuter;  // never pinned
    // The floor's 0: the latency estimate's wait for loads falls as tiles load more often when
    // a load is shorter than a tile's compute (MappingCost::cycles), so no count is its least.
    c_.load_tiles = floor_ ? 0
                    : weights_per_tile || (!m_.all_channels && !g_.in_place)
                        ? c_.tiles
                        : u(bands_) * u(igroups_) * std::max<std::uint64_t>(1, band_loads);
    c_.outputs = band_sums_.all_conv_rows * u(g_.out.w) * u(g_.out.c) * u(g_.batch);
    c_.last_outputs = u(nb_last_) * u(cr_last_) * u(g_.out.w) * u(nt_last_);
    const std::uint64_t results = u(g_.rows_planned()) * u(g_.res.w) * u(g_.res.c) * u(g_.batch);
    const std::uint64_t result_bits = results * u(p_.widths.activation_bits);
    // Bursts of one pass over the results (DRAM bursts: transfers to and from resident tensors
    // stay on chip and are not counted).
    std::uint64_t result_bursts = 0;
    for (const Dim& r : dim(m_.rows, bands_, r_last_))
      for (const Dim& n : dim(m_.nt, n_tiles_, nt_last_))
        result_bursts += r.count * n.count * u(g_.groups) * u(g_.batch) *
                         tensor_bursts(u(r.value) * u(g_.res.w), u(n.value), u(g_.res.c));
    if (g_.res_on_chip) {
      c_.onchip_output_bits = result_bits;
    } else {
      c_.dram_output_bits = result_bits;
      c_.write_bursts = result_bursts;
    }
    // A fused element-wise stage reads each other operand where it writes the output; a fused
    // pooling stage performs its window's operations per pooled result.
    const auto on_chip = static_cast<std::uint64_t>(g_.operands_on_chip);
    const auto in_dram = static_cast<std::uint64_t>(g_.operands) - on_chip;
    c_.fused_input_bits = in_dram * result_bits;
    c_.fused_onchip_bits = on_chip * result_bits;
    c_.read_bursts += in_dram * result_bursts;
    if (g_.pool) {
      c_.pooled = results;
      c_.fused_ops = results * ops_per_element(*g_.pool);
    } else if (g_.fused >= 0) {
      c_.fused_ops = c_.outputs;
    }
    const int iy0 = g_.band_lo(g_.conv_lo(g_.row_lo));
    c_.first_load_bits =
        p_.weights_loaded && p_.weights_at != PlanParams::kInDram ? 0 : g_.block_bits(nt0_, ct0_);
    if (!g_.in_place) {
      c_.first_load_bits += u(g_.band_hi(g_.conv_lo(g_.row_lo), cr0_) - iy0) * u(g_.in.w) *
                            u(m_.all_channels && !floor_ ? g_.in.c : ct0_) * u(nb0_) *
                            u(p_.widths.activation_bits);
    }
    if (floor_) c_.fused_ops = 0;
  }

  const ConvGeom& g_;
  const BandSums& band_sums_;  // of bands of m_.rows result rows
  const PlanParams& p_;
  const ArrayDims array_;  // p_.array with the weight port moving this layer's codes
  const ConvMapping& m_;
  const int bands_, chunks_, n_tiles_, igroups_;    // loop trip counts
  const int r_last_, ct_last_, nt_last_, nb_last_;  // the last step of each loop
  const int nb0_, nt0_, ct0_;                       // the first tile
  const int cr0_, cr_last_;                         // output rows of the first and last band
  std::uint64_t all_bits_ = 0;                      // every weight's code bits, once
  bool floor_ = false;                              // count_floor
  ConvCounts c_;
};

}  // namespace

ConvCounts count_conv(const CompiledNetwork& cn, int layer, const PlanParams& p,
                      const ConvMapping& m) {
  std::optional<PlanParams> own;
  const PlanParams& q = params_for(p, m, own);
  const ConvGeom g(cn, layer, q);
  return ConvCounter(g, BandSums(g, q, m.rows), q, m).count();
}

std::variant<ConvMapping, Infeasibility> greedy_mapping(const CompiledNetwork& cn, int layer,
                                                        const PlanParams& p) {
  try {
    const ConvGeom g(cn, layer, p);
    ConvMapping best = greedy(g, p);
    // Where every channel streams through (IS) and a row is narrower than a fold of pixels, the
    // channels-first rule fills the psum half with one row of every channel: bands of one row,
    // each fold part-empty. Also weighed: the rule with as few channels as leave room for the
    // rows of 1, 2 or 4 pixel folds, each with input bands of every channel or of a chunk (a band
    // of every channel of a strided 3 x 3 conv may hold one output row); the one whose tiles take
    // the fewest array cycles is taken (docs/timing.md, "SCALE-Sim configurations").
    const std::int64_t px = p.dataflow->pixels_per_fold(p.array);
    const bool streamed =
        p.dataflow->channels_per_fold(p.array) == std::numeric_limits<std::int64_t>::max();  // IS
    if (streamed && px > g.out.w) {
      auto cycles = [&](const ConvMapping& m) {
        return ConvCounter(g, BandSums(g, p, m.rows), p, m).count().array.cycles;
      };
      std::vector<std::int64_t> most = {std::numeric_limits<std::int64_t>::max()};
      for (std::int64_t folds : {1, 2, 4}) {
        const auto rows = static_cast<int>(
            std::min<std::int64_t>(g.rows_planned(), (folds * px + g.out.w - 1) / g.out.w));
        most.push_back(static_cast<std::int64_t>(
            g.psum_capacity / (static_cast<std::uint64_t>(g.conv_rows(rows)) * g.out.w)));
      }
      std::uint64_t least = cycles(best);
      for (bool all_ch : {true, false}) {
        for (std::int64_t channels : most) {
          if (all_ch && channels == most.front()) continue;  // the rule itself
          const ConvMapping m = greedy(g, p, true, channels, all_ch);
          if (const std::uint64_t c = cycles(m); c < least) {
            least = c;
            best = m;
          }
        }
      }
    }
    return best;
  } catch (Infeasibility i) {
    i.layer = layer;
    return i;
  }
}

// The geometry, and the band sums of each band height a mapping asks for (the mapper's
// candidates share a few dozen heights).
struct ConvMappingCounter::Impl {
  const CompiledNetwork& cn;
  int layer;
  const PlanParams& p;
  ConvGeom g;
  mutable std::vector<std::unique_ptr<const BandSums>> bands;  // by band height
  // Per set of buffers used whole (ConvMapping::whole), the parameters and geometry (made when a
  // mapping first asks for them; none used whole: `p` and `g`). Band sums do not depend on them.
  struct Whole {
    PlanParams p;
    ConvGeom g;
  };
  mutable std::array<std::unique_ptr<const Whole>, 8> whole;
  Impl(const CompiledNetwork& cn_, int layer_, const PlanParams& p_)
      : cn(cn_),
        layer(layer_),
        p(p_),
        g(cn, layer, p),
        bands(static_cast<std::size_t>(std::max(0, g.rows_planned())) + 1) {}
  std::pair<const PlanParams&, const ConvGeom&> of(const ConvMapping& m) const {
    if (m.whole == 0) return {p, g};
    CONLOC_ASSERT(m.whole < whole.size(), "planner", "no such buffers to use whole");
    auto& w = whole[m.whole];
    if (!w) {
      PlanParams q = p.with_whole(m.whole);
      ConvGeom qg(cn, layer, q);
      w = std::make_unique<const Whole>(Whole{std::move(q), qg});
    }
    return {w->p, w->g};
  }
  // The counter of mapping `m`, with its parameters and geometry and the band sums of its bands.
  ConvCounter counter(const ConvMapping& m) const {
    const auto [q, qg] = of(m);
    return ConvCounter(qg, band_sums(p, m.rows), q, m);
  }
  const BandSums& band_sums(const PlanParams& p, int rows) const {
    CONLOC_ASSERT(rows >= 1 && rows < static_cast<int>(bands.size()), "planner",
                  "a band of " + std::to_string(rows) + " rows in a layer of " +
                      std::to_string(g.rows_planned()));
    auto& b = bands[static_cast<std::size_t>(rows)];
    if (!b) b = std::make_unique<const BandSums>(g, p, rows);
    return *b;
  }
};

ConvMappingCounter::ConvMappingCounter(const CompiledNetwork& cn, int layer, const PlanParams& p)
    : impl_(std::make_unique<const Impl>(cn, layer, p)) {}

ConvMappingCounter::~ConvMappingCounter() = default;

std::optional<Infeasibility> ConvMappingCounter::misfit(const ConvMapping& m) const {
  const auto [p, g] = impl_->of(m);
  return conloc::misfit(g, p, m);
}

ConvCounts ConvMappingCounter::count(const ConvMapping& m) const {
  return impl_->counter(m).count();
}

ConvCounts ConvMappingCounter::count_without_array(const ConvMapping& m) const {
  return impl_->counter(m).count_without_array();
}

ConvCounts ConvMappingCounter::count_floor(const ConvMapping& m) const {
  return impl_->counter(m).count_floor();
}

TileTiming ConvMappingCounter::count_array(const ConvMapping& m) const {
  return impl_->counter(m).count_array();
}

std::uint64_t ConvMappingCounter::dram_weight_bits(const ConvMapping& m) const {
  return impl_->counter(m).count_weights();
}

TileTiming ConvMappingCounter::count_array_floor(const ConvMapping& m) const {
  return impl_->counter(m).count_array_floor();
}

int result_tensor(const Network& net, int li, const PlanParams& p) {
  const int f = p.fused_layer(li);
  return net.layers[static_cast<std::size_t>(f >= 0 ? f : li)].output;
}

namespace {

// The tensors layer `li`'s plan reads: its inputs and a fused stage's other operands.
std::vector<int> tensors_read(const Network& net, int li, const PlanParams& p) {
  std::vector<int> v = net.layers[static_cast<std::size_t>(li)].inputs;
  const int f = p.fused_layer(li);
  if (f >= 0) {
    for (int t : fused_operands(net, f, li))
      v.push_back(t);
  }
  return v;
}

}  // namespace

std::vector<TensorLife> tensor_lives(const Network& net, const PlanParams& p) {
  std::vector<TensorLife> lives(net.tensors.size());
  const int n = static_cast<int>(net.layers.size());
  for (int li = 0; li < n; ++li) {
    const int plan = p.fused_into_previous(li) ? li - 1 : li;
    const Layer& l = net.layers[static_cast<std::size_t>(li)];
    lives[static_cast<std::size_t>(l.output)].first = plan;
    for (int t : l.inputs) {
      TensorLife& life = lives[static_cast<std::size_t>(t)];
      life.last = std::max(life.last, plan);
    }
  }
  for (TensorLife& life : lives)
    if (life.last < 0) life.last = n;  // never read: a network output
  // A depth-first group's members run interleaved: what any of them reads or writes is alive
  // over the whole group.
  for (const PlanParams::Group& g : p.groups) {
    for (int li = g.first; li <= g.last; ++li) {
      if (p.fused_into_previous(li)) continue;
      for (int t : tensors_read(net, li, p)) {
        TensorLife& life = lives[static_cast<std::size_t>(t)];
        life.last = std::max(life.last, g.last);
      }
      TensorLife& life = lives[static_cast<std::size_t>(result_tensor(net, li, p))];
      life.first = std::min(life.first, g.first);
    }
  }
  return lives;
}

PlanParams PlanParams::with_whole(std::uint8_t w) const {
  PlanParams q = *this;
  CONLOC_ASSERT((whole & w) == 0, "planner", "a buffer used whole twice");
  q.whole = whole | w;
  if (w & ConvMapping::bit(Buffer::Weights)) q.weight_half_bytes *= 2;
  if (w & ConvMapping::bit(Buffer::Activations)) q.act_half_bytes *= 2;
  if (w & ConvMapping::bit(Buffer::Outputs)) q.out_half_bytes *= 2;
  return q;
}

PlanParams PlanParams::for_layer(int layer, const std::vector<TensorLife>& lives) const {
  PlanParams q = *this;
  std::uint64_t lowest = 2 * act_store();
  for (std::size_t t = 0; t < resident.size(); ++t)
    if (resident[t] != kInDram && lives[t].alive_at(layer)) lowest = std::min(lowest, resident[t]);
  q.act_half_bytes =
      lowest / 2 * static_cast<std::uint64_t>(widths.activation_bits) / 8;  // <= lowest / 2 stored
  return q;
}

std::pair<int, int> rows_read(const CompiledNetwork& cn, int layer, const PlanParams& p, int tensor,
                              int y0, int y1) {
  const Layer& l = cn.net.layers[static_cast<std::size_t>(layer)];
  if (l.on_pe_array()) {
    const ConvGeom g(cn, layer, p);
    if (tensor != l.inputs[0]) return {y0, y1};  // a fused stage's operand, at the result rows
    const int cy0 = g.conv_lo(y0), cr = g.conv_hi(y0, y1 - y0) - cy0;
    // Rows of the tensor as it lies: a subsampled view's row i is its row i * sub_h.
    return {g.band_lo(cy0) * g.sub_h, (g.band_hi(cy0, cr) - 1) * g.sub_h + 1};
  }
  DramLayout none;
  none.tensor_addr.assign(cn.net.tensors.size(), 0);
  return VectorPlanner(cn, layer, p, none)
      .rows_of(cn.net.tensors[static_cast<std::size_t>(tensor)], y0, y1 - y0);
}

namespace {

// The first member that reads tensor `t`.
int first_reader(const Network& net, const PlanParams& p, const std::vector<int>& members, int t) {
  for (int m : members) {
    const std::vector<int> read = tensors_read(net, m, p);
    if (std::find(read.begin(), read.end(), t) != read.end()) return m;
  }
  CONLOC_ASSERT(false, "planner", "a group's staged input without a reader in the group");
  return -1;
}

// The member whose plan writes tensor `t`.
int producer_of(const Network& net, const PlanParams& p, const std::vector<int>& members, int t) {
  for (int m : members)
    if (result_tensor(net, m, p) == t) return m;
  CONLOC_ASSERT(false, "planner", "a group's tensor without a producer in the group");
  return -1;
}

// Per band of group `grp`, the rows [lo, hi) of every `tracked` tensor the band needs (-1: none),
// and the last member's band rows, found backwards from the last member.
std::vector<std::vector<std::pair<int, int>>> rows_needed(const CompiledNetwork& cn,
                                                          const PlanParams& p,
                                                          const PlanParams::Group& grp,
                                                          const std::vector<int>& members,
                                                          const std::vector<bool>& tracked) {
  const Network& net = cn.net;
  const int last_t = result_tensor(net, members.back(), p);
  const int h = net.tensors[static_cast<std::size_t>(last_t)].h;
  const int bands = (h + grp.rows - 1) / grp.rows;
  std::vector<std::vector<std::pair<int, int>>> need(
      static_cast<std::size_t>(bands),
      std::vector<std::pair<int, int>>(net.tensors.size(), {-1, -1}));
  for (int b = 0; b < bands; ++b) {
    auto& rows = need[static_cast<std::size_t>(b)];
    rows[static_cast<std::size_t>(last_t)] = {b * grp.rows, std::min(h, (b + 1) * grp.rows)};
    for (auto m = members.rbegin(); m != members.rend(); ++m) {
      const auto [u0, u1] = rows[static_cast<std::size_t>(result_tensor(net, *m, p))];
      if (u0 < 0) continue;
      for (int t : tensors_read(net, *m, p)) {
        if (!tracked[static_cast<std::size_t>(t)]) continue;
        const auto [lo, hi] = rows_read(cn, *m, p, t, u0, u1);
        auto& r = rows[static_cast<std::size_t>(t)];
        r = r.first < 0 ? std::make_pair(lo, hi)
                        : std::make_pair(std::min(r.first, lo), std::max(r.second, hi));
      }
    }
  }
  return need;
}

// Each conv member's mapping (the greedy rule for the halves `q` leaves and the most rows a
// band asks of it), where its weights sit when pinned, and whether all of them fit the weight
// buffer to be pinned.
struct MemberMappings {
  std::vector<ConvMapping> mapping;
  std::vector<std::uint64_t> pin;
  bool pinned = false;
};
MemberMappings member_mappings(const CompiledNetwork& cn, const PlanParams& p, PlanParams q,
                               const std::vector<int>& members,
                               const std::vector<std::vector<std::pair<int, int>>>& need) {
  const Network& net = cn.net;
  MemberMappings r;
  r.mapping.resize(net.layers.size());
  r.pin.assign(net.layers.size(), PlanParams::kInDram);
  std::uint64_t pinned = 0;
  for (int m : members) {
    if (!net.layers[static_cast<std::size_t>(m)].on_pe_array()) continue;
    int rows = 0;
    for (const auto& band : need) {
      const auto y = band[static_cast<std::size_t>(result_tensor(net, m, p))];
      rows = std::max(rows, y.second - y.first);
    }
    q.row_lo = 0;
    q.row_hi = rows;
    const ConvGeom geom(cn, m, q);
    const ConvMapping mm = greedy(geom, q, false);
    r.mapping[static_cast<std::size_t>(m)] = mm;
    const int n_tiles = (geom.ng + mm.nt - 1) / mm.nt;
    r.pin[static_cast<std::size_t>(m)] = pinned;
    pinned = align_up(
        pinned + static_cast<std::uint64_t>(geom.groups) *
                     (static_cast<std::uint64_t>(n_tiles - 1) * geom.ntile_bytes(mm.nt, mm.ct) +
                      geom.ntile_bytes(geom.ng - (n_tiles - 1) * mm.nt, mm.ct)));
  }
  r.pinned = pinned <= 2 * p.weight_half_bytes;
  return r;
}

// A cached group's line buffers on its DRAM inputs: a conv member's input from DRAM whose bands
// overlap (a kernel taller than its stride) is staged in a window of its own, each band loading
// only the rows no band before it loaded (a load unit), and read there in place; only where
// every member that reads it reads it as its input. Sets `need` (rows_needed of the internal and
// the staged tensors) and returns the staged tensors.
std::vector<bool> staged_inputs(const CompiledNetwork& cn, const PlanParams& p,
                                const PlanParams::Group& grp, const std::vector<int>& members,
                                const std::vector<bool>& internal,
                                std::vector<std::vector<std::pair<int, int>>>& need) {
  const Network& net = cn.net;
  std::vector<bool> staged(net.tensors.size(), false), tracked = internal;
  if (grp.cached) {
    for (int m : members) {
      const Layer& l = net.layers[static_cast<std::size_t>(m)];
      const auto t = static_cast<std::size_t>(l.inputs[0]);
      if (l.on_pe_array() && !internal[t] && !p.on_chip(static_cast<int>(t))) tracked[t] = true;
    }
    for (int m : members) {
      const std::vector<int> read = tensors_read(net, m, p);
      for (std::size_t i = 0; i < read.size(); ++i) {
        const auto t = static_cast<std::size_t>(read[i]);
        const Layer& l = net.layers[static_cast<std::size_t>(m)];
        if (tracked[t] && !internal[t] && (i > 0 || !l.on_pe_array())) tracked[t] = false;
      }
    }
  }
  need = rows_needed(cn, p, grp, members, tracked);
  for (std::size_t t = 0; t < net.tensors.size(); ++t) {
    if (!tracked[t] || internal[t]) continue;
    for (std::size_t b = 1; b < need.size() && !staged[t]; ++b) {
      const auto &r = need[b][t], &before = need[b - 1][t];
      staged[t] = r.first >= 0 && before.first >= 0 && r.first < before.second;
    }
  }
  return staged;
}

// The windows of a group's internal and staged tensors, from the top of the activation SRAM
// down, below the resident tensors alive then, each sized for the most rows a band needs; `top`
// is set to where they end (the halves get what is below).
std::vector<std::uint64_t> group_windows(const CompiledNetwork& cn, const PlanParams& p,
                                         const PlanParams::Group& grp,
                                         const std::vector<TensorLife>& lives,
                                         const std::vector<bool>& internal,
                                         const std::vector<bool>& staged,
                                         const std::vector<std::vector<std::pair<int, int>>>& need,
                                         std::uint64_t& top) {
  const Network& net = cn.net;
  std::vector<int> most_rows(net.tensors.size(), 0);
  for (const auto& rows : need)
    for (std::size_t t = 0; t < net.tensors.size(); ++t)
      if ((internal[t] || staged[t]) && rows[t].first >= 0)
        most_rows[t] = std::max(most_rows[t], rows[t].second - rows[t].first);
  top = 2 * p.act_store();
  for (std::size_t t = 0; t < p.resident.size(); ++t) {
    if (p.resident[t] == PlanParams::kInDram || internal[t]) continue;
    if (lives[t].overlaps({grp.first, grp.last})) top = std::min(top, p.resident[t]);
  }
  std::vector<std::uint64_t> window(net.tensors.size(), PlanParams::kInDram);
  for (std::size_t t = 0; t < net.tensors.size(); ++t) {
    if (!internal[t] && !staged[t]) continue;
    const TensorShape& s = net.tensors[t];
    const std::uint64_t size = static_cast<std::uint64_t>(most_rows[t]) * s.w * s.c;
    if (size > top) {
      does_not_fit(net.layers[static_cast<std::size_t>(grp.first)], "activation SRAM",
                   "buffers.activation_kib", packed_bytes(size, p.widths.activation_bits),
                   packed_bytes(top, p.widths.activation_bits),
                   "the windows of a depth-first group's tensors");
    }
    top -= size;
    window[t] = top;
  }
  return window;
}

// The units of depth-first group `grp` (group_units), or throws Infeasibility.
std::vector<GroupUnit> units_of(const CompiledNetwork& cn, const PlanParams& p,
                                const PlanParams::Group& grp,
                                const std::vector<TensorLife>& lives) {
  const Network& net = cn.net;
  CONLOC_ASSERT(p.image_lo == 0 && p.image_hi < 0, "planner",
                "a depth-first group is planned for the whole batch");
  CONLOC_ASSERT(p.fused_layer(grp.last) < 0, "planner",
                "a depth-first group ends inside a fused pair");
  std::vector<int> members;
  for (int li = grp.first; li <= grp.last; ++li)
    if (!p.fused_into_previous(li)) members.push_back(li);
  const int last = members.back();
  std::vector<bool> internal(net.tensors.size(), false);
  for (int m : members)
    if (m != last) internal[static_cast<std::size_t>(result_tensor(net, m, p))] = true;
  for (std::size_t t = 0; t < net.tensors.size(); ++t) {
    CONLOC_ASSERT(!internal[t] || lives[t].last <= grp.last, "planner",
                  "a depth-first group's tensor " + std::to_string(t) +
                      " is read after the group (only its last member's result may be)");
  }
  std::vector<std::vector<std::pair<int, int>>> need;
  const std::vector<bool> staged = staged_inputs(cn, p, grp, members, internal, need);
  const auto bands = static_cast<int>(need.size());
  std::uint64_t top = 0;
  const std::vector<std::uint64_t> window =
      group_windows(cn, p, grp, lives, internal, staged, need, top);
  PlanParams q = p;
  q.act_half_bytes = top / 2 * static_cast<std::uint64_t>(p.widths.activation_bits) / 8;
  if (q.resident.empty()) q.resident.assign(net.tensors.size(), PlanParams::kInDram);
  q.mappings.clear();
  q.groups.clear();
  q.image_hi = 1;  // a unit is one image's
  for (std::size_t t = 0; t < net.tensors.size(); ++t)
    if (internal[t] || staged[t]) q.resident[t] = window[t];
  const MemberMappings mm = member_mappings(cn, p, q, members, need);
  const std::vector<ConvMapping>& mapping = mm.mapping;
  const std::vector<std::uint64_t>& pin = mm.pin;
  const bool pin_weights = mm.pinned;
  std::vector<GroupUnit> units;
  for (int img = 0; img < std::max(1, p.batch); ++img) {
    q.image_lo = img;
    q.image_hi = img + 1;
    // Per tensor: the rows computed so far and the first row the window holds (cached groups).
    std::vector<int> done(net.tensors.size(), 0), held(net.tensors.size(), 0);
    for (int b = 0; b < bands; ++b) {
      const auto& rows = need[static_cast<std::size_t>(b)];
      for (std::size_t t = 0; t < net.tensors.size(); ++t) {
        if ((!internal[t] && !staged[t]) || rows[t].first < 0) continue;
        const std::uint64_t row = static_cast<std::uint64_t>(net.tensors[t].w) * net.tensors[t].c;
        const auto lo = static_cast<std::uint64_t>(rows[t].first);
        // A staged input's moves and loads are charged to the member reading it.
        const int owner = staged[t] ? first_reader(net, p, members, static_cast<int>(t))
                                    : producer_of(net, p, members, static_cast<int>(t));
        if (grp.cached && done[t] > rows[t].first && rows[t].first > held[t]) {
          // Rows [lo, done) stay for this band: to the window's start, before anything runs.
          GroupUnit mv;
          mv.layer = owner;
          mv.band = b;
          mv.move = true;
          mv.from = window[t] + (lo - static_cast<std::uint64_t>(held[t])) * row;
          mv.to = window[t];
          mv.bytes = (static_cast<std::uint64_t>(done[t]) - lo) * row;
          units.push_back(mv);
        }
        held[t] = rows[t].first;
        if (staged[t]) {
          // The rows no band before loaded, from DRAM after the kept ones.
          const int from = std::max(rows[t].first, done[t]);
          if (from < rows[t].second) {
            GroupUnit ld;
            ld.layer = owner;
            ld.band = b;
            ld.load = static_cast<int>(t);
            ld.from = (static_cast<std::uint64_t>(img) * net.tensors[t].elements()) +
                      static_cast<std::uint64_t>(from) * row;
            ld.to = window[t] + (static_cast<std::uint64_t>(from) - lo) * row;
            ld.bytes = static_cast<std::uint64_t>(rows[t].second - from) * row;
            units.push_back(ld);
          }
          done[t] = std::max(done[t], rows[t].second);
        }
        // The window holds rows [lo, ...) of this image from its start: the address row 0 of
        // image 0 would have (modulo 2^64), so that every address the planner computes from
        // absolute rows and images lands in it.
        const std::uint64_t image =
            static_cast<std::uint64_t>(img) * static_cast<std::uint64_t>(net.tensors[t].elements());
        q.resident[t] = window[t] - lo * row - image;
      }
      for (int m : members) {
        const auto t = static_cast<std::size_t>(result_tensor(net, m, p));
        auto [y0, y1] = rows[t];
        if (y0 < 0) continue;
        if (grp.cached && internal[t]) {
          y0 = std::max(y0, done[t]);  // the rest is kept from the band before
          done[t] = std::max(done[t], y1);
          if (y0 >= y1) continue;
        }
        GroupUnit u;
        u.layer = m;
        u.band = b;
        u.params = q;
        u.params.row_lo = y0;
        u.params.row_hi = y1;
        if (net.layers[static_cast<std::size_t>(m)].on_pe_array()) {
          u.mapping = mapping[static_cast<std::size_t>(m)];
          u.mapping.rows = std::min(u.mapping.rows, y1 - y0);
          u.params.weights_at =
              pin_weights ? pin[static_cast<std::size_t>(m)] : PlanParams::kInDram;
          u.params.weights_loaded = pin_weights && (b > 0 || img > 0);
          if (const auto why = misfit(ConvGeom(cn, m, u.params), u.params, u.mapping)) throw *why;
        }
        units.push_back(std::move(u));
      }
    }
  }
  return units;
}

// Plans depth-first group `grp` into the units of its first member's plan (group_units), or
// throws Infeasibility.
void plan_group(const CompiledNetwork& cn, const PlanParams& p, const PlanParams::Group& grp,
                const std::vector<TensorLife>& lives, NetworkPlan& np, std::uint64_t& addr) {
  const Network& net = cn.net;
  LayerPlan& host = np.layers[static_cast<std::size_t>(grp.first)];
  for (const GroupUnit& u : units_of(cn, p, grp, lives)) {
    const auto m = static_cast<std::size_t>(u.layer);
    LayerPlan unit;
    unit.layer = u.layer;
    if (u.load >= 0) np.layers[m].line_buffered = true;
    if (u.move || u.load >= 0) {
      Job j;
      j.engine = Engine::DmaRead;
      j.xfer().operand = Operand::Inputs;
      j.xfer().buffer = Buffer::Activations;
      j.xfer().on_chip = u.move;
      j.xfer().dram_addr =
          u.move ? u.from : np.dram.tensor_addr[static_cast<std::size_t>(u.load)] + u.from;
      j.xfer().sram_addr = u.to;
      j.xfer().run_bytes = static_cast<std::uint32_t>(u.bytes);
      j.xfer().bits = u.bytes * static_cast<std::uint64_t>(p.widths.activation_bits);
      unit.jobs.push_back(std::move(j));
      host.units.push_back(std::move(unit));
      continue;
    }
    if (net.layers[m].on_pe_array()) {
      unit = ConvPlanner(cn, u.layer, u.params, u.mapping, np.dram)
                 .plan(np.dram.weight_block_addr[m], addr);
      np.layers[m].mapping = u.mapping;
      np.layers[m].on_pe_array = true;
      np.layers[m].fused_layer = unit.fused_layer;
    } else {
      unit = VectorPlanner(cn, u.layer, u.params, np.dram).plan();
    }
    const int rt = result_tensor(net, u.layer, p);
    if (u.params.on_chip(rt)) {
      unit.out_tensor = rt;
      unit.out_y0 = u.params.row_lo;
      unit.out_y1 = u.params.row_hi;
      unit.out_base = u.params.resident[static_cast<std::size_t>(rt)];
      unit.out_image_lo = u.params.image_lo;
      unit.out_image_hi = u.params.image_hi;
    }
    host.units.push_back(std::move(unit));
  }
  for (int k = grp.first; k <= grp.last; ++k) {
    LayerPlan& member = np.layers[static_cast<std::size_t>(k)];
    member.group = grp.first;
    member.group_last = grp.last;
    member.group_rows = grp.rows;
    member.group_cached = grp.cached;
  }
}

}  // namespace

std::variant<std::vector<GroupUnit>, Infeasibility> group_units(
    const CompiledNetwork& cn, const PlanParams& p, const PlanParams::Group& g,
    const std::vector<TensorLife>& lives) {
  try {
    return units_of(cn, p, g, lives);
  } catch (const Infeasibility& why) {
    return why;
  }
}

PlanResult plan_network(const CompiledNetwork& cn, const PlanParams& p, bool jobs_on_demand) {
  CONLOC_ASSERT(p.dataflow != nullptr, "planner", "no dataflow model");
  PlanResult result;
  NetworkPlan& np = result.plan;
  const Network& net = cn.net;
  std::uint64_t addr = 0;
  for (const auto& t : net.tensors) {
    np.dram.tensor_addr.push_back(addr);
    addr = align_up(addr + static_cast<std::uint64_t>(t.elements()) *
                               static_cast<std::uint64_t>(std::max(1, p.batch)));
  }
  np.dram.weights_base = addr;
  np.dram.weight_block_addr.resize(net.layers.size());
  np.resident = p.resident;
  const std::vector<TensorLife> lives =
      p.resident.empty() && p.groups.empty() ? std::vector<TensorLife>{} : tensor_lives(net, p);
  std::vector<const PlanParams::Group*> group_at(net.layers.size(), nullptr);
  for (const PlanParams::Group& g : p.groups)
    group_at[static_cast<std::size_t>(g.first)] = &g;
  // Jobs on demand: the layer's plan keeps its planner's inputs (its parameters, shared by the
  // layers that have the network's; the dataflow model is the caller's then) and drops its jobs.
  const auto shared = jobs_on_demand ? std::make_shared<const PlanParams>(p) : nullptr;
  auto on_demand = [&](LayerPlan& planned, const PlanParams& lp, auto make) {
    if (!jobs_on_demand) return;
    auto params = &lp == &p ? shared : std::make_shared<const PlanParams>(lp);
    planned.make_jobs = [params, make](const DramLayout& dram, const DataflowModel* df) {
      PlanParams q = *params;
      q.dataflow = df;
      return make(q, dram);
    };
    std::vector<Job>().swap(planned.jobs);
  };
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const int li = static_cast<int>(i);
    if (const PlanParams::Group* g = group_at[i]) {
      // A depth-first group: every member's plan, then the group's units on the first one's.
      for (int k = g->first; k <= g->last; ++k) {
        LayerPlan member;
        member.layer = k;
        if (p.fused_into_previous(k)) member.fused_into = k - 1;
        np.layers.push_back(std::move(member));
      }
      try {
        plan_group(cn, p, *g, lives, np, addr);
      } catch (const Infeasibility& why) {
        result.infeasible = why;
        result.infeasible->layer = g->first;
        return result;
      }
      i = static_cast<std::size_t>(g->last);
      continue;
    }
    PlanParams shrunk;
    const PlanParams& lp = p.resident.empty() ? p : (shrunk = p.for_layer(li, lives));
    if (p.fused_into_previous(li)) {  // runs in the previous layer's output stage
      LayerPlan fused;
      fused.layer = li;
      fused.fused_into = li - 1;
      np.layers.push_back(std::move(fused));
      continue;
    }
    if (!net.layers[i].on_pe_array()) {
      try {
        np.layers.push_back(VectorPlanner(cn, li, lp, np.dram).plan());
        on_demand(np.layers.back(), lp, [&cn, li](const PlanParams& q, const DramLayout& dram) {
          return VectorPlanner(cn, li, q, dram).plan().jobs;
        });
      } catch (const Infeasibility& why) {
        result.infeasible = why;
        result.infeasible->layer = li;
        return result;
      }
      continue;
    }
    ConvMapping m;
    if (i < p.mappings.size() && p.mappings[i]) {
      m = *p.mappings[i];
    } else {
      auto g = greedy_mapping(cn, li, lp);
      if (auto* why = std::get_if<Infeasibility>(&g)) {
        result.infeasible = *why;
        return result;
      }
      m = std::get<ConvMapping>(g);
    }
    const std::uint64_t weights_at = addr;
    np.layers.push_back(
        ConvPlanner(cn, li, lp, m, np.dram).plan(np.dram.weight_block_addr[li], addr));
    on_demand(np.layers.back(), lp,
              [&cn, li, m, weights_at](const PlanParams& q, const DramLayout& dram) {
                std::vector<std::uint64_t> blocks;
                std::uint64_t at = weights_at;
                return ConvPlanner(cn, li, q, m, dram).plan(blocks, at).jobs;
              });
  }
  // Results written whole to a resident tensor, for the functional check.
  for (LayerPlan& lp : np.layers) {
    if (lp.fused_into >= 0 || lp.group >= 0) continue;
    const int rt = result_tensor(net, lp.layer, p);
    if (!p.on_chip(rt)) continue;
    lp.out_tensor = rt;
    lp.out_y0 = 0;
    lp.out_y1 = net.tensors[static_cast<std::size_t>(rt)].h;
    lp.out_base = p.resident[static_cast<std::size_t>(rt)];
  }
  np.dram.size = align_up(addr);
  return result;
}

std::vector<std::uint8_t> pack_weight_block(const CompiledNetwork& cn, int layer, const ConvTile& t,
                                            const LevelCodes& codes) {
  const int code_bits = cn.code_bits(static_cast<std::size_t>(layer));
  const Layer& l = cn.net.layers[layer];
  const CompiledLayer& cl = cn.layers[layer];
  const GemmShape g = cn.net.gemm(l);
  const int cin_g = cn.net.in_shape(l).c / l.groups;
  const int taps = l.kh * l.kw;
  const std::uint64_t count = static_cast<std::uint64_t>(t.nt) * taps * t.ct;
  std::vector<std::uint8_t> bytes((count * code_bits + 7) / 8);
  // Codes enter a bit accumulator above the bits not yet written; whole bytes leave it.
  std::uint64_t acc = 0;
  int held = 0;  // bits in acc, fewer than 8 between codes
  std::size_t out = 0;
  for (int nl = 0; nl < t.nt; ++nl) {
    const std::int64_t row = std::int64_t{t.group} * g.n + t.n0 + nl;
    for (int tap = 0; tap < taps; ++tap) {
      const std::int16_t* w = cl.wq.data() + row * g.k + std::int64_t{tap} * cin_g + t.c0;
      for (int ci = 0; ci < t.ct; ++ci) {
        acc |= std::uint64_t{codes(w[ci])} << held;
        for (held += code_bits; held >= 8; held -= 8, acc >>= 8)
          bytes[out++] = static_cast<std::uint8_t>(acc);
      }
    }
  }
  if (held > 0) bytes[out] = static_cast<std::uint8_t>(acc);
  return bytes;
}

}  // namespace conloc
