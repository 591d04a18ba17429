#include "sim/workload/npy.h"

#include <cstring>

#include "modules/base/error.h"
#include "sim/common/file_io.h"

namespace conloc {

namespace {

std::string header_value(const std::string& header, const std::string& key) {
  const auto k = header.find("'" + key + "'");
  if (k == std::string::npos) return "";
  auto p = header.find(':', k);
  if (p == std::string::npos) return "";
  ++p;
  while (p < header.size() && header[p] == ' ')
    ++p;
  if (p >= header.size()) return "";
  if (header[p] == '(') return header.substr(p, header.find(')', p) - p + 1);
  if (header[p] == '\'') return header.substr(p + 1, header.find('\'', p + 1) - p - 1);
  return header.substr(p, header.find_first_of(",}", p) - p);
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  const std::string bytes = read_text_file(path);
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    throw UserError(field_error(path, "", "not a NumPy .npy file", "", "magic \\x93NUMPY"));
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw UserError(path + ": truncated .npy header");
    for (int i = 0; i < 4; ++i)
      header_len |= std::size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    throw UserError(field_error(path, "version", "unsupported .npy version", std::to_string(major),
                                "1, 2 or 3"));
  }
  if (header_start + header_len > bytes.size()) throw UserError(path + ": truncated .npy header");
  const std::string header = bytes.substr(header_start, header_len);
  const std::string descr = header_value(header, "descr");
  if (descr != "<f4") {
    throw UserError(field_error(path, "descr", "unsupported dtype", "'" + descr + "'",
                                "'<f4' (float32); convert with a.astype(np.float32)"));
  }
  if (header_value(header, "fortran_order") != "False") {
    throw UserError(field_error(path, "fortran_order", "unsupported memory order", "True",
                                "C order (np.ascontiguousarray)"));
  }
  NpyArray a;
  const std::string shape = header_value(header, "shape");
  auto bad_shape = [&]() {
    throw UserError(field_error(path, "shape", "malformed shape", "'" + shape + "'",
                                "a tuple of non-negative integers such as (64, 3, 3, 3)"));
  };
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') bad_shape();
  std::int64_t count = 1;
  std::size_t i = 1;
  bool expect_dim = true;
  while (i + 1 < shape.size()) {
    const char ch = shape[i];
    if (ch == ' ') {
      ++i;
    } else if (ch == ',') {
      if (expect_dim) bad_shape();
      expect_dim = true;
      ++i;
    } else if (ch >= '0' && ch <= '9') {
      if (!expect_dim) bad_shape();
      std::int64_t d = 0;
      while (i + 1 < shape.size() && shape[i] >= '0' && shape[i] <= '9') {
        d = d * 10 + (shape[i] - '0');
        if (d > (std::int64_t{1} << 40)) bad_shape();  // far beyond any weight tensor
        ++i;
      }
      a.shape.push_back(d);
      count *= d;
      if (count > (std::int64_t{1} << 40)) bad_shape();
      expect_dim = false;
    } else {
      bad_shape();
    }
  }
  const std::size_t data_start = header_start + header_len;
  if (bytes.size() - data_start != static_cast<std::size_t>(count) * 4) {
    throw UserError(field_error(path, "data", "size does not match the shape",
                                std::to_string(bytes.size() - data_start) + " bytes",
                                std::to_string(count * 4) + " bytes for shape " + shape));
  }
  a.data.resize(static_cast<std::size_t>(count));
  if (!a.data.empty()) std::memcpy(a.data.data(), bytes.data() + data_start, a.data.size() * 4);
  return a;
}

void write_npy(const std::string& path, const NpyArray& a) {
  std::string shape = "(";
  for (auto d : a.shape)
    shape += std::to_string(d) + ", ";
  if (a.shape.size() > 1)
    shape.erase(shape.size() - 2);
  else if (a.shape.size() == 1)
    shape.erase(shape.size() - 1);
  shape += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(a.data.data()), a.data.size() * 4);
  write_file_atomic(path, out);
}

}  // namespace conloc
