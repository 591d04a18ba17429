#pragma once

#include <string>
#include <vector>

namespace conloc {

// DRAM technologies `dram.technology` names (docs/energy.md): energy per bit transferred and a
// channel's peak bandwidth, each with its published source and whether that source was read
// first-hand (the vendor page or paper) or through a copy. Figures from
// configs/energy/dram-energy.md (the project's collection, copied with its sources).
struct DramTech {
  const char* name;
  double pj_per_bit;
  const char* energy_source;
  bool energy_primary;
  double gb_per_s;  // one channel / device / stack, peak
  const char* bandwidth_source;
};

const std::vector<DramTech>& dram_technologies();
// nullptr for "table" (the energy table's dram_per_bit) or an unknown name.
const DramTech* find_dram_tech(const std::string& name);
// What `dram.technology` accepts: "table", then every technology's name.
std::vector<std::string> dram_technology_choices();

}  // namespace conloc
