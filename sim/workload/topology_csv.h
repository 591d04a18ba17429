#pragma once

#include <string>

#include "modules/common/network.h"

namespace conloc {

// A SCALE-Sim topology CSV (`Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
// Channels, Num Filter, Strides,`) or GEMM CSV (`Layer, M, N, K`) as a network of independent
// layers: each row reads its own operand (SCALE-Sim's convention: no padding, the IFMAP given at
// its padded size; a GEMM is a 1 x 1 convolution of an M x 1 x K input to N channels). Headers
// are matched without case or spaces; a trailing comma, blank lines and spaces are tolerated.
// Shape-only: such networks run --timing-only. Errors name the file, line and column.
Network load_topology_csv(const std::string& path);

}  // namespace conloc
