#include <cstdlib>
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  // The suite's compile cache, not the user's (tests/CMakeLists.txt); a test may point it
  // elsewhere.
  setenv("CONLOCNN_CACHE_DIR", CONLOCNN_TEST_CACHE_DIR, 0);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
