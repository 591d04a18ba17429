// The persistent compile cache (sim/run/compile_cache.h) gives back exactly what was compiled,
// for every kind of design and workload; a damaged, truncated or foreign file is refused (and the
// network compiled again), never used; the key follows the workload's file contents.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <set>

#include "sim/quant/compiled_io.h"
#include "sim/run/compile_cache.h"
#include "sim/run/prepare.h"
#include "sim/workload/workload.h"
#include "tests/support/compiled_digest.h"
#include "tests/support/temp_dir.h"

using namespace conloc;
using conloc::test::digest;
using conloc::test::make_temp_dir;
namespace fs = std::filesystem;

namespace {

// prepare_network without the environment's cache (the suite's own folder).
CompiledNetwork compile_uncached(const Workload& w, const SimConfig& cfg, bool functional) {
  const char* saved = std::getenv("CONLOCNN_CACHE_DIR");
  const std::string keep = saved ? saved : "";
  setenv("CONLOCNN_CACHE_DIR", "off", 1);
  CompiledNetwork cn = prepare_network(w, cfg, functional);
  if (saved)
    setenv("CONLOCNN_CACHE_DIR", keep.c_str(), 1);
  else
    unsetenv("CONLOCNN_CACHE_DIR");
  return cn;
}

std::string topology() {
  return std::string(CONLOCNN_SOURCE_DIR) + "/workloads/topologies/scalesim_resnet50.csv";
}

void flip_byte(const std::string& path, std::uintmax_t at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x10);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(&c, 1);
}

}  // namespace

TEST(CompileCache, ReadsBackExactlyWhatWasCompiled) {
  struct Case {
    std::string workload;
    std::vector<std::string> sets;
    bool functional;
  };
  const std::vector<Case> cases = {
      {"tinycnn", {}, true},
      {"tinycnn", {"workload.batch=2"}, true},  // the batch's reference images too
      {"tinycnn", {"design.mac=fixed"}, false},
      {"tinycnn", {"design.elp.format=elp5v2l"}, true},  // a level set per layer
      {"tinycnn",
       {"design.elp.format=elp6v2l", "design.layer_formats=conv2=elp3v2,fc=elp4v2l"},
       true},  // layers hosted on another format's PE
      {"tinycnn", {"design.mac=fixed", "design.layer_formats=conv2=fixed4"}, true},
      {"tinycnn", {"design.elp.mac=serial"}, false},  // term counts per weight
      {"mobilenet_v2", {"design.compensation=none"}, false},
      {topology(), {}, false},  // no data: a sample of channels
  };
  const std::string dir = make_temp_dir("compile-cache");
  const CompileCache cache(dir);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.workload + " " + ::testing::PrintToString(c.sets));
    const Workload w = load_workload(c.workload, 1);
    const SimConfig cfg = load_sim_config(std::nullopt, c.sets);
    const CompiledNetwork cn = compile_uncached(w, cfg, c.functional);
    const std::string key = compile_cache_key(w, cfg, c.functional);
    EXPECT_FALSE(cache.load(key, w.net, network_compile_spec(w.net, cfg).design));
    cache.store(key, cn, network_compile_spec(w.net, cfg).design);
    const auto back = cache.load(key, w.net, network_compile_spec(w.net, cfg).design);
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->from_cache);
    EXPECT_FALSE(cn.from_cache);
    EXPECT_EQ(back->compile_key, cn.compile_key);
    EXPECT_EQ(back->net.layers.size(), w.net.layers.size());
    EXPECT_EQ(digest(*back), digest(cn));
    // The MACs behave the same, code by code (the datapath a per-layer set rebuilds).
    for (std::size_t i = 0; i < cn.layers.size(); ++i) {
      if (!cn.layers[i].mac) continue;
      const MacModel& a = *cn.layers[i].mac;
      const MacModel& b = *back->layers[i].mac;
      for (std::int32_t level : a.quantizer().levels()) {
        const std::uint32_t code = a.encode(level);
        ASSERT_EQ(b.encode(level), code);
        EXPECT_EQ(b.mac(5, 3, code), a.mac(5, 3, code));
        EXPECT_EQ(b.pe_code(code), a.pe_code(code));
        EXPECT_EQ(b.actions(code).cycles, a.actions(code).cycles);
      }
    }
  }
}

