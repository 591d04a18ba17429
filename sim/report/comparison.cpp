#include "sim/report/comparison.h"

#include <cstdio>
#include <sstream>

#include "modules/base/error.h"

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

// One design's figures for one layer (or the total).
struct Side {
  double cycles = 0, energy = 0, dram_read = 0, dram_weights = 0;
  EnergyBreakdown e;
  Side& operator+=(const Side& o) {
    cycles += o.cycles;
    energy += o.energy;
    dram_read += o.dram_read;
    dram_weights += o.dram_weights;
    e += o.e;
    return *this;
  }
};

Side side_of(const LayerRow& r) {
  Side s;
  s.cycles = static_cast<double>(r.cycles);
  s.energy = r.energy_pj;
  s.dram_read = static_cast<double>(r.dram_weights_read + r.dram_inputs_read);
  s.dram_weights = static_cast<double>(r.dram_weights_read);
  s.e = r.energy;
  return s;
}

}  // namespace

// The comparison's CSV, terminal table and per-layer JSON, written row by row.
class ComparisonWriter {
 public:
  explicit ComparisonWriter(const std::vector<std::string>& labels)
      : labels_(labels), n_(labels.size()), base_(labels.size() - 1) {
    csv_header();
    table_header();
  }

  // One layer's (or the total's) row: per design its figures, then its ratios to the baseline.
  void row(const std::string& name, const std::string& type, double macs,
           const std::vector<Side>& s) {
    auto& csv = csv_;
    auto& tab = tab_;
    const std::size_t n = n_, base = base_;
    const auto& labels = labels_;
    char cell[96];
    csv << name << "," << type << "," << num(macs);
    for (const auto& x : s) {
      csv << "," << num(x.cycles) << "," << num(x.energy) << "," << num(x.dram_read) << ","
          << num(x.dram_weights);
    }
    for (std::size_t d = 0; d < base; ++d) {
      csv << "," << num(ratio(s[d].cycles, s[base].cycles)) << ","
          << num(ratio(s[d].energy, s[base].energy)) << ","
          << num(ratio(s[d].dram_read, s[base].dram_read));
    }
    for (const auto& x : s)
      for (double v : x.e.values())
        csv << "," << num(v);
    csv << "\n";
    nlohmann::json per = nlohmann::json::object();
    for (std::size_t d = 0; d < n; ++d) {
      per[labels[d]] = {{"cycles", s[d].cycles},
                        {"energy_pj", s[d].energy},
                        {"dram_read_bytes", s[d].dram_read},
                        {"dram_weight_bytes", s[d].dram_weights},
                        {"energy_by_component_pj", s[d].e.to_json()},
                        {"cycles_vs_baseline", ratio(s[d].cycles, s[base].cycles)},
                        {"energy_vs_baseline", ratio(s[d].energy, s[base].energy)},
                        {"dram_read_vs_baseline", ratio(s[d].dram_read, s[base].dram_read)}};
    }
    layers_.push_back({{"layer", name}, {"type", type}, {"macs", macs}, {"designs", per}});
    std::snprintf(cell, sizeof cell, "%-26.26s %10.3g", name.c_str(), macs);
    tab << cell;
    for (const auto& x : s) {
      std::snprintf(cell, sizeof cell, " %11.3f", x.energy * 1e-6);
      tab << cell;
    }
    for (std::size_t d = 0; d < base; ++d) {
      std::snprintf(cell, sizeof cell, " %9.3f", ratio(s[d].energy, s[base].energy));
      tab << cell;
    }
    tab << "\n";
  }

  Comparison finish(const std::vector<RunResult>& runs, const std::vector<Side>& total) {
    component_table(total);
    nlohmann::json designs = nlohmann::json::object();
    for (std::size_t d = 0; d < n_; ++d)
      designs[labels_[d]] = summary_json(runs[d]);
    Comparison c;
    c.json = {{"designs", designs},
              {"order", labels_},
              {"baseline", labels_[base_]},
              {"layers", layers_}};
    c.csv = csv_.str();
    c.table = tab_.str();
    return c;
  }

