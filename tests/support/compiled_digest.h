#pragma once

#include <string>

#include "modules/common/compiled_network.h"

namespace conloc::test {

// Everything a compiled network holds, as text (its compile key and network left out): every
// layer's weights, codes, scales, requantisation, measurements and MAC datapath (level set,
// widths, transistor count), every reference tensor and batch image. Two compiles are the same
// exactly when their digests are.
std::string digest(const CompiledNetwork& cn);

}  // namespace conloc::test
