// Ops that change only how a tensor is seen (reshape, flatten, transpose, squeeze) and ops on
// constants, folded at import.
#include <algorithm>
#include <cmath>

#include "modules/base/error.h"
#include "sim/workload/onnx_importer.h"

namespace conloc::onnx_detail {

void Importer::pad(const onnx::NodeProto& n) {
  // Read without need_act's check: a Pad of a padded value adds up.
  if (n.input_size() < 1 || !acts_.count(n.input(0))) need_act(n, 0);
  const Value& x = acts_.at(n.input(0));
  if (x.axes.size() != 4)
    fail(n, "input is not an image", x.axes, "rank 4 (N, C, H, W in any order)");
  const std::string mode = attr_string(n, "mode");
  if (!mode.empty() && mode != "constant") {
    fail(n, "only constant (zero) padding folds into the next layer", mode, "constant");
  }
  // Opset 11 on: pads, constant_value and (18) axes are inputs; before it, attributes.
  std::vector<double> pads;
  double value = attr_float(n, "value", 0.0f);
  if (n.input_size() > 1 && !n.input(1).empty()) {
    pads = need_const(n, 1, "the pads").v;
    if (n.input_size() > 2 && !n.input(2).empty()) {
      const Const& c = need_const(n, 2, "the constant_value");
      value = c.size() > 0 ? c.v[0] : 0.0;
    }
    if (n.input_size() > 3 && !n.input(3).empty()) fail(n, "the axes input is not supported");
  } else {
    for (auto p : attr_ints(n, "pads"))
      pads.push_back(static_cast<double>(p));
  }
  if (pads.size() != 8) fail(n, "pads", std::to_string(pads.size()) + " values", "8 (rank 4)");
  if (value != 0.0)
    fail(n, "only zero padding folds into the next layer", std::to_string(value), "0");
  if (outputs_.count(n.output(0))) {
    fail(n, "a graph output is padded", "", "a Pad read by a Conv or AveragePool");
  }
  // pads = [begin of each axis..., end of each axis...] in the tensor's axis order.
  Value out = x;
  for (int a = 0; a < 4; ++a) {
    const char axis = x.axes[static_cast<std::size_t>(a)];
    const double begin = pads[static_cast<std::size_t>(a)],
                 end = pads[static_cast<std::size_t>(a) + 4];
    if ((axis == 'N' || axis == 'C') && (begin != 0 || end != 0)) {
      fail(n, std::string("pads the ") + (axis == 'N' ? "batch" : "channel") + " axis",
           std::to_string(begin) + ", " + std::to_string(end), "0 (only rows and columns)");
    }
    if (begin < 0 || end < 0 || begin > 64 || end > 64) {
      fail(n, "pads out of range", std::to_string(begin) + ", " + std::to_string(end),
           "0..64 (a negative pad crops)");
    }
    if (axis == 'H') {
      out.pad[0] += static_cast<int>(begin);
      out.pad[2] += static_cast<int>(end);
    } else if (axis == 'W') {
      out.pad[1] += static_cast<int>(begin);
      out.pad[3] += static_cast<int>(end);
    }
  }
  acts_[n.output(0)] = out;
}

std::string Importer::transposed_axes(const onnx::NodeProto& n, const std::string& axes) const {
  std::vector<std::int64_t> perm = attr_ints(n, "perm");
  if (perm.empty())
    for (std::int64_t i = static_cast<std::int64_t>(axes.size()) - 1; i >= 0; --i)
      perm.push_back(i);
  if (perm.size() != axes.size()) fail(n, "perm does not match the rank", dims_text(perm));
  std::string moved;
  for (auto p : perm) {
    if (p < 0 || p >= static_cast<std::int64_t>(axes.size()))
      fail(n, "perm out of range", dims_text(perm));
    moved += axes[static_cast<std::size_t>(p)];
  }
  if (std::set<char>(moved.begin(), moved.end()).size() != moved.size())
    fail(n, "perm repeats an axis", dims_text(perm));
  return moved;
}
// A Transpose of an activation: its axes relabelled (the data stays; readers see the new order).
void Importer::transpose(const onnx::NodeProto& n, const Value& x) {
  const std::string axes = transposed_axes(n, x.axes);
  if (axes.size() == 2 && axes != "NF") fail(n, "transposing a flat tensor is not supported");
  if (axes.size() == 5 && axes != "NGKHW" && axes != "NKGHW") {
    fail(n, "only a channel shuffle's transpose of the grouped channels is supported",
         dims_text(attr_ints(n, "perm")), "[0, 2, 1, 3, 4]");
  }
  Value y = x;
  y.axes = axes;
  acts_[n.output(0)] = y;
}

void Importer::reshape(const onnx::NodeProto& n) {
  const std::string op = n.op_type();
  const Value x = need_act(n, 0);
  const std::vector<std::int64_t> d = dims_of(x);
  const TensorShape s = b_->shape(x.tensor);
  if (op == "Identity" || op == "Dropout" || op == "Cast") {
    if (op == "Cast" && attr_int(n, "to", onnx::TensorProto::FLOAT) != onnx::TensorProto::FLOAT) {
      fail(n, "cast of a computed tensor to a non-float type");
    }
    acts_[n.output(0)] = x;
    return;
  }
  if (op == "Transpose") {
    transpose(n, x);
    return;
  }
  // The target dimensions.
  std::vector<std::int64_t> to;
  if (op == "Flatten") {
    std::int64_t axis = attr_int(n, "axis", 1);
    if (axis < 0) axis += static_cast<std::int64_t>(d.size());
    if (axis != 1) fail(n, "Flatten keeps the batch only with axis 1", std::to_string(axis), "1");
    to = {1, s.elements()};
  } else if (op == "Reshape") {
    const Const& shape = need_const(n, 1, "the target shape");
    std::int64_t known = 1, infer = -1;
    for (std::size_t i = 0; i < shape.v.size(); ++i) {
      std::int64_t v = static_cast<std::int64_t>(shape.v[i]);
      if (v == 0 && !attr_int(n, "allowzero", 0)) {
        if (i >= d.size())
          fail(n, "0 copies a dimension the input does not have", dims_text(shape.dims));
        v = d[i];
      }
      if (v == -1) {
        if (infer >= 0) fail(n, "more than one -1 in the target shape");
        infer = static_cast<std::int64_t>(i);
      } else if (v < 1) {
        fail(n, "target dimension out of range", std::to_string(v), ">= 1, 0 or -1");
      } else {
        known *= v;
      }
      to.push_back(v);
    }
    if (infer >= 0) to[static_cast<std::size_t>(infer)] = known > 0 ? s.elements() / known : 0;
  } else {  // Squeeze / Unsqueeze: axes from the attribute (opset < 13) or the second input
    std::vector<std::int64_t> axes = attr_ints(n, "axes");
    if (n.input_size() > 1 && !n.input(1).empty()) {
      for (double v : need_const(n, 1, "the axes").v)
        axes.push_back(static_cast<std::int64_t>(v));
    }
    if (op == "Squeeze") {
      for (std::size_t i = 0; i < d.size(); ++i) {
        const bool listed =
            std::count(axes.begin(), axes.end(), static_cast<std::int64_t>(i)) ||
            std::count(axes.begin(), axes.end(),
                       static_cast<std::int64_t>(i) - static_cast<std::int64_t>(d.size()));
        if (axes.empty() ? d[i] != 1 : !listed) to.push_back(d[i]);
      }
    } else {
      to = d;
      const std::int64_t rank = static_cast<std::int64_t>(d.size() + axes.size());
      std::vector<std::int64_t> sorted;
      for (auto a : axes)
        sorted.push_back(a < 0 ? a + rank : a);
      std::sort(sorted.begin(), sorted.end());
      for (auto a : sorted) {
        if (a < 0 || a > static_cast<std::int64_t>(to.size()))
          fail(n, "axis out of range", dims_text(axes));
        to.insert(to.begin() + a, 1);
      }
    }
  }
  std::int64_t prod = 1;
  for (auto v : to)
    prod *= v;
  if (prod != s.elements()) {
    fail(n, "target shape does not hold the input's elements",
         dims_text(d) + " -> " + dims_text(to));
  }
  Value y = x;
  if (to == d) {
    // nothing changes
  } else if (to.size() == 2 && to[0] == 1 &&
             (x.axes == "NCHW" || x.axes == "NCW" || x.axes == "NF")) {
    y.axes = "NF";  // flattened in CHW order
  } else if (to.size() == 4 && to[0] == 1 && to[2] == 1 && to[3] == 1 && s.h == 1 && s.w == 1) {
    y.axes = "NCHW";  // [1, C] back to [1, C, 1, 1]
  } else if (s.c == 1 && d.size() == 4 && to.size() == 4 && to[0] == 1 &&
             ((to[1] == 1 && to[2] == s.h && to[3] == s.w) ||
              (to[3] == 1 && to[1] == s.h && to[2] == s.w))) {
    // One channel: NCHW [1, 1, H, W] and NHWC [1, H, W, 1] hold the same data in the same order.
    y.axes = to[1] == 1 ? "NCHW" : "NHWC";
  } else if (x.axes == "NCHW" && to.size() == 5 && to[0] == 1 && to[1] > 1 &&
             to[1] * to[2] == s.c && to[3] == s.h && to[4] == s.w) {
    y.axes = "NGKHW";  // a channel shuffle's first step: the channels as groups
    y.groups = static_cast<int>(to[1]);
  } else if ((x.axes == "NGKHW" || x.axes == "NKGHW") &&
             to == std::vector<std::int64_t>{1, s.c, s.h, s.w}) {
    // Back to an image: unchanged, or with the two channel axes swapped a channel shuffle.
    y = {x.tensor, "NCHW"};
    if (x.axes == "NKGHW") y.tensor = b_->shuffle(layer_name(n), x.tensor, x.groups);
  } else {
    fail(
        n, "reshape not supported", dims_text(d) + " -> " + dims_text(to),
        "a flatten to [1, features], [1, C] <-> [1, C, 1, 1], or a channel shuffle "
        "([1, C, H, W] -> [1, G, C/G, H, W], a Transpose of those two axes, back to [1, C, H, W])");
  }
  acts_[n.output(0)] = y;
}
bool Importer::fold_constants(const onnx::NodeProto& n) {
  const std::string op = n.op_type();
  if (op == "Constant" || op == "Shape") {
    consts_[n.output(0)] = op == "Constant" ? constant_node(n) : shape_node(n);
    return true;
  }
  for (const auto& in : n.input()) {
    if (!in.empty() && !const_of(in)) return false;
  }
  const Const& x = need_const(n, 0, "a constant");
  Const y = x;
  if (op == "Cast" || op == "Identity" || op == "Dropout") {
    if (op == "Cast") {
      const auto to = attr_int(n, "to", onnx::TensorProto::FLOAT);
      if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32) {
        for (auto& v : y.v)
          v = std::trunc(v);
      }
    }
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" || op == "Flatten") {
    y = reshaped_const(n, x);
  } else if (op == "Concat") {
    y = Const{{0}, {}};
    for (int i = 0; i < n.input_size(); ++i) {
      const Const& c = need_const(n, i, "a constant");
      if (c.dims.size() > 1) fail(n, "Concat of multi-dimensional constants is not supported");
      y.v.insert(y.v.end(), c.v.begin(), c.v.end());
    }
    y.dims = {y.size()};
  } else if (op == "Gather" || op == "Slice") {
    y = gathered_const(n, x);
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    const Const& bc = need_const(n, 1, "a constant");
    if (x.size() != bc.size() && x.size() != 1 && bc.size() != 1) {
      fail(n, "constant operands do not broadcast", dims_text(x.dims) + ", " + dims_text(bc.dims));
    }
    y = x.size() >= bc.size() ? x : bc;
    for (std::size_t i = 0; i < y.v.size(); ++i) {
      const double p = x.v[x.size() == 1 ? 0 : i], q = bc.v[bc.size() == 1 ? 0 : i];
      y.v[i] = op == "Add"   ? p + q
               : op == "Sub" ? p - q
               : op == "Mul" ? p * q
                             : (q != 0 ? p / q : 0);
    }
  } else {
    return false;  // an op on constants that runs as a layer (none today): not folded
  }
  consts_[n.output(0)] = std::move(y);
  return true;
}

