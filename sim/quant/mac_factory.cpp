#include "sim/quant/mac_factory.h"

#include "modules/arith/elp_bsd_mac.h"
#include "modules/arith/elp_lut_mac.h"
#include "modules/arith/fixed_point_mac.h"

namespace conloc {

std::unique_ptr<MacModel> make_mac_model(const DesignConfig& design, MacKind kind,
                                         bool activation_signed) {
  MacWidths w;
  w.activation_bits = design.activation_bits;
  w.activation_signed = activation_signed;
  w.accumulator_bits = design.accumulator_bits;
  if (kind == MacKind::FixedPoint)
    return std::make_unique<FixedPointMac>(design.fixed_weight_bits, w);
  if (design.elp_v2)
    return std::make_unique<ElpLutMac>(ElpLutFormat::preset(design.elp_v2->name), w);
  return std::make_unique<ElpBsdMac>(ElpBsdFormat(design.elp), design.elp_mac, w);
}

}  // namespace conloc
