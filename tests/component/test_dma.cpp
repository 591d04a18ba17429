// The DMA engine between a DRAM and an SRAM, driven by a one-job plan: exact completion time and
// exact data, as the component-test pattern asks.
#include <systemc>

#include <tlm_utils/tlm_quantumkeeper.h>

#include <gtest/gtest.h>
#include <memory>

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

// A DMA read engine between a DRAM and three SRAMs, driven by a one-job plan.
struct DmaBench {
  RunContext ctx;
  LayerPlan lp;
  std::unique_ptr<Dram> dram;
  std::unique_ptr<Sram> buf[3];
  std::unique_ptr<DmaEngine> dma;
  std::unique_ptr<Driver> driver;

  DmaBench(const Transfer& x, const DramParams& dp, const SramParams& sp, bool functional,
           std::size_t max_outstanding = 32) {
    ctx.functional = functional;
    ctx.burst_bytes = 64;
    ctx.period = sc_time(1, SC_NS);
    ctx.max_outstanding = max_outstanding;
    Job j;
    j.engine = Engine::DmaRead;
    j.xfer() = x;
    lp.jobs.push_back(j);
    ctx.layer_plan = &lp;
    ctx.jobs = &lp.jobs;
    dram = std::make_unique<Dram>("dram", dp);
    const char* names[3] = {"w", "a", "o"};
    dma = std::make_unique<DmaEngine>("dma", ctx, Engine::DmaRead);
    dma->dram_socket.bind(dram->socket);
    for (int i = 0; i < 3; ++i) {
      buf[i] = std::make_unique<Sram>(names[i], sp);
      dma->sram_socket[i].bind(buf[i]->socket);
    }
    driver = std::make_unique<Driver>("driver", ctx, *dma);
  }
  Sram& activations() { return *buf[static_cast<int>(Buffer::Activations)]; }
};

}  // namespace

TEST(Dma, ReadJobExactTimingAndData) {
  Transfer x;
  x.operand = Operand::Inputs;
  x.buffer = Buffer::Activations;
  x.dram_addr = 256;
  x.sram_addr = 100;
  x.run_bytes = 1024;
  x.bits = 1024 * 8;
  DramParams dp;
  dp.capacity_bytes = 4096;
  dp.bytes_per_cycle = 16;
  dp.latency_cycles = 100;
  SramParams sp;
  sp.capacity_bytes = 2048;
  sp.port_bytes_per_cycle = 64;
  DmaBench b(x, dp, sp, true);
  for (int i = 0; i < 1024; ++i)
    b.dram->data()[256 + i] = static_cast<std::uint8_t>(i * 7 + 3);

  sc_start();

  // 16 bursts of 64 B issued one per cycle; the bus moves 16 B/cycle, so burst i occupies cycles
  // [4i, 4i + 4); the last one leaves the bus at 64, arrives 100 cycles later and takes one
  // 64-byte port cycle to write into the SRAM: 165.
  EXPECT_EQ(b.driver->finished, sc_time(165, SC_NS));
  const std::uint8_t* a = b.activations().data();
  for (int i = 0; i < 1024; ++i)
    ASSERT_EQ(a[100 + i], static_cast<std::uint8_t>(i * 7 + 3)) << i;
  EXPECT_EQ(a[99], 0);
  EXPECT_EQ(a[1124], 0);
  EXPECT_EQ(b.dram->counters().read_bits[static_cast<int>(Operand::Inputs)], 1024u * 8);
  EXPECT_EQ(b.activations().counters().write_bits[static_cast<int>(Operand::Inputs)], 1024u * 8);
  EXPECT_EQ(b.ctx.stats.dma_transactions, 16u);
}

TEST(Dma, StridedTransferGathersRuns) {
  Transfer x;
  x.buffer = Buffer::Activations;
  x.dram_addr = 3;
  x.count = 5;
  x.run_bytes = 2;
  x.dram_stride = 10;
  x.sram_stride = 2;
  x.bits = 80;
  DramParams dp;
  dp.capacity_bytes = 256;
  dp.latency_cycles = 0;
  SramParams sp;
  sp.capacity_bytes = 256;
  DmaBench b(x, dp, sp, true);
  for (int i = 0; i < 256; ++i)
    b.dram->data()[i] = static_cast<std::uint8_t>(i);
  sc_start();
  const std::uint8_t* a = b.activations().data();
  for (int r = 0; r < 5; ++r) {
    EXPECT_EQ(a[2 * r], 3 + 10 * r);
    EXPECT_EQ(a[2 * r + 1], 4 + 10 * r);
  }
  EXPECT_EQ(b.ctx.stats.dma_transactions, 5u);
}

