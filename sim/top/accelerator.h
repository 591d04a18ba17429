#pragma once

#include <systemc>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "modules/common/compiled_network.h"
#include "modules/compensation_adder/compensation_adder.h"
#include "modules/controller/controller.h"
#include "modules/dma/dma_engine.h"
#include "modules/memory/dram.h"
#include "modules/memory/sram.h"
#include "modules/pe_array/pe_array.h"
#include "modules/vector_unit/vector_unit.h"
#include "sim/config/sim_config.h"
#include "sim/energy/energy_cost.h"
#include "sim/energy/energy_model.h"
#include "sim/mapping/mapper.h"

namespace conloc {

// One accelerator instance: DRAM, DMA, encoded weight buffer, activation SRAM, output buffer,
// PE array, compensation adder, vector unit and the controller, with every socket bound here.
// Makes the MAC datapath model for activations of the given signedness.
using MacFactory = std::function<std::unique_ptr<MacModel>(bool activation_signed)>;

class Accelerator : public sc_core::sc_module {
 public:
  // `plan` must be feasible (plan_run). `functional`: simulate the values (the network must be
  // calibrated, with the reference of every image of the batch). `make_mac` builds the PE
  // datapath the functional model takes its products from (default: each layer's own, from the
  // compiler).
  Accelerator(const sc_core::sc_module_name& name, const SimConfig& cfg, const CompiledNetwork& cn,
              NetworkPlan plan, bool functional, const MacFactory& make_mac = nullptr,
              bool trace = false);

  const std::vector<LayerResult>& results() const { return controller_->results(); }
  bool finished() const { return controller_->finished(); }
  // Runs after `previous` (Controller::start_after): simulate() chains the accelerators it
  // elaborates, so each one's figures are those of a run of it alone.
  void start_after(const Accelerator& previous) { controller_->start_after(*previous.controller_); }
  const NetworkPlan& plan() const { return plan_; }
  const SimConfig& config() const { return cfg_; }
  const std::vector<TraceEvent>& trace() const { return ctx_.trace; }  // empty unless asked for
  // Per layer: number of output elements that differ from the reference (functional runs).
  std::vector<std::uint64_t> compare_outputs() const;

 private:
  void load_dram_image();
  // Functional runs: compares what plan `lp` wrote on chip (a resident tensor, or a band's rows
  // in a depth-first group's window) with the reference while it is still in the activation
  // SRAM (the space is reused once the tensor's life, or the band, ends).
  void check_on_chip(const LayerPlan& lp);
  // The reference activations of image `b` of the batch.
  const std::vector<IntTensor>& image_tensors(int b) const {
    return b == 0 ? cn_.tensors : cn_.batch_tensors.at(static_cast<std::size_t>(b - 1));
  }

  const SimConfig& cfg_;
  const CompiledNetwork& cn_;
  bool functional_;
  std::unique_ptr<DataflowModel> dataflow_;
  NetworkPlan plan_;
  std::unique_ptr<MacModel> macs_[2];  // make_mac's datapaths for unsigned, signed activations
  RunContext ctx_;
  std::unique_ptr<Dram> dram_;
  std::unique_ptr<Sram> wbuf_, abuf_, obuf_;
  std::unique_ptr<DmaEngine> dma_in_, dma_out_;
  std::unique_ptr<PeArray> pe_;
  std::unique_ptr<CompensationAdder> compensation_adder_;
  std::unique_ptr<VectorUnit> vec_;
  std::unique_ptr<Controller> controller_;
  std::vector<std::uint64_t> on_chip_mismatches_;  // per tensor (check_on_chip)
  std::vector<bool> checked_on_chip_;              // ... for the tensors checked there
};

// Plans `cn` for the accelerator `cfg` describes (before any elaboration); `macs`: every layer's
// MAC energy (mac_energies), which the mapper's energy objective includes; `reuse`: the mapper's
// counts of earlier plans, if the caller keeps them (choose_schedule).
// `jobs_on_demand`: see plan_network (the simulation makes each layer's jobs when it runs).
PlanResult plan_run(const SimConfig& cfg, const CompiledNetwork& cn, const EnergyModel& em,
                    const std::vector<LayerMacEnergy>& macs, MappingReuse* reuse = nullptr,
                    bool jobs_on_demand = false);

// The array `cfg` describes, with its buffers' port limits for `cn`'s code width.
ArrayDims array_dims(const SimConfig& cfg, const CompiledNetwork& cn);
// The dataflow model and planner parameters `cfg` describes (mappings left to the planner).
std::unique_ptr<DataflowModel> make_dataflow(Dataflow d);
PlanParams plan_params(const SimConfig& cfg, const CompiledNetwork& cn, const DataflowModel* df);

struct PlannedRun {
  const SimConfig* cfg = nullptr;
  const CompiledNetwork* cn = nullptr;
  NetworkPlan plan;  // feasible
  bool functional = false;
  MacFactory make_mac;  // optional: a different datapath (tests inject faults with it)
  bool trace = false;   // record every job (RunRequest::trace)
};

// Elaborates one accelerator per planned run -- `compare` and a sweep point run several in one
// simulation, one after another in simulated time, so each gets the figures a run of it alone
// gets -- runs the kernel to completion and returns the instances.
std::vector<std::unique_ptr<Accelerator>> simulate(std::vector<PlannedRun> runs);

}  // namespace conloc
