#include <systemc>

#include <cstdlib>

#include "sim/cli/cli.h"

// SystemC's library would provide main() and print its banner before any code of ours runs; this
// main() silences the banner (users want clean output) and hands over to the kernel as usual.
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}

int sc_main(int argc, char** argv) {
  return conloc::cli_main(argc, argv);
}
