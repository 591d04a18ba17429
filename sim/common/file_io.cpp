#include "sim/common/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <unistd.h>

#include "modules/base/error.h"

namespace conloc {

namespace fs = std::filesystem;

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw UserError(path + ": file not found");
  if (fs::is_directory(path, ec)) throw UserError(path + ": is a directory, expected a file");
  // Devices, FIFOs and sockets (also behind a symlink) could be endless or block forever.
  if (!fs::is_regular_file(path, ec)) {
    throw UserError(path + ": not a regular file (a device, pipe or socket); expected a file");
  }
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxInputFileBytes) {
    throw UserError(path + ": file too large; got " + std::to_string(size) +
                    " bytes; expected at most " + std::to_string(kMaxInputFileBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ensure_directory(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw UserError(dir + ": exists and is not a directory");
  }
  fs::create_directories(dir, ec);
  if (ec) throw UserError(dir + ": cannot create directory: " + ec.message());
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const fs::path p(path);
  if (p.has_parent_path()) ensure_directory(p.parent_path().string());
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw UserError(path + ": cannot write: " + std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw UserError(path + ": write failed: " + std::strerror(errno));
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw UserError(path + ": cannot replace file: " + ec.message());
  }
}

void remove_stale_temp_files(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    const auto at = n.rfind(".tmp.");
    if (at == std::string::npos || !e.is_regular_file(ec)) continue;
    const long pid = std::strtol(n.c_str() + at + 5, nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0) fs::remove(e.path(), ec);
  }
}

}  // namespace conloc
