#include "modules/memory/dram_tech.h"

namespace conloc {

const std::vector<DramTech>& dram_technologies() {
  static const std::vector<DramTech> k = {
      {"ddr3", 70.0,
       "K. T. Malladi et al., 'Towards Energy-Proportional Datacenter Memory with Mobile DRAM', "
       "ISCA 2012 -- as quoted in the Accelergy CACTI plug-in (cacti_wrapper.py); second-hand",
       false, 12.8, "DDR3-1600, one 64-bit channel: 1600 MT/s x 8 B (JEDEC JESD79-3)"},
      {"lpddr2", 40.0,
       "Malladi et al., ISCA 2012 ('LPDDR' in the Accelergy CACTI plug-in); second-hand", false,
       6.4, "LPDDR2-800, 64-bit: 800 MT/s x 8 B (JEDEC JESD209-2)"},
      {"lpddr4", 8.0,
       "the common 8 pJ/bit convention: Accelergy CACTI plug-in, '# Public data'; no traceable "
       "source (Accelergy issue #18); second-hand and unsourced",
       false, 12.8, "LPDDR4-3200, 32-bit channel: 3200 MT/s x 4 B (JEDEC JESD209-4)"},
      {"gddr5", 14.0,
       "O'Connor, Chatterjee et al., 'Fine-Grained DRAM', MICRO-50 2017 -- as quoted in the "
       "Accelergy CACTI plug-in; second-hand",
       false, 32.0, "GDDR5 at 8 Gb/s per pin, 32-bit device: 32 GB/s"},
      {"hbm2", 3.9,
       "O'Connor, Chatterjee et al., MICRO-50 2017 -- as quoted in the Accelergy CACTI plug-in; "
       "second-hand",
       false, 256.0, "HBM2 stack, 1024 pins at 2 Gb/s (JEDEC JESD235A)"},
      {"hbm2e", 6.0,
       "Micron, 'Ultra-Bandwidth Solutions -- Memory Comparison', average device power 6.0 "
       "pJ/bit at 3.2-3.6 Gb/s per pin; primary (vendor page)",
       true, 410.0, "HBM2E stack, 1024 pins at 3.2 Gb/s (Micron page above)"},
      {"gddr6", 7.5,
       "Micron, 'Ultra-Bandwidth Solutions -- Memory Comparison', 7.5 pJ/bit at 14-16 Gb/s per "
       "pin; primary (vendor page)",
       true, 64.0, "GDDR6 at 16 Gb/s per pin, 32-bit device (Micron page above)"},
      {"gddr6x", 7.25,
       "Micron, 'Ultra-Bandwidth Solutions -- Memory Comparison', 7.25 pJ/bit at 19-21 Gb/s per "
       "pin; primary (vendor page)",
       true, 84.0, "GDDR6X at 21 Gb/s per pin, 32-bit device (Micron page above)"},
  };
  return k;
}

const DramTech* find_dram_tech(const std::string& name) {
  for (const auto& t : dram_technologies())
    if (name == t.name) return &t;
  return nullptr;
}

std::vector<std::string> dram_technology_choices() {
  std::vector<std::string> names = {"table"};
  for (const auto& t : dram_technologies())
    names.emplace_back(t.name);
  return names;
}

}  // namespace conloc
