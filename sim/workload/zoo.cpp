#include "sim/workload/zoo.h"

#include <functional>
#include <map>

#include "modules/common/error.h"

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
    std::string known;
    for (const auto& n : zoo_names())
      known += (known.empty() ? "" : ", ") + n;
    throw UserError(field_error("--workload", "", "unknown workload", "\"" + name + "\"",
                                "a built-in network (" + known + ") or a network JSON file"));
  }
  return it->second();
}

}  // namespace conloc
