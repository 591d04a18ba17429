#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace conloc {

// A SCALE-Sim v2 configuration file (`.cfg`, read by `--config FILE.cfg`) as this tool's config
// document (docs/timing.md, "SCALE-Sim configurations"): the array, dataflow, SRAM sizes, banks
// and DRAM bandwidth it names, on SCALE-Sim's compute model (array.fold_timing = scalesim, 8-bit
// fixed-point words). Every key is mapped or refused by name; a missing section or key, a
// dataflow we do not model (is) or a malformed line is a UserError naming the file, the line or
// section and the key.
nlohmann::json scalesim_cfg_document(const std::string& path);

}  // namespace conloc