Const Importer::constant_node(const onnx::NodeProto& n) const {
  Const c;
  if (const auto* a = attr(n, "value")) {
    c = tensor_const(a->t(), where(n));
  } else if (const auto* af = attr(n, "value_float")) {
    c = Const{{}, {af->f()}};
  } else if (const auto* afs = attr(n, "value_floats")) {
    c = Const{{afs->floats_size()}, {afs->floats().begin(), afs->floats().end()}};
  } else if (const auto* ai = attr(n, "value_int")) {
    c = Const{{}, {static_cast<double>(ai->i())}};
  } else if (const auto* ais = attr(n, "value_ints")) {
    c = Const{{ais->ints_size()}, {}};
    for (auto v : ais->ints())
      c.v.push_back(static_cast<double>(v));
  } else {
    fail(n, "Constant without a value", "", "value, value_float(s) or value_int(s)");
  }
  return c;
}

// Shape: the activation's dimensions in ONNX order, [start, end).
Const Importer::shape_node(const onnx::NodeProto& n) const {
  const auto d = dims_of(need_act(n, 0));
  std::int64_t r = static_cast<std::int64_t>(d.size());
  std::int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<std::int64_t>(start, 0, r);
  end = std::clamp<std::int64_t>(end, start, r);
  Const c{{end - start}, {}};
  for (std::int64_t i = start; i < end; ++i)
    c.v.push_back(static_cast<double>(d[i]));
  return c;
}

