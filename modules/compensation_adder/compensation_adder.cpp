#include "modules/compensation_adder/compensation_adder.h"

#include "modules/arith/mac_actions.h"
#include "modules/base/error.h"
#include "modules/common/compiled_network.h"
#include "modules/layers/layer_kind.h"
#include "modules/memory/buffer_access.h"

namespace conloc {

CompensationAdder::CompensationAdder(const sc_core::sc_module_name& name, RunContext& ctx)
    : JobEngine(name, ctx, Engine::CompensationAdder), out_socket("out_socket") {}

namespace {

// The fused layer's operands for one image of a drained tile: its producer's results and the
// other inputs, each [rows*OW][nt] in the output buffer (channels numbered within the tile).
class TileOperands final : public IntOperands {
 public:
  struct Input {
    const std::uint8_t* data = nullptr;
    TensorShape shape;
    bool is_signed = true;
  };
  TileOperands(std::vector<Input> in, int oy0, int nt) : in_(std::move(in)), oy0_(oy0), nt_(nt) {}
  std::int32_t at(int k, int y, int x, int c) const override {
    const Input& in = in_[static_cast<std::size_t>(k)];
    const std::uint8_t b =
        in.data[(static_cast<std::uint64_t>(y - oy0_) * in.shape.w + x) * nt_ + c];
    return in.is_signed ? static_cast<std::int8_t>(b) : b;
  }
  TensorShape shape(int k) const override { return in_[static_cast<std::size_t>(k)].shape; }

