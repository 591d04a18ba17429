#include <systemc>

#include <cstdlib>
#include <gtest/gtest.h>

// SystemC owns the process: main() silences its banner and starts the kernel, which calls
// sc_main(), which runs GoogleTest. gtest_discover_tests runs every test in its own process, so
// each test may elaborate and sc_start() its own little model. (Linking gtest's own main instead
// would run zero tests and still exit 0.)
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  setenv("CONLOCNN_CACHE_DIR", CONLOCNN_TEST_CACHE_DIR, 0);  // the suite's, not the user's
  return sc_core::sc_elab_and_sim(argc, argv);
}

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
