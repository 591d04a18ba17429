#include "sim/common/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "modules/base/error.h"

namespace conloc {

namespace fs = std::filesystem;

namespace {

// An input file's size, after the checks every reader makes: it exists, is a regular file (not a
// device, FIFO or socket, which could be endless or block forever) and is not too large.
std::uintmax_t checked_input_size(const std::string& path, std::error_code& ec,
                                  std::uintmax_t max_bytes = kMaxInputFileBytes) {
  if (!fs::exists(path, ec)) throw UserError(path + ": file not found");
  if (fs::is_directory(path, ec)) throw UserError(path + ": is a directory, expected a file");
  if (!fs::is_regular_file(path, ec)) {
    throw UserError(path + ": not a regular file (a device, pipe or socket); expected a file");
  }
  const auto size = fs::file_size(path, ec);
  if (!ec && size > max_bytes) {
    throw UserError(path + ": file too large; got " + std::to_string(size) +
                    " bytes; expected at most " + std::to_string(max_bytes));
  }
  return size;
}

}  // namespace

MappedFile::MappedFile(const std::string& path, std::uintmax_t max_bytes) {
  std::error_code ec;
  const auto size = checked_input_size(path, ec, max_bytes);
  if (ec) throw UserError(path + ": cannot read: " + ec.message());
  size_ = static_cast<std::size_t>(size);
  if (size_ == 0) return;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw UserError(path + ": cannot open: " + std::strerror(errno));
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) throw UserError(path + ": cannot map: " + std::strerror(err));
  data_ = static_cast<const char*>(p);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<char*>(data_), size_);
}

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  const auto size = checked_input_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(path + ": cannot open: " + std::strerror(errno));
  // One read of the size the file has (a stream copy through a stringstream took a third of a
  // large ONNX model's import), then whatever was appended meanwhile, within the limit.
  std::string data(ec ? 0 : static_cast<std::size_t>(size), '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > kMaxInputFileBytes) {
      throw UserError(path + ": file too large; expected at most " +
                      std::to_string(kMaxInputFileBytes) + " bytes");
    }
  }
  return data;
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
  write_file_atomic(path, [&](std::FILE* out) {
    return std::fwrite(content.data(), 1, content.size(), out) == content.size();
  });
}

void write_file_atomic(const std::string& path, const std::function<bool(std::FILE* out)>& fill) {
  const fs::path p(path);
  if (p.has_parent_path()) ensure_directory(p.parent_path().string());
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  if (out == nullptr) throw UserError(path + ": cannot write: " + std::strerror(errno));
  bool ok = fill(out) && std::fflush(out) == 0 && !std::ferror(out);
  const int err = errno;
  ok = std::fclose(out) == 0 && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    throw UserError(path + ": write failed: " + std::strerror(err != 0 ? err : EIO));
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