// Reshape, Flatten, Squeeze, Unsqueeze of a constant: only the dimensions change;
// shape-computing graphs use these on short vectors.
Const Importer::reshaped_const(const onnx::NodeProto& n, const Const& x) const {
  const std::string op = n.op_type();
  Const y = x;
  if (op == "Reshape") {
    const Const& to = need_const(n, 1, "the target shape");
    y.dims.clear();
    std::int64_t known = 1, infer = -1;
    for (std::size_t i = 0; i < to.v.size(); ++i) {
      std::int64_t v = static_cast<std::int64_t>(to.v[i]);
      if (v == 0) v = i < x.dims.size() ? x.dims[i] : 1;
      if (v == -1)
        infer = static_cast<std::int64_t>(i);
      else
        known *= v;
      y.dims.push_back(v);
    }
    if (infer >= 0) y.dims[static_cast<std::size_t>(infer)] = known ? x.size() / known : 0;
  } else if (op == "Flatten") {
    y.dims = {1, x.size()};
  } else {
    std::vector<std::int64_t> axes = attr_ints(n, "axes");
    if (n.input_size() > 1)
      for (double v : need_const(n, 1, "the axes").v)
        axes.push_back(static_cast<std::int64_t>(v));
    if (op == "Unsqueeze") {
      const std::int64_t rank = static_cast<std::int64_t>(y.dims.size() + axes.size());
      for (auto& a : axes)
        a = a < 0 ? a + rank : a;
      std::sort(axes.begin(), axes.end());
      for (auto a : axes) {
        if (a < 0 || a > static_cast<std::int64_t>(y.dims.size())) fail(n, "axis out of range");
        y.dims.insert(y.dims.begin() + a, 1);
      }
    } else {
      std::vector<std::int64_t> keep;
      for (std::size_t i = 0; i < x.dims.size(); ++i) {
        const bool listed =
            axes.empty() ? x.dims[i] == 1
                         : std::count(axes.begin(), axes.end(), static_cast<std::int64_t>(i)) > 0;
        if (!listed) keep.push_back(x.dims[i]);
      }
      y.dims = keep;
    }
  }
  std::int64_t prod = 1;
  for (auto d : y.dims)
    prod *= d;
  if (prod != x.size())
    fail(n, "constant reshape does not hold the elements",
         dims_text(x.dims) + " -> " + dims_text(y.dims));
  return y;
}

