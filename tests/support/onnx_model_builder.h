#pragma once

// Small ONNX models built in a test: an input, initializers, nodes with attributes, outputs, saved
// to a file the importer reads.
#include <cstdint>
#include <fstream>
#include <onnx/onnx_pb.h>
#include <random>
#include <string>
#include <vector>

namespace conloc::test_support {

struct ModelBuilder {
  onnx::ModelProto m;
  onnx::GraphProto* g;
  std::mt19937 rng{5};

  explicit ModelBuilder(std::vector<std::int64_t> input_dims, int opset = 13) {
    m.set_ir_version(7);
    auto* o = m.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    g = m.mutable_graph();
    g->set_name("test");
    auto* in = g->add_input();
    in->set_name("x");
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : input_dims) {
      auto* dim = tt->mutable_shape()->add_dim();
      if (d > 0) {
        dim->set_dim_value(d);
      } else {
        dim->set_dim_param("dyn");
      }
    }
  }
  // A float initializer of random values (uniform in [lo, hi]).
  std::string init(const std::string& name, std::vector<std::int64_t> dims, float lo = -0.5f,
                   float hi = 0.5f) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    std::int64_t n = 1;
    for (auto d : dims) {
      t->add_dims(d);
      n *= d;
    }
    std::uniform_real_distribution<float> u(lo, hi);
    for (std::int64_t i = 0; i < n; ++i)
      t->add_float_data(u(rng));
    return name;
  }
  std::string scalar(const std::string& name, float v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_float_data(v);
    return name;
  }
  std::string ints(const std::string& name, std::vector<std::int64_t> v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<std::int64_t>(v.size()));
    for (auto x : v)
      t->add_int64_data(x);
    return name;
  }
  // A 1-D float initializer of the given values (Resize's scales).
  std::string floats(const std::string& name, std::vector<float> v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(static_cast<std::int64_t>(v.size()));
    for (auto x : v)
      t->add_float_data(x);
    return name;
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> in,
                        const std::string& out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(out);
    for (auto& i : in)
      n->add_input(i);
    n->add_output(out);
    return n;
  }
  static void ints_attr(onnx::NodeProto* n, const std::string& name, std::vector<std::int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v)
      a->add_ints(x);
  }
  static void int_attr(onnx::NodeProto* n, const std::string& name, std::int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void float_attr(onnx::NodeProto* n, const std::string& name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void string_attr(onnx::NodeProto* n, const std::string& name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  void output(const std::string& name) { g->add_output()->set_name(name); }
  std::string save(const std::string& dir, const std::string& file) const {
    const std::string path = dir + "/" + file;
    std::ofstream f(path, std::ios::binary);
    m.SerializeToOstream(&f);
    return path;
  }
};

}  // namespace conloc::test_support
