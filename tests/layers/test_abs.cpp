// What the abs kind (modules/layers/kinds/abs.cpp) promises beyond what tests/layers/
// test_registry.cpp checks of every parameter-free kind: its output is unsigned, on a scale about
// twice as fine as a signed input's, and each code is the input code's magnitude rescaled.
#include <cmath>
#include <cstdlib>
#include <gtest/gtest.h>

#include "modules/layers/layer_kind.h"
#include "tests/support/kind_harness.h"

using namespace conloc;
using namespace conloc::test_support;

TEST(Abs, OutputIsTheMagnitudeOnAFinerUnsignedScale) {
  const LayerKind& abs = *find_layer_kind("abs");
  const CompiledNetwork cn = compile_calibrated(network_around(abs), {});
  const Layer& l = cn.net.layers[1];
  ASSERT_EQ(l.type, abs.type);
  const IntTensor& in = cn.tensors[l.inputs[0]];
  const IntTensor& out = cn.tensors[l.output];
  ASSERT_TRUE(in.is_signed);
  EXPECT_FALSE(out.is_signed);
  // The input's top level is 127 codes, the output's 255 over the same magnitude.
  EXPECT_NEAR(out.scale / in.scale, 127.0 / 255.0, 0.02);
  int negative = 0;
  for (std::size_t i = 0; i < in.data.size(); ++i) {
    const double exact = std::abs(in.data[i]) * in.scale / out.scale;
    EXPECT_LE(std::abs(out.data[i] - exact), 0.5 + exact * 1e-4) << "element " << i;
    negative += in.data[i] < 0;
  }
  EXPECT_GT(negative, static_cast<int>(in.data.size() / 4));  // the test saw negative inputs
}
