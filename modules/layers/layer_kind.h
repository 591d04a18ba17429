#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "modules/arith/cell_counts.h"
#include "modules/arith/range_stat.h"
#include "modules/base/error.h"
#include "modules/common/compiled_network.h"
#include "modules/common/int_tensor.h"
#include "modules/common/network.h"

namespace conloc {

// The layer-kind registry: everything the tool knows about one type of layer, in one place, so
// that a new vector operation is one file in modules/layers/kinds/ (docs/extending.md). The
// compiler calibrates a vector layer through `calibrate`, the vector unit and the integer
// reference compute it through `element`, the float reference through `element_float`, the
// energy model prices it through `cells`, and the planner bands its input as `rows` says.

// The operands an output element reads: input `k` of the layer (its index in Layer::inputs) at
// input coordinates (y, x, c). A 1x1xC input (a per-channel factor) is read at channel c wherever
// (y, x) is. Channels are numbered as the operands hold them: in the vector unit, a channel
// chunk's own channels, so an element function must use c only to address operands.
template <class T>
class Operands {
 public:
  virtual T at(int k, int y, int x, int c) const = 0;
  // Input k's whole shape (bounds for a window: rows and columns outside are padding).
  virtual TensorShape shape(int k) const = 0;

 protected:
  ~Operands() = default;
};
using IntOperands = Operands<std::int32_t>;
using FloatOperands = Operands<float>;

// One output element: its coordinates and, for a kind that runs one part per input (concat),
// the input whose channels c numbers.
struct ElementSite {
  int y = 0, x = 0, c = 0;
  int part = 0;
};

// What calibrating a vector layer sees: the layer, the design's activation width and percentile,
// the calibration images' activations (every tensor of the network, integer with its scale) and
// the output clamp the layer's signedness gives.
struct KindCalibration {
  const Layer& layer;
  const Network& net;
  int activation_bits;
  double percentile;
  const std::vector<std::vector<IntTensor>>& images;
  const std::vector<IntTensor>& shapes;  // each tensor's shape and signedness

  double in_scale(int k) const { return images.front()[layer.inputs[k]].scale; }
  bool in_signed(int k) const { return shapes[layer.inputs[k]].is_signed; }
  // Input k's real value at element i of one image.
  static double real(const std::vector<IntTensor>& img, int k, const Layer& l, std::size_t i) {
    const IntTensor& t = img[l.inputs[k]];
    return t.scale * t.data[i];
  }
  // The output scale that puts the largest (or the percentile) magnitude of `value(img, i)`,
  // over every element i of the first input of every image, at the top code `out_hi`; the
  // first input's scale when everything is zero.
  template <class F>
  double covering(std::int32_t out_hi, F value) const {
    RangeStat range(percentile);
    for (const auto& img : images) {
      const std::size_t n = img[layer.inputs[0]].data.size();
      for (std::size_t i = 0; i < n; ++i)
        range.add(value(img, i));
    }
    const double maxv = range.value();
    return maxv > 0 ? maxv / out_hi : in_scale(0);
  }
  // covering() of a value that depends on the first input's code alone (an activation
  // function of it): each code is evaluated once, seen as often as the images hold it.
  template <class F>
  double covering_by_code(std::int32_t out_hi, F value_of_code) const {
    const std::int32_t lo = act_min(activation_bits, in_signed(0)),
                       hi = act_max(activation_bits, in_signed(0));
    std::vector<std::size_t> seen(static_cast<std::size_t>(hi - lo + 1), 0);
    for (const auto& img : images) {
      for (std::int16_t q : img[layer.inputs[0]].data) {
        CONLOC_ASSERT(q >= lo && q <= hi, "calibration", "an input code outside its width");
        ++seen[static_cast<std::size_t>(q - lo)];
      }
    }
    RangeStat range(percentile);
    for (std::int32_t q = lo; q <= hi; ++q)
      range.add(value_of_code(q), seen[static_cast<std::size_t>(q - lo)]);
    const double maxv = range.value();
    return maxv > 0 ? maxv / out_hi : in_scale(0);
  }
};

enum class Unit { PeArray, VectorUnit };

// Which input rows an output row reads: the planner bands the input accordingly.
enum class RowReach {
  Same,    // row y (element-wise)
  Window,  // the window's rows: y * stride - pad_t ... + kh - 1 (pooling)
  Scale,   // row y / scale_h (upsampling, depth-to-space)
  Interp,  // rows interp_point(y, ...).i0 and .i1 (bilinear resampling)
};

// Bilinear resampling of an axis of `in` samples to `out` (RowReach::Interp): output coordinate y
// falls between input samples i0 and i1 = i0 + 1, at fraction frac / den of the way to i1.
// Half-pixel centres, src = ((2y + 1) in - out) / (2 out) (ONNX's half_pixel, torch's
// align_corners=False), or aligned corners, src = y (in - 1) / (out - 1); clamped to the axis.
struct InterpPoint {
  int i0 = 0, i1 = 0;
  std::int64_t frac = 0, den = 1;
};
inline InterpPoint interp_point(int y, int in, int out, bool align_corners) {
  const std::int64_t num =
      align_corners ? std::int64_t{y} * (in - 1) : (2 * std::int64_t{y} + 1) * in - out;
  InterpPoint p;
  p.den = align_corners ? std::max(1, out - 1) : 2 * std::int64_t{out};
  if (num <= 0) return p;  // before the first sample: the first sample
  p.i0 = static_cast<int>(num / p.den);
  if (p.i0 >= in - 1) {  // at or past the last sample: the last sample
    p.i0 = p.i1 = in - 1;
    return p;
  }
  p.i1 = p.i0 + 1;
  p.frac = num % p.den;
  return p;
}

struct LayerKind {
  LayerType type{-1};   // a built-in type's constant; left unset, the registry numbers it
  std::string name;     // the workload JSON "type" and the outputs' layer type
  std::string summary;  // one line for docs/workloads.md and error messages
  Unit unit = Unit::VectorUnit;
  RowReach rows = RowReach::Same;
  bool part_per_input = false;  // one pass per input, into its channels of the output (concat)
  // An output pixel reads any of its input pixel's channels (a scale_h x scale_w block of them for
  // depth-to-space, a permutation for a channel shuffle): the planner never splits a pixel's
  // channels into chunks.
  bool channel_blocks = false;
  // Kinds with no parameters besides their inputs (element-wise): `arity` inputs of one shape,
  // the output of that shape; the builder (NetworkBuilder::elementwise), the workload JSON and
  // the ONNX importer (ops named in `onnx_ops`, no attributes) make them from the registry alone.
  // 0: the kind has parameters and its own builder function.
  int arity = 0;
  std::vector<std::string> onnx_ops;

