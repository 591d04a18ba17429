#include "sim/energy/operand_stream.h"

#include <algorithm>
#include <bitset>

#include "modules/base/error.h"
#include "modules/common/compiled_network.h"
#include "sim/reference/reference_ops.h"

namespace conloc {

std::vector<std::vector<WsOperation>> ws_operations(
    const CompiledNetwork& cn, int layer, int rows, int pes,
    const std::vector<std::pair<std::int64_t, std::int64_t>>& runs) {
  const Layer& l = cn.net.layers.at(static_cast<std::size_t>(layer));
  CONLOC_ASSERT(l.on_pe_array() && cn.calibrated, "operand_stream",
                "a PE's operands need a calibrated compile of a conv or fc layer");
  const CompiledLayer& cl = cn.layers[static_cast<std::size_t>(layer)];
  const IntTensor& in = cn.tensors[static_cast<std::size_t>(l.inputs[0])];
  const GemmShape g = cn.net.gemm(l);
  const std::int64_t k = g.k, n = g.n;
  struct Pe {
    std::int64_t kk, nn, fold0;
    std::uint32_t code;  // the held weight's code as the PE holds it (MacModel::pe_code)
  };
  std::vector<Pe> at(static_cast<std::size_t>(pes));
  for (int p = 0; p < pes; ++p) {
    // PEs spread evenly over the (k, n) weights of group 0.
    const std::int64_t idx = (static_cast<std::int64_t>(p) * k * n) / pes + (p * 7919) % 13;
    const std::int64_t kk = idx % k, nn = (idx / k) % n;
    at[static_cast<std::size_t>(p)] = {
        kk, nn, kk / rows * rows,  // first row of its fold
        cl.mac->pe_code(cl.codes[static_cast<std::size_t>(nn * k + kk)])};
  }
  std::vector<std::vector<WsOperation>> out(static_cast<std::size_t>(pes));
  std::int64_t positions = 0;
  for (const auto& run : runs)
    positions += run.second;
  for (auto& ops : out)
    ops.reserve(static_cast<std::size_t>(positions));
  std::vector<std::int16_t> patch(static_cast<std::size_t>(k));
  for (const auto& [first, count] : runs) {
    for (std::int64_t i = first; i < first + count; ++i) {
      im2col_row(in, l, 0, i, patch.data());  // the activations each PE row sees at position i
      for (int p = 0; p < pes; ++p) {
        const Pe& pe = at[static_cast<std::size_t>(p)];
        const std::size_t w0 = static_cast<std::size_t>(pe.nn * k);
        std::int64_t acc = 0;  // the psum from the PEs above in the fold
        for (std::int64_t r = pe.fold0; r < pe.kk; ++r)
          acc += std::int64_t{patch[static_cast<std::size_t>(r)]} * cl.wq[w0 + r];
        acc = wrap_to_bits(acc, cn.widths.accumulator_bits);
        const std::int32_t a = patch[static_cast<std::size_t>(pe.kk)];
        const std::int64_t w = cl.wq[w0 + static_cast<std::size_t>(pe.kk)];
        out[static_cast<std::size_t>(p)].push_back(
            {pe.code, static_cast<std::int32_t>(w), a, acc,
             wrap_to_bits(acc + std::int64_t{a} * w, cn.widths.accumulator_bits)});
      }
    }
  }
  return out;
}

std::vector<PeToggles> pe_toggles(const std::vector<std::vector<WsOperation>>& per_pe,
                                  std::int64_t run_length, int activation_bits,
                                  int accumulator_bits) {
  auto mask = [](int bits) {
    return bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  };
  const std::uint64_t ma = mask(activation_bits), macc = mask(accumulator_bits);
  auto flips = [](std::int64_t x, std::int64_t y, std::uint64_t m) {
    return static_cast<double>(
        std::bitset<64>((static_cast<std::uint64_t>(x) ^ static_cast<std::uint64_t>(y)) & m)
            .count());
  };
  std::vector<PeToggles> out;
  for (const auto& ops : per_pe) {
    if (ops.empty()) continue;
    double a = 0, p = 0, q = 0, n = 0;
    for (std::size_t i = 1; i < ops.size(); ++i) {
      if (static_cast<std::int64_t>(i) % run_length == 0) continue;  // a new run starts here
      const WsOperation &x = ops[i - 1], &y = ops[i];
      a += flips(x.a, y.a, ma);
      p += flips(x.acc_in, y.acc_in, macc);
      q += flips(x.acc_out - x.acc_in, y.acc_out - y.acc_in, macc);
      n += 1;
    }
    if (n == 0) continue;
    out.push_back({ops.front().code, ops.front().w == 0, {a / n, p / n, q / n}});
  }
  return out;
}

OperandToggles mean_toggles(const std::vector<PeToggles>& pes) {
  OperandToggles m;
  for (const PeToggles& pe : pes) {
    m.activation += pe.toggles.activation;
    m.psum += pe.toggles.psum;
    m.product += pe.toggles.product;
  }
  if (pes.empty()) return m;
  const double n = static_cast<double>(pes.size());
  return {m.activation / n, m.psum / n, m.product / n};
}

std::vector<PeToggles> measure_pe_toggles(const CompiledNetwork& cn, int layer, int rows) {
  const Layer& l = cn.net.layers.at(static_cast<std::size_t>(layer));
  const std::int64_t m = cn.net.gemm(l).m;
  const std::int64_t run = std::min<std::int64_t>(9, m);
  const std::int64_t count = std::max<std::int64_t>(1, std::min<std::int64_t>(32, m / run));
  std::vector<std::pair<std::int64_t, std::int64_t>> runs;
  for (std::int64_t r = 0; r < count; ++r)
    runs.push_back({(m - run) * r / std::max<std::int64_t>(1, count - 1), run});
  const auto ops = ws_operations(cn, layer, rows, 64, runs);
  const int abits =
      cn.layers[static_cast<std::size_t>(layer)].mac->widths().activation_operand_bits();
  return pe_toggles(ops, run, abits, cn.widths.accumulator_bits);
}

}  // namespace conloc
