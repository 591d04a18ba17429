#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "modules/memory/transfer_ext.h"
#include "modules/pe_array/dataflow_model.h"

namespace conloc {

struct CompiledNetwork;

// Which engine executes a job. Each engine runs its jobs in plan order; a job starts once all its
// dependencies (earlier jobs) have completed.
enum class Engine { DmaRead, PeArray, OutputStage, VectorUnit, DmaWrite };
constexpr int kEngineCount = 5;
const char* to_string(Engine e);

enum class Buffer { Weights = 0, Activations = 1, Outputs = 2 };

// A DMA transfer: `count` runs of `run_bytes`, strided on both sides. `bits` is what the
// transfer really moves (packed code words need not fill the last byte).
struct Transfer {
  Operand operand = Operand::Inputs;
  Buffer buffer = Buffer::Activations;
  std::uint64_t dram_addr = 0;
  std::uint64_t sram_addr = 0;
  std::uint32_t count = 1;
  std::uint32_t run_bytes = 0;
  std::uint64_t dram_stride = 0;
  std::uint64_t sram_stride = 0;
  std::uint64_t bits = 0;
  std::uint64_t bytes() const { return std::uint64_t{count} * run_bytes; }
};

// A tile of a conv / fully-connected layer on the PE array.
struct ConvTile {
  int group = 0;
  int n0 = 0, nt = 0;     // output channels (within the group)
  int c0 = 0, ct = 0;     // input channels of this k-chunk (within the group)
  int oy0 = 0, rows = 0;  // output rows of this band
  // Images of the batch in the tile: their bands lie one after another in the activation SRAM
  // ([images][band_rows][W][band_cs]) and their psums in the output buffer ([images][rows*OW][nt]);
  // M = images x rows x OW.
  int image0 = 0, images = 1;
  bool first_chunk = true, last_chunk = true;
  std::uint64_t wbuf_addr = 0;  // packed weight block [nt][kh*kw*ct] in the weight buffer
  std::uint64_t abuf_addr = 0;  // input band [band_rows][W][band_cs] in the activation SRAM
  int band_iy0 = 0, band_rows = 0, band_c0 = 0, band_cs = 0;
  std::uint64_t obuf_addr = 0;  // psums [rows*OW][nt] int32 in the output buffer
  int input_job = -1;           // the DMA job that loaded the input band (identifies its contents)
  int weight_job = -1;          // the DMA job that loaded the weight block
  TileGemm gemm;
};

// A band of a vector-unit layer (pooling, residual add, ReLU).
struct VectorTile {
  int oy0 = 0, rows = 0;
  int band_iy0 = 0, band_rows = 0;
  int image = 0;                        // of the batch
  std::uint64_t abuf_addr[2] = {0, 0};  // input band(s) [band_rows][W][C] in the activation SRAM
                                        // (a per-channel Mul factor: [C])
  std::uint64_t in_bytes = 0;           // bytes the inputs occupy in the activation SRAM
  int part = 0;                         // Concat: the input this tile copies
  int out_ct = 0;                       // output channels of the tile
  std::uint64_t obuf_addr = 0;          // output band [rows][OW][C] bytes in the output buffer
  std::uint64_t ops = 0;                // element operations the vector unit performs
};

struct Job {
  Engine engine = Engine::DmaRead;
  std::vector<int> deps;
  Transfer xfer;   // DmaRead, DmaWrite
  ConvTile conv;   // PeArray, OutputStage (the tile whose psums are drained)
  VectorTile vec;  // VectorUnit
};

// How a layer is cut to fit the buffers, and the jobs that run it.
struct LayerPlan {
  int layer = 0;
  bool on_pe_array = false;
  int nt = 0, ct = 0, band_rows = 0, bands = 0, chunks = 0, n_tiles = 0;
  bool weights_resident = false;    // every weight block fits one half: loaded once per layer
  bool input_all_channels = false;  // a band holds every input channel: loaded once per band
  int images_per_tile = 1;          // images of the batch a conv tile holds
  std::vector<Job> jobs;
};

struct PlanParams {
  ArrayDims array;
  const DataflowModel* dataflow = nullptr;
  int code_bits = 8;
  int acc_bits = 32;
  std::uint64_t weight_half_bytes = 0;
  std::uint64_t act_half_bytes = 0;
  std::uint64_t out_half_bytes = 0;  // psums are stored as 32-bit words
  bool serial_steps = false;         // fold step lengths from the weights (term-serial MACs)
  int batch = 1;                     // images per run (workload.batch)
};

// Where every tensor and weight block lives in DRAM, and the packed weight image.
struct DramLayout {
  // Per tensor: the first image's HWC bytes; image b follows at tensor_addr + b * elements.
  std::vector<std::uint64_t> tensor_addr;
  std::vector<std::vector<std::uint64_t>> weight_block_addr;  // per layer, per block
  std::uint64_t weights_base = 0;
  std::uint64_t size = 0;
};

struct NetworkPlan {
  std::vector<LayerPlan> layers;
  DramLayout dram;
};

// A layer that cannot be tiled into the buffers. A legal outcome of planning, not an error: `run`
// reports it as an input error, a sweep records the point as infeasible and goes on.
struct Infeasibility {
  int layer = -1;
  std::string layer_name;
  std::string buffer;            // "weight buffer", "activation SRAM" or "output buffer"
  std::string config_key;        // the parameter that would make it fit, e.g. buffers.output_kib
  std::string what;              // what does not fit, e.g. "one output row of psums"
  std::uint64_t need_bytes = 0;  // in one half of the buffer
  std::uint64_t half_bytes = 0;  // what one half (double buffering) holds
  std::uint64_t bytes_short() const { return need_bytes - half_bytes; }
  std::uint64_t min_kib() const { return (2 * need_bytes + 1023) / 1024; }
  std::string message() const;
};

struct PlanResult {
  NetworkPlan plan;                         // complete only when feasible
  std::optional<Infeasibility> infeasible;  // the first layer that does not fit
};

// Cuts every layer into tiles that fit the double-buffered halves and orders the jobs, or says
// which layer does not fit which buffer and by how many bytes.
PlanResult plan_network(const CompiledNetwork& cn, const PlanParams& p);

// Packs the codes of one weight block (`nt` channels x the chunk's kh*kw*ct taps) LSB-first into
// bytes, in the order the PE array reads them: [n][(r * kw + s) * ct + ci].
std::vector<std::uint8_t> pack_weight_block(const CompiledNetwork& cn, int layer, const ConvTile& t,
                                            int code_bits);

// Index of a ConvTile's weight block within its layer (group, n-tile, chunk order).
int weight_block_index(const LayerPlan& lp, const ConvTile& t);

}  // namespace conloc
