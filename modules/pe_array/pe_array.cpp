#include "modules/pe_array/pe_array.h"

#include <cstring>

#include "modules/arith/mac_actions.h"
#include "modules/base/error.h"
#include "modules/common/compiled_network.h"
#include "modules/dataflow/gemm_kernel.h"
#include "modules/memory/buffer_access.h"

namespace conloc {

PeArray::PeArray(const sc_core::sc_module_name& name, RunContext& ctx)
    : JobEngine(name, ctx, Engine::PeArray) {}

const DmiRegion& PeArray::dmi(Buffer b) {
  const int i = static_cast<int>(b);
  if (dmi_[i].data == nullptr) dmi_[i] = dmi_region(sram_socket[i], name());
  return dmi_[i];
}

void PeArray::compute_values(const ConvTile& t) {
  const CompiledNetwork& cn = *ctx_.network;
  const Layer& l = cn.net.layers[ctx_.layer];
  const CompiledLayer& cl = cn.layers[ctx_.layer];
  const TensorShape out = cn.net.out_shape(l);
  // The input as the band holds it: every sub_h-th row and sub_w-th column (ConvTile::sub_h).
  const TensorShape in = subsampled(cn.net.in_shape(l), t.sub_h, t.sub_w);
  const int sy = l.stride_h / t.sub_h, sx = l.stride_w / t.sub_w;
  const int cin_g = in.c / l.groups;
  const std::int64_t m = t.gemm.m, k = t.gemm.k, n = t.gemm.n;

  // Weights: unpack code words LSB-first from the weight buffer and decode them.
  if (decoded_layer_ != ctx_.layer) {  // a new plan (new_plan) or layer
    decoded_.clear();
    decoded_layer_ = ctx_.layer;
  }
  auto [it, fresh] = decoded_.try_emplace(t.weight_job);
  std::vector<std::int16_t>& w = it->second;
  if (fresh) {
    const int bits = cn.code_bits(static_cast<std::size_t>(ctx_.layer));
    const std::uint8_t* wb =
        dmi(Buffer::Weights)
            .at(t.wbuf_addr, (static_cast<std::uint64_t>(n * k) * bits + 7) / 8, name());
    const std::uint32_t mask = (1u << bits) - 1u;
    w.resize(static_cast<std::size_t>(n * k));
    // Codes are at most 16 bits, so one 4-byte load holds any code whatever its bit offset;
    // near the end of the buffer the load shrinks to the bytes that exist.
    const std::uint64_t room = ctx_.weight_buffer_bytes - t.wbuf_addr;
    const std::int32_t* decode = ctx_.decode.data();
    const std::uint32_t table = static_cast<std::uint32_t>(ctx_.decode.size());
    std::uint64_t bit = 0;
    for (std::int64_t i = 0; i < n * k; ++i, bit += bits) {
      std::uint32_t word = 0;
      const std::uint64_t byte = bit / 8;
      if (byte + 4 <= room) {
        std::memcpy(&word, wb + byte, 4);
      } else {
        std::memcpy(&word, wb + byte, room - byte);
      }
      const std::uint32_t code = (word >> (bit % 8)) & mask;
      CONLOC_ASSERT(code < table, name(), "code outside the decode table");
      w[i] = static_cast<std::int16_t>(decode[code]);
    }
  }
  CONLOC_ASSERT(static_cast<std::int64_t>(w.size()) == n * k, name(), "weight block size changed");

  // Inputs: gather the tile's patches from the band the activation SRAM holds.
  const GatherKey key{ctx_.layer, t.input_job, t.group, t.c0, t.ct};
  const std::uint64_t band_bytes = static_cast<std::uint64_t>(t.band_rows) * in.w * t.band_cs;
  const std::uint64_t image_pitch = t.image_pitch > 0 ? t.image_pitch : band_bytes;
  const std::uint8_t* ab =
      dmi(Buffer::Activations)
          .at(t.abuf_addr, static_cast<std::uint64_t>(t.images - 1) * image_pitch + band_bytes,
              name());
  const bool sign = cl.in_signed;
  const bool reuse = key == gathered_ && static_cast<std::int64_t>(a_.size()) == m * k;
  if (!reuse) a_.assign(static_cast<std::size_t>(m * k), 0);
  gathered_ = key;
  // M runs over the tile's images, each a band of `rows` output rows.
  const std::int64_t per_image = static_cast<std::int64_t>(t.rows) * out.w;
  for (std::int64_t p = 0; p < m && !reuse; ++p) {
    const std::int64_t img = p / per_image, q = p % per_image;
    const int oy = t.oy0 + static_cast<int>(q / out.w), ox = static_cast<int>(q % out.w);
    const std::uint8_t* band = ab + static_cast<std::uint64_t>(img) * image_pitch;
    std::int16_t* row = a_.data() + p * k;
    for (int r = 0; r < l.kh; ++r) {
      const int iy = oy * sy - l.pad_t + r * l.dil_h;
      if (iy < 0 || iy >= in.h) continue;
      CONLOC_ASSERT(iy >= t.band_iy0 && iy < t.band_iy0 + t.band_rows, name(),
                    "input row outside the loaded band");
      for (int s = 0; s < l.kw; ++s) {
        const int ix = ox * sx - l.pad_l + s * l.dil_w;
        if (ix < 0 || ix >= in.w) continue;
        const std::uint8_t* src =
            band + (static_cast<std::int64_t>(iy - t.band_iy0) * in.w + ix) * t.band_cs +
            (t.group * cin_g + t.c0 - t.band_c0);
        std::int16_t* dst = row + (static_cast<std::int64_t>(r) * l.kw + s) * t.ct;
        for (int ci = 0; ci < t.ct; ++ci) {
          dst[ci] = sign ? static_cast<std::int16_t>(static_cast<std::int8_t>(src[ci]))
                         : static_cast<std::int16_t>(src[ci]);
        }
      }
    }
  }

  // Accumulate into the psum tile; wrapping to the accumulator width commutes with addition.
  auto* psum = reinterpret_cast<std::int32_t*>(
      dmi(Buffer::Outputs).at(t.obuf_addr, static_cast<std::uint64_t>(m * n) * 4, name()));
  gemm_i16(a_.data(), k, w.data(), k, psum, n, m, n, k, !t.first_chunk);
  if (ctx_.widths.accumulator_bits < 32) {
    for (std::int64_t i = 0; i < m * n; ++i) {
      psum[i] = static_cast<std::int32_t>(wrap_to_bits(psum[i], ctx_.widths.accumulator_bits));
    }
  }
}

PeArray::Timing PeArray::execute(const Job& job, const sc_core::sc_time& start) {
  const ConvTile& t = job.conv();
  const int code_bits = ctx_.network->code_bits(static_cast<std::size_t>(ctx_.layer));
  const TileTiming tt = ctx_.dataflow->tile(t.gemm, with_code_bits(ctx_.array, code_bits));
  auto& st = ctx_.stats;
  st.tiles += 1;
  st.array += tt;
  st.compute_cycles += tt.cycles;

  auto& w = sram_socket[static_cast<int>(Buffer::Weights)];
  auto& a = sram_socket[static_cast<int>(Buffer::Activations)];
  auto& o = sram_socket[static_cast<int>(Buffer::Outputs)];
  const auto acc_bits = static_cast<std::uint64_t>(ctx_.widths.accumulator_bits);
  count_access(w, tlm::TLM_READ_COMMAND, Operand::Weights,
               tt.weight_reads * static_cast<std::uint64_t>(code_bits), name());
  count_access(a, tlm::TLM_READ_COMMAND, Operand::Inputs,
               tt.input_reads * static_cast<std::uint64_t>(ctx_.widths.activation_bits), name());
  count_access(o, tlm::TLM_READ_COMMAND, Operand::Outputs, tt.psum_reads * acc_bits, name());
  count_access(o, tlm::TLM_WRITE_COMMAND, Operand::Outputs, tt.psum_writes * acc_bits, name());

  if (ctx_.functional) compute_values(t);

  const sc_core::sc_time end = start + ctx_.period * static_cast<double>(tt.cycles);
  const double c0 = ctx_.cycles_of(start - ctx_.layer_start),
               c1 = ctx_.cycles_of(end - ctx_.layer_start);
  st.sram_access[static_cast<int>(Operand::Inputs)].add(c0, c1, tt.input_reads);
  st.sram_access[static_cast<int>(Operand::Weights)].add(c0, c1, tt.weight_reads);
  st.sram_access[static_cast<int>(Operand::Outputs)].add(c0, c1, tt.psum_writes);
  st.compute_end = std::max(st.compute_end, c1);
  return {end, end};
}

}  // namespace conloc