// prepare_network reads the cache the environment names: the second run of a design is read back
// (and equal); a functional batch of one shares the timing-only entry; "off" writes nothing.
TEST(CompileCache, PrepareNetworkUsesTheEnvironmentsCache) {
  const std::string dir = make_temp_dir("compile-cache-env");
  setenv("CONLOCNN_CACHE_DIR", dir.c_str(), 1);
  const Workload w = load_workload("tinycnn", 3);
  const SimConfig cfg = load_sim_config(std::nullopt, {});
  const CompiledNetwork first = prepare_network(w, cfg, false);
  const CompiledNetwork second = prepare_network(w, cfg, false);
  const CompiledNetwork functional = prepare_network(w, cfg, true);
  EXPECT_FALSE(first.from_cache);
  EXPECT_TRUE(second.from_cache);
  EXPECT_TRUE(functional.from_cache);
  EXPECT_EQ(digest(second), digest(first));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);

  setenv("CONLOCNN_CACHE_DIR", "off", 1);
  EXPECT_FALSE(CompileCache::from_environment());
  EXPECT_FALSE(prepare_network(w, cfg, false).from_cache);
  EXPECT_FALSE(prepare_network(load_workload("tinycnn", 4), cfg, false).from_cache);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(CompileCache, RefusesDamagedTruncatedAndForeignFiles) {
  const std::string dir = make_temp_dir("compile-cache-bad");
  const Workload w = load_workload("tinycnn", 1);
  const SimConfig cfg = load_sim_config(std::nullopt, {});
  const DesignConfig& design = network_compile_spec(w.net, cfg).design;
  const CompiledNetwork cn = compile_uncached(w, cfg, true);
  const std::string key = compile_cache_key(w, cfg, true);
  const std::string good = dir + "/good", bad = dir + "/bad";
  save_compiled(good, key, cn, design);
  const std::uintmax_t size = fs::file_size(good);
  std::string why;
  ASSERT_TRUE(load_compiled(good, key, w.net, design, why));

  auto refused = [&](const std::string& path, const std::string& key_) {
    why.clear();
    const bool none = !load_compiled(path, key_, w.net, design, why);
    return none ? why : "read back";
  };
  EXPECT_EQ(refused(good, key + " "), "written under another key");
  EXPECT_EQ(refused(dir + "/missing", key), "not cached");
  // One bit anywhere in the body (a weight code, say) fails the checksum.
  for (std::uintmax_t at : {size / 2, size - 20, size - 1}) {
    fs::copy_file(good, bad, fs::copy_options::overwrite_existing);
    flip_byte(bad, at);
    EXPECT_NE(refused(bad, key), "read back") << "byte " << at;
  }
  fs::copy_file(good, bad, fs::copy_options::overwrite_existing);
  flip_byte(bad, size / 2);
  EXPECT_EQ(refused(bad, key), "checksum mismatch (a damaged file)");
  for (std::uintmax_t keep : {std::uintmax_t{0}, std::uintmax_t{10}, size / 3, size - 1}) {
    fs::copy_file(good, bad, fs::copy_options::overwrite_existing);
    fs::resize_file(bad, keep);
    EXPECT_NE(refused(bad, key), "read back") << "cut at " << keep;
  }
  // Another network under the same key (a file copied by hand): refused by its shape.
  const Workload other = load_workload("mobilenet_v2", 1);
  why.clear();
  EXPECT_FALSE(load_compiled(good, key, other.net, design, why));
  EXPECT_EQ(why, "written for a network of another layer count");

  // Through the cache: a damaged entry is compiled again, with a warning, and replaced.
  setenv("CONLOCNN_CACHE_DIR", dir.c_str(), 1);
  const CompileCache cache(dir);
  fs::copy_file(good, cache.path(key), fs::copy_options::overwrite_existing);
  flip_byte(cache.path(key), size / 2);
  ::testing::internal::CaptureStderr();
  const CompiledNetwork again = prepare_network(w, cfg, true);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(again.from_cache);
  EXPECT_NE(err.find("checksum mismatch"), std::string::npos) << err;
  EXPECT_NE(err.find(cache.path(key)), std::string::npos) << err;
  EXPECT_EQ(digest(again), digest(cn));
  EXPECT_TRUE(prepare_network(w, cfg, true).from_cache);
}

