#include "sim/energy/operand_stream.h"

#include <algorithm>
#include <bitset>
#include <optional>

#include "modules/base/error.h"
#include "modules/common/compiled_network.h"
#include "sim/reference/reference_ops.h"

namespace conloc {

namespace {

// The operations ws_operations lists, handed to `f(pe, op)` as they are made (position by
// position, each position's PEs in order) instead of stored.
template <class F>
void each_ws_operation(const CompiledNetwork& cn, int layer, int rows, int pes,
                       const std::vector<std::pair<std::int64_t, std::int64_t>>& runs, F&& f) {
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
        cl.mac->pe_code(cl.mac->encode(cl.wq[static_cast<std::size_t>(nn * k + kk)]))};
  }
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
        f(p, WsOperation{pe.code, static_cast<std::int32_t>(w), a, acc,
                         wrap_to_bits(acc + std::int64_t{a} * w, cn.widths.accumulator_bits)});
      }
    }
  }
}

// One PE's toggles, summed operation by operation (pe_toggles' sums, in its order).
class ToggleSum {
 public:
  ToggleSum(std::int64_t run_length, int activation_bits, int accumulator_bits)
      : run_length_(run_length), ma_(mask(activation_bits)), macc_(mask(accumulator_bits)) {}
  void add(const WsOperation& y) {
    if (i_ == 0) first_ = y;
    // A transition only within a run: the i-th operation starts a new one when i is a multiple.
    if (i_ > 0 && i_ % run_length_ != 0) {
      a_ += flips(x_.a, y.a, ma_);
      p_ += flips(x_.acc_in, y.acc_in, macc_);
      q_ += flips(x_.acc_out - x_.acc_in, y.acc_out - y.acc_in, macc_);
      n_ += 1;
    }
    x_ = y;
    ++i_;
  }
  // The mean toggles, if the PE had a transition.
  std::optional<PeToggles> result() const {
    if (n_ == 0) return std::nullopt;
    return PeToggles{first_.code, first_.w == 0, {a_ / n_, p_ / n_, q_ / n_}};
  }

 private:
  static std::uint64_t mask(int bits) {
    return bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  }
  static double flips(std::int64_t x, std::int64_t y, std::uint64_t m) {
    return static_cast<double>(
        std::bitset<64>((static_cast<std::uint64_t>(x) ^ static_cast<std::uint64_t>(y)) & m)
            .count());
  }
  std::int64_t run_length_;
  std::uint64_t ma_, macc_;
  std::int64_t i_ = 0;
  WsOperation first_, x_;
  double a_ = 0, p_ = 0, q_ = 0, n_ = 0;
};

}  // namespace

std::vector<std::vector<WsOperation>> ws_operations(
    const CompiledNetwork& cn, int layer, int rows, int pes,
    const std::vector<std::pair<std::int64_t, std::int64_t>>& runs) {
  std::vector<std::vector<WsOperation>> out(static_cast<std::size_t>(std::max(0, pes)));
  std::int64_t positions = 0;
  for (const auto& run : runs)
    positions += run.second;
  for (auto& ops : out)
    ops.reserve(static_cast<std::size_t>(positions));
  each_ws_operation(cn, layer, rows, pes, runs, [&](int p, const WsOperation& op) {
    out[static_cast<std::size_t>(p)].push_back(op);
  });
  return out;
}

std::vector<PeToggles> pe_toggles(const std::vector<std::vector<WsOperation>>& per_pe,
                                  std::int64_t run_length, int activation_bits,
                                  int accumulator_bits) {
  std::vector<PeToggles> out;
  for (const auto& ops : per_pe) {
    ToggleSum sum(run_length, activation_bits, accumulator_bits);
    for (const WsOperation& op : ops)
      sum.add(op);
    if (const auto t = sum.result()) out.push_back(*t);
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
  const int abits =
      cn.layers[static_cast<std::size_t>(layer)].mac->widths().activation_operand_bits();
  // Summed as the operations are made: listing them first (ws_operations, then pe_toggles) wrote
  // and read back half a megabyte per layer, most of this function's time.
  constexpr int kPes = 64;
  std::vector<ToggleSum> sums(kPes, ToggleSum(run, abits, cn.widths.accumulator_bits));
  each_ws_operation(cn, layer, rows, kPes, runs, [&](int p, const WsOperation& op) {
    sums[static_cast<std::size_t>(p)].add(op);
  });
  std::vector<PeToggles> out;
  for (const ToggleSum& sum : sums)
    if (const auto t = sum.result()) out.push_back(*t);
  return out;
}

}  // namespace conloc
