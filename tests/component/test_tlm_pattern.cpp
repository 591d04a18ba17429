// The pattern every component test follows: a tiny initiator module drives the module under test
// through a real TLM socket inside a real SystemC simulation, and the test asserts the *exact*
// delay and data, never an upper bound.
#include <systemc>
#include <tlm>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstring>
#include <functional>
#include <gtest/gtest.h>

#include "modules/memory/dram.h"
#include "modules/memory/sram.h"

using namespace sc_core;

namespace {

// A payload for `len` bytes at `addr`, streaming width the length (the memories refuse less).
void prepare(tlm::tlm_generic_payload& t, tlm::tlm_command cmd, std::uint64_t addr,
             std::uint8_t* data, unsigned len) {
  t.set_command(cmd);
  t.set_address(addr);
  t.set_data_ptr(data);
  t.set_data_length(len);
  t.set_streaming_width(len);
}

// Runs `body` in an SC_THREAD with an initiator socket and a quantum keeper.
struct TestInitiator : sc_module {
  tlm_utils::simple_initiator_socket<TestInitiator> socket;
  tlm_utils::tlm_quantumkeeper qk;
  std::function<void(TestInitiator&)> body;

  SC_HAS_PROCESS(TestInitiator);
  explicit TestInitiator(const sc_module_name& n) : sc_module(n), socket("socket") {
    SC_THREAD(run);
  }
  void run() {
    qk.reset();
    body(*this);
  }

  // One blocking transport call with the keeper's local time as the delay; returns the delay the
  // target reported.
  sc_time transport(tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data, unsigned len) {
    tlm::tlm_generic_payload t;
    prepare(t, cmd, addr, data, len);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = qk.get_local_time();
    socket->b_transport(t, delay);
    EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
    qk.set(delay);
    if (qk.need_sync()) qk.sync();
    return delay;
  }
};

// A 256-byte DRAM and SRAM, each driven by an initiator of its own.
struct TwoMemories {
  static conloc::DramParams dram_params() {
    conloc::DramParams p;
    p.capacity_bytes = 256;
    return p;
  }
  static conloc::SramParams sram_params() {
    conloc::SramParams p;
    p.capacity_bytes = 256;
    return p;
  }
  conloc::Dram dram{"dram", dram_params()};
  conloc::Sram sram{"sram", sram_params()};
  TestInitiator to_dram{"to_dram"}, to_sram{"to_sram"};
  TwoMemories() {
    to_dram.socket.bind(dram.socket);
    to_sram.socket.bind(sram.socket);
  }
};

}  // namespace

TEST(TlmPattern, DramWriteThenReadExactDelaysAndData) {
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, SC_US));
  conloc::DramParams p;
  p.capacity_bytes = 4096;
  p.bytes_per_cycle = 8.0;
  p.latency_cycles = 20;
  p.clock_period = sc_time(1, SC_NS);
  conloc::Dram dram("dram", p);
  TestInitiator init("init");
  init.socket.bind(dram.socket);

  std::vector<std::uint8_t> out(64), in(64, 0);
  for (int i = 0; i < 64; ++i)
    out[i] = static_cast<std::uint8_t>(3 * i + 1);
  sc_time d_write, d_read, end;
  init.body = [&](TestInitiator& self) {
    // 64 B at 8 B/cycle = 8 cycles on the bus, then 20 cycles latency.
    d_write = self.transport(tlm::TLM_WRITE_COMMAND, 128, out.data(), 64);
    // The read is issued when the write completed (t = 28 ns): bus free, so 28 + 8 + 20.
    d_read = self.transport(tlm::TLM_READ_COMMAND, 128, in.data(), 64);
    self.qk.sync();
    end = sc_time_stamp();
  };
  sc_start();

  EXPECT_EQ(d_write, sc_time(28, SC_NS));
  EXPECT_EQ(d_read, sc_time(56, SC_NS));
  EXPECT_EQ(end, sc_time(56, SC_NS));
  EXPECT_EQ(in, out);
  EXPECT_EQ(dram.counters().write_bits[static_cast<int>(conloc::Operand::Inputs)], 64u * 8);
  EXPECT_EQ(dram.counters().read_bits[static_cast<int>(conloc::Operand::Inputs)], 64u * 8);
}

