#include "modules/controller/controller.h"

#include <cmath>

#include "modules/common/compiled_network.h"

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

void Controller::run() {
  const CompiledNetwork& cn = *ctx_.network;
  for (std::size_t i = 0; i < cn.net.layers.size(); ++i) {
    const LayerPlan& lp = ctx_.plan->layers[i];
    ctx_.layer = static_cast<int>(i);
    ctx_.layer_plan = &lp;
    ctx_.stats = LayerRunStats{};
    ctx_.board.reset(lp.jobs.size());
    ctx_.layer_start = sc_core::sc_time_stamp();
    ctx_.decode.clear();
    if (lp.on_pe_array && ctx_.functional) {
      // Decode table for the functional model only; the hardware uses the fields directly.
      const CompiledLayer& cl = cn.layers[i];
      for (std::size_t w = 0; w < cl.codes.size(); ++w) {
        const std::uint16_t c = cl.codes[w];
        if (c >= ctx_.decode.size()) ctx_.decode.resize(c + 1u, 0);
        ctx_.decode[c] = cl.wq[w];
      }
    }
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
    r.start_cycle = ctx_.cycles_of(ctx_.layer_start);
    r.cycles = static_cast<std::uint64_t>(
        std::llround(ctx_.cycles_of(sc_core::sc_time_stamp() - ctx_.layer_start)));
    results_.push_back(r);
  }
  finished_ = true;
}

}  // namespace conloc
