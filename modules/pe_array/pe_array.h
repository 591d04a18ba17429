#pragma once

#include <systemc>
#include <tlm>

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <map>
#include <vector>

#include "modules/controller/job_engine.h"
#include "modules/memory/buffer_access.h"

namespace conloc {

// The PE array (rows x cols of ELP_BSD or fixed-point MACs). It advances one tile per job: the
// tile's cycles come from the dataflow's closed form (docs/timing.md), never from per-cycle
// processes. With functional simulation on, it also computes the tile's values from what the
// buffers hold: it reads the packed weight codes and the input band through DMI, decodes the codes
// (the exhaustive MAC tests prove acc + a * decode(code) is what the shift-add datapath computes),
// and accumulates into the psum tile in the output buffer. Its operand streams are reported to
// each buffer with count-only transactions, so every SRAM access is counted where it happens.
class PeArray : public JobEngine {
 public:
  tlm_utils::simple_initiator_socket<PeArray> sram_socket[3];  // indexed by Buffer

  PeArray(const sc_core::sc_module_name& name, RunContext& ctx);

 private:
  Timing execute(const Job& job, const sc_core::sc_time& start) override;
  void new_plan() override {
    gathered_ = GatherKey{};
    decoded_layer_ = -1;
  }
  void compute_values(const ConvTile& t);
  const DmiRegion& dmi(Buffer b);

  std::vector<std::int16_t> a_;  // gathered inputs [M][K]
  // Decoded weight blocks of the current layer, by the DMA job that loaded them: a resident block
  // is decoded once, not once per band (a simulation shortcut; the SRAM reads are still counted).
  std::map<int, std::vector<std::int16_t>> decoded_;
  int decoded_layer_ = -1;
  std::vector<std::int32_t> acc_;  // tile accumulators [M][N]
  DmiRegion dmi_[3];
  // The gathered input matrix depends only on the band's contents (the DMA job that loaded it)
  // and the k-chunk, so consecutive n-tiles reuse it (a simulation shortcut, not a hardware one:
  // the SRAM reads are still counted per tile).
  struct GatherKey {
    int layer = -1, input_job = -1, group = -1, c0 = -1, ct = -1;
    bool operator==(const GatherKey& o) const {
      return layer == o.layer && input_job == o.input_job && group == o.group && c0 == o.c0 &&
             ct == o.ct;
    }
  } gathered_;
};

}  // namespace conloc
