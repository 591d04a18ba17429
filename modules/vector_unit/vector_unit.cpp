#include "modules/vector_unit/vector_unit.h"

#include <algorithm>

#include "modules/common/compiled_network.h"
#include "modules/common/error.h"
#include "modules/memory/buffer_access.h"

namespace conloc {

VectorUnit::VectorUnit(const sc_core::sc_module_name& name, RunContext& ctx)
    : JobEngine(name, ctx, Engine::VectorUnit),
      act_socket("act_socket"),
      out_socket("out_socket") {}

void VectorUnit::compute_values(const Job& job) {
  if (act_.data == nullptr) {
    act_ = dmi_region(act_socket, name());
    out_ = dmi_region(out_socket, name());
  }
  const CompiledNetwork& cn = *ctx_.network;
  const Layer& l = cn.net.layers[ctx_.layer];
  const CompiledLayer& cl = cn.layers[ctx_.layer];
  const VectorTile& v = job.vec;
  const int in_t = l.inputs[static_cast<std::size_t>(v.part)];  // a concat's part: its input
  const TensorShape in = cn.net.tensors[in_t], out = cn.net.out_shape(l);
  const int cc = job.conv.ct;  // input channels of this chunk
  const int oc = v.out_ct;     // output channels of this chunk
  const bool sign = cn.tensors[in_t].is_signed;
  // The input bands ([band rows][W][cc]; a per-channel factor [cc]) and the output band.
  const std::uint64_t band = static_cast<std::uint64_t>(v.band_rows) * in.w * cc;
  const bool two = l.type != LayerType::Concat && l.inputs.size() > 1;
  const std::uint8_t* in0 = act_.at(v.abuf_addr[0], band, name());
  const std::uint8_t* in1 =
      two ? act_.at(v.abuf_addr[1], v.per_channel_b ? static_cast<std::uint64_t>(cc) : band, name())
          : nullptr;
  std::uint8_t* dst = out_.at(v.obuf_addr, static_cast<std::uint64_t>(v.rows) * out.w * oc, name());
  auto load = [&](int y, int x, int c) -> std::int32_t {
    const std::uint8_t b = in0[(static_cast<std::uint64_t>(y - v.band_iy0) * in.w + x) * cc + c];
    return sign ? static_cast<std::int8_t>(b) : b;
  };
  const bool sign_b = l.inputs.size() > 1 && cn.tensors[l.inputs[1]].is_signed;
  // The second operand of an add or mul at output pixel (oy, ox), channel c of the chunk.
  const bool per_channel = v.per_channel_b;  // the planner laid it out as [C]
  auto load_b = [&](int oy, int ox, int c) -> std::int32_t {
    const std::uint8_t b =
        in1[(per_channel ? 0 : (static_cast<std::uint64_t>(oy - v.band_iy0) * in.w + ox) * cc) + c];
    return sign_b ? static_cast<std::int8_t>(b) : b;
  };
  for (int r = 0; r < v.rows; ++r) {
    const int oy = v.oy0 + r;
    for (int ox = 0; ox < out.w; ++ox) {
      for (int c = 0; c < oc; ++c) {
        std::int64_t y = 0;
        switch (l.type) {
          case LayerType::MaxPool:
          case LayerType::AvgPool:
          case LayerType::GlobalAvgPool: {
            std::int64_t best = -32768, sum = 0;
            for (int ky = 0; ky < l.kh; ++ky) {
              const int iy = oy * l.stride_h - l.pad_t + ky;
              if (iy < 0 || iy >= in.h) continue;
              for (int kx = 0; kx < l.kw; ++kx) {
                const int ix = ox * l.stride_w - l.pad_l + kx;
                if (ix < 0 || ix >= in.w) continue;
                const std::int32_t a = load(iy, ix, c);
                best = std::max<std::int64_t>(best, a);
                sum += a;
              }
            }
            y = l.type == LayerType::MaxPool
                    ? best
                    : clamp_to(cl.pool_rq.apply(sum), cl.out_lo, cl.out_hi);
            break;
          }
          case LayerType::Add:
            y = clamp_to(cl.add_rq.apply(load(oy, ox, c), load_b(oy, ox, c)), cl.out_lo, cl.out_hi);
            break;
          case LayerType::Mul:
            y = clamp_to(cl.mul_rq.apply(std::int64_t{load(oy, ox, c)} * load_b(oy, ox, c)),
                         cl.out_lo, cl.out_hi);
            break;
          case LayerType::Act:
            y = cl.lut[static_cast<std::size_t>(load(oy, ox, c) - cl.lut_lo)];
            break;
          case LayerType::Max:
            y = clamp_to(std::max(cl.input_rq[0].apply(load(oy, ox, c)),
                                  cl.input_rq[1].apply(load_b(oy, ox, c))),
                         cl.out_lo, cl.out_hi);
            break;
          case LayerType::Concat:
            y = clamp_to(cl.input_rq[static_cast<std::size_t>(v.part)].apply(load(oy, ox, c)),
                         cl.out_lo, cl.out_hi);
            break;
          case LayerType::Upsample:
            y = load(oy / l.scale_h, ox / l.scale_w, c);
            break;
          case LayerType::DepthToSpace:
            y = load(oy / l.scale_h, ox / l.scale_w,
                     ((oy % l.scale_h) * l.scale_w + ox % l.scale_w) * oc + c);
            break;
          default:
            y = clamp_to(load(oy, ox, c), cl.out_lo, cl.out_hi);
        }
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
  const VectorTile& v = job.vec;
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
