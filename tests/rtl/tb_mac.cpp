// Verilator testbench of a generated MAC (`conlocnn-sim rtl`): drives every vector of
// vectors.txt (code, activation, accumulator in, and the C++ datapath's result) through the
// Verilog and compares bit for bit. Prints the first mismatches; exit 1 on any.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <type_traits>

#include "Vconloc_mac.h"
#include "verilated.h"

namespace {

// The low `bits` of v, as Verilator's port type holds them.
template <class Port>
Port bits_of(std::int64_t v, int bits) {
  const std::uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
  return static_cast<Port>(static_cast<std::uint64_t>(v) & mask);
}

// A port's value read back as a signed number of `bits`.
std::int64_t signed_of(std::uint64_t v, int bits) {
  const std::uint64_t sign = 1ull << (bits - 1);
  v &= bits >= 64 ? ~0ull : (1ull << bits) - 1;
  return static_cast<std::int64_t>(v ^ sign) - static_cast<std::int64_t>(sign);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: tb VECTORS A_BITS CODE_BITS ACC_BITS\n");
    return 2;
  }
  const int a_bits = std::atoi(argv[2]), code_bits = std::atoi(argv[3]),
            acc_bits = std::atoi(argv[4]);
  auto ctx = std::make_unique<VerilatedContext>();
  auto top = std::make_unique<Vconloc_mac>(ctx.get());
  std::ifstream in(argv[1]);
  std::int64_t code, a, acc, want;
  long n = 0, bad = 0;
  while (in >> code >> a >> acc >> want) {
    top->a = bits_of<std::decay_t<decltype(top->a)>>(a, a_bits);
    top->code = bits_of<std::decay_t<decltype(top->code)>>(code, code_bits);
    top->acc_in = bits_of<std::decay_t<decltype(top->acc_in)>>(acc, acc_bits);
    top->eval();
    const std::int64_t got = signed_of(static_cast<std::uint64_t>(top->acc_out), acc_bits);
    ++n;
    if (got != want && ++bad <= 5) {
      std::fprintf(stderr, "mismatch: code %lld a %lld acc %lld: RTL %lld, C++ %lld\n",
                   static_cast<long long>(code), static_cast<long long>(a),
                   static_cast<long long>(acc), static_cast<long long>(got),
                   static_cast<long long>(want));
    }
  }
  top->final();
  std::printf("%ld vectors, %ld mismatches\n", n, bad);
  return n > 0 && bad == 0 ? 0 : 1;
}
