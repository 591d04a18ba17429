#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace conloc {

// A float32 array from a NumPy .npy file (version 1.0-3.0, little-endian '<f4', C order).
struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<float> data;
};

// Any other dtype, Fortran order, or a truncated file is a UserError naming the file.
NpyArray read_npy(const std::string& path);
void write_npy(const std::string& path, const NpyArray& a);

}  // namespace conloc
