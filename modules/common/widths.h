#pragma once

namespace conloc {

// The bit widths of what the accelerator stores and moves: one stored weight code word, one
// activation (in the buffers and DRAM), one partial sum (accumulator, output buffer). Set once
// from the design (design.activation_bits, design.accumulator_bits, the format's code width) in
// the compiled network, and passed on whole to the planner, the dataflow models and the engines.
struct Widths {
  int code_bits = 8;
  int activation_bits = 8;
  int accumulator_bits = 32;
  bool operator==(const Widths& o) const {
    return code_bits == o.code_bits && activation_bits == o.activation_bits &&
           accumulator_bits == o.accumulator_bits;
  }
};

}  // namespace conloc
