#pragma once

#include <string>

namespace conloc::test {

// A fresh empty folder under the system temp dir, removed (with its contents) when the test
// process exits, so the suite leaves nothing behind.
std::string make_temp_dir(const std::string& tag);

}  // namespace conloc::test
