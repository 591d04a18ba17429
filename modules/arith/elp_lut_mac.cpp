#include "modules/arith/elp_lut_mac.h"

#include "modules/base/error.h"

namespace conloc {

ElpLutMac::ElpLutMac(ElpLutFormat format, MacWidths widths, std::optional<ElpLutFormat> pe)
    : format_(std::move(format)),
      pe_(pe ? std::move(*pe) : format_),
      hosted_(pe.has_value()),
      widths_(widths),
      quantizer_(format_.levels()) {
  const ElpLutParams &f = format_.params(), &q = pe_.params();
  CONLOC_ASSERT(!hosted_ || (q.per_layer && f.code_bits <= q.code_bits && f.terms <= q.terms &&
                             f.positions <= q.positions),
                "ElpLutMac", "a layer's format must fit its loadable-decoder PE");
}

std::uint32_t ElpLutMac::pe_code(std::uint32_t code) const {
  // The sign moves to the PE code's top bit; the magnitude index stays (the table's low entries).
  const int b = format_.code_bits(), pb = pe_.code_bits();
  const std::uint32_t sign = (code >> (b - 1)) & 1u, index = code & ((1u << (b - 1)) - 1u);
  return (sign << (pb - 1)) | index;
}

std::uint32_t ElpLutMac::energy_key(std::uint32_t pe_code) const {
  if (!loads_table()) return pe_code;
  const int pb = pe_.code_bits();
  const std::uint32_t sign = (pe_code >> (pb - 1)) & 1u, index = pe_code & ((1u << (pb - 1)) - 1u);
  CONLOC_ASSERT(index < (1u << (format_.code_bits() - 1)), "ElpLutMac",
                "a PE code beyond the layer's table");
  if (index == 0) return 0;
  const auto m = static_cast<std::uint32_t>(format_.magnitudes()[index - 1]);
  return 2 * m + sign;
}

std::int64_t ElpLutMac::mac(std::int64_t acc, std::int32_t a, std::uint32_t code) const {
  format_.decode(code);  // rejects codes wider than the format
  const ElpBsdFields f = format_.fields(code);
  std::int64_t sum = 0;
  for (int j = 0; j < f.terms; ++j) {
    // Multiplication by a power of two is the shift; it stays defined for negative a.
    const std::int64_t x = static_cast<std::int64_t>(a) * (std::int64_t{1} << f.position[j]);
    sum += f.negate[j] ? -x : x;
  }
  return wrap_to_bits(acc + sum, widths_.accumulator_bits);
}

MacActions ElpLutMac::actions(std::uint32_t code) const {
  MacActions a;
  a.ops = 1;
  a.cycles = 1;
  const int t = format_.fields(code).terms;
  if (t == 0) {
    a.gated = 1;
    return a;
  }
  a.base_shifts = 1;
  a.gap_shifts = static_cast<std::uint64_t>(t - 1);
  a.negates = static_cast<std::uint64_t>(t);
  a.term_adds = static_cast<std::uint64_t>(t - 1);
  a.term_passes = static_cast<std::uint64_t>(pe_.params().terms - t);
  a.acc_adds = 1;
  return a;
}

CellCounts ElpLutMac::cells(const MacActions& a) const {
  const int width = term_bits();
  const int stages = pe_.position_bits();
  CellCounts c;
  // Every term's shifter is a row of 2:1 multiplexers per position bit.
  c.mux2 += static_cast<double>(a.base_shifts + a.gap_shifts) * stages * width;
  c.xor2 += static_cast<double>(a.negates) * width;
  c += add_cells(width + 1) * static_cast<double>(a.term_adds);
  c += add_cells(widths_.accumulator_bits) * static_cast<double>(a.acc_adds);
  c.and2 += static_cast<double>(a.ops);  // clock gate from the first term's enable
  return c;
}

CellCounts ElpLutMac::pass_cells(const MacActions& a) const {
  return add_cells(term_bits() + 1) * static_cast<double>(a.term_passes);
}

CellCounts ElpLutMac::weight_fetch_cells() const {
  // The decoder is a fixed table: each output bit a tree of 2:1 multiplexers over the 2^(b-1)
  // magnitude indices, and the sign bit XORs every term's sign.
  CellCounts c;
  const double entries = static_cast<double>(1u << (pe_.code_bits() - 1));
  c.mux2 += (entries - 1) * pe_.decoded_bits();
  c.xor2 += pe_.params().terms;
  return c;
}

CellCounts ElpLutMac::layer_setup_cells() const {
  // A loadable decoder is a table of registers; a layer writes its magnitudes' entries once, in
  // the PE's field layout.
  CellCounts c;
  if (loads_table()) c.dff += static_cast<double>(format_.magnitudes().size()) * pe_.decoded_bits();
  return c;
}

}  // namespace conloc