  // Vector kinds (null for the PE array's):
  // Whether the output can be negative, from whether each input can.
  bool (*out_signed)(const Layer&, const std::vector<bool>& in_signed) = nullptr;
  // Sets the layer's constants in `cl` (out_lo and out_hi are set from the signedness and may be
  // narrowed) and returns the output scale. Null: the output has the first input's scale.
  double (*calibrate)(const KindCalibration&, CompiledLayer& cl) = nullptr;
  // One output element (an integer of the output's width), from the compiled constants.
  std::int32_t (*element)(const Layer&, const CompiledLayer&, const TensorShape& out,
                          const IntOperands&, const ElementSite&) = nullptr;
  // Optional, for a kind whose elements share work per pixel (channel_blocks: layernorm's
  // statistics): every channel of the output pixel at `site` (its c ignored) into `out[0..C)`;
  // must equal `element` channel by channel. The vector unit uses it where it is set.
  void (*pixel)(const Layer&, const CompiledLayer&, const TensorShape& out, const IntOperands&,
                const ElementSite& site, std::int32_t* out_codes) = nullptr;
  // The same on real values, as the float model computes it (no quantization).
  float (*element_float)(const Layer&, const TensorShape& out, const FloatOperands&,
                         const ElementSite&) = nullptr;
  // Optional: the whole layer at once on the integer reference's tensors, for speed; must equal
  // `element` everywhere (the bit-exactness tests compare the vector unit, which runs `element`,
  // against the reference, which runs this).
  void (*run_reference)(const Layer&, const CompiledLayer&, const std::vector<IntTensor>& tensors,
                        IntTensor& out) = nullptr;
  // Cells the vector unit switches for the layer, `ops` element operations (VectorTile::ops:
  // ops_per_element per output element, over every image of the batch) of activations
  // `act_bits` wide (docs/energy.md).
  CellCounts (*cells)(const Layer&, const TensorShape& out, std::uint64_t ops,
                      int act_bits) = nullptr;
};

// The registry, built on first use from every file in modules/layers/kinds/ (each defines
// `void define_<file>_kinds(LayerKinds&)`; CMake generates the list).
class LayerKinds {
 public:
  // Adds a kind; a built-in type keeps its constant's index, any other gets the next one. A
  // kind's name must be new and its functions complete for its unit (InternalError otherwise).
  void add(LayerKind k);
  const std::vector<LayerKind>& all() const { return kinds_; }

 private:
  std::vector<LayerKind> kinds_;
};

const std::vector<LayerKind>& layer_kinds();
const LayerKind& layer_kind(LayerType t);
// The kind called `name`; nullptr when there is none.
const LayerKind* find_layer_kind(const std::string& name);
// The kind registered for ONNX op type `op` (an element-wise kind's onnx_ops); nullptr if none.
const LayerKind* find_onnx_kind(const std::string& op);
// Every kind's name, comma-separated (for messages listing the accepted types).
std::string layer_kind_names();

const char* to_string(LayerType t);

// Operations per output element (VectorTile::ops): the window's size for a pooling kind, one
// otherwise.
inline std::uint64_t ops_per_element(const Layer& l) {
  return layer_kind(l.type).rows == RowReach::Window ? static_cast<std::uint64_t>(l.kh) * l.kw : 1;
}

}  // namespace conloc
