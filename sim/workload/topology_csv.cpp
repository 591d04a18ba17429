#include "sim/workload/topology_csv.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>
#include <vector>

#include "modules/base/error.h"
#include "modules/layers/network_builder.h"
#include "sim/common/file_io.h"
#include "sim/common/text.h"

namespace conloc {

namespace {

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  for (std::string x; std::getline(ss, x, ',');)
    f.push_back(trim(x));
  if (!line.empty() && trim(line).back() == ',') f.push_back("");
  while (!f.empty() && f.back().empty())
    f.pop_back();  // trailing comma
  return f;
}

// A header name as compared: case, spaces and a plural 's' do not count (SCALE-Sim's own files
// write "Num Filter", "num filters", "IFMAP Height", "Ifmap height").
std::string key(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }),
          s.end());
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s.size() > 1 && s.back() == 's') s.pop_back();
  return s;
}

// A DP row becomes a layer per channel; beyond this it is surely a mistake, not a network.
constexpr int kMaxDepthwiseChannels = 8192;

// SCALE-Sim's output size, ceil((H - F + S) / S) (its topology_utils.py): when the stride does not
// divide H - F, the last window starts inside the IFMAP and reaches past it. We run it as the
// same convolution with the missing rows and columns as zero padding at the bottom and right
// (fewer than S of each), so every layer has SCALE-Sim's output pixels and MACs.
Window scalesim_window(int h, int w, int fh, int fw, int stride) {
  auto past = [&](int in, int k) {
    if (in < k) return 0;  // the builder refuses a kernel larger than its input
    const int out = (in - k + 2 * stride - 1) / stride;  // ceil((in - k + stride) / stride)
    return (out - 1) * stride + k - in;
  };
  Window win = Window::square(1, stride, 0);
  win.kh = fh;
  win.kw = fw;
  win.pad_b = past(h, fh);
  win.pad_r = past(w, fw);
  return win;
}

}  // namespace

Network load_topology_csv(const std::string& path) {
  std::string text = read_text_file(path);
  // A UTF-8 byte-order mark before the header (some of SCALE-Sim's files have one) is not text.
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  const std::vector<std::string> conv_cols = {"Layer name",    "IFMAP Height", "IFMAP Width",
                                              "Filter Height", "Filter Width", "Channels",
                                              "Num Filter",    "Strides"};
  const std::vector<std::string> gemm_cols = {"Layer", "M", "N", "K"};
  std::stringstream in(text);
  std::vector<std::string> cols;
  bool gemm = false, extra = false;  // extra: the header names further (ignored) columns
  NetworkBuilder b(std::filesystem::path(path).stem().string(), {1, 1, 1}, path);
  int line_no = 0, layers = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    std::vector<std::string> f = fields(line);
    if (f.empty()) continue;  // blank, or only commas (SCALE-Sim's files have such rows)
    const std::string where = path + ": line " + std::to_string(line_no);
    if (cols.empty()) {
      // SCALE-Sim's own files add note columns after the eight it reads ("Strides,,,Eh,Ew"):
      // they are ignored in the header and in every row, as SCALE-Sim does.
      // The first column's name is free in a GEMM list ("Layer" or "Layer Name" in SCALE-Sim's
      // own files): SCALE-Sim skips the header row whatever it holds.
      auto matches = [&](const std::vector<std::string>& want, std::size_t from) {
        if (f.size() < want.size()) return false;
        for (std::size_t i = from; i < want.size(); ++i)
          if (key(f[i]) != key(want[i])) return false;
        extra = f.size() > want.size();
        return true;
      };
      if (matches(gemm_cols, 1)) {
        cols = gemm_cols;
        gemm = true;
      } else if (matches(conv_cols, 0) ||
                 (f.size() >= conv_cols.size() && key(f[0]).rfind("layer", 0) == 0)) {
        // SCALE-Sim reads a conv file's header as a row to skip: its own files misname columns
        // (DeepSpeech2's "Layer, IFMAP Width, IFMAP Width, ..."), so a header of eight or more
        // columns starting with "Layer" is taken as one; the rows' values are checked as always.
        cols = conv_cols;
        extra = f.size() > conv_cols.size();
      } else {
        throw UserError(field_error(where, "header", "not a SCALE-Sim topology or GEMM header",
                                    "\"" + trim(line) + "\"",
                                    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter "
                                    "Width, Channels, Num Filter, Strides (or Layer, M, N, K)"));
      }
      continue;
    }
    // SCALE-Sim drops a row's last field (its files end rows with a comma): a row with one field
    // more than the columns and no trailing comma ("...,1,#dw") loses that field, as there.
    if (f.size() == cols.size() + 1 && trim(line).back() != ',') f.pop_back();
    if (extra && f.size() > cols.size()) f.resize(cols.size());
    if (f.size() != cols.size()) {
      throw UserError(field_error(
          where, "", "wrong number of fields", std::to_string(f.size()),
          std::to_string(cols.size()) + " (" + cols.front() + ", ..., " + cols.back() + ")"));
    }
    std::vector<int> v(f.size(), 0);
    for (std::size_t i = 1; i < f.size(); ++i) {
      std::size_t used = 0;
      long long n = 0;
      try {
        n = std::stoll(f[i], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != f[i].size() || n < 1 || n > (1 << 24)) {
        throw UserError(field_error(where, cols[i], "not a positive integer", "\"" + f[i] + "\"",
                                    "an integer in [1, 16777216]"));
      }
      v[i] = static_cast<int>(n);
    }
    const bool depthwise = !gemm && f[0].find("DP") != std::string::npos;
    // SCALE-Sim's names may hold spaces ("Test 1", "Embedding Layer"): ours take '_' for every
    // character a layer name cannot hold.
    for (char& c : f[0]) {
      if (!layer_name_char(c)) c = '_';
    }
    if (depthwise && v[5] > kMaxDepthwiseChannels) {
      throw UserError(
          field_error(where, "Channels", "too many channels for a DP layer", std::to_string(v[5]),
                      "at most " + std::to_string(kMaxDepthwiseChannels) + " (one layer each)"));
    }
    try {
      if (gemm) {
        const int src = b.source(f[0] + ".input", {v[1], 1, v[3]});
        b.conv(f[0], src, v[2], 1, 1, 0, Activation::None);
      } else if (depthwise) {
        // SCALE-Sim's depthwise convention (topology_utils.py): a layer whose name contains "DP"
        // is one layer per input channel, "<name>Channel_<c>", each of one channel.
        for (int c = 0; c < v[5]; ++c) {
          const std::string name = f[0] + "Channel_" + std::to_string(c);
          const int src = b.source(name + ".ifmap", {v[1], v[2], 1});
          b.conv_window(name, src, v[6], scalesim_window(v[1], v[2], v[3], v[4], v[7]),
                        Activation::None, 1);
        }
      } else {
        const int src = b.source(f[0] + ".ifmap", {v[1], v[2], v[5]});
        b.conv_window(f[0], src, v[6], scalesim_window(v[1], v[2], v[3], v[4], v[7]),
                      Activation::None, 1);
      }
    } catch (const UserError& e) {
      std::string m = e.what();
      if (m.rfind(path + ": ", 0) == 0) m = m.substr(path.size() + 2);
      throw UserError(where + ": " + m);
    }
    ++layers;
  }
  if (cols.empty()) throw UserError(field_error(path, "", "empty file", "", "a header and rows"));
  if (layers == 0) throw UserError(field_error(path, "", "no layers", "", "at least one row"));
  return b.build();
}

}  // namespace conloc