 private:
  std::vector<Input> in_;
  int oy0_, nt_;
};

}  // namespace

CompensationAdder::Fused CompensationAdder::fused() const {
  const CompiledNetwork& cn = *ctx_.network;
  const int fi = ctx_.layer_plan->fused_layer;
  const Layer& f = cn.net.layers[fi];
  return {f, cn.layers[fi], layer_kind(f.type), cn.net.layers[ctx_.layer].output};
}

void CompensationAdder::apply_fused_layer(const ConvTile& t, std::uint8_t* results) const {
  const CompiledNetwork& cn = *ctx_.network;
  const auto [f, fcl, kind, own] = fused();
  const TensorShape out = cn.net.out_shape(f);
  const std::uint64_t pixels = static_cast<std::uint64_t>(t.rows) * out.w;
  const std::uint64_t outputs = static_cast<std::uint64_t>(t.gemm.m) * t.gemm.n;
  for (int img = 0; img < t.images; ++img) {
    const std::uint64_t at = static_cast<std::uint64_t>(img) * pixels * t.nt;
    std::vector<TileOperands::Input> in;
    int other = 0;
    for (int tensor : f.inputs) {
      const std::uint8_t* data =
          tensor == own ? results + at
                        : dmi_.at(t.fused_addr + static_cast<std::uint64_t>(other++) * outputs + at,
                                  pixels * t.nt, name());
      in.push_back({data, cn.net.tensors[tensor], cn.tensors[tensor].is_signed});
    }
    const TileOperands ops(std::move(in), t.oy0, t.nt);
    // In place: element i reads only position i of each operand.
    for (int r = 0; r < t.rows; ++r)
      for (int x = 0; x < out.w; ++x)
        for (int c = 0; c < t.nt; ++c) {
          const std::int32_t y = kind.element(f, fcl, out, ops, {t.oy0 + r, x, c, 0});
          results[at + (static_cast<std::uint64_t>(r) * out.w + x) * t.nt + c] =
              static_cast<std::uint8_t>(y);
        }
  }
}

std::uint64_t CompensationAdder::pooled(const ConvTile& t) const {
  const int fi = ctx_.layer_plan->fused_layer;
  if (fi < 0) return 0;
  const Layer& f = ctx_.network->net.layers[fi];
  if (layer_kind(f.type).rows != RowReach::Window) return 0;
  return static_cast<std::uint64_t>(t.images) * t.res_rows * ctx_.network->net.out_shape(f).w *
         t.nt;
}

void CompensationAdder::apply_fused_pool(const ConvTile& t, std::uint8_t* results) const {
  const CompiledNetwork& cn = *ctx_.network;
  const auto [f, fcl, kind, own] = fused();
  const TensorShape& conv = cn.net.tensors[own];
  const TensorShape res = cn.net.out_shape(f);
  const std::uint64_t pixels = static_cast<std::uint64_t>(t.rows) * conv.w;
  const std::uint64_t res_pixels = static_cast<std::uint64_t>(t.res_rows) * res.w;
  // Every image's pooled rows before any is stored: they go where the tile's results start.
  std::vector<std::uint8_t> pooled(static_cast<std::size_t>(t.images * res_pixels * t.nt));
  for (int img = 0; img < t.images; ++img) {
    const TileOperands ops({{results + static_cast<std::uint64_t>(img) * pixels * t.nt, conv,
                             cn.tensors[own].is_signed}},
                           t.oy0, t.nt);
    std::uint8_t* dst = pooled.data() + static_cast<std::uint64_t>(img) * res_pixels * t.nt;
    for (int r = 0; r < t.res_rows; ++r)
      for (int x = 0; x < res.w; ++x)
        for (int c = 0; c < t.nt; ++c)
          *dst++ =
              static_cast<std::uint8_t>(kind.element(f, fcl, res, ops, {t.res_y0 + r, x, c, 0}));
  }
  std::copy(pooled.begin(), pooled.end(), results);
}

CompensationAdder::Timing CompensationAdder::execute(const Job& job,
                                                     const sc_core::sc_time& start) {
  const ConvTile& t = job.conv();
  const std::uint64_t outputs = static_cast<std::uint64_t>(t.gemm.m) * t.gemm.n;
  if (ctx_.functional) {
    if (dmi_.data == nullptr) dmi_ = dmi_region(out_socket, name());
    const CompiledNetwork& cn = *ctx_.network;
    const CompiledLayer& cl = cn.layers[ctx_.layer];
    const Layer& l = cn.net.layers[ctx_.layer];
    const int n_per_group = l.out_channels / l.groups;
    std::uint8_t* out = dmi_.at(t.obuf_addr, outputs * 4, name());
    const auto* psum = reinterpret_cast<const std::int32_t*>(out);  // in place: byte i never
                                                                    // overtakes psum i
    for (std::uint64_t i = 0; i < outputs; ++i) {
      const std::size_t ch = static_cast<std::size_t>(t.group * n_per_group + t.n0) + i % t.gemm.n;
      const std::int64_t v =
          wrap_to_bits(std::int64_t{psum[i]} + cl.bias[ch], ctx_.widths.accumulator_bits);
      out[i] = static_cast<std::uint8_t>(clamp_to(cl.rq[ch].apply(v), cl.out_lo, cl.out_hi));
    }
    if (pooled(t) > 0) {
      apply_fused_pool(t, out);
    } else if (ctx_.layer_plan->fused_layer >= 0) {
      apply_fused_layer(t, out);
    }
  }
  // Psums in, results out, through the output buffer's port.
  count_access(out_socket, tlm::TLM_READ_COMMAND, Operand::Outputs,
               outputs * static_cast<std::uint64_t>(ctx_.widths.accumulator_bits), name());
  count_access(out_socket, tlm::TLM_WRITE_COMMAND, Operand::Outputs,
               outputs * static_cast<std::uint64_t>(ctx_.widths.activation_bits), name());
  const auto act_bits = static_cast<std::uint64_t>(ctx_.widths.activation_bits);
  if (const std::uint64_t results = pooled(t); results > 0) {
    // The pooling stage reads each result once (a row of running window values per lane in
    // registers) and writes the pooled ones.
    count_access(out_socket, tlm::TLM_READ_COMMAND, Operand::Outputs, outputs * act_bits, name());
    count_access(out_socket, tlm::TLM_WRITE_COMMAND, Operand::Outputs, results * act_bits, name());
    const int fi = ctx_.layer_plan->fused_layer;
    ctx_.stats.fused_layer = fi;
    ctx_.stats.fused_ops += results * ops_per_element(ctx_.network->net.layers[fi]);
  } else if (const int fi = ctx_.layer_plan->fused_layer; fi >= 0) {
    // The fused layer's other operands, read from where the DMA put them.
    const auto others = static_cast<std::uint64_t>(ctx_.network->net.layers[fi].inputs.size() - 1);
    count_access(out_socket, tlm::TLM_READ_COMMAND, Operand::Inputs, others * outputs * act_bits,
                 name());
    ctx_.stats.fused_layer = fi;
    ctx_.stats.fused_ops += outputs;
  }
  const std::uint64_t cycles = (outputs + static_cast<std::uint64_t>(ctx_.output_lanes) - 1) /
                               static_cast<std::uint64_t>(ctx_.output_lanes);
  ctx_.stats.output_stage_outputs += outputs;
  const sc_core::sc_time end = start + ctx_.period * static_cast<double>(cycles);
  return {end, end};
}

}  // namespace conloc
