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
    t.set_command(cmd);
    t.set_address(addr);
    t.set_data_ptr(data);
    t.set_data_length(len);
    t.set_streaming_width(len);
    t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = qk.get_local_time();
    socket->b_transport(t, delay);
    EXPECT_EQ(t.get_response_status(), tlm::TLM_OK_RESPONSE);
    qk.set(delay);
    if (qk.need_sync()) qk.sync();
    return delay;
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
      t.set_command(tlm::TLM_READ_COMMAND);
      t.set_address(64 * i);
      t.set_data_ptr(buf.data());
      t.set_data_length(64);
      t.set_streaming_width(64);
      sc_time delay = SC_ZERO_TIME;
      self.socket->b_transport(t, delay);
      last = delay;
    }
  };
  sc_start();
  EXPECT_EQ(last, sc_time(116, SC_NS));
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
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(250);
    t.set_data_ptr(b);
    t.set_data_length(16);
    t.set_streaming_width(16);
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
  conloc::DramParams dp;
  dp.capacity_bytes = 256;
  conloc::Dram dram("dram", dp);
  conloc::SramParams sp;
  sp.capacity_bytes = 256;
  conloc::Sram sram("sram", sp);
  TestInitiator to_dram("to_dram"), to_sram("to_sram");
  to_dram.socket.bind(dram.socket);
  to_sram.socket.bind(sram.socket);

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
