#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "modules/arith/mac_actions.h"
#include "modules/arith/mac_model.h"
#include "modules/arith/requant.h"
#include "modules/common/int_tensor.h"
#include "modules/common/network.h"

namespace conloc {

// The compiler's output and the hardware modules' input (sim/quant/compiler.h makes it).
// Everything the accelerator needs about one layer after the offline quantize/encode/calibrate
// step, plus the measurements that step made.
struct CompiledLayer {
  bool in_signed = true;  // signedness of the (first) input activation tensor
  // PE-array layers: the MAC datapath this layer was compiled for (per-layer level sets differ
  // from layer to layer); the accelerator and the energy model use it.
  std::shared_ptr<const MacModel> mac;

  // PE-array layers, all laid out [G][N][K]:
  std::vector<std::int16_t> wq;           // integer weight levels
  std::vector<std::uint16_t> codes;       // stored code words (what the weight buffer holds)
  std::vector<std::uint8_t> step_cycles;  // MAC cycles per weight (term-serial: terms, min 1)
  std::vector<double> w_scale;            // per output channel (or one)
  std::vector<std::int32_t> bias;         // per output channel, compensation constant folded in
  std::vector<std::int32_t> comp;         // the compensation constant alone
  std::vector<Requant> rq;                // per output channel
  MacActions mac_actions;  // all MAC operations of the layer, from the actual weights
  // Its operands' toggle rates in a weight-stationary PE, sampled from a functional compile's
  // activations (sim/energy/operand_stream.h): per sampled PE, and their mean. Not measured in a
  // timing-only compile.
  std::vector<PeToggles> pe_toggles;
  OperandToggles operand_toggles;
  // Timing-only compiles may quantize a sample of output channels (docs/timing.md): then wq, codes,
  // step_cycles and w_scale hold only these channels, and mac_actions and weight_sqnr_db are
  // estimated from them. Empty: every channel.
  std::vector<std::int64_t> sampled_rows;

  // Vector-unit layers:
  Requant pool_rq;
  Requant2 add_rq;
  Requant mul_rq;                 // Mul: product of the two inputs to the output scale
  std::vector<std::int16_t> lut;  // Act: output code of every input code, from lut_lo up
  std::int32_t lut_lo = 0;
  std::vector<Requant> input_rq;  // Concat, Max: each input to the output scale

  std::int32_t out_lo = 0, out_hi = 0;  // output clamp (activation function folded in)

  // Measured offline (NaN where not measured):
  double weight_sqnr_db = std::numeric_limits<double>::quiet_NaN();
  double output_sqnr_db = std::numeric_limits<double>::quiet_NaN();
  double output_sqnr_uncompensated_db = std::numeric_limits<double>::quiet_NaN();
  double neighbour_correlation = std::numeric_limits<double>::quiet_NaN();
};

struct CompiledNetwork {
  Network net;
  MacKind mac = MacKind::ElpBsd;
  bool functional = true;
  std::string weight_source;
  std::string mac_name;  // e.g. "elp5", "fixed8"
  int code_bits = 0;
  int activation_bits = 8;    // design.activation_bits compiled for
  int accumulator_bits = 32;  // design.accumulator_bits compiled for
  double pe_transistors = 0;  // of one PE of the design (MacModel::pe_transistors)
  // FNV-1a 64 of the design's generated MAC Verilog (sim/rtl/mac_rtl.h), in hex: what a MAC
  // characterisation is looked up by (sim/energy/mac_characterisation.h). Functional compiles.
  std::string mac_rtl_fnv1a64;
  std::int64_t weights_total = 0;      // PE-array weights of the network
  std::int64_t weights_quantized = 0;  // of which quantized (fewer when timing-only samples)
  std::vector<CompiledLayer> layers;
  // Reference activations (golden values when functional; shape, sign and scale otherwise).
  std::vector<IntTensor> tensors;
  // Functional runs of a batch: the reference activations of images 1, 2, ... (image 0 is
  // `tensors`), each from the same integer inference (sim/quant/compiler.h add_batch_references).
  std::vector<std::vector<IntTensor>> batch_tensors;
};

}  // namespace conloc
