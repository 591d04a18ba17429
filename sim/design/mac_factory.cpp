#include "sim/design/mac_factory.h"

#include <cmath>

#include "modules/arith/elp_bsd_mac.h"
#include "modules/arith/elp_lut_mac.h"
#include "modules/arith/fixed_point_mac.h"
#include "modules/arith/level_set_search.h"
#include "modules/arith/lp_bsd.h"

namespace conloc {

namespace {

// The loadable-decoder PE a layer of another ELP_BSD v2 format runs on (design.layer_formats).
std::optional<ElpLutFormat> pe_format(const DesignConfig& design) {
  if (!design.elp_pe) return std::nullopt;
  return ElpLutFormat::cached(*design.elp_pe);
}

// A per-layer ELP_BSD v2 design (elp<b>v2l): each layer chooses its own level set.
bool per_layer_set(const DesignConfig& design, MacKind kind) {
  return kind == MacKind::ElpBsd && design.elp_v2 && design.elp_v2->per_layer;
}

}  // namespace

std::unique_ptr<MacModel> make_mac_model(const DesignConfig& design, MacKind kind,
                                         bool activation_signed) {
  MacWidths w;
  w.activation_bits = design.activation_bits;
  w.activation_signed = activation_signed;
  w.accumulator_bits = design.accumulator_bits;
  if (kind == MacKind::FixedPoint)
    return std::make_unique<FixedPointMac>(design.fixed_weight_bits, w, design.fixed_datapath_bits);
  if (design.elp_v2)
    return std::make_unique<ElpLutMac>(ElpLutFormat::cached(*design.elp_v2), w, pe_format(design));
  return std::make_unique<ElpBsdMac>(ElpBsdFormat(design.elp), design.elp_mac, w);
}

std::unique_ptr<MacModel> make_layer_mac(const DesignConfig& design, MacKind kind,
                                         bool activation_signed, const float* weights,
                                         std::size_t rows, std::size_t k) {
  if (!per_layer_set(design, kind) || rows * k == 0)
    return make_mac_model(design, kind, activation_signed);
  const ElpLutParams& p = *design.elp_v2;
  std::vector<double> samples;
  samples.reserve(rows * k);
  for (std::size_t r = 0; r < rows; ++r) {
    double s2 = 0;
    for (std::size_t i = 0; i < k; ++i)
      s2 += static_cast<double>(weights[r * k + i]) * weights[r * k + i];
    const double rms = std::sqrt(s2 / static_cast<double>(k));
    if (rms == 0) continue;  // an all-zero channel says nothing about the distribution
    for (std::size_t i = 0; i < k; ++i)
      samples.push_back(weights[r * k + i] / rms);
  }
  if (samples.empty()) return make_mac_model(design, kind, activation_signed);
  const int count = (1 << (p.code_bits - 1)) - 1;
  const int n = p.positions, kk = p.terms;
  auto set =
      best_empirical_levels(std::move(samples), signed_digit_values(n, kk), count,
                            {p.term_price, [n, kk](std::int32_t v) { return sd_terms(v, n, kk); }});
  return make_layer_mac_with_levels(design, kind, activation_signed, std::move(set.magnitudes));
}

std::unique_ptr<MacModel> make_layer_mac_with_levels(const DesignConfig& design, MacKind kind,
                                                     bool activation_signed,
                                                     std::vector<std::int32_t> magnitudes) {
  if (!per_layer_set(design, kind) || magnitudes.empty())
    return make_mac_model(design, kind, activation_signed);
  MacWidths w;
  w.activation_bits = design.activation_bits;
  w.activation_signed = activation_signed;
  w.accumulator_bits = design.accumulator_bits;
  return std::make_unique<ElpLutMac>(ElpLutFormat(*design.elp_v2, std::move(magnitudes)), w,
                                     pe_format(design));
}

std::vector<std::int32_t> layer_level_set(const DesignConfig& design, MacKind kind,
                                          const MacModel& mac) {
  if (!per_layer_set(design, kind)) return {};
  // The levels are symmetric about zero: the magnitudes are the positive ones, ascending.
  std::vector<std::int32_t> magnitudes;
  for (std::int32_t v : mac.quantizer().levels()) {
    if (v > 0) magnitudes.push_back(v);
  }
  return magnitudes;
}

}  // namespace conloc