void Importer::slice(const onnx::NodeProto& n) {
  const Value x = need_act(n, 0);
  if (x.axes != "NCHW" || x.padded() || x.groups != 1) {
    fail(n, "input layout " + x.axes + " is not supported", "", "NCHW");
  }
  // starts, ends, axes, steps: inputs 1-4 (opset 10+) or attributes (before).
  auto list = [&](int input, const char* name) {
    std::vector<std::int64_t> v;
    if (n.input_size() > 1) {
      if (input < n.input_size() && !n.input(input).empty()) {
        for (double d : need_const(n, input, name).v)
          v.push_back(static_cast<std::int64_t>(std::clamp(d, -9.0e18, 9.0e18)));
      }
    } else {
      v = attr_ints(n, name);
    }
    return v;
  };
  const std::vector<std::int64_t> starts = list(1, "starts"), ends = list(2, "ends"),
                                  steps = list(4, "steps");
  std::vector<std::int64_t> axes = list(3, "axes");
  if (axes.empty())
    for (std::size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<std::int64_t>(i));
  if (starts.size() != ends.size() || axes.size() != starts.size() ||
      (!steps.empty() && steps.size() != starts.size())) {
    fail(n, "starts, ends, axes and steps differ in length");
  }
  const std::vector<std::int64_t> dims = dims_of(x);
  std::int64_t c0 = 0, c1 = dims[1];
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const std::int64_t axis = axes[i] < 0 ? axes[i] + 4 : axes[i];
    if (axis < 0 || axis > 3) fail(n, "axis out of range", std::to_string(axes[i]), "0..3");
    const std::int64_t len = dims[static_cast<std::size_t>(axis)];
    std::int64_t start = starts[i] < 0 ? starts[i] + len : starts[i];
    std::int64_t end = ends[i] < 0 ? ends[i] + len : ends[i];
    start = std::clamp<std::int64_t>(start, 0, len);
    end = std::clamp<std::int64_t>(end, 0, len);
    if (!steps.empty() && steps[i] != 1) {
      fail(n, "Slice steps other than 1 are not supported", std::to_string(steps[i]), "1");
    }
    if (start == 0 && end == len) continue;  // the whole axis
    if (axis != 1) {
      fail(n, "only a slice of the channels is supported",
           "axis " + std::to_string(axes[i]) + " [" + std::to_string(start) + ", " +
               std::to_string(end) + ")",
           "axis 1");
    }
    c0 = start;
    c1 = end;
  }
  if (c1 <= c0)
    fail(n, "the slice is empty", "[" + std::to_string(c0) + ", " + std::to_string(c1) + ")");
  acts_[n.output(0)] = c0 == 0 && c1 == dims[1]
                           ? x
                           : Value{b_->slice(layer_name(n), x.tensor, static_cast<int>(c0),
                                             static_cast<int>(c1 - c0)),
                                   x.axes};
}

