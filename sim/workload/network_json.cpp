#include "sim/workload/network_json.h"

#include <array>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "modules/base/error.h"
#include "modules/layers/layer_kind.h"
#include "modules/layers/network_builder.h"
#include "sim/common/file_io.h"
#include "sim/config/param_registry.h"

namespace conloc {

namespace {

struct Ctx {
  const std::string& file;
  std::string path;

  [[noreturn]] void fail(const std::string& field, const std::string& problem,
                         const nlohmann::json& got, const std::string& expected) const {
    throw_field_error(file, path + (field.empty() ? "" : "." + field), problem,
                      got.is_null() ? "" : json_brief(got), expected);
  }
  int get_int(const nlohmann::json& o, const std::string& key, int def, int lo, int hi) const {
    if (!o.contains(key)) return def;
    const auto& v = o[key];
    if (!v.is_number_integer()) fail(key, "wrong type", v, "an integer");
    const auto n = v.get<std::int64_t>();
    if (n < lo || n > hi) {
      fail(key, "out of range", v,
           "integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return static_cast<int>(n);
  }
  int require_int(const nlohmann::json& o, const std::string& key, int lo, int hi) const {
    if (!o.contains(key)) fail(key, "missing required field", nullptr, "an integer");
    return get_int(o, key, 0, lo, hi);
  }
};

Activation parse_act(const Ctx& c, const nlohmann::json& o, bool lookup) {
  if (!o.contains("act")) return Activation::None;
  const auto& v = o["act"];
  for (Activation a :
       {Activation::None, Activation::Relu, Activation::Relu6, Activation::HardSwish,
        Activation::HardSigmoid, Activation::Sigmoid, Activation::LeakyRelu, Activation::Gelu}) {
    if (v == to_string(a) && (lookup || is_clamp(a))) return a;
  }
  c.fail("act", "not an allowed value", v,
         lookup ? "one of relu, relu6, hardswish, hardsigmoid, sigmoid, leakyrelu, gelu"
                : "one of none, relu, relu6 (other functions: an \"act\" layer)");
}

// `key`: one integer for all of out[0..n), or a list of n; each in [lo, hi]. Absent: unchanged.
void read_ints(const Ctx& c, const nlohmann::json& o, const char* key, int n, int lo, int hi,
               int* const out[]) {
  if (!o.contains(key)) return;
  const auto& v = o[key];
  if (!v.is_array()) {
    const int x = c.get_int(o, key, 0, lo, hi);
    for (int i = 0; i < n; ++i)
      *out[i] = x;
    return;
  }
  if (static_cast<int>(v.size()) != n) {
    c.fail(key, "wrong number of values", v, std::to_string(n) + " integers");
  }
  for (int i = 0; i < n; ++i) {
    const auto& e = v[i];
    if (!e.is_number_integer() || e.get<std::int64_t>() < lo || e.get<std::int64_t>() > hi) {
      c.fail(std::string(key) + "[" + std::to_string(i) + "]", "out of range", e,
             "integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    *out[i] = e.get<int>();
  }
}

// A window's "stride" (S or [SH, SW]), "pad" (P or [top, left, bottom, right]) and, for a conv,
// "dilation" (D or [DH, DW]) around a kernel of kh x kw.
Window parse_window(const Ctx& c, const nlohmann::json& o, int kh, int kw) {
  Window w{kh, kw, 1, 1, 0, 0, 0, 0};
  read_ints(c, o, "stride", 2, 1, 64, std::array<int*, 2>{&w.stride_h, &w.stride_w}.data());
  read_ints(c, o, "pad", 4, 0, 255,
            std::array<int*, 4>{&w.pad_t, &w.pad_l, &w.pad_b, &w.pad_r}.data());
  read_ints(c, o, "dilation", 2, 1, 64, std::array<int*, 2>{&w.dil_h, &w.dil_w}.data());
  return w;
}

// "dataset": {"name": "fashion-mnist", "mean": m, "std": s, "float_top1": a}; mean and std are
// required (the tool normalises the dataset's pixels itself), float_top1 is optional.
DatasetRef parse_dataset_ref(const std::string& file, const nlohmann::json& d) {
  if (!d.is_object()) throw_field_error(file, "dataset", "wrong type", json_brief(d), "an object");
  DatasetRef r;
  for (auto it = d.begin(); it != d.end(); ++it) {
    if (it.key() != "name" && it.key() != "mean" && it.key() != "std" && it.key() != "float_top1") {
      throw_field_error(file, "dataset." + it.key(), "unknown key", "\"" + it.key() + "\"",
                        "one of name, mean, std, float_top1");
    }
  }
  if (!d.contains("name") || !d["name"].is_string()) {
    throw_field_error(file, "dataset.name", "missing or not a string",
                      d.contains("name") ? json_brief(d["name"]) : "", "a dataset name");
  }
  r.name = d["name"].get<std::string>();
  auto number = [&](const char* key, bool required, double lo, double hi, double& out) {
    if (!d.contains(key)) {
      if (required)
        throw_field_error(file, std::string("dataset.") + key, "missing", "", "a number");
      return;
    }
    const auto& v = d[key];
    if (!v.is_number() || !(v.get<double>() >= lo && v.get<double>() <= hi)) {
      throw_field_error(file, std::string("dataset.") + key, "out of range", json_brief(v),
                        "a number in [" + json_brief(lo) + ", " + json_brief(hi) + "]");
    }
    out = v.get<double>();
  };
  number("mean", true, -1e3, 1e3, r.mean);
  number("std", true, 1e-6, 1e3, r.std);
  number("float_top1", false, 0.0, 1.0, r.float_top1);
  return r;
}

// The network's input shape, "input": [H, W, C].
TensorShape read_input(const std::string& path, const nlohmann::json& doc) {
  if (!doc.contains("input") || !doc["input"].is_array() || doc["input"].size() != 3) {
    throw_field_error(path, "input", "missing or malformed input shape",
                      doc.contains("input") ? json_brief(doc["input"]) : "", "[H, W, C]");
  }
  TensorShape in;
  int* dims[3] = {&in.h, &in.w, &in.c};
  for (int i = 0; i < 3; ++i) {
    const auto& v = doc["input"][i];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > 65536) {
      throw_field_error(path, "input[" + std::to_string(i) + "]", "out of range", json_brief(v),
                        "integer in [1, 65536]");
    }
    *dims[i] = v.get<int>();
  }
  return in;
}

// Keys a layer type does not use are errors, not silently ignored. A parameter-free kind
// (LayerKind::arity > 0) takes "input" (one) or "inputs" (two) only.
void check_layer_keys(const Ctx& c, const nlohmann::json& o, const std::string& type,
                      const LayerKind* kind) {
  static const std::set<std::string> kOneInput = {"input"}, kTwoInputs = {"inputs"};
  static const std::map<std::string, std::set<std::string>> kUses = {
      {"conv",
       {"kernel", "kernel_h", "kernel_w", "stride", "pad", "dilation", "groups", "act", "input",
        "out_channels"}},
      {"fc", {"act", "input", "out_channels"}},
      {"maxpool", {"kernel", "kernel_h", "kernel_w", "stride", "pad", "input"}},
      {"avgpool", {"kernel", "kernel_h", "kernel_w", "stride", "pad", "input"}},
      {"gap", {"input"}},
      {"add", {"inputs", "act"}},
      {"mul", {"inputs"}},
      {"relu", {"input", "act"}},
      {"act", {"input", "act", "alpha", "beta", "gain", "offset"}},
      {"concat", {"inputs"}},
      {"upsample", {"input", "scale"}},
      {"depth_to_space", {"input", "scale"}},
      {"shuffle", {"input", "groups"}},
      {"layernorm", {"input", "eps"}},
      {"slice", {"input", "channel_start", "out_channels"}},
      {"bilinear", {"input", "size", "align_corners"}}};
  const auto u = kUses.find(type);
  const std::set<std::string>* uses = u != kUses.end()           ? &u->second
                                      : kind && kind->arity == 1 ? &kOneInput
                                      : kind && kind->arity == 2 ? &kTwoInputs
                                                                 : nullptr;
  if (uses) {
    for (auto it = o.begin(); it != o.end(); ++it) {
      if (it.key() != "name" && it.key() != "type" && !uses->count(it.key())) {
        c.fail(it.key(), "not used by a " + type + " layer", it.key(),
               "only name, type and what a " + type + " layer takes");
      }
    }
  }
}

// Adds layer `o` (named `lname`, of `type`) to `b`; returns its output tensor. `prev`: the tensor
// of the layer before, the input of a layer that names none.
int add_layer(const Ctx& c, const nlohmann::json& o, const std::string& lname,
              const std::string& type, const LayerKind* kind, NetworkBuilder& b,
              std::map<std::string, int>& tensor_of, int prev) {
  auto resolve = [&](const nlohmann::json& v, const std::string& field) {
    if (!v.is_string() || !tensor_of.count(v.get<std::string>())) {
      c.fail(field, "unknown input", v, "\"input\" or the name of an earlier layer");
    }
    return tensor_of[v.get<std::string>()];
  };
  const int x = o.contains("input") ? resolve(o["input"], "input") : prev;
  const int k = c.get_int(o, "kernel", 1, 1, 64);
  const Window win =
      parse_window(c, o, c.get_int(o, "kernel_h", k, 1, 64), c.get_int(o, "kernel_w", k, 1, 64));
  const Activation act = parse_act(c, o, type == "act");
  auto two_inputs = [&]() -> std::pair<int, int> {
    if (!o.contains("inputs") || !o["inputs"].is_array() || o["inputs"].size() != 2) {
      c.fail("inputs", type + " needs two inputs", o.value("inputs", nlohmann::json()),
             "[\"<layer>\", \"<layer>\"]");
    }
    return {resolve(o["inputs"][0], "inputs[0]"), resolve(o["inputs"][1], "inputs[1]")};
  };
  auto number = [&](const char* key, double def = 0.0) {
    if (!o.contains(key)) return def;
    if (!o[key].is_number()) c.fail(key, "wrong type", o[key], "a number");
    return o[key].get<double>();
  };
  int out = -1;
  if (type == "conv") {
    const int oc = c.require_int(o, "out_channels", 1, 1 << 16);
    out = b.conv_window(lname, x, oc, win, act, c.get_int(o, "groups", 1, 1, 1 << 16));
  } else if (type == "fc") {
    out = b.fc(lname, x, c.require_int(o, "out_channels", 1, 1 << 20), act);
  } else if (type == "maxpool") {
    out = b.pool(lname, LayerType::MaxPool, x, win);
  } else if (type == "avgpool") {
    out = b.pool(lname, LayerType::AvgPool, x, win);
  } else if (type == "gap") {
    out = b.global_avg_pool(lname, x);
  } else if (type == "add") {
    const auto [a, bb] = two_inputs();
    out = b.add(lname, a, bb, act);
  } else if (type == "mul") {
    const auto [a, bb] = two_inputs();
    out = b.mul(lname, a, bb);
  } else if (type == "relu") {
    out = b.relu(lname, x, act == Activation::None ? Activation::Relu : act);
  } else if (type == "act") {
    if (act == Activation::None) {
      c.fail("act", "missing", nullptr,
             "one of relu, relu6, hardswish, hardsigmoid, sigmoid, leakyrelu");
    }
    out = b.act(lname, x, act, number("alpha"), number("beta"), number("gain", 1.0),
                number("offset"));
  } else if (type == "concat") {
    if (!o.contains("inputs") || !o["inputs"].is_array() || o["inputs"].size() < 2) {
      c.fail("inputs", "concat needs two or more inputs", o.value("inputs", nlohmann::json()),
             "[\"<layer>\", \"<layer>\", ...]");
    }
    std::vector<int> ins;
    for (std::size_t k = 0; k < o["inputs"].size(); ++k)
      ins.push_back(resolve(o["inputs"][k], "inputs[" + std::to_string(k) + "]"));
    out = b.concat(lname, ins);
  } else if (type == "upsample" || type == "depth_to_space") {
    // "scale": S or [SH, SW] (upsampling factor, or the depth-to-space block).
    int sh = 1, sw = 1;
    read_ints(c, o, "scale", 2, 1, 64, std::array<int*, 2>{&sh, &sw}.data());
    out = type == "upsample" ? b.upsample(lname, x, sh, sw) : b.depth_to_space(lname, x, sh, sw);
  } else if (type == "layernorm") {
    out = b.layer_norm(lname, x, number("eps", 1e-5));
  } else if (type == "shuffle") {
    out = b.shuffle(lname, x, c.require_int(o, "groups", 2, 1 << 16));
  } else if (type == "bilinear") {
    // "size": S or [H, W], the output's; "align_corners": false (half-pixel centres) or true.
    if (!o.contains("size")) c.fail("size", "missing required field", nullptr, "[H, W]");
    int h = 1, w = 1;
    read_ints(c, o, "size", 2, 1, 1 << 14, std::array<int*, 2>{&h, &w}.data());
    bool align = false;
    if (o.contains("align_corners")) {
      if (!o["align_corners"].is_boolean()) {
        c.fail("align_corners", "wrong type", o["align_corners"], "true or false");
      }
      align = o["align_corners"].get<bool>();
    }
    out = b.bilinear(lname, x, h, w, align);
  } else if (type == "slice") {
    const int c0 = c.require_int(o, "channel_start", 0, 1 << 16);
    out = b.slice(lname, x, c0, c.require_int(o, "out_channels", 1, 1 << 16));
  } else if (kind && kind->arity == 1) {
    out = b.elementwise(lname, kind->type, {x});
  } else if (kind && kind->arity == 2) {
    const auto [a, bb] = two_inputs();
    out = b.elementwise(lname, kind->type, {a, bb});
  } else {
    c.fail("type", "unknown layer type", o["type"], "one of " + layer_kind_names());
  }
  return out;
}

}  // namespace

NetworkFile load_network_file(const std::string& path) {
  const nlohmann::json doc = parse_json_text(read_text_file(path), path);
  Ctx root{path, ""};
  if (!doc.is_object()) root.fail("", "top level is not a JSON object", doc, "an object");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    static const std::set<std::string> kTop = {"name",    "description", "input",  "layers",
                                               "weights", "images",      "labels", "dataset"};
    if (!kTop.count(it.key())) {
      throw_field_error(path, it.key(), "unknown key", "\"" + it.key() + "\"",
                        "one of name, description, input, layers, weights, images, labels, "
                        "dataset");
    }
  }
  const std::string name = doc.contains("name") && doc["name"].is_string()
                               ? doc["name"].get<std::string>()
                               : std::string("network");
  NetworkBuilder b(name, read_input(path, doc), path);
  if (!doc.contains("layers") || !doc["layers"].is_array() || doc["layers"].empty()) {
    throw_field_error(path, "layers", "missing or empty", "", "a non-empty array of layers");
  }
  std::map<std::string, int> tensor_of{{"input", 0}};
  int prev = 0;
  static const std::set<std::string> kKeys = {
      "name",          "type",     "input",         "inputs", "out_channels", "kernel",
      "kernel_h",      "kernel_w", "stride",        "pad",    "dilation",     "groups",
      "act",           "alpha",    "beta",          "scale",  "gain",         "offset",
      "channel_start", "size",     "align_corners", "eps"};
  for (std::size_t i = 0; i < doc["layers"].size(); ++i) {
    const auto& o = doc["layers"][i];
    Ctx c{path, "layers[" + std::to_string(i) + "]"};
    if (!o.is_object()) c.fail("", "wrong type", o, "an object");
    for (auto it = o.begin(); it != o.end(); ++it) {
      if (!kKeys.count(it.key())) {
        c.fail(it.key(), "unknown key", it.key(),
               "one of name, type, input, inputs, out_channels, kernel, kernel_h, kernel_w, "
               "stride, pad, dilation, groups, act, alpha, beta, scale, gain, offset, "
               "channel_start, size, align_corners, eps");
      }
    }
    if (!o.contains("name") || !o["name"].is_string()) {
      c.fail("name", "missing or not a string", o.value("name", nlohmann::json()), "a layer name");
    }
    const std::string lname = o["name"].get<std::string>();
    if (!o.contains("type") || !o["type"].is_string()) {
      c.fail("type", "missing or not a string", o.value("type", nlohmann::json()),
             "one of " + layer_kind_names());
    }
    const std::string type = o["type"].get<std::string>();
    const LayerKind* kind = find_layer_kind(type);
    check_layer_keys(c, o, type, kind);
    const int out = add_layer(c, o, lname, type, kind, b, tensor_of, prev);
    tensor_of[lname] = out;
    prev = out;
  }
  NetworkFile f;
  f.net = b.build();
  const auto base = std::filesystem::path(path).parent_path();
  auto file_field = [&](const char* key, bool dir) {
    if (!doc.contains(key)) return std::string();
    if (!doc[key].is_string() || doc[key].get<std::string>().empty()) {
      throw_field_error(path, key, "wrong type", json_brief(doc[key]),
                        "a path relative to the file");
    }
    const std::string p = (base / doc[key].get<std::string>()).string();
    if (dir ? !std::filesystem::is_directory(p) : !std::filesystem::is_regular_file(p)) {
      throw_field_error(path, key, dir ? "folder not found" : "file not found", "\"" + p + "\"",
                        dir ? "an existing folder of .npy files" : "an existing .npy file");
    }
    return p;
  };
  f.weights_dir = file_field("weights", true);
  f.images = file_field("images", false);
  f.labels = file_field("labels", false);
  if (doc.contains("dataset")) f.dataset = parse_dataset_ref(path, doc["dataset"]);
  return f;
}

}  // namespace conloc
