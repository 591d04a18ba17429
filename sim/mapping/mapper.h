#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "modules/common/compiled_network.h"
#include "modules/controller/layer_plan.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_cost.h"
#include "sim/energy/energy_model.h"

namespace conloc {

// What the mapper predicts for one mapping of one layer: the closed-form counts (count_conv),
// the energy the simulator would charge for them (cost_layer, exact but for leakage, which follows
// the cycles), and an estimate of the layer's cycles.
struct MappingCost {
  ConvMapping mapping;
  ConvCounts counts;
  EnergyBreakdown energy;
  // max(array cycles, DRAM transfer cycles, output-stage cycles) + the first tile's loads: a
  // roofline over the engines, which the simulation's overlap can only approach.
  double cycles = 0;
  double objective = 0;  // by mapping.objective: pJ, cycles, or pJ x cycles
};

// The mapping space of one conv / fc layer: the values each axis of a ConvMapping takes (docs/
// mapping.md, "The space"), in the order of that table. The sizes of the inner axes depend on
// the outer ones (`ct` on `nt` and `all_ch`, `rows` on those and `images`): the largest that
// fits is found per choice, and every balanced size up to it is tried.
struct MappingSpace {
  std::vector<TileOrder> orders;  // order: mapping.order, or both
  std::vector<int> nt;            // output channels per tile
  std::vector<bool> all_ch;       // an input band holds every input channel, or only the chunk's
  int input_channels = 1;         // ct: balanced sizes of this many (per group)
  std::vector<int> images;        // images of the batch per tile
  int output_rows = 1;            // the layer's output rows
  // Output rows per band: balanced sizes of output_rows, then (where bands of whole folds exist:
  // fold_rows) balanced splits of its units of whole folds, largest first within each.
  std::vector<int> rows;
  std::vector<bool> acc;  // WS column accumulators used, or bypassed
};

// The space of `layer` under `cfg`'s mapping.* and the array of `p`.
MappingSpace mapping_space(const SimConfig& cfg, const CompiledNetwork& cn, int layer,
                           const PlanParams& p);

// Every mapping of conv / fc layer `layer` the mapper considers under `cfg`'s mapping.* (its
// MappingSpace, or greedy_mapping's tiles under mapping.search = greedy), each fitting the
// buffers; empty when the layer cannot be tiled at all.
std::vector<ConvMapping> mapping_candidates(const SimConfig& cfg, const CompiledNetwork& cn,
                                            int layer, const PlanParams& p);

// `macs`: every layer's MAC energy (mac_energies), which does not depend on the mapping;
// `memory`: the configuration's memory costs, if the caller has them.
MappingCost evaluate_mapping(const SimConfig& cfg, const CompiledNetwork& cn, int layer,
                             const PlanParams& p, const EnergyModel& em,
                             const std::vector<LayerMacEnergy>& macs, const ConvMapping& m,
                             const MemoryCosts* memory = nullptr);

// What the mapper chooses for a network: the mapping of every conv / fc layer (indexed by
// layer; none for vector layers and for layers that do not fit, which the planner then reports),
// the candidate of least objective, or greedy_mapping's under mapping.search = greedy; and, of
// the fusions `p.fused_stage` offers (mapping.fusion = fused-stage), those whose pair costs less
// fused by mapping.objective than its two layers one after the other (docs/mapping.md,
// "Fusion"). Layers of identical shape share their candidates' counts.
// Under mapping.fusion = residency and up, the tensors kept in the activation SRAM are chosen
// after the fusions (docs/mapping.md, "Residency"), and the mappings then for the halves each
// layer is left.
struct Schedule {
  std::vector<std::optional<ConvMapping>> mappings;
  std::vector<int> fused_stage;           // PlanParams::fused_stage: the fusions taken
  std::vector<std::uint64_t> resident;    // PlanParams::resident: the tensors kept on chip
  std::vector<PlanParams::Group> groups;  // PlanParams::groups: depth-first groups
  // Per layer under mapping.fusion = depth-first: why no group starts at it (NetworkPlan::
  // ungrouped): one of the reasons below, the first followed by the closest group in
  // parentheses; empty where a group does, or no group could (another kind).
  std::vector<std::string> ungrouped;
};
// What the mapper counts of each layer shape (its candidates, their classes and the classes'
// array counts: docs/mapping.md "Search"), kept across choose_schedule calls: calls whose
// planning parameters agree -- the whole PlanParams and mapping.search / order, not the energy
// table, DRAM technology, clock, objective, design or weights -- count a shape once. The runs of
// one run_simulations share one (a sweep worker's batch, `compare`'s designs).
class MappingReuse {
 public:
  // `verify`: count a shape again where it is found counted, and stop (an InternalError) if the
  // counts differ: the check that the planning key holds everything they depend on.
  explicit MappingReuse(bool verify = false);
  ~MappingReuse();
  std::size_t reused() const;  // times a call found a shape counted by an earlier one
  struct Impl;
  Impl* impl() { return impl_.get(); }

 private:
  std::unique_ptr<Impl> impl_;
};

inline constexpr const char* kCheaperAlone = "cheaper one after another";
inline constexpr const char* kNoBandFits = "no band fits";    // in any band size, any chain
inline constexpr const char* kOneBandOnly = "one band only";  // a one-row result
// Every group that saves would leave a layer or group outside it without room to run.
inline constexpr const char* kLeavesNoRoom = "leaves another layer no room";
Schedule choose_schedule(const SimConfig& cfg, const CompiledNetwork& cn, const PlanParams& p,
                         const EnergyModel& em, const std::vector<LayerMacEnergy>& macs,
                         MappingReuse* reuse = nullptr);

}  // namespace conloc
