#include "modules/vector_unit/vector_unit.h"

#include <algorithm>

#include "modules/base/error.h"
#include "modules/common/compiled_network.h"
#include "modules/layers/layer_kind.h"
#include "modules/memory/buffer_access.h"

namespace conloc {

VectorUnit::VectorUnit(const sc_core::sc_module_name& name, RunContext& ctx)
    : JobEngine(name, ctx, Engine::VectorUnit),
      act_socket("act_socket"),
      out_socket("out_socket") {}

namespace {

// A tile's operands as they sit in the activation SRAM: the first input's band of input rows
// ([band rows][W][channels of the chunk]) and the second input's band, or its per-channel
// factors ([channels]). The part a kind with one part per input is running is the first.
class BandOperands final : public IntOperands {
 public:
  struct Input {
    const std::uint8_t* data = nullptr;
    TensorShape shape;  // the whole tensor's
    bool is_signed = true;
    bool per_channel = false;
  };
  BandOperands(const VectorTile& v, int channels, int part, Input first, Input second)
      : v_(v), channels_(channels), part_(part), in_{first, second} {}

  std::int32_t at(int k, int y, int x, int c) const override {
    const Input& in = in_[k == part_ ? 0 : 1];
    const std::uint64_t i = in.per_channel
                                ? static_cast<std::uint64_t>(c)
                                : (static_cast<std::uint64_t>(y - v_.band_iy0) * in.shape.w + x) *
                                          static_cast<std::uint64_t>(channels_) +
                                      static_cast<std::uint64_t>(c);
    const std::uint8_t b = in.data[i];
    return in.is_signed ? static_cast<std::int8_t>(b) : b;
  }
  TensorShape shape(int k) const override { return in_[k == part_ ? 0 : 1].shape; }

 private:
  const VectorTile& v_;
  int channels_;  // of the chunk, as the band holds them
  int part_;
  Input in_[2];
};

}  // namespace

void VectorUnit::compute_values(const Job& job) {
  if (act_.data == nullptr) {
    act_ = dmi_region(act_socket, name());
    out_ = dmi_region(out_socket, name());
  }
  const CompiledNetwork& cn = *ctx_.network;
  const Layer& l = cn.net.layers[ctx_.layer];
  const CompiledLayer& cl = cn.layers[ctx_.layer];
  const LayerKind& kind = layer_kind(l.type);
  const VectorTile& v = job.vec();
  const int in_t = l.inputs[static_cast<std::size_t>(v.part)];  // a concat's part: its input
  const TensorShape in = cn.net.tensors[in_t], out = cn.net.out_shape(l);
  const int cc = v.ct;      // input channels of this chunk
  const int oc = v.out_ct;  // output channels of this chunk
  const std::uint64_t band = static_cast<std::uint64_t>(v.band_rows) * in.w * cc;
  BandOperands::Input first{act_.at(v.abuf_addr[0], band, name()), in, cn.tensors[in_t].is_signed,
                            false};
  BandOperands::Input second;
  if (!kind.part_per_input && l.inputs.size() > 1) {
    const int t = l.inputs[1];
    second = {
        act_.at(v.abuf_addr[1], v.per_channel_b ? static_cast<std::uint64_t>(cc) : band, name()),
        cn.net.tensors[t], cn.tensors[t].is_signed, v.per_channel_b};
  }
  const BandOperands ops(v, cc, v.part, first, second);
  std::uint8_t* dst = out_.at(v.obuf_addr, static_cast<std::uint64_t>(v.rows) * out.w * oc, name());
  std::vector<std::int32_t> pixel(kind.pixel ? static_cast<std::size_t>(oc) : 0);
  for (int r = 0; r < v.rows; ++r) {
    const int oy = v.oy0 + r;
    for (int ox = 0; ox < out.w; ++ox) {
      if (kind.pixel) {
        kind.pixel(l, cl, out, ops, {oy, ox, 0, v.part}, pixel.data());
        for (int c = 0; c < oc; ++c)
          dst[(static_cast<std::uint64_t>(r) * out.w + ox) * oc + c] =
              static_cast<std::uint8_t>(pixel[static_cast<std::size_t>(c)]);
        continue;
      }
      for (int c = 0; c < oc; ++c) {
        const std::int32_t y = kind.element(l, cl, out, ops, {oy, ox, c, v.part});
        dst[(static_cast<std::uint64_t>(r) * out.w + ox) * oc + c] = static_cast<std::uint8_t>(y);
      }
    }
  }
}

VectorUnit::Timing VectorUnit::execute(const Job& job, const sc_core::sc_time& start) {
  if (ctx_.functional) compute_values(job);
  const CompiledNetwork& cn = *ctx_.network;
  const Layer& l = cn.net.layers[ctx_.layer];
  const TensorShape out = cn.net.out_shape(l);
  const VectorTile& v = job.vec();
  const std::uint64_t in_bytes = v.in_bytes;
  const std::uint64_t out_bytes = static_cast<std::uint64_t>(v.rows) * out.w * v.out_ct;
  // One stored byte per activation, act_bits of it moved.
  const auto act_bits = static_cast<std::uint64_t>(ctx_.widths.activation_bits);
  count_access(act_socket, tlm::TLM_READ_COMMAND, Operand::Inputs, in_bytes * act_bits, name());
  count_access(out_socket, tlm::TLM_WRITE_COMMAND, Operand::Outputs, out_bytes * act_bits, name());
  const std::uint64_t lanes = static_cast<std::uint64_t>(ctx_.vector_lanes);
  const std::uint64_t cycles = std::max<std::uint64_t>(1, (v.ops + lanes - 1) / lanes);
  ctx_.stats.vector_ops += v.ops;
  ctx_.stats.compute_cycles += cycles;
  const sc_core::sc_time end = start + ctx_.period * static_cast<double>(cycles);
  ctx_.stats.compute_end = std::max(ctx_.stats.compute_end, ctx_.cycles_of(end - ctx_.layer_start));
  return {end, end};
}

}  // namespace conloc
