#include "sim/report/accuracy_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "sim/report/columns.h"

namespace conloc {

namespace {

std::string pct(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", 100 * v);
  return b;
}

// One result with what it cost and the fixed8 energy at its compensation and activation width.
struct Row {
  const AccuracyResult* r;
  const RunResult* cost;  // null for float
  double fixed8_energy_pj;
};

std::vector<Row> rows_of(const AccuracyTable& t) {
  std::map<std::pair<std::string, int>, double> fixed8;  // (compensation, act bits) -> pJ
  std::vector<Row> rows;
  for (std::size_t i = 0; i < t.results->size(); ++i) {
    const AccuracyResult& r = (*t.results)[i];
    const RunResult* c = t.costs[i];
    if (c && r.variant.weights == "fixed8")
      fixed8[{r.variant.compensation, r.variant.activation_bits}] = c->energy_pj;
    rows.push_back({&r, c, 0});
  }
  for (auto& r : rows) {
    const auto it = fixed8.find({r.r->variant.compensation, r.r->variant.activation_bits});
    r.fixed8_energy_pj = it == fixed8.end() ? NAN : it->second;
  }
  return rows;
}

bool is_classifier(const AccuracyTable& t) {
  return t.results->front().classifier;
}

// The compensation of the agreement, SQNR and energy columns: the configured one when it was
// evaluated, else the first evaluated.
std::string default_compensation(const AccuracyTable& t) {
  const std::string configured = to_string(t.base->design.compensation);
  const auto& cs = t.compensations;
  return std::find(cs.begin(), cs.end(), configured) != cs.end() ? configured : cs.front();
}

nlohmann::json result_json(const AccuracyTable& t, const Row& r, double float_top1) {
  const AccuracyVariant& v = r.r->variant;
  const bool classifier = is_classifier(t);
  nlohmann::json e = {{"weights", v.weights},
                      {"kind", v.kind},
                      {"code_bits", v.code_bits},
                      {"compensation", v.compensation},
                      {"activation_bits", v.activation_bits},
                      {"images", r.r->images}};
  // A classifier's top-1 against the labels and its agreement with the float reference's top
  // class; every quantized variant's output SQNR against the float reference's output.
  e["top1"] = classifier ? nlohmann::json(r.r->top1()) : nlohmann::json();
  e["top1_delta_vs_float"] =
      classifier ? nlohmann::json(r.r->top1() - float_top1) : nlohmann::json();
  e["agreement_with_float"] = classifier ? nlohmann::json(r.r->agreement()) : nlohmann::json();
  e["output_sqnr_db"] = finite_or_null(r.r->output_sqnr_db);
  if (classifier && t.workload->net.tensors.back().elements() > 10) e["top5"] = r.r->top5();
  if (r.cost) {
    e["energy_uj"] = r.cost->energy_pj * 1e-6;
    e["energy_vs_fixed8"] = std::isnan(r.fixed8_energy_pj)
                                ? nlohmann::json()
                                : nlohmann::json(r.cost->energy_pj / r.fixed8_energy_pj);
    e["cycles"] = r.cost->cycles;
    e["latency_ms"] = r.cost->latency_s * 1e3;
  }
  return e;
}

struct LayerLine {
  const AccuracyVariant* v;
  const LayerAccuracy* l;
};

const ColumnTable<LayerLine>& layer_columns() {
  static const ColumnTable<LayerLine> cols = {
      {"weights", "", [](const LayerLine& x) { return nlohmann::json(x.v->weights); }},
      {"compensation", "", [](const LayerLine& x) { return nlohmann::json(x.v->compensation); }},
      {"activation_bits", "bits",
       [](const LayerLine& x) { return nlohmann::json(x.v->activation_bits); }},
      {"layer", "", [](const LayerLine& x) { return nlohmann::json(x.l->layer); }},
      {"weight_count", "", [](const LayerLine& x) { return nlohmann::json(x.l->weight_count); }},
      {"weight_sqnr_db", "dB",
       [](const LayerLine& x) { return finite_or_null(x.l->weight_sqnr_db); }},
      {"output_sqnr_heldout_db", "dB",
       [](const LayerLine& x) { return finite_or_null(x.l->output_sqnr_db); }},
      {"rho_calibration", "",
       [](const LayerLine& x) { return finite_or_null(x.l->rho_calibration); }},
      {"rho_heldout", "", [](const LayerLine& x) { return finite_or_null(x.l->rho_heldout); }},
  };
  return cols;
}

std::vector<LayerLine> layer_lines(const AccuracyTable& t) {
  std::vector<LayerLine> lines;
  for (const auto& r : *t.results) {
    for (const auto& l : r.layers)
      lines.push_back({&r.variant, &l});
  }
  return lines;
}

nlohmann::json accuracy_json(const AccuracyTable& t, const std::vector<Row>& rows) {
  const Workload& w = *t.workload;
  const AccuracySetup& setup = *t.setup;
  nlohmann::json j;
  j["workload"] = w.net.name;
  j["dataset"] = {{"name", w.dataset.name},
                  {"dir", t.dataset->dir},
                  {"calibration", setup.calibration.text()},
                  {"evaluation", setup.evaluation.text()},
                  {"activation_calibration",
                   t.base->design.activation_percentile >= 100
                       ? std::string("minmax")
                       : "percentile " + std::to_string(t.base->design.activation_percentile)}};
  j["float_top1_recorded"] =
      std::isnan(w.dataset.float_top1) ? nlohmann::json() : nlohmann::json(w.dataset.float_top1);
  j["accelerator_bit_exact"] = t.accelerator_bit_exact;
  j["results"] = nlohmann::json::array();
  const double float_top1 = t.results->front().top1();
  for (const auto& r : rows)
    j["results"].push_back(result_json(t, r, float_top1));
  j["layers"] = to_json_array(layer_columns(), layer_lines(t));
  return j;
}

// A classifier's cells are top-1 in %; another network's the output SQNR against the float
// reference in dB.
// The bits column: the stored bits per weight, or for a design of per-layer widths
// (design.layer_formats) their mean over the network's weights, with the PE's width.
std::string bits_text(const AccuracyResult& r) {
  const std::string pe = std::to_string(r.variant.code_bits);
  if (!r.cn || r.variant.cfg.design.layer_formats.empty()) return pe;
  double bits = 0, weights = 0;
  for (std::size_t i = 0; i < r.cn->net.layers.size(); ++i) {
    const Layer& l = r.cn->net.layers[i];
    if (!l.on_pe_array()) continue;
    const auto n = static_cast<double>(r.cn->net.weight_count(l));
    bits += n * r.cn->code_bits(i);
    weights += n;
  }
  char mean[32];
  std::snprintf(mean, sizeof mean, "%.2f", weights > 0 ? bits / weights : 0.0);
  return std::string(mean) + " (PE " + pe + ")";
}

std::string metric(bool classifier, const AccuracyResult& r) {
  if (classifier) return pct(r.top1());
  if (std::isnan(r.output_sqnr_db)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", r.output_sqnr_db);
  return b;
}

// One row per format: its metric per compensation at the first activation width, then at the
// other widths, then agreement, SQNR and cost at the default compensation and first width.
std::string format_line(const AccuracyTable& t, const std::vector<Row>& rows,
                        const std::string& f) {
  const bool classifier = is_classifier(t);
  std::vector<const Row*> fr;
  for (const auto& r : rows) {
    if (r.r->variant.weights == f) fr.push_back(&r);
  }
  std::ostringstream md;
  md << "| " << f << " | " << bits_text(*fr.front()->r) << " |";
  for (const Row* r : fr)
    md << " " << metric(classifier, *r->r) << " |";
  const std::string def_comp = default_compensation(t);
  const Row* def = fr.front();
  for (const Row* r : fr) {
    if (r->r->variant.compensation == def_comp &&
        r->r->variant.activation_bits == t.activation_bits.front())
      def = r;
  }
  char b[192];
  const double ratio = def->cost->energy_pj / def->fixed8_energy_pj;
  std::snprintf(b, sizeof b, " %s | %.1f | %.3f | %s | %llu |\n",
                classifier ? pct(def->r->agreement()).c_str() : "-", def->r->output_sqnr_db,
                def->cost->energy_pj * 1e-6,
                std::isnan(ratio) ? "-" : (std::to_string(ratio).substr(0, 5)).c_str(),
                static_cast<unsigned long long>(def->cost->cycles));
  md << b;
  return md.str();
}

std::string accuracy_markdown(const AccuracyTable& t, const std::vector<Row>& rows) {
  const Workload& w = *t.workload;
  const AccuracySetup& setup = *t.setup;
  const bool classifier = is_classifier(t);
  const double float_top1 = t.results->front().top1();
  const auto& comps = t.compensations;
  const auto& acts = t.activation_bits;
  std::ostringstream md;
  md << "# Accuracy of " << w.net.name << " on " << w.dataset.name << "\n\n"
     << (classifier ? "Top-1 in %" : "Output SQNR against the float reference in dB") << " on "
     << setup.evaluation.text() << " (" << setup.evaluation.size()
     << " images); activation scales and compensation calibrated on " << setup.calibration.text()
     << ". Energy and cycles per inference on the configured "
     << "accelerator (" << t.base->array.rows << "x" << t.base->array.cols << ").\n\n"
     << "| weights | bits |";
  for (const auto& c : comps)
    md << " " << c << " |";
  for (std::size_t ai = 1; ai < acts.size(); ++ai)
    md << " act" << acts[ai] << " (" << to_string(t.base->design.compensation) << ") |";
  md << " agrees with float % | output SQNR dB | energy uJ | vs fixed8 | cycles |\n|---|---|";
  for (std::size_t i = 0; i < comps.size() + acts.size() - 1; ++i)
    md << "---|";
  md << "---|---|---|---|---|\n";
  md << "| float | 32 |";
  for (std::size_t i = 0; i < comps.size() + acts.size() - 1; ++i)
    md << " " << (i == 0 && classifier ? pct(float_top1) : "") << " |";
  md << " | | | | |\n";
  for (const auto& f : t.formats)
    md << format_line(t, rows, f);
  md << "\nAgreement, output SQNR (on the first "
     << std::min(setup.sqnr_images, setup.evaluation.size())
     << " evaluation images) and energy columns: activation width " << acts.front()
     << ", compensation " << default_compensation(t) << ".";
  if (classifier) {
    md << " Float reference top-1 " << pct(float_top1) << " %";
    if (!std::isnan(w.dataset.float_top1))
      md << " (training script recorded " << pct(w.dataset.float_top1) << " %)";
    md << ".";
  }
  md << "\n";
  return md.str();
}

}  // namespace

AccuracyFiles accuracy_report(const AccuracyTable& t) {
  const std::vector<Row> rows = rows_of(t);
  return {accuracy_json(t, rows), accuracy_markdown(t, rows),
          to_csv(layer_columns(), layer_lines(t))};
}

}  // namespace conloc
