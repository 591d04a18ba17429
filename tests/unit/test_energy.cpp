#include <cmath>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>

#include "modules/arith/elp_bsd_mac.h"
#include "modules/arith/elp_lut_format.h"
#include "modules/arith/elp_lut_mac.h"
#include "modules/arith/fixed_point_mac.h"
#include "modules/arith/lp_bsd.h"
#include "modules/base/error.h"
#include "sim/common/file_io.h"
#include "sim/config/param_registry.h"
#include "sim/config/sim_config.h"
#include "sim/design/design_registry.h"
#include "sim/design/mac_factory.h"
#include "sim/energy/energy_model.h"
#include "sim/energy/mac_characterisation.h"
#include "sim/rtl/mac_rtl.h"

using namespace conloc;

namespace {

const EnergyTable& table() {
  static const EnergyTable t =
      EnergyTable::load(std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/horowitz45.json");
  return t;
}

std::string table_error(const std::string& mutate_path, const nlohmann::json& value) {
  auto doc = parse_json_text(
      [] {
        std::ifstream in(std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/horowitz45.json");
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
      }(),
      "t");
  nlohmann::json::json_pointer ptr(mutate_path);
  if (value.is_null()) {
    doc[ptr.parent_pointer()].erase(ptr.back());
  } else {
    doc[ptr] = value;
  }
  try {
    EnergyTable::from_json(doc, "table.json");
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(EnergyModel, ReproducesTheTableAnchors) {
  const EnergyModel m(table());
  // Each anchor is read back from the table, so the test holds for any valid table.
  for (const char* id : {"add_8b", "add_32b"}) {
    const auto& c = table().at(id);
    EXPECT_NEAR(m.add_pj(c.bits), c.value, 1e-12) << id;
  }
  for (const char* id : {"mult_8b", "mult_32b"}) {
    const auto& c = table().at(id);
    EXPECT_NEAR(m.mult_pj(c.bits, c.bits), c.value, 1e-12) << id;
  }
  for (const char* id : {"sram_read_64b_8kib", "sram_read_64b_32kib", "sram_read_64b_1mib"}) {
    const auto& c = table().at(id);
    const auto cap = static_cast<std::uint64_t>(c.capacity_kib * 1024);
    EXPECT_NEAR(m.sram_read_pj_per_bit(cap) * c.bits, c.value, 1e-9) << id;
  }
  EXPECT_DOUBLE_EQ(m.dram_pj_per_bit(), table().at("dram_per_bit").value);
}

TEST(EnergyModel, HorowitzAnchorValues) {
  // The 45 nm table itself: Horowitz ISSCC 2014 figures as published.
  const EnergyModel m(table());
  EXPECT_NEAR(m.add_pj(8), 0.03, 1e-12);
  EXPECT_NEAR(m.add_pj(32), 0.1, 1e-12);
  EXPECT_NEAR(m.mult_pj(8, 8), 0.2, 1e-12);
  EXPECT_NEAR(m.mult_pj(32, 32), 3.1, 1e-12);
  EXPECT_NEAR(m.sram_read_pj_per_bit(8 * 1024) * 64, 10.0, 1e-9);
  EXPECT_NEAR(m.sram_read_pj_per_bit(32 * 1024) * 64, 20.0, 1e-9);
  EXPECT_NEAR(m.sram_read_pj_per_bit(1024 * 1024) * 64, 100.0, 1e-9);
  EXPECT_DOUBLE_EQ(m.dram_pj_per_bit(), 8.0);
}

TEST(EnergyModel, ScalingRules) {
  const EnergyModel m(table());
  // Adder: linear in bits.
  EXPECT_NEAR(m.add_pj(16) - m.add_pj(8), m.add_pj(24) - m.add_pj(16), 1e-15);
  EXPECT_NEAR(m.add_pj(16) - m.add_pj(8), 8 * m.fa_pj(), 1e-15);
  // Multiplier: linear in a x b.
  EXPECT_NEAR(m.mult_pj(16, 8) - m.mult_pj(8, 8), 64 * m.mult_cell_pj(), 1e-15);
  EXPECT_NEAR(m.mult_pj(4, 16), m.mult_pj(8, 8), 1e-15);
  // Logic cells scale with the full adder.
  EXPECT_NEAR(m.mux2_pj(), table().at("mux2_to_fa").value * m.fa_pj(), 1e-18);
  // SRAM: monotone in capacity, log-log interpolation between anchors.
  const double e8 = m.sram_read_pj_per_bit(8 << 10), e32 = m.sram_read_pj_per_bit(32 << 10);
  const double e16 = m.sram_read_pj_per_bit(16 << 10);
  EXPECT_GT(e16, e8);
  EXPECT_LT(e16, e32);
  EXPECT_NEAR(e16, std::sqrt(e8 * e32), 1e-12);    // midpoint in log capacity
  EXPECT_LT(m.sram_read_pj_per_bit(1 << 10), e8);  // extrapolated below the smallest anchor
  EXPECT_NEAR(m.sram_write_pj_per_bit(32 << 10), e32 * table().at("sram_write_to_read").value,
              1e-15);
}

TEST(EnergyModel, CellsPjIsLinear) {
  const EnergyModel m(table());
  CellCounts a = add_cells(32);
  CellCounts b = mult_cells(8, 8);
  CellCounts s = a;
  s += b;
  EXPECT_NEAR(m.cells_pj(s), m.add_pj(32) + m.mult_pj(8, 8), 1e-15);
  EXPECT_NEAR(m.cells_pj(a * 3.0), 3 * m.add_pj(32), 1e-15);
}

TEST(EnergyModel, FixedAndElpMacsCostedBySameRules) {
  const EnergyModel m(table());
  MacWidths w;
  w.activation_signed = true;
  const FixedPointMac fx(8, w);
  const double fixed = m.cells_pj(fx.cells(fx.actions(fx.encode(3))));
  EXPECT_NEAR(fixed, m.mult_pj(8, 8) + m.add_pj(32) + 8 * m.and2_pj(), 1e-15);
  const ElpBsdFormat f = ElpBsdFormat::preset("elp4");
  const ElpBsdMac elp(f, ElpMacVariant::Parallel, w);
  const int tb = elp.term_bits();  // 8 + 6 + 1
  EXPECT_EQ(tb, 15);
  const double one = m.cells_pj(elp.cells(elp.actions(f.encode(4))));
  EXPECT_NEAR(one, 3 * tb * m.mux2_pj() + tb * m.xor2_pj() + m.add_pj(32) + 3 * m.and2_pj(), 1e-15);
  // A one-term shift-add is cheaper than an 8x8 multiply-add under these rules.
  EXPECT_LT(one, fixed);
}

// The default table charges each cell kind of a MAC datapath its activity factor
// (docs/energy.md); tables without activity (1) charge MAC cells as any other cells.
TEST(EnergyModel, MacCellsScaleEachKindByItsActivity) {
  const std::string dir = std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/";
  const EnergyTable t = EnergyTable::load(dir + "horowitz45-cacti-toggles.json");
  const EnergyModel m(t);
  struct Kind {
    const char* id;
    CellCounts cells;
  };
  CellCounts mux, xr, an, ff;
  mux.mux2 = 51;
  xr.xor2 = 17;
  an.and2 = 3;
  ff.dff = 10;
  const Kind kinds[] = {{"activity_adder", add_cells(32)},
                        {"activity_mult", mult_cells(9, 5)},
                        {"activity_mux2", mux},
                        {"activity_xor2", xr},
                        {"activity_and2", an},
                        {"activity_dff", ff}};
  CellCounts all;
  double sum = 0;
  for (const Kind& k : kinds) {
    const double a = t.at(k.id).value;
    EXPECT_GE(a, 0.0) << k.id;  // 0: never switches (a held weight's zero detect)
    EXPECT_NEAR(m.mac_cells_pj(k.cells), a * m.cells_pj(k.cells), 1e-15) << k.id;
    all += k.cells;
    sum += a * m.cells_pj(k.cells);
  }
  EXPECT_NEAR(m.mac_cells_pj(all), sum, 1e-14);
  EXPECT_LT(m.mac_cells_pj(all), m.cells_pj(all));  // the fitted factors are below 1
  EXPECT_GT(m.mac_cells_pj(all), 0.0);
  const EnergyModel plain(EnergyTable::load(dir + "horowitz45-cacti.json"));
  EXPECT_DOUBLE_EQ(plain.mac_cells_pj(all), plain.cells_pj(all));
  EXPECT_DOUBLE_EQ(plain.cells_pj(all), m.cells_pj(all));  // only the activity differs
}

TEST(EnergyTable, MissingConstantIsNamed) {
  const auto e = table_error("/constants/dram_per_bit", nullptr);
  EXPECT_NE(e.find("table.json: constants.dram_per_bit: missing required constant"),
            std::string::npos)
      << e;
}

TEST(EnergyTable, WrongUnitNegativeValueMissingSourceUnknownKey) {
  EXPECT_NE(table_error("/constants/add_8b/unit", "nJ").find("constants.add_8b.unit"),
            std::string::npos);
  EXPECT_NE(table_error("/constants/add_8b/value", -1).find("constants.add_8b.value"),
            std::string::npos);
  EXPECT_NE(table_error("/constants/add_8b/source", nullptr).find("constants.add_8b.source"),
            std::string::npos);
  EXPECT_NE(table_error("/constants/add_8b/sorce", "x").find("constants.add_8b.sorce"),
            std::string::npos);
  EXPECT_NE(table_error("/constants/add_9b", nlohmann::json::object()).find("constants.add_9b"),
            std::string::npos);
  EXPECT_NE(table_error("/node_nm", "45").find("node_nm"), std::string::npos);
}

TEST(EnergyModel, DegenerateAnchorsRejected) {
  auto doc = nlohmann::json::parse(
      std::ifstream(std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/horowitz45.json"));
  doc["constants"]["add_32b"]["value"] = 0.001;  // wider add cheaper than narrower
  EXPECT_THROW(EnergyModel(EnergyTable::from_json(doc, "t.json")), UserError);
}

// SRAM costs from CACTI (configs/energy/horowitz45-cacti.json): a buffer's access hits one half,
// charged CACTI's energy per 64-bit access of an array of half the capacity, per bit. Expected
// values come from the CSV rows read here, not from the model.
TEST(EnergyTable, CactiSramTableChargesTheHalfAnAccessHits) {
  const std::string dir = std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/";
  const EnergyModel em(EnergyTable::load(dir + "horowitz45-cacti.json"));
  std::map<double, std::pair<double, double>> row;  // capacity -> (read, write) pJ, 64-bit hp
  std::ifstream in(dir + "cacti7-sram-45nm.csv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::vector<std::string> f;
    for (std::string x; std::getline(ss, x, ',');)
      f.push_back(x);
    if (f[0] == "45" && f[2] == "64" && f[3] == "1" && f[10] == "itrs-hp")
      row[std::stod(f[1])] = {std::stod(f[4]), std::stod(f[5])};
  }
  ASSERT_EQ(row.size(), 13u);
  // 64 KiB buffer: its 32 KiB halves.
  EXPECT_NEAR(em.sram_read_pj_per_bit(64 * 1024), row[32768].first / 64, 1e-12);
  EXPECT_NEAR(em.sram_write_pj_per_bit(64 * 1024), row[32768].second / 64, 1e-12);
  // 96 KiB: halves of 48 KiB, log-log between the 32 and 64 KiB rows.
  const double t = (std::log2(49152.0) - 15) / (16 - 15);
  const double want = std::exp2(std::log2(row[32768].first) +
                                t * (std::log2(row[65536].first) - std::log2(row[32768].first)));
  EXPECT_NEAR(em.sram_read_pj_per_bit(96 * 1024), want / 64, 1e-12);
  // Static power from the itrs-lop rows: two arrays of half the capacity.
  std::ifstream in2(dir + "cacti7-sram-45nm.csv");
  double lop32k = 0;
  for (std::getline(in2, line); std::getline(in2, line);) {
    std::stringstream ss(line);
    std::vector<std::string> f;
    for (std::string x; std::getline(ss, x, ',');)
      f.push_back(x);
    if (f[0] == "45" && f[1] == "32768" && f[2] == "64" && f[3] == "1" && f[10] == "itrs-lop")
      lop32k = std::stod(f[6]);  // leakage_mw
  }
  ASSERT_GT(lop32k, 0.0);
  EXPECT_NEAR(em.sram_leakage_mw(64 * 1024), 2 * lop32k, 1e-9);
  // The width an access moves: a 256-bit word is the 256-bit row's energy per bit; a 512-bit word
  // two 256-bit arrays of half the capacity side by side; 96 bits log-log between 64 and 128.
  std::map<std::pair<int, double>, double> rd;  // (width, capacity) -> read pJ, hp, one bank
  std::ifstream in3(dir + "cacti7-sram-45nm.csv");
  for (std::getline(in3, line); std::getline(in3, line);) {
    std::stringstream ss(line);
    std::vector<std::string> f;
    for (std::string x; std::getline(ss, x, ',');)
      f.push_back(x);
    if (f[0] == "45" && f[3] == "1" && f[10] == "itrs-hp")
      rd[{std::stoi(f[2]), std::stod(f[1])}] = std::stod(f[4]);
  }
  auto read = [&](int width, double capacity) { return rd[std::make_pair(width, capacity)]; };
  EXPECT_NEAR(em.sram_read_pj_per_bit(64 * 1024, 256), read(256, 32768) / 256, 1e-12);
  EXPECT_NEAR(em.sram_read_pj_per_bit(64 * 1024, 512), read(256, 16384) / 256, 1e-12);
  EXPECT_NEAR(em.sram_read_pj_per_bit(64 * 1024, 1024), read(256, 8192) / 256, 1e-12);
  const double w64 = std::log2(read(64, 32768) / 64), w128 = std::log2(read(128, 32768) / 128);
  EXPECT_NEAR(em.sram_read_pj_per_bit(64 * 1024, 96),
              std::exp2(w64 + (w128 - w64) * (std::log2(96.0) - 6)), 1e-12);
  EXPECT_GT(em.sram_read_pj_per_bit(64 * 1024, 8), 4 * em.sram_read_pj_per_bit(64 * 1024, 256));
  EXPECT_EQ(EnergyModel(table()).sram_leakage_mw(64 * 1024), 0.0);
  // Without the table: the Horowitz anchors as before.
  EXPECT_NE(EnergyModel(table()).sram_read_pj_per_bit(64 * 1024), row[32768].first / 64);
}

// PE-array leakage (docs/energy.md): one logic transistor leaks what one transistor of the CACTI
// table's largest low-power SRAM array does (its leakage / (bits x 6)); a PE has the transistors
// of its costliest datapath plus its registers. fixed8 with unsigned activations, by hand: a
// 9 x 8 multiplier (72 cells x 34), a 32-bit adder (32 x 28), 8 zero-detect AND2 (x 6), and
// 9 + 32 + 8 register bits (x 24).
TEST(EnergyTable, PeLeakageFromTheCactiRowsAndThePeSize) {
  MacWidths w;
  w.activation_bits = 8;
  w.activation_signed = false;
  w.accumulator_bits = 32;
  const FixedPointMac fx(8, w);
  EXPECT_DOUBLE_EQ(transistor_equivalents(fx.peak_cells()), 72 * 34 + 32 * 28 + 8 * 6);
  EXPECT_DOUBLE_EQ(fx.pe_transistors(), 72 * 34 + 32 * 28 + 8 * 6 + (9 + 32 + 8) * 24);
  const std::string dir = std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/";
  const EnergyModel em(EnergyTable::load(dir + "horowitz45-cacti.json"));
  std::ifstream in(dir + "cacti7-sram-45nm.csv");
  double cap = 0, leak = 0;
  std::string line;
  for (std::getline(in, line); std::getline(in, line);) {
    std::stringstream ss(line);
    std::vector<std::string> f;
    for (std::string x; std::getline(ss, x, ',');)
      f.push_back(x);
    if (f[0] == "45" && f[2] == "64" && f[3] == "1" && f[10] == "itrs-lop" &&
        std::stod(f[1]) > cap) {
      cap = std::stod(f[1]);
      leak = std::stod(f[6]);
    }
  }
  EXPECT_EQ(cap, 4194304.0);
  EXPECT_NEAR(em.logic_leakage_mw_per_transistor(), leak / (cap * 8 * 6), 1e-18);
  EXPECT_EQ(EnergyModel(table()).logic_leakage_mw_per_transistor(), 0.0);
}

TEST(EnergyTable, CactiSramTableErrorsNameTheField) {
  auto error = [](const nlohmann::json& sram) {
    auto doc = parse_json_text(
        [] {
          std::ifstream in(std::string(CONLOCNN_SOURCE_DIR) +
                           "/configs/energy/horowitz45-cacti.json");
          std::stringstream ss;
          ss << in.rdbuf();
          return ss.str();
        }(),
        "t");
    doc["sram_table"] = sram;
    try {
      EnergyTable::from_json(doc, std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/x.json");
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const nlohmann::json ok = {{"file", "cacti7-sram-45nm.csv"},
                             {"transistor_type", "itrs-hp"},
                             {"word_bits", 64},
                             {"source", "CACTI 7"}};
  EXPECT_EQ(error(ok), "");
  auto bad = ok;
  bad["word_bits"] = 48;
  EXPECT_NE(error(bad).find("no rows for this node, width and type"), std::string::npos)
      << error(bad);
  bad = ok;
  bad["colour"] = "red";
  EXPECT_NE(error(bad).find("sram_table.colour: unknown key"), std::string::npos) << error(bad);
  bad = ok;
  bad["file"] = "missing.csv";
  EXPECT_NE(error(bad).find("missing.csv"), std::string::npos) << error(bad);
}

// The characterisation key is FNV-1a 64 (the published test vectors), as the script computes it.
TEST(MacCharacterisation, KeyIsFnv1a64) {
  EXPECT_EQ(fnv1a_hex(""), "cbf29ce484222325");
  EXPECT_EQ(fnv1a_hex("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(fnv1a_hex("foobar"), "85944171f73967e8");
}

namespace {

// A characterisation file in a temporary folder; returns its path.
std::string write_characterisation(const nlohmann::json& doc, const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/charac-" + name;
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/c.json";
  std::ofstream(path) << doc.dump();
  return path;
}

nlohmann::json two_code_characterisation() {
  return {{"name", "t"},
          {"columns",
           {"code", "pj_per_activation_toggle", "pj_per_psum_toggle", "pj_per_product_toggle",
            "pj_per_operation", "reference_activation_toggles", "reference_psum_toggles",
            "reference_product_toggles"}},
          {"designs",
           {{"d",
             {{"verilog_fnv1a64", "0123456789abcdef"},
              {"codes",
               {{0, 0.0, 0.5, 0.0, 0.0, 2.0, 6.0, 0.0},
                {1, 1.0, 0.5, 2.0, 0.0, 2.0, 6.0, 2.0},
                {2, 2.0, 0.0, 1.0, 0.25, 2.0, 6.0, 3.0}}}}}}}};
}

std::string load_error(const nlohmann::json& doc, const std::string& name) {
  try {
    MacCharacterisation::load(write_characterisation(doc, name));
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// Bad characterisation files are refused with the file, the JSON path and what was expected.
TEST(MacCharacterisation, BadFilesNameTheField) {
  EXPECT_EQ(load_error(two_code_characterisation(), "ok"), "");
  auto doc = two_code_characterisation();
  doc["designs"]["d"]["codes"][1][2] = -0.1;
  std::string e = load_error(doc, "negative");
  EXPECT_NE(e.find("c.json"), std::string::npos) << e;
  EXPECT_NE(e.find("designs.d.codes[1][2]"), std::string::npos) << e;
  EXPECT_NE(e.find(">= 0"), std::string::npos) << e;
  doc = two_code_characterisation();
  doc["designs"]["d"]["codes"][2][0] = 1;
  e = load_error(doc, "duplicate");
  EXPECT_NE(e.find("designs.d.codes[2]: duplicate code"), std::string::npos) << e;
  doc = two_code_characterisation();
  doc["designs"]["d"]["verilog_fnv1a64"] = "xyz";
  e = load_error(doc, "hash");
  EXPECT_NE(e.find("designs.d.verilog_fnv1a64"), std::string::npos) << e;
  doc = two_code_characterisation();
  doc["columns"][1] = "pj_per_psum_toggle";
  e = load_error(doc, "columns");
  EXPECT_NE(e.find("columns"), std::string::npos) << e;
  doc = two_code_characterisation();
  doc["designs"]["d"]["codes"][0] = {0, 1.0, 1.0, 1.0};
  e = load_error(doc, "short");
  EXPECT_NE(e.find("designs.d.codes[0]"), std::string::npos) << e;
  doc = two_code_characterisation();
  doc["designs"]["d"]["codes"][1][6] = "many";
  e = load_error(doc, "reference");
  EXPECT_NE(e.find("designs.d.codes[1][6]"), std::string::npos) << e;
  EXPECT_NE(e.find("mean toggled bits over the reference"), std::string::npos) << e;
  doc = two_code_characterisation();
  doc["colour"] = 1;
  e = load_error(doc, "unknown");
  EXPECT_NE(e.find("colour: unknown key"), std::string::npos) << e;
  // An energy table naming a characterisation that is not there: the table's field and the file.
  auto table = parse_json_text(
      read_text_file(std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/horowitz45-cacti.json"),
      "t");
  auto table_error = [&](const nlohmann::json& m) {
    table["mac_characterisation"] = m;
    try {
      EnergyTable::from_json(table, std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/x.json");
    } catch (const UserError& err) {
      return std::string(err.what());
    }
    return std::string("accepted");
  };
  e = table_error({{"file", "no-such-characterisation.json"}});
  EXPECT_NE(e.find("no-such-characterisation.json"), std::string::npos) << e;
  e = table_error("mac-characterisation-45nm.json");  // not {"file": ...}
  EXPECT_NE(e.find("mac_characterisation: not an object of one file name"), std::string::npos) << e;
  EXPECT_EQ(table_error({{"file", "mac-characterisation-45nm.json"}}), "accepted");
}

// The characterised energy by hand: each sampled PE's coefficients x its own toggles; zero-weight
// PEs price the gated operations, the others the rest.
TEST(MacCharacterisation, EnergyIsPerPeCoefficientsTimesOwnToggles) {
  const MacCharacterisation c =
      MacCharacterisation::load(write_characterisation(two_code_characterisation(), "hand"));
  const MacCharacterisation::Design* d = c.find("0123456789abcdef");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(c.find("0123456789abcdee"), nullptr);
  // code 1: 1 x 2 + 0.5 x 1 + 2 x 3 = 8.5; code 2: 2 x 1 + 0 + 1 x 4 + 0.25 per operation = 6.25;
  // zero (code 0): 0.5 x 4.
  const std::vector<PeToggles> pes = {
      {1, false, {2, 1, 3}}, {2, false, {1, 2, 4}}, {0, true, {1, 4, 0}}};
  MacActions a;
  a.ops = 10;
  a.gated = 4;
  // A MAC whose PE codes are its codes and whose zero is code 0 (fixed point).
  const FixedPointMac mac(3, MacWidths{});
  EXPECT_DOUBLE_EQ(characterised_mac_pj(*d, mac, pes, a), 4 * 2.0 + 6 * (8.5 + 6.25) / 2);
  // No zero weight sampled: code 0 at the sample's mean activation (1.5) and psum (1.5) toggles.
  const std::vector<PeToggles> nonzero(pes.begin(), pes.begin() + 2);
  EXPECT_DOUBLE_EQ(characterised_mac_pj(*d, mac, nonzero, a),
                   4 * (0.5 * 1.5) + 6 * (8.5 + 6.25) / 2);
  // A code the characterisation lacks: an error naming the file.
  try {
    characterised_mac_pj(*d, mac, {{7, false, {1, 1, 1}}}, a);
    ADD_FAILURE() << "an uncharacterised code was priced";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("c.json"), std::string::npos) << e.what();
  }
  // Without simulated operands, each code at its reference toggles: code 0: 0.5 x 6 = 3; code 1:
  // 1 x 2 + 0.5 x 6 + 2 x 2 = 9; code 2: 2 x 2 + 0 + 1 x 3 + 0.25 = 7.25. Weights per code x
  // operations per weight.
  EXPECT_DOUBLE_EQ(d->reference_pj(1), 9.0);
  EXPECT_DOUBLE_EQ(characterised_reference_mac_pj(*d, mac, {3, 1, 2}, 5),
                   5 * (3 * 3.0 + 9.0 + 2 * 7.25));
  EXPECT_THROW(characterised_reference_mac_pj(*d, mac, {0, 0, 0, 1}, 5), UserError);

  // Rows keyed by level (a loadable decoder): key 2|v| + (v < 0). The same coefficients as rows
  // of levels 0 (key 0), -1 (key 3) and +1 (key 2); a layer holding elp3v2's levels on elp3v2l
  // prices +-1 by them (+1 with toggles 2, 1, 3: 2 x 2 + 0 + 1 x 3 + 0.25 = 7.25; -1 with 1, 2, 4:
  // 1 + 0.5 x 2 + 2 x 4 = 10; the gated operations at level 0 with the sample's activation and
  // psum toggles: 0.5 x 1 and 0.5 x 2) and names the level it lacks (2); a MAC keyed by code is
  // refused on them, and the other way round.
  auto by_level = two_code_characterisation();
  by_level["designs"]["d"]["keyed_by"] = "level";
  by_level["designs"]["d"]["codes"][1][0] = 3;
  const MacCharacterisation cl = MacCharacterisation::load(write_characterisation(by_level, "lvl"));
  const MacCharacterisation::Design* dl = cl.find("0123456789abcdef");
  ASSERT_NE(dl, nullptr);
  const ElpLutMac hosted(ElpLutFormat::preset("elp3v2"), MacWidths{},
                         ElpLutFormat::preset("elp3v2l"));
  const std::uint32_t plus1 = hosted.pe_code(hosted.encode(1)),
                      minus1 = hosted.pe_code(hosted.encode(-1));
  EXPECT_DOUBLE_EQ(characterised_mac_pj(*dl, hosted, {{plus1, false, {2, 1, 3}}}, a),
                   4 * 0.5 + 6 * 7.25);
  EXPECT_DOUBLE_EQ(characterised_mac_pj(*dl, hosted, {{minus1, false, {1, 2, 4}}}, a),
                   4 * 1.0 + 6 * 10.0);
  try {
    characterised_mac_pj(*dl, hosted, {{hosted.pe_code(hosted.encode(2)), false, {1, 1, 1}}}, a);
    ADD_FAILURE() << "an uncharacterised level was priced";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("no row for a level the layer holds; got 2 (key 4)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(characterised_mac_pj(*dl, mac, pes, a), UserError);
  EXPECT_THROW(characterised_mac_pj(*d, hosted, {{plus1, false, {2, 1, 3}}}, a), UserError);
}

// The shipped characterisation is of the circuits the generator writes today: every design's
// hash matches its generated Verilog and every valid code has a row. A generator change fails
// here until the characterisation is re-run (its "command", docs/rtl.md), rather than runs
// silently falling back to the structural model.
TEST(MacCharacterisation, ShippedTableMatchesTheGenerator) {
  const std::string path =
      std::string(CONLOCNN_SOURCE_DIR) + "/configs/energy/mac-characterisation-45nm.json";
  const MacCharacterisation c = MacCharacterisation::load(path);
  const nlohmann::json doc = parse_json_text(read_text_file(path), path);
  ASSERT_GE(doc["designs"].size(), 20u);
  for (auto it = doc["designs"].begin(); it != doc["designs"].end(); ++it) {
    const SimConfig cfg = load_design_config(std::nullopt, {}, it.key(), "test");
    const std::string hash = fnv1a_hex(generate_mac_rtl(cfg).verilog);
    const MacCharacterisation::Design* d = c.find(hash);
    ASSERT_NE(d, nullptr) << it.key() << ": generated Verilog hashes to " << hash
                          << ", the characterisation has "
                          << it.value()["verilog_fnv1a64"].get<std::string>();
    EXPECT_EQ(d->name, it.key());
    const auto mac = make_mac_model(cfg.design, cfg.design.mac, false);
    EXPECT_EQ(d->keyed_by, mac->energy_keyed_by()) << it.key();
    if (d->keyed_by == "level") {
      // A loadable decoder: every magnitude a layer's table may hold, of either sign.
      const ElpLutParams& p = *cfg.design.elp_v2;
      for (std::int32_t m : signed_digit_values(p.positions, p.terms)) {
        EXPECT_NE(d->find(2 * static_cast<std::uint32_t>(m)), nullptr) << it.key() << " " << m;
        EXPECT_NE(d->find(2 * static_cast<std::uint32_t>(m) + 1), nullptr) << it.key() << " -" << m;
      }
      EXPECT_NE(d->find(0), nullptr) << it.key();
      continue;
    }
    for (std::int32_t level : mac->quantizer().levels())
      EXPECT_NE(d->find(mac->encode(level)), nullptr) << it.key() << " level " << level;
  }
  // The default energy table uses it.
  const EnergyTable t = EnergyTable::load(load_sim_config(std::nullopt, {}).energy_table_path);
  ASSERT_NE(t.mac_characterisation(), nullptr);
  EXPECT_EQ(t.mac_characterisation()->size(), doc["designs"].size());
}
