#include "sim/report/comparison.h"

#include <cstdio>
#include <sstream>

#include "modules/common/error.h"

namespace conloc {

namespace {

double ratio(double a, double b) {
  return b != 0 ? a / b : 0.0;
}

std::string num(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

struct Side {
  double cycles, energy, dram_read, dram_written, weight_dram;
  EnergyBreakdown e;
  Side& operator+=(const Side& o) {
    cycles += o.cycles;
    energy += o.energy;
    dram_read += o.dram_read;
    dram_written += o.dram_written;
    weight_dram += o.weight_dram;
    e += o.e;
    return *this;
  }
};

Side side_of(const LayerRow& r) {
  return {static_cast<double>(r.cycles),
          r.energy_pj,
          static_cast<double>(r.dram_weights_read + r.dram_inputs_read),
          static_cast<double>(r.dram_outputs_written),
          static_cast<double>(r.dram_weights_read),
          r.energy};
}

}  // namespace

Comparison compare_reports(const RunResult& elp, const RunResult& fixed) {
  CONLOC_ASSERT(elp.rows.size() == fixed.rows.size(), "compare", "different layer counts");
  Comparison c;
  std::ostringstream csv, tab;
  csv << "layer,type,macs,elp_cycles,fixed_cycles,cycles_ratio,elp_energy_pj,fixed_energy_pj,"
         "energy_ratio,elp_dram_read_bytes,fixed_dram_read_bytes,elp_dram_weight_bytes,"
         "fixed_dram_weight_bytes,dram_read_ratio";
  for (const auto& n : EnergyBreakdown::component_names())
    csv << ",elp_" << n << "_pj,fixed_" << n << "_pj";
  csv << "\n";
  nlohmann::json layers = nlohmann::json::array();
  char line[256];
  std::snprintf(line, sizeof line, "%-26s %10s %12s %12s %7s %12s %12s %7s %11s %11s\n", "layer",
                "MACs", "cycles elp", "cycles fixed", "ratio", "energy elp", "energy fixed",
                "ratio", "DRAM rd elp", "DRAM rd fix");
  tab << line;
  std::snprintf(line, sizeof line, "%-26s %10s %12s %12s %7s %12s %12s %7s %11s %11s\n", "", "", "",
                "", "", "uJ", "uJ", "", "KiB", "KiB");
  tab << line;
  Side te{}, tf{};
  auto emit = [&](const std::string& name, const std::string& type, double macs, const Side& a,
                  const Side& b) {
    csv << name << "," << type << "," << num(macs) << "," << num(a.cycles) << "," << num(b.cycles)
        << "," << num(ratio(a.cycles, b.cycles)) << "," << num(a.energy) << "," << num(b.energy)
        << "," << num(ratio(a.energy, b.energy)) << "," << num(a.dram_read) << ","
        << num(b.dram_read) << "," << num(a.weight_dram) << "," << num(b.weight_dram) << ","
        << num(ratio(a.dram_read, b.dram_read));
    const auto ea = a.e.values(), eb = b.e.values();
    nlohmann::json comp = nlohmann::json::object();
    for (std::size_t k = 0; k < ea.size(); ++k) {
      csv << "," << num(ea[k]) << "," << num(eb[k]);
      comp[EnergyBreakdown::component_names()[k]] = {{"elp_pj", ea[k]}, {"fixed_pj", eb[k]}};
    }
    csv << "\n";
    layers.push_back({{"layer", name},
                      {"type", type},
                      {"macs", macs},
                      {"elp_cycles", a.cycles},
                      {"fixed_cycles", b.cycles},
                      {"cycles_ratio", ratio(a.cycles, b.cycles)},
                      {"elp_energy_pj", a.energy},
                      {"fixed_energy_pj", b.energy},
                      {"energy_ratio", ratio(a.energy, b.energy)},
                      {"elp_dram_read_bytes", a.dram_read},
                      {"fixed_dram_read_bytes", b.dram_read},
                      {"elp_dram_weight_bytes", a.weight_dram},
                      {"fixed_dram_weight_bytes", b.weight_dram},
                      {"dram_read_ratio", ratio(a.dram_read, b.dram_read)},
                      {"energy_by_component", comp}});
    std::snprintf(line, sizeof line,
                  "%-26.26s %10.3g %12.0f %12.0f %7.3f %12.3f %12.3f %7.3f %11.1f %11.1f\n",
                  name.c_str(), macs, a.cycles, b.cycles, ratio(a.cycles, b.cycles),
                  a.energy * 1e-6, b.energy * 1e-6, ratio(a.energy, b.energy), a.dram_read / 1024,
                  b.dram_read / 1024);
    tab << line;
  };
  for (std::size_t i = 0; i < elp.rows.size(); ++i) {
    const Side a = side_of(elp.rows[i]), b = side_of(fixed.rows[i]);
    emit(elp.rows[i].layer, elp.rows[i].type, static_cast<double>(elp.rows[i].macs), a, b);
    te += a;
    tf += b;
  }
  emit("TOTAL", "", static_cast<double>(elp.macs), te, tf);
  tab << "\nenergy by component (uJ)      " << elp.design << "        " << fixed.design
      << "    ratio\n";
  const auto ea = te.e.values(), eb = tf.e.values();
  for (std::size_t k = 0; k < ea.size(); ++k) {
    std::snprintf(line, sizeof line, "  %-24s %10.3f %12.3f %8.3f\n",
                  EnergyBreakdown::component_names()[k].c_str(), ea[k] * 1e-6, eb[k] * 1e-6,
                  ratio(ea[k], eb[k]));
    tab << line;
  }
  std::snprintf(line, sizeof line, "  %-24s %10.3f %12.3f %8.3f\n", "total", te.energy * 1e-6,
                tf.energy * 1e-6, ratio(te.energy, tf.energy));
  tab << line;
  c.csv = csv.str();
  c.table = tab.str();
  c.json = {{"elp", summary_json(elp)}, {"fixed", summary_json(fixed)}, {"layers", layers}};
  return c;
}

}  // namespace conloc