// With two bursts in flight at most, every burst waits for the one two places ahead of it: the
// transfer becomes latency-bound. Burst pair k issues at 105k and 105k + 4 (each waits for the
// completion of the pair before), so the last pair completes at 105 * 8 + 4.
TEST(Dma, OutstandingWindowBoundsBurstsInFlight) {
  Transfer x;
  x.buffer = Buffer::Activations;
  x.run_bytes = 1024;
  x.bits = 1024 * 8;
  DramParams dp;
  dp.capacity_bytes = 4096;
  dp.bytes_per_cycle = 16;
  dp.latency_cycles = 100;
  dp.backing_store = false;
  SramParams sp;
  sp.capacity_bytes = 2048;
  sp.backing_store = false;
  DmaBench b(x, dp, sp, false, 2);
  sc_start();
  EXPECT_EQ(b.driver->finished, sc_time(105 * 8 + 4, SC_NS));
}

// Each burst carries its share of a transfer's bits, and the DRAM bus is booked for that share:
// two runs of 96 bytes of 4-bit activations (768 bits) are four bursts, 64 + 32 bytes per run,
// carrying 256 and 128 bits, so 2 and 1 cycles at 16 B/cycle. Issued one per cycle, they occupy
// the bus over [0, 2), [2, 3), [3, 5), [5, 6) and arrive with no latency; each then takes one
// cycle of the SRAM's 64-byte port: the last is written at 7.
TEST(Dma, EachBurstCarriesItsShareOfTheBits) {
  Transfer x;
  x.buffer = Buffer::Activations;
  x.count = 2;
  x.run_bytes = 96;
  x.dram_stride = 96;
  x.sram_stride = 96;
  x.bits = 768;
  DramParams dp;
  dp.capacity_bytes = 1024;
  dp.bytes_per_cycle = 16;
  dp.latency_cycles = 0;
  SramParams sp;
  sp.capacity_bytes = 1024;
  sp.port_bytes_per_cycle = 64;
  DmaBench b(x, dp, sp, false);
  sc_start();
  EXPECT_EQ(b.driver->finished, sc_time(7, SC_NS));
  EXPECT_EQ(b.ctx.stats.dma_transactions, 4u);
  EXPECT_EQ(b.dram->counters().read_bits[static_cast<int>(Operand::Inputs)], 768u);
}

// Latency-bound streaming (a window of 4 bursts, 20 cycles of latency): bursts go out in waves
// of four, one per cycle, each wave when the oldest of the one before completes. A burst takes
// bus + 20 + 1 (the SRAM port) from issue to completion: 22 cycles at 64 B/cycle (the bursts
// touch on the bus), 21.5 at 128 B/cycle (they do not). Wave k issues at 22k (21.5k), so the
// 40th burst, the last of wave 9, completes at 9 x 22 + 3 + 22 = 223 (9 x 21.5 + 3 + 21.5 =
// 218), whichever quantum the engine synchronises at (the DMA works out whole waves between
// synchronisation points). One bandwidth and quantum per case: a process elaborates once.
class DmaWaves : public testing::TestWithParam<std::pair<double, double>> {};

TEST_P(DmaWaves, LatencyBoundWavesExactTiming) {
  const auto [bus, quantum] = GetParam();
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(quantum, SC_NS));
  Transfer x;
  x.buffer = Buffer::Activations;
  x.count = 4;
  x.run_bytes = 640;
  x.dram_stride = 640;
  x.sram_stride = 640;
  x.bits = 4 * 640 * 8;
  DramParams dp;
  dp.capacity_bytes = 4096;
  dp.bytes_per_cycle = bus;
  dp.latency_cycles = 20;
  dp.backing_store = false;
  SramParams sp;
  sp.capacity_bytes = 4096;
  sp.port_bytes_per_cycle = 64;
  sp.backing_store = false;
  DmaBench b(x, dp, sp, false, 4);
  sc_start();
  EXPECT_EQ(b.driver->finished, sc_time(bus == 64.0 ? 223.0 : 218.0, SC_NS))
      << bus << " B/cycle, quantum " << quantum;
  EXPECT_EQ(b.ctx.stats.dma_transactions, 40u);
}

INSTANTIATE_TEST_SUITE_P(BusAndQuantum, DmaWaves,
                         testing::Values(std::pair{64.0, 1000.0}, std::pair{64.0, 30.0},
                                         std::pair{64.0, 7.0}, std::pair{128.0, 1000.0},
                                         std::pair{128.0, 30.0}, std::pair{128.0, 7.0}));
