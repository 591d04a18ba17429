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
#include "modules/common/widths.h"

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
  // Integer weight levels. The stored code words (what the weight buffer holds) are these through
  // `mac` (LevelCodes): not kept beside them, as they would double the compiled network's size.
  std::vector<std::int16_t> wq;
  // MAC cycles per weight (term-serial: terms, min 1); empty where every weight takes one.
  std::vector<std::uint8_t> step_cycles;
  std::vector<double> w_scale;     // per output channel (or one)
  std::vector<std::int32_t> bias;  // per output channel, compensation constant folded in
  std::vector<std::int32_t> comp;  // the compensation constant alone
  std::vector<Requant> rq;         // per output channel
  MacActions mac_actions;          // all MAC operations of the layer, from the actual weights
  // Weights per code word as the PE holds it (index = MacModel::pe_code), over every weight of the
  // layer: what a MAC characterisation prices at its reference operand statistics where no operands
  // were simulated (sim/energy/energy_cost.h, mac_energies).
  std::vector<std::uint64_t> code_uses;
  // A compile without input data (a topology or GEMM list) may quantize a sample of output
  // channels (docs/timing.md): then wq, step_cycles and w_scale hold only these channels,
  // and mac_actions, code_uses and weight_sqnr_db are estimated from them. Empty: every channel.
  std::vector<std::int64_t> sampled_rows;

  // Vector-unit layers:
  Requant pool_rq;
  Requant2 add_rq;
  Requant mul_rq;                 // Mul: product of the two inputs to the output scale
  std::vector<std::int16_t> lut;  // Act: output code of every input code, from lut_lo up
  std::int32_t lut_lo = 0;
  std::vector<Requant> input_rq;  // Concat, Max: each input to the output scale
  // LayerNorm (modules/layers/kinds/layernorm.cpp): the output gain K and the epsilon E in codes.
  std::int64_t norm_gain = 0, norm_eps = 0;

  std::int32_t out_lo = 0, out_hi = 0;  // output clamp (activation function folded in)

  // Measured offline (NaN where not measured):
  double weight_sqnr_db = std::numeric_limits<double>::quiet_NaN();
  // Output SQNR against float weights, with the compensation and without it: on the images the
  // compile calibrated on (in sample), and on a held-out image (NaN where there is none).
  double output_sqnr_in_sample_db = std::numeric_limits<double>::quiet_NaN();
  double output_sqnr_uncompensated_in_sample_db = std::numeric_limits<double>::quiet_NaN();
  double output_sqnr_held_out_db = std::numeric_limits<double>::quiet_NaN();
  double output_sqnr_uncompensated_held_out_db = std::numeric_limits<double>::quiet_NaN();
  double neighbour_correlation = std::numeric_limits<double>::quiet_NaN();
};

struct CompiledNetwork {
  Network net;
  MacKind mac = MacKind::ElpBsd;
  // Every weight quantized and the integer reference run on the input (the golden values and the
  // operands the MAC energy is priced on); false only for a workload without input data.
  bool calibrated = true;
  // What it was compiled from (sim/quant/compiler.h CompileSpec::key): a run refuses a network
  // compiled for another configuration.
  std::string compile_key;
  std::string weight_source;
  std::string mac_name;  // e.g. "elp5", "fixed8"
  Widths widths;  // the PE's code word (code_bits(i): a layer's), activation, accumulator widths
  double pe_transistors = 0;           // of one PE of the design (MacModel::pe_transistors)
  std::int64_t weights_total = 0;      // PE-array weights of the network
  std::int64_t weights_quantized = 0;  // of which quantized (fewer when a compile samples)
  std::vector<CompiledLayer> layers;
  // Bits of one stored weight of layer `i` (a PE-array layer's own: design.layer_formats gives
  // layers narrower weights than the PE's, widths.code_bits).
  int code_bits(std::size_t i) const {
    const auto& m = layers[i].mac;
    return m ? m->code_bits() : widths.code_bits;
  }
  // Reference activations (golden values when calibrated; shape, sign and scale otherwise).
  std::vector<IntTensor> tensors;
  // Functional runs of a batch: the reference activations of images 1, 2, ... (image 0 is
  // `tensors`), each from the same integer inference (sim/quant/compiler.h add_batch_references).
  std::vector<std::vector<IntTensor>> batch_tensors;
  // Read from the persistent compile cache instead of compiled by this process (not stored in
  // it; sim/run/compile_cache.h).
  bool from_cache = false;
};

}  // namespace conloc