void Importer::split(const onnx::NodeProto& n) {
  const Value x = need_act(n, 0);
  if (x.axes != "NCHW" || x.padded() || x.groups != 1) {
    fail(n, "input layout " + x.axes + " is not supported", "", "NCHW");
  }
  std::int64_t axis = attr_int(n, "axis", 0);
  if (axis < 0) axis += 4;
  if (axis != 1) fail(n, "only a split of the channels is supported", std::to_string(axis), "1");
  const std::int64_t c = b_->shape(x.tensor).c;
  // Sizes: input 1 (opset 13+), the `split` attribute (before), or equal parts.
  std::vector<std::int64_t> sizes;
  if (n.input_size() > 1 && !n.input(1).empty()) {
    for (double d : need_const(n, 1, "the split sizes").v)
      sizes.push_back(static_cast<std::int64_t>(d));
  } else {
    sizes = attr_ints(n, "split");
  }
  if (sizes.empty()) {
    if (c % n.output_size() != 0) {
      fail(n, "channels do not split into equal parts", std::to_string(c),
           "a multiple of " + std::to_string(n.output_size()));
    }
    sizes.assign(static_cast<std::size_t>(n.output_size()), c / n.output_size());
  }
  std::int64_t total = 0;
  for (auto v : sizes)
    total += v;
  if (static_cast<int>(sizes.size()) != n.output_size() || total != c ||
      std::any_of(sizes.begin(), sizes.end(), [](std::int64_t v) { return v < 1; })) {
    fail(n, "split sizes do not add up to the channels", dims_text(sizes),
         std::to_string(n.output_size()) + " positive sizes adding up to " + std::to_string(c));
  }
  std::int64_t c0 = 0;
  const std::string base = layer_name(n);
  for (int i = 0; i < n.output_size(); ++i) {
    const std::string name = i == 0 ? base : unique_name(base + "_" + std::to_string(i));
    acts_[n.output(i)] = {b_->slice(name, x.tensor, static_cast<int>(c0),
                                    static_cast<int>(sizes[static_cast<std::size_t>(i)])),
                          x.axes};
    c0 += sizes[static_cast<std::size_t>(i)];
  }
}

