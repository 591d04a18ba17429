#include "tests/support/compiled_digest.h"

#include <sstream>

namespace conloc::test {

namespace {

template <class V>
void put(std::ostream& o, const V& v) {
  for (const auto& x : v)
    o << +x << ',';
  o << ';';
}

void put_tensors(std::ostream& o, const std::vector<IntTensor>& ts) {
  for (const IntTensor& t : ts) {
    o << t.shape.h << 'x' << t.shape.w << 'x' << t.shape.c << t.is_signed << t.scale << ':';
    put(o, t.data);
  }
}

void put_mac(std::ostream& o, const MacModel* m) {
  if (!m) {
    o << "-|";
    return;
  }
  o << m->name() << ',' << m->kind() << ',' << m->code_bits() << ',' << m->pe_code_bits() << ','
    << m->weight_register_bits() << ',' << m->pe_transistors() << ':';
  put(o, m->quantizer().levels());
  o << '|';
}

}  // namespace

std::string digest(const CompiledNetwork& cn) {
  std::ostringstream o;
  o.precision(17);
  o << to_string(cn.mac) << cn.calibrated << cn.weight_source << cn.mac_name << cn.widths.code_bits
    << cn.widths.activation_bits << cn.widths.accumulator_bits << cn.pe_transistors
    << cn.weights_total << cn.weights_quantized << '|';
  for (const CompiledLayer& l : cn.layers) {
    o << l.in_signed;
    put_mac(o, l.mac.get());
    put(o, l.wq);
    put(o, l.step_cycles);
    put(o, l.w_scale);
    put(o, l.bias);
    put(o, l.comp);
    for (const Requant& r : l.rq)
      o << r.mult << '/' << r.shift << ',';
    for (auto c : kMacActionCounts)
      o << l.mac_actions.*c << ',';
    put(o, l.code_uses);
    put(o, l.sampled_rows);
    o << l.pool_rq.mult << l.pool_rq.shift << l.add_rq.mult_a << l.add_rq.mult_b << l.add_rq.shift
      << l.mul_rq.mult << l.mul_rq.shift << '|';
    put(o, l.lut);
    o << l.lut_lo << '|' << l.norm_gain << ',' << l.norm_eps << '|';
    for (const Requant& r : l.input_rq)
      o << r.mult << '/' << r.shift << ',';
    o << l.out_lo << ',' << l.out_hi << ',' << l.weight_sqnr_db << ',' << l.output_sqnr_in_sample_db
      << ',' << l.output_sqnr_uncompensated_in_sample_db << ',' << l.output_sqnr_held_out_db << ','
      << l.output_sqnr_uncompensated_held_out_db << ',' << l.neighbour_correlation << '\n';
  }
  put_tensors(o, cn.tensors);
  o << "batch " << cn.batch_tensors.size() << '\n';
  for (const auto& b : cn.batch_tensors)
    put_tensors(o, b);
  return o.str();
}

}  // namespace conloc::test
