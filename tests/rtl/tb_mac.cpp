// Verilator testbench of a generated MAC (`conlocnn-sim rtl`): drives every vector of
// vectors.txt (code, activation, accumulator in, and the C++ datapath's result) through the
// Verilog and compares bit for bit. Prints the first mismatches; exit 1 on any.
// Built with -DCONLOC_TABLE for a loadable decoder: first writes every entry of table.txt
// (argument 5) through the table port. With -DCONLOC_SERIAL for a term-serial MAC: each vector
// is a `start` edge and then edges until `done`, and the cycles must equal the vector's fifth
// column (the simulator's timing model).
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
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
    std::fprintf(stderr, "usage: tb VECTORS A_BITS CODE_BITS ACC_BITS [TABLE]\n");
    return 2;
  }
  const int a_bits = std::atoi(argv[2]), code_bits = std::atoi(argv[3]),
            acc_bits = std::atoi(argv[4]);
  auto ctx = std::make_unique<VerilatedContext>();
  auto top = std::make_unique<Vconloc_mac>(ctx.get());
#if defined(CONLOC_TABLE) || defined(CONLOC_SERIAL)
  auto edge = [&] {
    top->clk = 0;
    top->eval();
    top->clk = 1;
    top->eval();
  };
#endif
#ifdef CONLOC_TABLE
  if (argc < 6) {
    std::fprintf(stderr, "tb: a loadable decoder needs its table file\n");
    return 2;
  }
  std::ifstream table(argv[5]);
  long entries = 0;
  for (std::uint32_t addr, word; table >> addr >> word; ++entries) {
    top->tbl_we = 1;
    top->tbl_addr = static_cast<std::decay_t<decltype(top->tbl_addr)>>(addr);
    top->tbl_data = static_cast<std::decay_t<decltype(top->tbl_data)>>(word);
    edge();
  }
  top->tbl_we = 0;
  if (entries == 0) {
    std::fprintf(stderr, "tb: empty decoder table %s\n", argv[5]);
    return 1;
  }
#endif
  std::ifstream in(argv[1]);
  long n = 0, bad = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::int64_t code, a, acc, want, want_cycles = 0;
    if (!(f >> code >> a >> acc >> want)) continue;
    top->a = bits_of<std::decay_t<decltype(top->a)>>(a, a_bits);
    top->code = bits_of<std::decay_t<decltype(top->code)>>(code, code_bits);
    top->acc_in = bits_of<std::decay_t<decltype(top->acc_in)>>(acc, acc_bits);
    std::int64_t cycles = 0;
#ifdef CONLOC_SERIAL
    f >> want_cycles;
    top->start = 1;
    edge();
    top->start = 0;
    for (cycles = 1; !top->done && cycles < 16; ++cycles)
      edge();
#else
    top->eval();
#endif
    const std::int64_t got = signed_of(static_cast<std::uint64_t>(top->acc_out), acc_bits);
    ++n;
    if ((got != want || cycles != want_cycles) && ++bad <= 5) {
      std::fprintf(stderr,
                   "mismatch: code %lld a %lld acc %lld: RTL %lld in %lld cycles, C++ %lld in "
                   "%lld\n",
                   static_cast<long long>(code), static_cast<long long>(a),
                   static_cast<long long>(acc), static_cast<long long>(got),
                   static_cast<long long>(cycles), static_cast<long long>(want),
                   static_cast<long long>(want_cycles));
    }
  }
  top->final();
  std::printf("%ld vectors, %ld mismatches\n", n, bad);
  return n > 0 && bad == 0 ? 0 : 1;
}
