#include "modules/dma/dma_engine.h"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "modules/base/error.h"
#include "modules/common/compiled_network.h"
#include "modules/memory/buffer_access.h"
#include "modules/memory/dram.h"
#include "modules/memory/sram.h"

namespace conloc {

DmaEngine::DmaEngine(const sc_core::sc_module_name& name, RunContext& ctx, Engine kind)
    : JobEngine(name, ctx, kind), dram_socket("dram_socket") {
  CONLOC_ASSERT(kind == Engine::DmaRead || kind == Engine::DmaWrite, this->name(),
                "a DMA engine reads or writes");
}

// One untimed transaction of the whole strided transfer through `socket`: the data copied and
// the bits counted by the target, which answers with its timing (TransferExt::timing).
AccessTiming& DmaEngine::move_whole(tlm::tlm_generic_payload& t, Socket& socket,
                                    tlm::tlm_command cmd, std::uint64_t addr, std::uint64_t stride,
                                    std::uint32_t row_runs, std::uint64_t row_stride,
                                    const Transfer& x, TransferExt& ext) {
  CONLOC_ASSERT(
      x.bytes() <= std::numeric_limits<unsigned>::max(), name(),
      "a transfer of " + std::to_string(x.bytes()) + " bytes, more than a transaction holds");
  const auto len = static_cast<unsigned>(x.bytes());
  ext.stride = stride;
  ext.row_runs = row_runs;
  ext.row_stride = row_stride;
  t.set_command(cmd);
  t.set_address(addr);
  t.set_data_ptr(staging_.data());
  t.set_data_length(len);
  t.set_streaming_width(len);
  t.set_byte_enable_ptr(nullptr);
  t.set_dmi_allowed(false);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  ext.timing = nullptr;
  sc_core::sc_time zero = sc_core::SC_ZERO_TIME;
  socket->b_transport(t, zero);
  if (t.is_response_error()) {
    throw SimulationError(std::string(name()) + ": " + t.get_response_string() + " at address " +
                          std::to_string(addr) + " (" + std::to_string(x.count) + " runs of " +
                          std::to_string(x.run_bytes) + " bytes, stride " + std::to_string(stride) +
                          ")");
  }
  CONLOC_ASSERT(ext.timing != nullptr, name(), "a memory answered without its timing");
  return *ext.timing;
}

DmaEngine::Timing DmaEngine::execute(const Job& job, const sc_core::sc_time& start) {
  const Transfer& x = job.xfer();
  const bool inbound = engine_kind() == Engine::DmaRead;
  TransferExt ext;
  ext.operand = x.operand;
  ext.timing_only = !ctx_.functional;
  ext.bits = x.bits;
  ext.runs = x.count;
  ext.untimed = true;
  // Payloads are reused across jobs: building one allocates its extension array.
  tlm::tlm_generic_payload& dram_t = dram_payload_;
  tlm::tlm_generic_payload& sram_t = sram_payload_;
  const ScopedExtension scoped({&dram_t, &sram_t}, &ext);
  // A timing-only transfer copies nothing: the targets never touch the data buffer.
  if (ctx_.functional) staging_.resize(x.bytes());
  // The far side: DRAM, or the activation SRAM holding a resident tensor.
  auto& far = x.on_chip ? sram_socket[static_cast<int>(Buffer::Activations)] : dram_socket;
  auto& near = sram_socket[static_cast<int>(x.buffer)];
  // The data moves first, in one transaction per side (the planner's dependencies keep every
  // other engine off both regions until this job is done); then its bursts are timed.
  AccessTiming* far_timing = nullptr;
  AccessTiming* near_timing = nullptr;
  if (x.bytes() == 0) {
    // nothing moves
  } else if (inbound) {
    far_timing = &move_whole(dram_t, far, tlm::TLM_READ_COMMAND, x.dram_addr, x.dram_stride,
                             x.row_runs, x.dram_row_stride, x, ext);
    near_timing =
        &move_whole(sram_t, near, tlm::TLM_WRITE_COMMAND, x.sram_addr, x.sram_stride, 0, 0, x, ext);
  } else {
    near_timing =
        &move_whole(sram_t, near, tlm::TLM_READ_COMMAND, x.sram_addr, x.sram_stride, 0, 0, x, ext);
    far_timing = &move_whole(dram_t, far, tlm::TLM_WRITE_COMMAND, x.dram_addr, x.dram_stride,
                             x.row_runs, x.dram_row_stride, x, ext);
  }

  Timing t{start, start};
  if (x.bytes() != 0) {
    // The memories' own classes where they are the model's (final: the calls inline).
    auto* near_sram = dynamic_cast<Sram*>(near_timing);
    auto* far_dram = dynamic_cast<Dram*>(far_timing);
    auto* far_sram = dynamic_cast<Sram*>(far_timing);
    if (near_sram && far_dram) {
      t = bursts(x, inbound, start, *far_dram, *near_sram);
    } else if (near_sram && far_sram) {
      t = bursts(x, inbound, start, *far_sram, *near_sram);
    } else {
      t = bursts(x, inbound, start, *far_timing, *near_timing);
    }
  }
  const sc_core::sc_time done = t.done;

  auto& st = ctx_.stats;
  if (x.on_chip) return t;  // no DRAM access window
  const int op = static_cast<int>(x.operand);
  const std::uint64_t elements = x.operand == Operand::Weights
                                     ? x.bits / static_cast<std::uint64_t>(ctx_.network->code_bits(
                                                    static_cast<std::size_t>(ctx_.layer)))
                                     : x.bytes();
  (inbound ? st.dram_read[op] : st.dram_write[op])
      .add(ctx_.cycles_of(start - ctx_.layer_start), ctx_.cycles_of(done - ctx_.layer_start),
           elements);
  return t;
}

// Waves: with its window full, a DMA's next `window` bursts issue a period apart, burst i not
// before the i-th oldest burst in flight (and every older one) has completed. While each burst
// streams (the bus is free from its request on, and a burst occupies it for at most a period)
// it completes a fixed time after it issues, so the wave's bursts are the window of the next
// wave: where a wave spans no more than that time, every later wave is the first one shifted by
// it. Here one wave and as many of its shifts as issue before the next synchronisation point
// are worked out at once, with the same times, ends and bus bookings as burst by burst.
std::uint64_t DmaEngine::waves(const Wave& w, Dram& dram, std::uint64_t most,
                               sc_core::sc_time& next_issue, sc_core::sc_time& done) {
  const sc_core::sc_time period = ctx_.period;
  const std::size_t window = outstanding_.size();
  if (in_flight_ != window || most < window) return 0;
  wave_issue_.resize(window);
  sc_core::sc_time ready = sc_core::SC_ZERO_TIME, at = next_issue;
  for (std::size_t i = 0; i < window; ++i) {
    const sc_core::sc_time& r =
        outstanding_[oldest_ + i < window ? oldest_ + i : oldest_ + i - window];
    if (r > ready) ready = r;
    if (ready > at) at = ready;
    wave_issue_[i] = at;
    at += period;
  }
  const sc_core::sc_time first = wave_issue_.front(), last = wave_issue_.back();
  const sc_core::sc_time sync = qk_.next_sync_point();
  if (last >= sync || first + w.offset < dram.free_from()) return 0;
  // Shifts k = 1, 2, ... whose last burst issues before the synchronisation point.
  std::uint64_t n = 1;
  if (last - first + period <= w.c) {
    const std::uint64_t fit =
        (sync - last - sc_core::sc_get_time_resolution()).value() / w.c.value() + 1;
    n = std::min<std::uint64_t>(fit, most / window);
  }
  for (std::uint64_t k = 0; k < n; ++k) {
    const sc_core::sc_time shift = w.c * static_cast<double>(k) + w.offset;
    for (const sc_core::sc_time& t : wave_issue_)
      dram.append(t + shift, w.bus);
  }
  const sc_core::sc_time shift = w.c * static_cast<double>(n - 1);
  for (std::size_t i = 0; i < window; ++i)
    outstanding_[oldest_ + i < window ? oldest_ + i : oldest_ + i - window] =
        wave_issue_[i] + shift + w.c;
  next_issue = last + shift + period;
  if (last + shift + w.c > done) done = last + shift + w.c;
  return n * window;
}

template <class Far, class Near>
DmaEngine::Timing DmaEngine::bursts(const Transfer& x, bool inbound, const sc_core::sc_time& start,
                                    Far& far, Near& near) {
  const sc_core::sc_time period = ctx_.period;
  const std::uint32_t burst = ctx_.burst_bytes;
  const std::size_t window = ctx_.max_outstanding;
  if (outstanding_.size() != window) {
    outstanding_.assign(window, sc_core::SC_ZERO_TIME);
    oldest_ = in_flight_ = 0;
  }
  std::uint64_t bits_left = x.bits;
  std::uint64_t bursts = 0;
  sc_core::sc_time done = start;
  sc_core::sc_time next_issue = start;
  // A burst carries its share of the transfer's bits: fewer than len * 8 for activations
  // narrower than a byte and for the last burst of a packed weight block. A burst is whole or
  // a run's tail: two shares, divided once per job.
  auto share_of = [&](std::uint64_t len) { return (len * x.bits + x.bytes() - 1) / x.bytes(); };
  const std::uint64_t whole_share = share_of(burst), tail_share = share_of(x.run_bytes % burst);
  const std::uint32_t per_run = (x.run_bytes + burst - 1) / burst;
  const std::uint64_t total = std::uint64_t{x.count} * per_run;
  // Waves (waves()): when every burst is alike (runs of whole bursts, or of one burst each) and
  // the far side is the DRAM, their common share and times.
  const std::uint64_t alike_share = x.run_bytes >= burst ? whole_share : tail_share;
  Wave wave;
  bool alike = false;
  if constexpr (std::is_same_v<Far, Dram> && std::is_same_v<Near, Sram>) {
    if (x.run_bytes % burst == 0 || per_run == 1) {
      const std::uint64_t bits =
          alike_share != 0 ? alike_share : std::uint64_t{std::min(burst, x.run_bytes)} * 8;
      const sc_core::sc_time sram = near.access_time(bits);
      wave.bus = far.bus_time(bits);
      wave.c = wave.bus + far.latency() + sram;
      wave.offset = inbound ? sc_core::SC_ZERO_TIME : sram;
      alike = wave.bus <= period;
    }
  }
  std::uint32_t off = 0;
  std::uint64_t retry = 0;  // the first burst to try waves at
  for (std::uint64_t b = 0; b < total;) {
    if constexpr (std::is_same_v<Far, Dram> && std::is_same_v<Near, Sram>) {
      // After a wave that could not be worked out, the next window of bursts goes burst by
      // burst: a failed try costs as much as a window of them.
      if (alike && b >= retry) {
        const std::uint64_t left =
            alike_share != 0 ? std::min(total - b, bits_left / alike_share) : total - b;
        if (const std::uint64_t moved = waves(wave, far, left, next_issue, done)) {
          bursts += moved;
          bits_left -= alike_share * moved;
          b += moved;
          off = static_cast<std::uint32_t>(b % per_run) * burst;
          continue;
        }
        if (in_flight_ == window) retry = b + window;
      }
    }
    const std::uint32_t len = std::min(burst, x.run_bytes - off);
    const std::uint64_t share =
        std::min<std::uint64_t>(bits_left, len == burst ? whole_share : tail_share);
    bits_left -= share;
    const std::uint64_t bits = share != 0 ? share : std::uint64_t{len} * 8;
    // Bursts leave the DMA at most one per cycle and only while fewer than max_outstanding
    // are in flight.
    while (in_flight_ > 0 && outstanding_[oldest_] <= next_issue) {
      oldest_ = oldest_ + 1 == window ? 0 : oldest_ + 1;
      --in_flight_;
    }
    if (in_flight_ >= window) {
      next_issue = std::max(next_issue, outstanding_[oldest_]);
      oldest_ = oldest_ + 1 == window ? 0 : oldest_ + 1;
      --in_flight_;
    }
    // Temporal decoupling: once this engine's local time has run a quantum ahead, let the
    // kernel catch up before booking more of the bus, so another initiator's earlier requests
    // are booked first (the smaller the quantum, the finer the interleaving).
    if (next_issue >= qk_.next_sync_point()) {  // what qk_.need_sync() would say
      qk_.set(next_issue - sc_core::sc_time_stamp());
      qk_.sync();
    }
    const sc_core::sc_time issue = next_issue;
    next_issue += period;
    ++bursts;
    // Inbound, the SRAM write starts when the data has arrived; outbound, the far write when
    // the SRAM read is done.
    const sc_core::sc_time end = inbound ? near.complete(far.complete(issue, bits), bits)
                                         : far.complete(near.complete(issue, bits), bits);
    const std::size_t slot = oldest_ + in_flight_;
    outstanding_[slot < window ? slot : slot - window] = end;
    ++in_flight_;
    if (end > done) done = end;
    ++b;
    off += burst;
    if (off >= x.run_bytes) off = 0;
  }
  ctx_.stats.dma_transactions += bursts;
  return {done, next_issue};
}

}  // namespace conloc
