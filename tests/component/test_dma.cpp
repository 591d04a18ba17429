// The DMA engine between a DRAM and an SRAM, driven by a one-job plan: exact completion time and
// exact data, as the component-test pattern asks.
#include <systemc>

#include <gtest/gtest.h>

#include "modules/controller/job_engine.h"
#include "modules/dma/dma_engine.h"
#include "modules/memory/dram.h"
#include "modules/memory/sram.h"

using namespace conloc;
using namespace sc_core;

namespace {

// Posts one layer plan to the engine and records when every job is done.
struct Driver : sc_module {
  RunContext& ctx;
  JobEngine& engine;
  sc_time finished;
  SC_HAS_PROCESS(Driver);
  Driver(const sc_module_name& n, RunContext& c, JobEngine& e) : sc_module(n), ctx(c), engine(e) {
    SC_THREAD(run);
  }
  void run() {
    ctx.board.reset(ctx.layer_plan->jobs.size());
    ctx.layer_start = sc_time_stamp();
    engine.start_layer();
    while (ctx.board.remaining() > 0)
      wait(ctx.board.scheduled_event());
    wait(ctx.board.last_done() - sc_time_stamp());
    finished = sc_time_stamp();
  }
};

}  // namespace

TEST(Dma, ReadJobExactTimingAndData) {
  RunContext ctx;
  ctx.functional = true;
  ctx.burst_bytes = 64;
  ctx.period = sc_time(1, SC_NS);
  LayerPlan lp;
  Job j;
  j.engine = Engine::DmaRead;
  j.xfer.operand = Operand::Inputs;
  j.xfer.buffer = Buffer::Activations;
  j.xfer.dram_addr = 256;
  j.xfer.sram_addr = 100;
  j.xfer.run_bytes = 1024;
  j.xfer.bits = 1024 * 8;
  lp.jobs.push_back(j);
  ctx.layer_plan = &lp;

  DramParams dp;
  dp.capacity_bytes = 4096;
  dp.bytes_per_cycle = 16;
  dp.latency_cycles = 100;
  Dram dram("dram", dp);
  SramParams sp;
  sp.capacity_bytes = 2048;
  sp.port_bytes_per_cycle = 64;
  Sram wbuf("w", sp), abuf("a", sp), obuf("o", sp);
  DmaEngine dma("dma", ctx, Engine::DmaRead);
  dma.dram_socket.bind(dram.socket);
  dma.sram_socket[0].bind(wbuf.socket);
  dma.sram_socket[1].bind(abuf.socket);
  dma.sram_socket[2].bind(obuf.socket);
  Driver drv("driver", ctx, dma);
  for (int i = 0; i < 1024; ++i)
    dram.data()[256 + i] = static_cast<std::uint8_t>(i * 7 + 3);

  sc_start();

  // 16 bursts of 64 B issued one per cycle; the bus moves 16 B/cycle, so burst i occupies cycles
  // [4i, 4i + 4); the last one leaves the bus at 64, arrives 100 cycles later and takes one
  // 64-byte port cycle to write into the SRAM: 165.
  EXPECT_EQ(drv.finished, sc_time(165, SC_NS));
  for (int i = 0; i < 1024; ++i)
    ASSERT_EQ(abuf.data()[100 + i], static_cast<std::uint8_t>(i * 7 + 3)) << i;
  EXPECT_EQ(abuf.data()[99], 0);
  EXPECT_EQ(abuf.data()[1124], 0);
  EXPECT_EQ(dram.counters().read_bits[static_cast<int>(Operand::Inputs)], 1024u * 8);
  EXPECT_EQ(abuf.counters().write_bits[static_cast<int>(Operand::Inputs)], 1024u * 8);
  EXPECT_EQ(ctx.stats.dma_transactions, 16u);
}

TEST(Dma, StridedTransferGathersRuns) {
  RunContext ctx;
  ctx.functional = true;
  ctx.burst_bytes = 64;
  LayerPlan lp;
  Job j;
  j.engine = Engine::DmaRead;
  j.xfer.buffer = Buffer::Activations;
  j.xfer.dram_addr = 3;
  j.xfer.sram_addr = 0;
  j.xfer.count = 5;
  j.xfer.run_bytes = 2;
  j.xfer.dram_stride = 10;
  j.xfer.sram_stride = 2;
  j.xfer.bits = 80;
  lp.jobs.push_back(j);
  ctx.layer_plan = &lp;
  DramParams dp;
  dp.capacity_bytes = 256;
  dp.latency_cycles = 0;
  Dram dram("dram", dp);
  SramParams sp;
  sp.capacity_bytes = 256;
  Sram w("w", sp), a("a", sp), o("o", sp);
  DmaEngine dma("dma", ctx, Engine::DmaRead);
  dma.dram_socket.bind(dram.socket);
  dma.sram_socket[0].bind(w.socket);
  dma.sram_socket[1].bind(a.socket);
  dma.sram_socket[2].bind(o.socket);
  Driver drv("driver", ctx, dma);
  for (int i = 0; i < 256; ++i)
    dram.data()[i] = static_cast<std::uint8_t>(i);
  sc_start();
  for (int r = 0; r < 5; ++r) {
    EXPECT_EQ(a.data()[2 * r], 3 + 10 * r);
    EXPECT_EQ(a.data()[2 * r + 1], 4 + 10 * r);
  }
  EXPECT_EQ(ctx.stats.dma_transactions, 5u);
}

// With two bursts in flight at most, every burst waits for the one two places ahead of it: the
// transfer becomes latency-bound. Burst pair k issues at 105k and 105k + 4 (each waits for the
// completion of the pair before), so the last pair completes at 105 * 8 + 4.
TEST(Dma, OutstandingWindowBoundsBurstsInFlight) {
  RunContext ctx;
  ctx.functional = false;
  ctx.burst_bytes = 64;
  ctx.max_outstanding = 2;
  LayerPlan lp;
  Job j;
  j.engine = Engine::DmaRead;
  j.xfer.buffer = Buffer::Activations;
  j.xfer.run_bytes = 1024;
  j.xfer.bits = 1024 * 8;
  lp.jobs.push_back(j);
  ctx.layer_plan = &lp;
  DramParams dp;
  dp.capacity_bytes = 4096;
  dp.bytes_per_cycle = 16;
  dp.latency_cycles = 100;
  dp.backing_store = false;
  Dram dram("dram", dp);
  SramParams sp;
  sp.capacity_bytes = 2048;
  sp.backing_store = false;
  Sram w("w", sp), a("a", sp), o("o", sp);
  DmaEngine dma("dma", ctx, Engine::DmaRead);
  dma.dram_socket.bind(dram.socket);
  dma.sram_socket[0].bind(w.socket);
  dma.sram_socket[1].bind(a.socket);
  dma.sram_socket[2].bind(o.socket);
  Driver drv("driver", ctx, dma);
  sc_start();
  EXPECT_EQ(drv.finished, sc_time(105 * 8 + 4, SC_NS));
}
