#include "sim/cli/labelled_data.h"

#include <cstdio>
#include <unistd.h>

#include "modules/base/error.h"
#include "sim/common/stopwatch.h"
#include "sim/workload/dataset.h"
#include "sim/workload/onnx_import.h"

namespace conloc {

Workload load_labelled_workload(const std::string& file, const std::string& dataset,
                                const std::string& input_shape, std::uint64_t seed) {
  Workload w = load_workload(file, seed, -1,
                             input_shape.empty() ? std::vector<std::int64_t>{}
                                                 : parse_input_shape(input_shape, "--input-shape"));
  if (!dataset.empty()) {
    if (!w.dataset.name.empty() && w.dataset.name != dataset) {
      throw UserError(field_error("--dataset", "", "the workload names another dataset", dataset,
                                  w.dataset.name));
    }
    if (w.dataset.name.empty()) w.dataset = dataset_ref(dataset);
  }
  if (w.dataset.name.empty()) {
    throw UserError(field_error(file, "dataset", "the workload names no dataset", "",
                                "a trained network JSON with \"dataset\" (e.g. " +
                                    std::string(kDefaultLabelledWorkload) +
                                    "), or --dataset NAME"));
  }
  return w;
}

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), tty_(isatty(2) != 0) {}

void ProgressBar::operator()(std::int64_t done, std::int64_t total) {
  const double f = total ? static_cast<double>(done) / total : 1.0;
  const double el = seconds_since(t0_);
  const double eta = f > 0.01 ? el * (1 - f) / f : 0;
  if (tty_) {
    const int w = 30, fill = static_cast<int>(f * w);
    std::fprintf(stderr, "\r%s [%s%s] %3.0f %%  %.0f s elapsed, ~%.0f s left  ", label_.c_str(),
                 std::string(fill, '#').c_str(), std::string(w - fill, '.').c_str(), 100 * f, el,
                 eta);
    if (done >= total) std::fprintf(stderr, "\n");
  } else if (static_cast<int>(f * 10) > last_decile_) {
    last_decile_ = static_cast<int>(f * 10);
    std::fprintf(stderr, "%s: %3.0f %% (%.0f s)\n", label_.c_str(), 100 * f, el);
  }
}

}  // namespace conloc