// The key holds the contents of every file the workload read, not only its name.
TEST(CompileCache, KeyFollowsTheWorkloadFilesContents) {
  const std::string dir = make_temp_dir("compile-cache-key");
  const std::string csv = dir + "/net.csv";
  fs::copy_file(topology(), csv);
  const SimConfig cfg = load_sim_config(std::nullopt, {});
  const std::string before = compile_cache_key(load_workload(csv, 1), cfg, false);
  EXPECT_EQ(compile_cache_key(load_workload(csv, 1), cfg, false), before);
  std::ofstream(csv, std::ios::app) << "\n";  // the same layers, other bytes
  EXPECT_NE(compile_cache_key(load_workload(csv, 1), cfg, false), before);
  // A trained network reads its JSON, its images and every weight file.
  const Workload fm =
      load_workload(std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/network.json", 1);
  std::size_t npy = 0;
  for (const std::string& f : fm.files)
    npy += fs::path(f).extension() == ".npy";
  EXPECT_GE(npy, 3u);
  EXPECT_EQ(fs::path(fm.files.front()).filename(), "network.json");
}

TEST(CompileCache, KeepsTheMostRecentlyUsedWithinItsLimit) {
  const std::string dir = make_temp_dir("compile-cache-lru");
  const SimConfig cfg = load_sim_config(std::nullopt, {});
  std::vector<std::string> keys;
  std::uintmax_t one = 0;
  {
    const Workload w = load_workload("tinycnn", 1);
    const CompiledNetwork cn = compile_uncached(w, cfg, false);
    const std::string probe = dir + "/probe";
    save_compiled(probe, "k", cn, network_compile_spec(w.net, cfg).design);
    one = fs::file_size(probe);
    fs::remove(probe);
  }
  // Room for two and a half files of this size: the third store evicts the least recently used.
  const CompileCache cache(dir, one * 5 / 2);
  std::vector<Workload> ws;
  for (int seed = 1; seed <= 3; ++seed)
    ws.push_back(load_workload("tinycnn", static_cast<std::uint64_t>(seed)));
  const DesignConfig& design = network_compile_spec(ws[0].net, cfg).design;
  for (int i = 0; i < 2; ++i) {
    keys.push_back(compile_cache_key(ws[i], cfg, false));
    cache.store(keys[i], compile_uncached(ws[i], cfg, false), design);
  }
  // Seed 1 used after seed 2: seed 2 is the least recently used.
  fs::last_write_time(cache.path(keys[0]),
                      fs::file_time_type::clock::now() - std::chrono::hours(2));
  fs::last_write_time(cache.path(keys[1]),
                      fs::file_time_type::clock::now() - std::chrono::hours(1));
  EXPECT_TRUE(cache.load(keys[0], ws[0].net, design));
  keys.push_back(compile_cache_key(ws[2], cfg, false));
  cache.store(keys[2], compile_uncached(ws[2], cfg, false), design);
  EXPECT_TRUE(fs::exists(cache.path(keys[0])));
  EXPECT_FALSE(fs::exists(cache.path(keys[1])));
  EXPECT_TRUE(fs::exists(cache.path(keys[2])));
}

// A compile calibrated on dataset images (`run --calibration`, `accuracy`, `optimize`) is cached
// by the images' values: the same images read it back, one changed value compiles again.
TEST(CompileCache, CalibratedCompilesAreKeyedByTheImagesValues) {
  const std::string dir = make_temp_dir("compile-cache-calib");
  setenv("CONLOCNN_CACHE_DIR", dir.c_str(), 1);
  const Workload w =
      load_workload(std::string(CONLOCNN_SOURCE_DIR) + "/workloads/fmnist_cnn/network.json", 1);
  const SimConfig cfg = load_sim_config(std::nullopt, {});
  Calibration calib;
  calib.id = "two images";
  calib.images = {w.weights->input(w.net), w.weights->input(w.net)};
  for (float& v : calib.images[1])
    v *= 0.5f;
  const CompiledNetwork first = prepare_network(w, cfg, true, &calib);
  const CompiledNetwork again = prepare_network(w, cfg, true, &calib);
  EXPECT_FALSE(first.from_cache);
  EXPECT_TRUE(again.from_cache);
  EXPECT_EQ(digest(again), digest(first));
  setenv("CONLOCNN_CACHE_DIR", "off", 1);
  EXPECT_EQ(digest(prepare_network(w, cfg, true, &calib)), digest(first));
  setenv("CONLOCNN_CACHE_DIR", dir.c_str(), 1);

  const std::string key = compile_cache_key(w, cfg, true, &calib);
  Calibration changed = calib;
  changed.images[1][100] += 0.25f;
  EXPECT_NE(compile_cache_key(w, cfg, true, &changed), key);
  EXPECT_FALSE(prepare_network(w, cfg, true, &changed).from_cache);
  changed = calib;
  changed.images.pop_back();
  EXPECT_NE(compile_cache_key(w, cfg, true, &changed), key);
  EXPECT_NE(compile_cache_key(w, cfg, true), key);
}

// Designs that differ in a few layers' formats compiled together (prepare_networks, as
// `accuracy` and `optimize` compile theirs) share the layers before their first difference; each
// result is exactly its own compile's: layers changed at the start, in the middle, at the end,
// in two places, with their own compensation, on both PE kinds and with another global setting
// (its own group), and a design given twice.
TEST(CompileCache, DesignsCompiledTogetherEqualTheirOwnCompiles) {
  const char* saved = std::getenv("CONLOCNN_CACHE_DIR");
  const std::string keep = saved ? saved : "";
  setenv("CONLOCNN_CACHE_DIR", "off", 1);
  const Workload w = load_workload("tinycnn", 2);
  Calibration cal;
  cal.id = "synthetic 1-6";
  for (int b = 1; b <= 6; ++b)
    cal.images.push_back(w.weights->input(w.net, b));
  const std::vector<std::vector<std::string>> sets = {
      {"design.elp.format=elp6v2l"},
      {"design.elp.format=elp6v2l", "design.layer_formats=conv2=elp3v2l"},
      {"design.elp.format=elp6v2l", "design.layer_formats=conv1=elp4v2l/none"},
      {"design.elp.format=elp6v2l", "design.layer_formats=fc=elp4v2l"},
      {"design.elp.format=elp6v2l", "design.layer_formats=pw3=elp3v2l,conv2=elp5v2l"},
      {"design.elp.format=elp6v2l", "design.layer_formats=dw3=fixed4/error_feedback"},
      {"design.elp.format=elp6v2l", "design.compensation=none"},
      {"design.elp.format=elp6v2l", "design.layer_formats=conv2=elp3v2l"},
      {"design.mac=fixed"},
      {"design.mac=fixed", "design.layer_formats=conv2=fixed4,fc=fixed3/none"},
  };
  std::vector<SimConfig> cfgs;
  for (const auto& s : sets)
    cfgs.push_back(load_sim_config(std::nullopt, s));
  std::vector<const SimConfig*> ptrs;
  for (const SimConfig& c : cfgs)
    ptrs.push_back(&c);
  std::atomic<int> done{0};
  const std::vector<CompiledNetwork> together =
      prepare_networks(w, ptrs, true, cal, 2, [&](std::size_t) { ++done; });
  EXPECT_EQ(done.load(), static_cast<int>(sets.size()));
  ASSERT_EQ(together.size(), sets.size());
  std::set<std::string> distinct;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    SCOPED_TRACE(::testing::PrintToString(sets[i]));
    const CompiledNetwork own = prepare_network(w, cfgs[i], true, &cal);
    EXPECT_EQ(together[i].compile_key, own.compile_key);
    // (Compared whole: a digest is far too long to print.)
    EXPECT_TRUE(digest(together[i]) == digest(own))
        << "compiled with the others, the design differs from its own compile";
    distinct.insert(digest(own));
  }
  // Every design but the repeated one compiles to something of its own.
  EXPECT_EQ(distinct.size(), sets.size() - 1);
  if (saved)
    setenv("CONLOCNN_CACHE_DIR", keep.c_str(), 1);
  else
    unsetenv("CONLOCNN_CACHE_DIR");
}
