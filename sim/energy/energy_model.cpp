#include "sim/energy/energy_model.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "modules/base/error.h"

namespace conloc {

EnergyModel::EnergyModel(const EnergyTable& table) : table_(table) {
  const std::string& src = table.path();
  // Two anchors, two unknowns: a fixed per-operation part plus a part proportional to the cells.
  const auto& a1 = table.at("add_8b");
  const auto& a2 = table.at("add_32b");
  if (a1.bits == a2.bits) {
    throw_field_error(src, "constants.add_32b.bits", "adder anchors need different widths",
                      std::to_string(a2.bits), "!= " + std::to_string(a1.bits));
  }
  fa_pj_ = (a2.value - a1.value) / (a2.bits - a1.bits);
  add_op_pj_ = a1.value - a1.bits * fa_pj_;
  const auto& m1 = table.at("mult_8b");
  const auto& m2 = table.at("mult_32b");
  const double c1 = static_cast<double>(m1.bits) * m1.bits;
  const double c2 = static_cast<double>(m2.bits) * m2.bits;
  if (c1 == c2) {
    throw_field_error(src, "constants.mult_32b.bits", "multiplier anchors need different widths",
                      std::to_string(m2.bits), "!= " + std::to_string(m1.bits));
  }
  mult_cell_pj_ = (m2.value - m1.value) / (c2 - c1);
  mult_op_pj_ = m1.value - c1 * mult_cell_pj_;
  if (fa_pj_ <= 0 || add_op_pj_ < 0) {
    throw_field_error(src, "constants.add_32b.value",
                      "adder anchors imply a non-positive per-bit or negative per-op energy",
                      std::to_string(a2.value), "wider adds costing more, roughly linearly");
  }
  if (mult_cell_pj_ <= 0 || mult_op_pj_ < 0) {
    throw_field_error(src, "constants.mult_32b.value",
                      "multiplier anchors imply a non-positive per-cell or negative per-op energy",
                      std::to_string(m2.value), "energy growing roughly with a x b");
  }
  mux2_pj_ = table.at("mux2_to_fa").value * fa_pj_;
  xor2_pj_ = table.at("xor2_to_fa").value * fa_pj_;
  and2_pj_ = table.at("and2_to_fa").value * fa_pj_;
  dff_pj_ = table.at("dff_to_fa").value * fa_pj_;
  PjByKind& k = activity_.kinds;
  k.adder = table.at("activity_adder").value;
  k.mult = table.at("activity_mult").value;
  k.mux2 = table.at("activity_mux2").value;
  k.xor2 = table.at("activity_xor2").value;
  k.and2 = table.at("activity_and2").value;
  k.dff = table.at("activity_dff").value;
  activity_.psum_pass = table.at("activity_psum_pass").value;
  activity_.acc_psum = table.at("activity_acc_psum").value;
  activity_.acc_product = table.at("activity_acc_product").value;
  activity_.term_pass = table.at("activity_term_pass").value;
  activity_.serial_switch = table.at("activity_serial_switch").value;
  activity_.reference = {table.at("toggle_activation").value, table.at("toggle_psum").value,
                         table.at("toggle_product").value};
  write_to_read_ = table.at("sram_write_to_read").value;
  dram_pj_per_bit_ = table.at("dram_per_bit").value;

  std::pair<double, double> pts[3];
  const char* ids[3] = {"sram_read_64b_8kib", "sram_read_64b_32kib", "sram_read_64b_1mib"};
  for (int i = 0; i < 3; ++i) {
    const auto& c = table.at(ids[i]);
    pts[i] = {std::log2(c.capacity_kib * 1024.0), std::log2(c.value / c.bits)};
  }
  std::sort(std::begin(pts), std::end(pts));
  for (int i = 0; i < 3; ++i) {
    sram_log_cap_[i] = pts[i].first;
    sram_log_e_[i] = pts[i].second;
    if (i > 0 && sram_log_cap_[i] == sram_log_cap_[i - 1]) {
      throw_field_error(src, std::string("constants.") + ids[i] + ".capacity_kib",
                        "SRAM anchors need distinct capacities");
    }
  }
}

double EnergyModel::cells_pj(const CellCounts& c) const {
  return cells_pj_by_kind(c).total();
}

EnergyModel::PjByKind EnergyModel::cells_pj_by_kind(const CellCounts& c) const {
  PjByKind k;
  k.adder = c.adder_bits * fa_pj_ + c.add_ops * add_op_pj_;
  k.mult = c.mult_cells * mult_cell_pj_ + c.mult_ops * mult_op_pj_;
  k.mux2 = c.mux2 * mux2_pj_;
  k.xor2 = c.xor2 * xor2_pj_;
  k.and2 = c.and2 * and2_pj_;
  k.dff = c.dff * dff_pj_;
  return k;
}

double EnergyModel::activity_weighted(const PjByKind& k) const {
  const PjByKind& a = activity_.kinds;
  return k.adder * a.adder + k.mult * a.mult + k.mux2 * a.mux2 + k.xor2 * a.xor2 + k.and2 * a.and2 +
         k.dff * a.dff;
}

double EnergyModel::sram_read_pj_per_bit(std::uint64_t capacity_bytes, int word_bits) const {
  if (table_.sram_table()) return cacti_pj_per_bit(capacity_bytes, false, word_bits);
  const double x = std::log2(static_cast<double>(std::max<std::uint64_t>(capacity_bytes, 1)));
  // Piecewise linear in log-log; the end segments extend beyond the anchors.
  const int seg = x <= sram_log_cap_[1] ? 0 : 1;
  const double x0 = sram_log_cap_[seg], x1 = sram_log_cap_[seg + 1];
  const double y0 = sram_log_e_[seg], y1 = sram_log_e_[seg + 1];
  return std::exp2(y0 + (y1 - y0) * (x - x0) / (x1 - x0));
}

double EnergyModel::sram_write_pj_per_bit(std::uint64_t capacity_bytes, int word_bits) const {
  if (table_.sram_table()) return cacti_pj_per_bit(capacity_bytes, true, word_bits);
  return sram_read_pj_per_bit(capacity_bytes) * write_to_read_;
}

double EnergyModel::cacti_interp(const std::vector<SramTable::Row>& rows, double capacity_bytes,
                                 double SramTable::Row::*field) {
  // Linear in log2(capacity) and log2(value) between the table's capacities; beyond its ends the
  // end segments extend.
  const double x = std::log2(std::max(1.0, capacity_bytes));
  std::size_t i = 1;
  while (i + 1 < rows.size() && std::log2(rows[i].capacity_bytes) < x)
    ++i;
  const SramTable::Row& a = rows[i - 1];
  const SramTable::Row& b = rows[i];
  const double x0 = std::log2(a.capacity_bytes), x1 = std::log2(b.capacity_bytes);
  const double y0 = std::log2(a.*field), y1 = std::log2(b.*field);
  return std::exp2(y0 + (y1 - y0) * (x - x0) / (x1 - x0));
}

double EnergyModel::cacti_pj_per_bit(std::uint64_t capacity_bytes, bool write,
                                     int word_bits) const {
  // A buffer is two halves (double buffering) and an access hits one: CACTI's energy per access
  // of an array of half the capacity, per bit of the word it moves. A word wider than the table's
  // widest rows is that many arrays side by side, each of a share of the capacity, accessed
  // together; other widths interpolate log-log between the table's (docs/energy.md).
  const SramTable& t = *table_.sram_table();
  if (word_bits <= 0) word_bits = t.word_bits;
  const auto field = write ? &SramTable::Row::write_pj : &SramTable::Row::read_pj;
  const int widest = t.by_width.rbegin()->first;
  const double arrays = word_bits > widest ? std::ceil(static_cast<double>(word_bits) / widest) : 1;
  const double width = static_cast<double>(word_bits) / arrays;
  const double capacity = static_cast<double>(capacity_bytes) / 2.0 / arrays;
  // Per bit at each table width for this capacity, then log-log in width.
  auto lo = t.by_width.begin();
  auto hi = std::next(lo);
  while (std::next(hi) != t.by_width.end() && hi->first < width) {
    ++lo;
    ++hi;
  }
  if (t.by_width.size() == 1 || width == lo->first)
    return cacti_interp(lo->second, capacity, field) / lo->first;
  const double y0 = std::log2(cacti_interp(lo->second, capacity, field) / lo->first);
  const double y1 = std::log2(cacti_interp(hi->second, capacity, field) / hi->first);
  const double x0 = std::log2(lo->first), x1 = std::log2(hi->first), x = std::log2(width);
  return std::exp2(y0 + (y1 - y0) * (x - x0) / (x1 - x0));
}

double EnergyModel::sram_leakage_mw(std::uint64_t capacity_bytes) const {
  const auto& t = table_.sram_table();
  if (!t || t->leakage_transistor_type.empty()) return 0.0;
  return 2.0 * cacti_interp(t->rows, static_cast<double>(capacity_bytes) / 2.0,
                            &SramTable::Row::leakage_mw);
}

double EnergyModel::logic_leakage_mw_per_transistor() const {
  const auto& t = table_.sram_table();
  if (!t || t->leakage_transistor_type.empty() || t->rows.empty()) return 0.0;
  const auto& r = *std::max_element(
      t->rows.begin(), t->rows.end(),
      [](const auto& a, const auto& b) { return a.capacity_bytes < b.capacity_bytes; });
  return r.leakage_mw / (r.capacity_bytes * 8.0 * 6.0);
}

nlohmann::json EnergyModel::calibration_json() const {
  return {{"full_adder_bit_pj", fa_pj_},
          {"add_op_pj", add_op_pj_},
          {"mult_cell_pj", mult_cell_pj_},
          {"mult_op_pj", mult_op_pj_},
          {"mux2_pj", mux2_pj_},
          {"xor2_pj", xor2_pj_},
          {"and2_pj", and2_pj_},
          {"dff_bit_pj", dff_pj_},
          {"mac_activity",
           {{"adder", activity_.kinds.adder},
            {"mult", activity_.kinds.mult},
            {"mux2", activity_.kinds.mux2},
            {"xor2", activity_.kinds.xor2},
            {"and2", activity_.kinds.and2},
            {"dff", activity_.kinds.dff},
            {"acc_psum", activity_.acc_psum},
            {"acc_product", activity_.acc_product},
            {"term_pass", activity_.term_pass},
            {"serial_switch", activity_.serial_switch},
            {"psum_pass", activity_.psum_pass},
            {"toggle_activation", activity_.reference.activation},
            {"toggle_psum", activity_.reference.psum},
            {"toggle_product", activity_.reference.product}}},
          {"dram_pj_per_bit", dram_pj_per_bit_}};
}

}  // namespace conloc
