#include "modules/controller/controller.h"

#include <cmath>

#include "modules/arith/mac_model.h"
#include "modules/base/error.h"
#include "modules/common/compiled_network.h"
#include "modules/common/int_tensor.h"

namespace conloc {

Controller::Controller(const sc_core::sc_module_name& name, RunContext& ctx,
                       std::vector<JobEngine*> engines, Dram& dram, Sram& wbuf, Sram& abuf,
                       Sram& obuf)
    : sc_module(name),
      ctx_(ctx),
      engines_(std::move(engines)),
      dram_(dram),
      wbuf_(wbuf),
      abuf_(abuf),
      obuf_(obuf) {
  SC_THREAD(run);
}

LayerTraffic Controller::snapshot() const {
  return {dram_.counters(), wbuf_.counters(), abuf_.counters(), obuf_.counters()};
}

void Controller::build_decode_table(std::size_t i) {
  // The functional model multiplies with a table, code -> weight, for speed. Each weight in the
  // table is what the MAC datapath computes for activation 1, and for every code in use the
  // datapath's product with every activation value the layer can see must be that weight times
  // the activation; a pair that is not counts as a datapath mismatch. So a wrong shift, sign or
  // decoder in the datapath shows up in the run, not only in the unit tests. Built once per layer
  // (a depth-first group runs a layer's plan once per band).
  if (decode_tables_.size() <= i) decode_tables_.resize(i + 1);
  std::vector<std::int32_t>& table = decode_tables_[i];
  if (!table.empty()) {
    ctx_.decode = table;
    return;
  }
  const CompiledLayer& cl = ctx_.network->layers[i];
  const MacModel* mac = ctx_.layer_macs[i];
  CONLOC_ASSERT(mac != nullptr, name(), "no MAC datapath for a PE-array layer");
  // The codes the layer's weights use (their levels through the layer's MAC).
  const LevelCodes code_of(*cl.mac);
  std::vector<bool> used;
  for (const std::int16_t v : cl.wq) {
    const std::uint32_t c = code_of(v);
    if (c >= used.size()) used.resize(c + 1u, false);
    used[c] = true;
  }
  table.assign(used.size(), 0);
  const std::int32_t lo = act_min(ctx_.widths.activation_bits, cl.in_signed);
  const std::int32_t hi = act_max(ctx_.widths.activation_bits, cl.in_signed);
  for (std::uint32_t c = 0; c < used.size(); ++c) {
    if (!used[c]) continue;
    const std::int64_t w = mac->mac(0, 1, c);
    table[c] = static_cast<std::int32_t>(w);
    for (std::int32_t a = lo; a <= hi; ++a)
      ctx_.stats.datapath_mismatches += mac->mac(0, a, c) != w * a;
  }
  ctx_.decode = table;
}

namespace {

// Adds one plan's result to its layer's: a depth-first group runs a layer band by band. Access
// windows stay relative to the layer's first plan.
void accumulate(LayerResult& into, const LayerResult& r) {
  const double shift = r.start_cycle - into.start_cycle;
  LayerRunStats& a = into.stats;
  const LayerRunStats& b = r.stats;
  a.compute_cycles += b.compute_cycles;
  a.stall_cycles += b.stall_cycles;
  a.output_stage_outputs += b.output_stage_outputs;
  a.vector_ops += b.vector_ops;
  a.fused_ops += b.fused_ops;
  a.tiles += b.tiles;
  a.dma_transactions += b.dma_transactions;
  a.datapath_mismatches += b.datapath_mismatches;
  a.array += b.array;
  a.compute_end = std::max(a.compute_end, b.compute_end + shift);
  auto merge = [shift](AccessWindow& x, const AccessWindow& y) {
    if (y.start >= 0) x.add(y.start + shift, y.stop + shift, y.elements);
  };
  for (int k = 0; k < kOperandCount; ++k) {
    merge(a.dram_read[k], b.dram_read[k]);
    merge(a.dram_write[k], b.dram_write[k]);
    merge(a.sram_access[k], b.sram_access[k]);
  }
  into.traffic.dram += r.traffic.dram;
  into.traffic.weight_buffer += r.traffic.weight_buffer;
  into.traffic.activation_sram += r.traffic.activation_sram;
  into.traffic.output_buffer += r.traffic.output_buffer;
  into.cycles += r.cycles;
}

}  // namespace

void Controller::run_plan(const LayerPlan& lp) {
  const auto i = static_cast<std::size_t>(lp.layer);
  ctx_.layer = lp.layer;
  ctx_.layer_plan = &lp;
  ctx_.jobs = &lp.jobs_of(ctx_.plan->dram, ctx_.dataflow, jobs_);
  ctx_.stats = LayerRunStats{};
  ctx_.board.reset(ctx_.jobs->size());
  ctx_.layer_start = sc_core::sc_time_stamp();
  ctx_.decode.clear();
  if (lp.on_pe_array && ctx_.functional) build_decode_table(i);
  const LayerTraffic before = snapshot();
  for (JobEngine* e : engines_)
    e->start_layer();
  while (ctx_.board.remaining() > 0)
    wait(ctx_.board.scheduled_event());
  if (ctx_.board.last_done() > sc_core::sc_time_stamp()) {
    wait(ctx_.board.last_done() - sc_core::sc_time_stamp());
  }
  LayerResult r;
  r.stats = ctx_.stats;
  const LayerTraffic after = snapshot();
  r.traffic = {after.dram - before.dram, after.weight_buffer - before.weight_buffer,
               after.activation_sram - before.activation_sram,
               after.output_buffer - before.output_buffer};
  r.start_cycle = ctx_.cycle_at(ctx_.layer_start);
  r.cycles = static_cast<std::uint64_t>(
      std::llround(ctx_.cycles_of(sc_core::sc_time_stamp() - ctx_.layer_start)));
  if (!ran_[i]) {
    results_[i] = r;
    ran_[i] = true;
  } else {
    accumulate(results_[i], r);
  }
  if (layer_done_) layer_done_(lp);
}

void Controller::start_after(const Controller& previous) {
  previous_ = &previous;
}

void Controller::run() {
  // After the accelerator before this one in the kernel, from the next multiple of the global
  // quantum: the quantum keepers' boundaries then fall where they fall in a run of this
  // accelerator alone, and nothing else runs meanwhile, so its timing is exactly that run's.
  if (previous_) {
    while (!previous_->finished())
      wait(previous_->finished_event_);
    const sc_core::sc_time q = tlm::tlm_global_quantum::instance().get();
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    if (q > sc_core::SC_ZERO_TIME) {
      const double n = std::ceil(now / q);
      if (q * n > now) wait(q * n - now);
    }
  }
  ctx_.origin = sc_core::sc_time_stamp();
  const std::vector<LayerPlan>& layers = ctx_.plan->layers;
  results_.assign(layers.size(), LayerResult{});
  ran_.assign(layers.size(), false);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerPlan& lp = layers[i];
    // A depth-first group's members run band by band in the units of its first member.
    if (lp.group >= 0 && static_cast<std::size_t>(lp.group) != i) continue;
    if (lp.units.empty()) {
      run_plan(lp);
    } else {
      for (const LayerPlan& unit : lp.units)
        run_plan(unit);
    }
  }
  finished_ = true;
  finished_event_.notify(sc_core::SC_ZERO_TIME);
}

}  // namespace conloc
