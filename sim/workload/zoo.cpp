#include "sim/workload/zoo.h"

#include <functional>
#include <map>

#include "modules/base/error.h"
#include "modules/layers/network_builder.h"
#include "sim/config/param_registry.h"

namespace conloc {

namespace {

using A = Activation;

// torchvision BasicBlock: conv3x3-relu, conv3x3, (+ 1x1 downsample), add, relu.
int basic_block(NetworkBuilder& b, const std::string& p, int x, int planes, int stride) {
  const int c1 = b.conv(p + ".conv1", x, planes, 3, stride, 1, A::Relu);
  const int c2 = b.conv(p + ".conv2", c1, planes, 3, 1, 1, A::None);
  int shortcut = x;
  if (stride != 1 || b.shape(x).c != planes) {
    shortcut = b.conv(p + ".downsample.0", x, planes, 1, stride, 0, A::None);
  }
  return b.add(p + ".add", c2, shortcut, A::Relu);
}

// torchvision Bottleneck (v1.5: stride on the 3x3): 1x1-relu, 3x3-relu, 1x1, (+ downsample), add.
int bottleneck(NetworkBuilder& b, const std::string& p, int x, int planes, int stride) {
  const int c1 = b.conv(p + ".conv1", x, planes, 1, 1, 0, A::Relu);
  const int c2 = b.conv(p + ".conv2", c1, planes, 3, stride, 1, A::Relu);
  const int c3 = b.conv(p + ".conv3", c2, planes * 4, 1, 1, 0, A::None);
  int shortcut = x;
  if (stride != 1 || b.shape(x).c != planes * 4) {
    shortcut = b.conv(p + ".downsample.0", x, planes * 4, 1, stride, 0, A::None);
  }
  return b.add(p + ".add", c3, shortcut, A::Relu);
}

Network resnet(const std::string& name, bool use_bottleneck, const std::vector<int>& blocks) {
  NetworkBuilder b(name, {224, 224, 3}, "zoo:" + name);
  int x = b.conv("conv1", b.input(), 64, 7, 2, 3, A::Relu);
  x = b.max_pool("maxpool", x, 3, 2, 1);
  const int planes[4] = {64, 128, 256, 512};
  for (int s = 0; s < 4; ++s) {
    for (int i = 0; i < blocks[s]; ++i) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(i);
      const int stride = (i == 0 && s > 0) ? 2 : 1;
      x = use_bottleneck ? bottleneck(b, p, x, planes[s], stride)
                         : basic_block(b, p, x, planes[s], stride);
    }
  }
  x = b.global_avg_pool("avgpool", x);
  b.fc("fc", x, 1000);
  return b.build();
}

// A small CNN for smoke tests and quick looks: every layer type once, 32x32x3 input.
Network tiny_cnn() {
  NetworkBuilder b("tinycnn", {32, 32, 3}, "zoo:tinycnn");
  int x = b.conv("conv1", b.input(), 16, 3, 1, 1, A::Relu);
  x = b.max_pool("pool1", x, 2, 2, 0);
  const int y = b.conv("conv2", x, 16, 3, 1, 1, A::None);
  x = b.add("add1", y, x, A::Relu);
  x = b.conv("dw3", x, 16, 3, 2, 1, A::Relu6, 16);
  x = b.conv("pw3", x, 32, 1, 1, 0, A::Relu);
  x = b.avg_pool("pool3", x, 2, 2, 0);
  x = b.global_avg_pool("gap", x);
  b.fc("fc", x, 10);
  return b.build();
}

// LeNet-5 (LeCun et al. 1998) on its 32 x 32 input: C1 5x5x6, S2, C3 5x5x16 (every C3 map sees all
// six S2 maps, not the paper's partial table), S4, C5 as a 5x5 convolution to 120, F6 84,
// output 10. ReLU instead of the paper's scaled tanh; average pooling for the subsampling layers.
Network lenet5() {
  NetworkBuilder b("lenet5", {32, 32, 1}, "zoo:lenet5");
  int x = b.conv("c1", b.input(), 6, 5, 1, 0, A::Relu);
  x = b.avg_pool("s2", x, 2, 2, 0);
  x = b.conv("c3", x, 16, 5, 1, 0, A::Relu);
  x = b.avg_pool("s4", x, 2, 2, 0);
  x = b.conv("c5", x, 120, 5, 1, 0, A::Relu);
  x = b.fc("f6", x, 84, A::Relu);
  b.fc("output", x, 10);
  return b.build();
}

// torchvision AlexNet (224 x 224; its adaptive 6 x 6 pooling is the identity here).
Network alexnet() {
  NetworkBuilder b("alexnet", {224, 224, 3}, "zoo:alexnet");
  int x = b.conv("features.0", b.input(), 64, 11, 4, 2, A::Relu);
  x = b.max_pool("features.2", x, 3, 2, 0);
  x = b.conv("features.3", x, 192, 5, 1, 2, A::Relu);
  x = b.max_pool("features.5", x, 3, 2, 0);
  x = b.conv("features.6", x, 384, 3, 1, 1, A::Relu);
  x = b.conv("features.8", x, 256, 3, 1, 1, A::Relu);
  x = b.conv("features.10", x, 256, 3, 1, 1, A::Relu);
  x = b.max_pool("features.12", x, 3, 2, 0);
  x = b.fc("classifier.1", x, 4096, A::Relu);
  x = b.fc("classifier.4", x, 4096, A::Relu);
  b.fc("classifier.6", x, 1000);
  return b.build();
}

// torchvision VGG-16 (configuration D, no batch norm).
Network vgg16() {
  NetworkBuilder b("vgg16", {224, 224, 3}, "zoo:vgg16");
  const int cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
  int x = b.input();
  int i = 0;
  for (int c : cfg) {
    const std::string n = "features." + std::to_string(i);
    if (c == 0) {
      x = b.max_pool(n, x, 2, 2, 0);
      i += 1;
    } else {
      x = b.conv(n, x, c, 3, 1, 1, A::Relu);
      i += 2;
    }
  }
  x = b.fc("classifier.0", x, 4096, A::Relu);
  x = b.fc("classifier.3", x, 4096, A::Relu);
  b.fc("classifier.6", x, 1000);
  return b.build();
}

// MobileNet-V1 as in its paper (Howard et al. 2017, Table 1), width 1.0, 224 x 224: a 3x3
// convolution, 13 depthwise-separable pairs, global average pooling, fully connected 1000. Batch
// norm folded; ReLU after every convolution.
Network mobilenet_v1() {
  NetworkBuilder b("mobilenet_v1", {224, 224, 3}, "zoo:mobilenet_v1");
  int x = b.conv("conv0", b.input(), 32, 3, 2, 1, A::Relu);
  const int pw[13][2] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},  {512, 2}, {512, 1},
                         {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  for (int i = 0; i < 13; ++i) {
    const std::string p = "block" + std::to_string(i + 1);
    const int c = b.shape(x).c;
    x = b.conv(p + ".dw", x, c, 3, pw[i][1], 1, A::Relu, c);
    x = b.conv(p + ".pw", x, pw[i][0], 1, 1, 0, A::Relu);
  }
  x = b.global_avg_pool("avgpool", x);
  b.fc("fc", x, 1000);
  return b.build();
}

// torchvision MobileNet-V2 (width 1.0, 224 x 224): inverted residual blocks (expand 1x1 ReLU6,
// depthwise 3x3 ReLU6, project 1x1 linear, residual when shapes allow), a 1x1 to 1280, global
// average pooling, fully connected 1000. Batch norm folded.
Network mobilenet_v2() {
  NetworkBuilder b("mobilenet_v2", {224, 224, 3}, "zoo:mobilenet_v2");
  int x = b.conv("features.0", b.input(), 32, 3, 2, 1, A::Relu6);
  const int settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                              {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int idx = 1;
  for (const auto& st : settings) {
    for (int i = 0; i < st[2]; ++i, ++idx) {
      const std::string p = "features." + std::to_string(idx);
      const int in_c = b.shape(x).c, hidden = in_c * st[0], stride = i == 0 ? st[3] : 1;
      int y = x;
      if (st[0] != 1) y = b.conv(p + ".expand", y, hidden, 1, 1, 0, A::Relu6);
      y = b.conv(p + ".dw", y, hidden, 3, stride, 1, A::Relu6, hidden);
      y = b.conv(p + ".project", y, st[1], 1, 1, 0, A::None);
      x = stride == 1 && in_c == st[1] ? b.add(p + ".add", y, x, A::None) : y;
    }
  }
  x = b.conv("features.18", x, 1280, 1, 1, 0, A::Relu6);
  x = b.global_avg_pool("avgpool", x);
  b.fc("classifier.1", x, 1000);
  return b.build();
}

const std::map<std::string, std::function<Network()>>& registry() {
  static const std::map<std::string, std::function<Network()>> kZoo = {
      {"resnet18",
       [] {
         return resnet("resnet18", false, {2, 2, 2, 2});
       }},
      {"resnet34",
       [] {
         return resnet("resnet34", false, {3, 4, 6, 3});
       }},
      {"resnet50",
       [] {
         return resnet("resnet50", true, {3, 4, 6, 3});
       }},
      {"tinycnn", tiny_cnn},
      {"lenet5", lenet5},
      {"alexnet", alexnet},
      {"vgg16", vgg16},
      {"mobilenet_v1", mobilenet_v1},
      {"mobilenet_v2", mobilenet_v2},
  };
  return kZoo;
}

}  // namespace

std::vector<std::string> zoo_names() {
  std::vector<std::string> n;
  for (const auto& [k, v] : registry())
    n.push_back(k);
  return n;
}

bool is_zoo_network(const std::string& name) {
  return registry().count(name) != 0;
}

Network zoo_network(const std::string& name) {
  auto it = registry().find(name);
  if (it == registry().end()) {
    std::string known, best;
    for (const auto& n : zoo_names()) {
      known += (known.empty() ? "" : ", ") + n;
      if (best.empty() || edit_distance(name, n) < edit_distance(name, best)) best = n;
    }
    const bool close = !best.empty() && edit_distance(name, best) <= 2;
    throw UserError(field_error(
        "--workload", "", "unknown workload", "\"" + name + "\"",
        "a built-in network (" + known +
            "), or a file: a network .json, a SCALE-Sim topology or GEMM .csv, an .onnx model" +
            (close ? " (did you mean " + best + "?)" : "")));
  }
  return it->second();
}

}  // namespace conloc