 private:
  // Per design its figures, then its ratios to the baseline, then components.
  void csv_header() {
    auto& csv = csv_;
    const auto& labels = labels_;
    const std::size_t base = base_;
    const std::string& bl = labels[base];
    const auto& comps = EnergyBreakdown::component_names();
    csv << "layer,type,macs";
    for (const auto& l : labels) {
      csv << "," << l << "_cycles," << l << "_energy_pj," << l << "_dram_read_bytes," << l
          << "_dram_weight_bytes";
    }
    for (std::size_t d = 0; d < base; ++d) {
      csv << "," << labels[d] << "_cycles_vs_" << bl << "," << labels[d] << "_energy_vs_" << bl
          << "," << labels[d] << "_dram_read_vs_" << bl;
    }
    for (const auto& l : labels)
      for (const auto& k : comps)
        csv << "," << l << "_" << k << "_pj";
    csv << "\n";
  }

  // Energy per design, then each design's energy ratio to the baseline.
  void table_header() {
    auto& tab = tab_;
    const auto& labels = labels_;
    const std::size_t n = n_, base = base_;
    const std::string& bl = labels[base];
    char cell[96];
    tab << "layer                            MACs";
    for (const auto& l : labels) {
      std::snprintf(cell, sizeof cell, " %11.11s", l.c_str());
      tab << cell;
    }
    for (std::size_t d = 0; d < base; ++d) {
      std::snprintf(cell, sizeof cell, " %9.9s", labels[d].c_str());
      tab << cell;
    }
    tab << "\n                                     ";
    for (std::size_t d = 0; d < n; ++d)
      tab << "   energy uJ";
    for (std::size_t d = 0; d < base; ++d) {
      std::snprintf(cell, sizeof cell, " %9.9s", ("/" + bl).c_str());
      tab << cell;
    }
    tab << "\n";
  }

  // Energy by component, one column per design.
  void component_table(const std::vector<Side>& total) {
    auto& tab = tab_;
    const auto& labels = labels_;
    const auto& comps = EnergyBreakdown::component_names();
    char cell[96];
    tab << "\nenergy by component (uJ)";
    for (const auto& l : labels) {
      std::snprintf(cell, sizeof cell, " %11.11s", l.c_str());
      tab << cell;
    }
    tab << "\n";
    for (std::size_t k = 0; k <= comps.size(); ++k) {
      std::snprintf(cell, sizeof cell, "  %-22s", k < comps.size() ? comps[k].c_str() : "total");
      tab << cell;
      for (const auto& t : total) {
        std::snprintf(cell, sizeof cell, " %11.3f",
                      (k < comps.size() ? t.e.values()[k] : t.energy) * 1e-6);
        tab << cell;
      }
      tab << "\n";
    }
  }

  const std::vector<std::string>& labels_;
  const std::size_t n_, base_;
  std::ostringstream csv_, tab_;
  nlohmann::json layers_ = nlohmann::json::array();
};

Comparison compare_runs(const std::vector<RunResult>& runs,
                        const std::vector<std::string>& labels) {
  CONLOC_ASSERT(!runs.empty() && runs.size() == labels.size(), "compare", "labels per run");
  for (const auto& r : runs)
    CONLOC_ASSERT(r.rows.size() == runs.front().rows.size(), "compare", "different layer counts");
  const std::size_t n = runs.size();
  ComparisonWriter w(labels);
  std::vector<Side> total(n);
  const auto& rows0 = runs.front().rows;
  for (std::size_t i = 0; i < rows0.size(); ++i) {
    std::vector<Side> s;
    for (std::size_t d = 0; d < n; ++d) {
      s.push_back(side_of(runs[d].rows[i]));
      total[d] += s.back();
    }
    w.row(rows0[i].layer, rows0[i].type, static_cast<double>(rows0[i].macs), s);
  }
  w.row("TOTAL", "", static_cast<double>(runs.front().macs), total);
  return w.finish(runs, total);
}

}  // namespace conloc