// Gather or Slice of a 1-D constant (a shape vector).
Const Importer::gathered_const(const onnx::NodeProto& n, const Const& x) const {
  const std::string op = n.op_type();
  Const y = x;
  if (x.dims.size() > 1)
    fail(n, op + " of a multi-dimensional constant is not supported", dims_text(x.dims),
         "a 1-D shape vector");
  const std::int64_t len = x.size();
  y.v.clear();
  if (op == "Gather") {
    const Const& idx = need_const(n, 1, "the indices");
    for (double v : idx.v) {
      std::int64_t i = static_cast<std::int64_t>(v);
      if (i < 0) i += len;
      if (i < 0 || i >= len) fail(n, "index out of range", std::to_string(i));
      y.v.push_back(x.v[static_cast<std::size_t>(i)]);
    }
    y.dims = idx.dims;
  } else {
    std::int64_t start = 0, end = len, step = 1;
    auto pick = [&](int input, const char* name, std::int64_t& out) {
      if (input < n.input_size() && !n.input(input).empty()) {
        const Const& c = need_const(n, input, name);
        if (c.size() != 1) fail(n, std::string(name) + " of a 1-D slice must be one value");
        out = static_cast<std::int64_t>(std::clamp(c.v[0], -9.0e18, 9.0e18));
      } else if (const auto* a = attr(n, name); a && a->ints_size() == 1) {
        out = a->ints(0);
      }
    };
    pick(1, "starts", start);
    pick(2, "ends", end);
    pick(4, "steps", step);
    if (step != 1) fail(n, "Slice steps other than 1 are not supported");
    if (start < 0) start += len;
    if (end < 0) end += len;
    start = std::clamp<std::int64_t>(start, 0, len);
    end = std::clamp<std::int64_t>(end, start, len);
    for (std::int64_t i = start; i < end; ++i)
      y.v.push_back(x.v[static_cast<std::size_t>(i)]);
    y.dims = {end - start};
  }
  return y;
}

}  // namespace conloc::onnx_detail