TEST(TlmPattern, DramPipelinesLatencyAcrossBackToBackBursts) {
  conloc::DramParams p;
  p.capacity_bytes = 4096;
  p.bytes_per_cycle = 16.0;
  p.latency_cycles = 100;
  conloc::Dram dram("dram", p);
  TestInitiator init("init");
  init.socket.bind(dram.socket);
  std::vector<std::uint8_t> buf(64);
  sc_time last;
  init.body = [&](TestInitiator& self) {
    // Four bursts issued at the same local time (a DMA with outstanding requests): the bus
    // serialises them at 4 cycles each, the latency overlaps: last completes at 16 + 100.
    for (int i = 0; i < 4; ++i) {
      tlm::tlm_generic_payload t;
      prepare(t, tlm::TLM_READ_COMMAND, 64 * i, buf.data(), 64);
      sc_time delay = SC_ZERO_TIME;
      self.socket->b_transport(t, delay);
      last = delay;
    }
  };
  sc_start();
  EXPECT_EQ(last, sc_time(116, SC_NS));
}

// The bus calendar by hand: 64-byte bursts take 4 cycles at 16 B/cycle, then 10 cycles of
// latency. Requests at 0 and 6 leave a 2-cycle gap that a request at 4 cannot use (it waits for
// 10); a request at 14, when the bus frees, extends the booking it touches, so one at 15 waits
// for 18.
TEST(TlmPattern, DramBooksEachBurstInTheFirstGapThatHoldsIt) {
  conloc::DramParams p;
  p.capacity_bytes = 4096;
  p.bytes_per_cycle = 16.0;
  p.latency_cycles = 10;
  conloc::Dram dram("dram", p);
  TestInitiator init("init");
  init.socket.bind(dram.socket);
  std::vector<std::uint8_t> buf(64);
  std::vector<sc_time> done;
  init.body = [&](TestInitiator& self) {
    for (int request : {0, 6, 4, 14, 15}) {
      tlm::tlm_generic_payload t;
      prepare(t, tlm::TLM_READ_COMMAND, 0, buf.data(), 64);
      sc_time delay(request, SC_NS);
      self.socket->b_transport(t, delay);
      done.push_back(delay);
    }
  };
  sc_start();
  const std::vector<sc_time> want = {sc_time(14, SC_NS), sc_time(20, SC_NS), sc_time(24, SC_NS),
                                     sc_time(28, SC_NS), sc_time(32, SC_NS)};
  EXPECT_EQ(done, want);
}

