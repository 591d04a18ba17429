#include "sim/top/accelerator.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include "modules/base/error.h"
#include "sim/mapping/mapper.h"

namespace conloc {

std::unique_ptr<DataflowModel> make_dataflow(Dataflow d) {
  switch (d) {
    case Dataflow::WeightStationary:
      return std::make_unique<WeightStationary>();
    case Dataflow::OutputStationary:
      return std::make_unique<OutputStationary>();
    case Dataflow::InputStationary:
      return std::make_unique<InputStationary>();
  }
  CONLOC_ASSERT(false, "accelerator", "unknown dataflow");
  return nullptr;
}

ArrayDims array_dims(const SimConfig& cfg, const CompiledNetwork& cn) {
  ArrayDims a{cfg.array.rows, cfg.array.cols, cfg.array.scalesim_folds,
              cfg.array.accumulator_entries};
  const auto& b = cfg.buffers;
  a.ports.weight_bytes = static_cast<double>(b.port_bytes[0]) * b.banks[0];
  a.ports.input_bytes = static_cast<double>(b.port_bytes[1]) * b.banks[1];
  a.ports.psum_bytes = static_cast<double>(b.port_bytes[2]) * b.banks[2];
  a.ports.widths = cn.widths;
  return a;
}

PlanParams plan_params(const SimConfig& cfg, const CompiledNetwork& cn, const DataflowModel* df) {
  PlanParams params;
  params.array = array_dims(cfg, cn);
  params.dataflow = df;
  params.widths = cn.widths;
  params.weight_half_bytes = cfg.buffers.weight_bytes / 2;
  params.act_half_bytes = cfg.buffers.activation_bytes / 2;
  params.out_half_bytes = cfg.buffers.output_bytes / 2;
  params.serial_steps =
      cn.mac == MacKind::ElpBsd && cfg.design.elp_mac == ElpMacVariant::TermSerial;
  params.batch = cfg.batch;
  params.burst_bytes = cfg.dram.burst_bytes;
  if (cfg.mapping.fused_stage) params.fused_stage = output_stage_fusions(cn.net);
  return params;
}

PlanResult plan_run(const SimConfig& cfg, const CompiledNetwork& cn, const EnergyModel& em,
                    const std::vector<LayerMacEnergy>& macs, MappingReuse* reuse,
                    bool jobs_on_demand) {
  const auto df = make_dataflow(cfg.array.dataflow);
  PlanParams params = plan_params(cfg, cn, df.get());
  const Schedule chosen = choose_schedule(cfg, cn, params, em, macs, reuse);
  params.mappings = chosen.mappings;
  params.fused_stage = chosen.fused_stage;
  params.resident = chosen.resident;
  params.groups = chosen.groups;
  PlanResult planned = plan_network(cn, params, jobs_on_demand);
  planned.plan.ungrouped = chosen.ungrouped;
  return planned;
}

Accelerator::Accelerator(const sc_core::sc_module_name& name, const SimConfig& cfg,
                         const CompiledNetwork& cn, NetworkPlan plan, bool functional,
                         const MacFactory& make_mac, bool trace)
    : sc_module(name),
      cfg_(cfg),
      cn_(cn),
      functional_(functional),
      dataflow_(make_dataflow(cfg.array.dataflow)),
      plan_(std::move(plan)) {
  const sc_core::sc_time period(1.0 / cfg.clock_ghz, sc_core::SC_NS);
  if (make_mac) {
    for (const bool sign : {false, true})
      macs_[sign] = make_mac(sign);
  }
  ctx_.layer_macs.assign(cn.net.layers.size(), nullptr);
  for (std::size_t i = 0; i < cn.net.layers.size(); ++i) {
    if (!cn.net.layers[i].on_pe_array()) continue;
    ctx_.layer_macs[i] = make_mac ? macs_[cn.layers[i].in_signed].get() : cn.layers[i].mac.get();
  }
  ctx_.network = &cn;
  ctx_.plan = &plan_;
  ctx_.dataflow = dataflow_.get();
  ctx_.array = array_dims(cfg, cn);
  CONLOC_ASSERT(!functional || cn.calibrated, "accelerator",
                "a functional run needs a calibrated network (its golden values)");
  ctx_.functional = functional;
  ctx_.record_trace = trace;
  ctx_.widths = cn.widths;
  ctx_.output_lanes = cfg.array.cols;
  ctx_.vector_lanes = cfg.vector_lanes;
  ctx_.burst_bytes = cfg.dram.burst_bytes;
  ctx_.max_outstanding = cfg.dram.max_outstanding;
  ctx_.weight_buffer_bytes = cfg.buffers.weight_bytes;
  ctx_.period = period;

  DramParams dp;
  dp.capacity_bytes = plan_.dram.size;
  dp.bytes_per_cycle = cfg.dram.bytes_per_cycle;
  dp.latency_cycles = cfg.dram.latency_cycles;
  dp.clock_period = period;
  dp.backing_store = functional;
  dram_ = std::make_unique<Dram>("dram", dp);
  auto sram = [&](const char* n, std::uint64_t bytes) {
    SramParams sp;
    sp.capacity_bytes = bytes;
    sp.clock_period = period;
    sp.backing_store = functional;
    return std::make_unique<Sram>(n, sp);
  };
  // The backing stores hold an activation per byte and a partial sum per 4 bytes: with narrower
  // ones they are larger than the capacity the plan respects (PlanParams::act_store).
  const PlanParams params = plan_params(cfg, cn, dataflow_.get());
  wbuf_ = sram("weight_buffer", cfg.buffers.weight_bytes);
  abuf_ = sram("activation_sram", 2 * params.act_store());
  obuf_ = sram("output_buffer", 2 * params.out_store());
  dma_in_ = std::make_unique<DmaEngine>("dma_in", ctx_, Engine::DmaRead);
  dma_out_ = std::make_unique<DmaEngine>("dma_out", ctx_, Engine::DmaWrite);
  pe_ = std::make_unique<PeArray>("pe_array", ctx_);
  compensation_adder_ = std::make_unique<CompensationAdder>("compensation_adder", ctx_);
  vec_ = std::make_unique<VectorUnit>("vector_unit", ctx_);

  // Every binding of the model is here.
  Sram* bufs[3] = {wbuf_.get(), abuf_.get(), obuf_.get()};
  dma_in_->dram_socket.bind(dram_->socket);
  dma_out_->dram_socket.bind(dram_->socket);
  for (int i = 0; i < 3; ++i) {
    dma_in_->sram_socket[i].bind(bufs[i]->socket);
    dma_out_->sram_socket[i].bind(bufs[i]->socket);
    pe_->sram_socket[i].bind(bufs[i]->socket);
  }
  compensation_adder_->out_socket.bind(obuf_->socket);
  vec_->act_socket.bind(abuf_->socket);
  vec_->out_socket.bind(obuf_->socket);

  controller_ = std::make_unique<Controller>(
      "controller", ctx_,
      std::vector<JobEngine*>{dma_in_.get(), pe_.get(), compensation_adder_.get(), vec_.get(),
                              dma_out_.get()},
      *dram_, *wbuf_, *abuf_, *obuf_);
  if (functional) load_dram_image();
  if (functional) {
    on_chip_mismatches_.assign(cn.net.tensors.size(), 0);
    checked_on_chip_.assign(cn.net.tensors.size(), false);
    controller_->on_plan_done([this](const LayerPlan& lp) { check_on_chip(lp); });
  }
}

void Accelerator::load_dram_image() {
  // The input of every image and the packed weight blocks are in DRAM before inference starts.
  std::uint8_t* mem = dram_->data();
  CONLOC_ASSERT(static_cast<int>(cn_.batch_tensors.size()) == cfg_.batch - 1, "accelerator",
                "a functional batch needs the reference of every image (add_batch_references)");
  for (int b = 0; b < cfg_.batch; ++b) {
    const IntTensor& x = image_tensors(b)[0];
    const std::uint64_t base =
        plan_.dram.tensor_addr[0] + static_cast<std::uint64_t>(b) * x.data.size();
    for (std::size_t i = 0; i < x.data.size(); ++i)
      mem[base + i] = static_cast<std::uint8_t>(x.data[i]);
  }
  // Every block a tile reads, once (a depth-first group's bands read the same blocks).
  std::vector<std::vector<bool>> done(plan_.layers.size());
  auto pack = [&](const LayerPlan& lp) {
    if (!lp.on_pe_array) return;
    const auto layer = static_cast<std::size_t>(lp.layer);
    done[layer].resize(plan_.dram.weight_block_addr[layer].size(), false);
    const LevelCodes codes(*cn_.layers[layer].mac);
    std::vector<Job> made;
    for (const Job& j : lp.jobs_of(plan_.dram, dataflow_.get(), made)) {
      if (j.engine != Engine::PeArray) continue;
      const int b = weight_block_index(lp, j.conv());
      if (done[layer][b]) continue;
      done[layer][b] = true;
      const auto bytes = pack_weight_block(cn_, lp.layer, j.conv(), codes);
      std::copy(bytes.begin(), bytes.end(), mem + plan_.dram.weight_block_addr[layer][b]);
    }
  };
  for (const LayerPlan& lp : plan_.layers) {
    pack(lp);
    for (const LayerPlan& unit : lp.units)
      pack(unit);
  }
}

namespace {

// Elements [e0, e1) of `ref` that differ from the bytes stored from `mem + base` on (one
// activation per byte, two's complement for a signed tensor; `base + e` wraps modulo 2^64 for a
// window's rows, LayerPlan::out_base).
std::uint64_t mismatches_in(const std::uint8_t* mem, std::uint64_t base, const IntTensor& ref,
                            std::uint64_t e0, std::uint64_t e1) {
  std::uint64_t n = 0;
  for (std::uint64_t e = e0; e < e1; ++e) {
    const std::uint8_t b = mem[base + e];
    const std::int32_t v = ref.is_signed ? static_cast<std::int8_t>(b) : b;
    n += v != ref.data[e];
  }
  return n;
}

}  // namespace

void Accelerator::check_on_chip(const LayerPlan& lp) {
  if (lp.out_tensor < 0) return;
  const auto t = static_cast<std::size_t>(lp.out_tensor);
  checked_on_chip_[t] = true;
  const std::uint8_t* mem = abuf_->data();
  const int end = lp.out_image_hi < 0 ? cfg_.batch : lp.out_image_hi;
  for (int img = lp.out_image_lo; img < end; ++img) {
    const IntTensor& ref = image_tensors(img)[t];
    const std::uint64_t row = static_cast<std::uint64_t>(ref.shape.w) * ref.shape.c;
    on_chip_mismatches_[t] += mismatches_in(
        mem, lp.out_base + static_cast<std::uint64_t>(img) * ref.data.size(), ref,
        static_cast<std::uint64_t>(lp.out_y0) * row, static_cast<std::uint64_t>(lp.out_y1) * row);
  }
}

std::vector<std::uint64_t> Accelerator::compare_outputs() const {
  std::vector<std::uint64_t> mismatches(cn_.net.layers.size(), 0);
  if (!functional_) return mismatches;
  const std::uint8_t* mem = dram_->data();
  for (int img = 0; img < cfg_.batch; ++img) {
    for (std::size_t i = 0; i < cn_.net.layers.size(); ++i) {
      // A fused output stage's producer never writes its output; the fused layer's output,
      // checked in its row, depends on every element of it.
      if (plan_.layers[i].fused_layer >= 0) continue;
      const int t = cn_.net.layers[i].output;
      if (checked_on_chip_[static_cast<std::size_t>(t)]) {
        if (img == 0) mismatches[i] = on_chip_mismatches_[static_cast<std::size_t>(t)];
        continue;  // checked while it was on chip (check_on_chip)
      }
      const IntTensor& ref = image_tensors(img)[t];
      mismatches[i] += mismatches_in(
          mem, plan_.dram.tensor_addr[t] + static_cast<std::uint64_t>(img) * ref.data.size(), ref,
          0, ref.data.size());
    }
  }
  return mismatches;
}

std::vector<std::unique_ptr<Accelerator>> simulate(std::vector<PlannedRun> runs) {
  CONLOC_ASSERT(!runs.empty(), "simulate", "nothing to simulate");
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(
      static_cast<double>(runs.front().cfg->quantum_cycles) / runs.front().cfg->clock_ghz,
      sc_core::SC_NS));
  std::vector<std::unique_ptr<Accelerator>> accs;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const std::string name = runs.size() == 1 ? "accelerator" : "accelerator_" + std::to_string(i);
    accs.push_back(std::make_unique<Accelerator>(name.c_str(), *runs[i].cfg, *runs[i].cn,
                                                 std::move(runs[i].plan), runs[i].functional,
                                                 runs[i].make_mac, runs[i].trace));
    if (i > 0) accs[i]->start_after(*accs[i - 1]);
  }
  sc_core::sc_start();
  for (const auto& a : accs) {
    if (!a->finished())
      throw SimulationError(std::string(a->name()) + ": simulation ended before the last layer");
  }
  return accs;
}

}  // namespace conloc
