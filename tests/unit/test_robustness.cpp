// Bad input gets a clear error, never a crash or an unexpected exception: malformed files and
// thousands of random mutations of valid ones must either load or raise a UserError.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

#include "modules/base/error.h"
#include "sim/common/rng.h"
#include "sim/config/param_registry.h"
#include "sim/config/sim_config.h"
#include "sim/workload/network_json.h"
#include "sim/workload/npy.h"
#include "tests/support/temp_dir.h"

using namespace conloc;

namespace {

std::string tmp_path(const std::string& name) {
  static const std::string dir = conloc::test::make_temp_dir("robust");
  return dir + "/" + name;
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string npy_bytes(const std::string& header_dict, const std::string& payload) {
  std::string header = header_dict;
  while ((10 + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + payload;
}

std::string mutate(const std::string& s, Rng& rng) {
  std::string m = s;
  const int edits = 1 + static_cast<int>(rng.next() % 4);
  for (int e = 0; e < edits && !m.empty(); ++e) {
    const std::size_t pos = rng.next() % m.size();
    switch (rng.next() % 4) {
      case 0:
        m[pos] = static_cast<char>(rng.next());
        break;
      case 1:
        m.erase(pos, 1 + rng.next() % 8);
        break;
      case 2:
        m.insert(pos, 1, "{}[],:\"0-9e."[rng.next() % 12]);
        break;
      default:
        m.resize(pos);  // truncation
    }
  }
  return m;
}

}  // namespace

TEST(Robustness, MalformedNpyFilesAreUserErrors) {
  const std::string ok_header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const std::string payload(24, '\0');
  const std::pair<const char*, std::string> cases[] = {
      {"bad magic", "NOTNUMPY" + std::string(100, ' ')},
      {"truncated", npy_bytes(ok_header, payload).substr(0, 30)},
      {"dtype", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", payload)},
      {"fortran", npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", payload)},
      {"shape letters",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (x, 3), }", payload)},
      {"shape negative",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", payload)},
      {"shape open",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, }", payload)},
      {"shape huge",
       npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 3), }",
                 payload)},
      {"size", npy_bytes(ok_header, payload.substr(4))},
  };
  for (const auto& [name, bytes] : cases) {
    const std::string path = tmp_path("bad.npy");
    write(path, bytes);
    try {
      read_npy(path);
      ADD_FAILURE() << name << ": accepted";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << name << ": " << e.what();
    }
  }
  write(tmp_path("ok.npy"), npy_bytes(ok_header, payload));
  EXPECT_EQ(read_npy(tmp_path("ok.npy")).shape, (std::vector<std::int64_t>{2, 3}));
}

TEST(Robustness, MutatedNpyFilesNeverCrash) {
  const std::string valid = npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2), }",
                                      std::string(32, '\x01'));
  Rng rng(5);
  const std::string path = tmp_path("mut.npy");
  for (int i = 0; i < 2000; ++i) {
    write(path, mutate(valid, rng));
    try {
      read_npy(path);
    } catch (const UserError&) {
    }
  }
}

TEST(Robustness, MutatedConfigsNeverCrash) {
  const std::string valid = R"({"array": {"rows": 8, "cols": 8, "dataflow": "os"},
    "design": {"mac": "elp", "elp": {"format": "custom", "terms": 2, "shift_bits": 2,
    "gap_bits": 1, "positions": 5}, "accumulator_bits": 24},
    "buffers": {"weight_kib": 16}, "dram": {"bytes_per_cycle": 8.5, "burst_bytes": 32}})";
  Rng rng(6);
  const std::string path = tmp_path("mut.json");
  int loaded = 0;
  for (int i = 0; i < 3000; ++i) {
    write(path, mutate(valid, rng));
    try {
      load_sim_config(path, {});
      ++loaded;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(loaded, 0);  // some mutations stay valid (e.g. whitespace edits)
}

TEST(Robustness, MutatedNetworkFilesNeverCrash) {
  const std::string valid = R"({"name": "m", "input": [8, 8, 3], "layers": [
    {"name": "c1", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1, "act": "relu"},
    {"name": "p1", "type": "maxpool", "kernel": 2, "stride": 2},
    {"name": "c2", "type": "conv", "out_channels": 4, "kernel": 3, "pad": 1, "groups": 2},
    {"name": "a1", "type": "add", "inputs": ["c2", "p1"]},
    {"name": "fc", "type": "fc", "out_channels": 5}]})";
  Rng rng(7);
  const std::string path = tmp_path("net.json");
  for (int i = 0; i < 3000; ++i) {
    write(path, mutate(valid, rng));
    try {
      load_network_file(path);
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

// A zero-element array reads as empty (no copy from a null buffer: UBSan checks this in
// scripts/sanitize.sh) and `formats` rejects it as an empty tensor.
TEST(Robustness, ZeroElementNpyIsEmptyNotUndefined) {
  const std::string path = tmp_path("empty.npy");
  write(path, npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", ""));
  const NpyArray a = read_npy(path);
  EXPECT_TRUE(a.data.empty());
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{0, 3}));
}