TEST(TlmPattern, DramRejectsOutOfRangeAddress) {
  conloc::DramParams p;
  p.capacity_bytes = 256;
  conloc::Dram dram("dram", p);
  TestInitiator init("init");
  init.socket.bind(dram.socket);
  tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
  init.body = [&](TestInitiator& self) {
    std::uint8_t b[16];
    tlm::tlm_generic_payload t;
    prepare(t, tlm::TLM_READ_COMMAND, 250, b, 16);
    sc_time delay = SC_ZERO_TIME;
    self.socket->b_transport(t, delay);
    status = t.get_response_status();
  };
  sc_start();
  EXPECT_EQ(status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

// Dram and Sram serve transactions through one helper; both must refuse what TLM-2.0 says a
// target that does not support it refuses, and count nothing for a refused transaction.
TEST(TlmPattern, MemoriesRefuseByteEnablesBurstsAndOutOfRangeAlike) {
  TwoMemories m;
  auto& [dram, sram, to_dram, to_sram] = m;

  struct Case {
    std::uint64_t addr;
    unsigned len, streaming;
    bool byte_enable;
    tlm::tlm_response_status expected;
  };
  const std::vector<Case> cases = {
      {0, 16, 16, true, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE},
      {0, 16, 8, false, tlm::TLM_BURST_ERROR_RESPONSE},
      {250, 16, 16, false, tlm::TLM_ADDRESS_ERROR_RESPONSE},
      {~std::uint64_t{0} - 4, 16, 16, false, tlm::TLM_ADDRESS_ERROR_RESPONSE},  // wraps around
      {240, 16, 16, false, tlm::TLM_OK_RESPONSE},  // the last 16 bytes are inside
  };
  std::vector<tlm::tlm_response_status> dram_status, sram_status;
  auto drive = [&](std::vector<tlm::tlm_response_status>& out) {
    return [&](TestInitiator& self) {
      for (const Case& c : cases) {
        std::uint8_t b[16] = {};
        std::uint8_t enable[16];
        std::memset(enable, 0xff, sizeof enable);
        tlm::tlm_generic_payload t;
        t.set_command(tlm::TLM_WRITE_COMMAND);
        t.set_address(c.addr);
        t.set_data_ptr(b);
        t.set_data_length(c.len);
        t.set_streaming_width(c.streaming);
        if (c.byte_enable) {
          t.set_byte_enable_ptr(enable);
          t.set_byte_enable_length(16);
        }
        t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_time delay = SC_ZERO_TIME;
        self.socket->b_transport(t, delay);
        out.push_back(t.get_response_status());
      }
    };
  };
  to_dram.body = drive(dram_status);
  to_sram.body = drive(sram_status);
  sc_start();

  ASSERT_EQ(dram_status.size(), cases.size());
  ASSERT_EQ(sram_status.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(dram_status[i], cases[i].expected) << "dram, case " << i;
    EXPECT_EQ(sram_status[i], cases[i].expected) << "sram, case " << i;
  }
  const int in = static_cast<int>(conloc::Operand::Inputs);
  EXPECT_EQ(dram.counters().write_bits[in], 16u * 8);
  EXPECT_EQ(sram.counters().write_bits[in], 16u * 8);
  EXPECT_EQ(dram.counters().transactions, 1u);
  EXPECT_EQ(sram.counters().transactions, 1u);
}

// A DMA moves a strided transfer in one transaction (TransferExt::runs, stride): each run lands
// `stride` apart in the target, packed in the payload, or in rows of row_runs runs, row_stride
// apart (a subsampled input band); the bits are counted once; a run past the capacity (also where
// only the rows reach past it), a length the runs do not divide or runs the rows do not divide is
// refused with nothing counted.
TEST(TlmPattern, StridedTransactionMovesRunsAndRefusesARunOutside) {
  TwoMemories m;
  auto& [dram, sram, to_dram, to_sram] = m;
  struct Outcome {
    std::vector<tlm::tlm_response_status> status;
    std::vector<std::uint8_t> gathered = std::vector<std::uint8_t>(12);
  };
  Outcome at_dram, at_sram;
  auto drive = [&](Outcome& out) {
    return [&](TestInitiator& self) {
      auto strided = [&](tlm::tlm_command cmd, std::uint64_t addr, std::uint8_t* data, unsigned len,
                         std::uint32_t runs, std::uint64_t stride, std::uint32_t row_runs = 0,
                         std::uint64_t row_stride = 0) {
        conloc::TransferExt ext;
        ext.runs = runs;
        ext.stride = stride;
        ext.row_runs = row_runs;
        ext.row_stride = row_stride;
        tlm::tlm_generic_payload t;
        t.set_extension(&ext);
        prepare(t, cmd, addr, data, len);
        t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_time delay = SC_ZERO_TIME;
        self.socket->b_transport(t, delay);
        out.status.push_back(t.get_response_status());
        t.clear_extension(&ext);
      };
      std::uint8_t runs[12];
      for (int i = 0; i < 12; ++i)
        runs[i] = static_cast<std::uint8_t>(i + 1);
      strided(tlm::TLM_WRITE_COMMAND, 100, runs, 12, 3, 10);  // 100..103, 110..113, 120..123
      strided(tlm::TLM_READ_COMMAND, 100, out.gathered.data(), 12, 3, 10);
      std::uint8_t one[4];
      strided(tlm::TLM_READ_COMMAND, 102, one, 4, 1, 0);  // a plain run across the first gap
      out.gathered.insert(out.gathered.end(), one, one + 4);
      strided(tlm::TLM_WRITE_COMMAND, 240, runs, 12, 3, 10);  // the last run is 260..263
      strided(tlm::TLM_WRITE_COMMAND, 0, runs, 10, 3, 10);    // 3 runs do not divide 10 bytes
      // Rows: 150, 154, 158 | 170, 174, 178 (two bytes each), read back the same way.
      strided(tlm::TLM_WRITE_COMMAND, 150, runs, 12, 6, 4, 3, 20);
      std::uint8_t rows[12];
      strided(tlm::TLM_READ_COMMAND, 150, rows, 12, 6, 4, 3, 20);
      out.gathered.insert(out.gathered.end(), rows, rows + 12);
      // Runs 220..242 in one row would fit; in three rows the last is 264..265.
      strided(tlm::TLM_WRITE_COMMAND, 220, runs, 12, 6, 4, 2, 20);
      strided(tlm::TLM_WRITE_COMMAND, 0, runs, 10, 5, 4, 2, 20);  // rows of 2 do not divide 5
    };
  };
  to_dram.body = drive(at_dram);
  to_sram.body = drive(at_sram);
  sc_start();
  const std::vector<tlm::tlm_response_status> expected = {tlm::TLM_OK_RESPONSE,
                                                          tlm::TLM_OK_RESPONSE,
                                                          tlm::TLM_OK_RESPONSE,
                                                          tlm::TLM_ADDRESS_ERROR_RESPONSE,
                                                          tlm::TLM_GENERIC_ERROR_RESPONSE,
                                                          tlm::TLM_OK_RESPONSE,
                                                          tlm::TLM_OK_RESPONSE,
                                                          tlm::TLM_ADDRESS_ERROR_RESPONSE,
                                                          tlm::TLM_GENERIC_ERROR_RESPONSE};
  const std::vector<std::uint8_t> gathered = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 3,  4,
                                              0, 0, 1, 2, 3, 4, 5, 6, 7, 8,  9,  10, 11, 12};
  for (const Outcome* o : {&at_dram, &at_sram}) {
    EXPECT_EQ(o->status, expected);
    EXPECT_EQ(o->gathered, gathered);
  }
  EXPECT_EQ(dram.data()[110], 5);
  EXPECT_EQ(sram.data()[123], 12);
  EXPECT_EQ(sram.data()[104], 0);  // between the runs: untouched
  for (const std::uint8_t* d : {dram.data(), sram.data()}) {
    EXPECT_EQ(d[158], 5);  // the first row's third run
    EXPECT_EQ(d[171], 8);  // the second row's first run
    EXPECT_EQ(d[160], 0);  // past the first row: untouched
    EXPECT_EQ(d[220], 0);  // the refused transfer wrote nothing
  }
  const int in = static_cast<int>(conloc::Operand::Inputs);
  for (const conloc::TrafficCounters* c : {&dram.counters(), &sram.counters()}) {
    EXPECT_EQ(c->write_bits[in], 2 * 12u * 8);
    EXPECT_EQ(c->read_bits[in], 2 * 12u * 8 + 4u * 8);
    EXPECT_EQ(c->transactions, 5u);
  }
}

// An untimed transaction adds no delay and answers with the memory's timing; booking bursts
// through it gives each burst the time its own b_transport gives it (the DMA's fast path).
TEST(TlmPattern, UntimedTransactionAnswersWithTheTimingBurstsBookThrough) {
  conloc::DramParams p;
  p.capacity_bytes = 4096;
  p.bytes_per_cycle = 16.0;
  p.latency_cycles = 100;
  conloc::Dram by_transaction("by_transaction", p), by_timing("by_timing", p);
  conloc::SramParams sp;
  sp.capacity_bytes = 4096;
  sp.port_bytes_per_cycle = 16;
  conloc::Sram sram("sram", sp);
  TestInitiator a("a"), b("b"), c("c");
  a.socket.bind(by_transaction.socket);
  b.socket.bind(by_timing.socket);
  c.socket.bind(sram.socket);
  // Requests at 0, 0, 3 and 40 ns: the bus serialises the first three (4 cycles each), the
  // fourth finds it free.
  const std::vector<int> requests = {0, 0, 3, 40};
  std::vector<sc_time> via_transaction, via_timing;
  std::vector<std::uint8_t> buf(64 * 4);
  a.body = [&](TestInitiator& self) {
    for (std::size_t i = 0; i < requests.size(); ++i) {
      tlm::tlm_generic_payload t;
      prepare(t, tlm::TLM_READ_COMMAND, 64 * i, buf.data(), 64);
      sc_time delay(requests[i], SC_NS);
      self.socket->b_transport(t, delay);
      via_transaction.push_back(delay);
    }
  };
  conloc::AccessTiming* dram_timing = nullptr;
  conloc::AccessTiming* sram_timing = nullptr;
  sc_time untimed_delay(7, SC_NS);
  auto untimed = [&](TestInitiator& self, conloc::AccessTiming*& timing) {
    conloc::TransferExt ext;
    ext.untimed = true;
    ext.runs = 4;
    ext.stride = 64;
    tlm::tlm_generic_payload t;
    t.set_extension(&ext);
    prepare(t, tlm::TLM_READ_COMMAND, 0, buf.data(), 256);
    self.socket->b_transport(t, untimed_delay);
    EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
    timing = ext.timing;
    t.clear_extension(&ext);
  };
  b.body = [&](TestInitiator& self) {
    untimed(self, dram_timing);
    for (int r : requests)
      via_timing.push_back(dram_timing->complete(sc_time(r, SC_NS), 64 * 8));
  };
  c.body = [&](TestInitiator& self) { untimed(self, sram_timing); };
  sc_start();
  EXPECT_EQ(via_transaction, (std::vector<sc_time>{sc_time(104, SC_NS), sc_time(108, SC_NS),
                                                   sc_time(112, SC_NS), sc_time(144, SC_NS)}));
  EXPECT_EQ(via_timing, via_transaction);
  EXPECT_EQ(dram_timing, static_cast<conloc::AccessTiming*>(&by_timing));
  EXPECT_EQ(untimed_delay, sc_time(7, SC_NS));  // untimed: the delay is left alone
  // The SRAM's port: 100 bytes at 16 per cycle take 7 cycles after the request.
  ASSERT_EQ(sram_timing, static_cast<conloc::AccessTiming*>(&sram));
  EXPECT_EQ(sram_timing->complete(sc_time(5, SC_NS), 100 * 8), sc_time(12, SC_NS));
  EXPECT_EQ(by_timing.counters().read_bits[static_cast<int>(conloc::Operand::Inputs)], 256u * 8);
}
