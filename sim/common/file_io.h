#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace conloc {

// Largest input file read (configs, networks, weights, images): 1 GiB.
constexpr std::uintmax_t kMaxInputFileBytes = std::uintmax_t{1} << 30;

// Reads a whole file; a missing, unreadable, non-regular (device, FIFO) or larger than
// kMaxInputFileBytes file is a UserError naming the path.
std::string read_text_file(const std::string& path);

// Largest file of an ONNX model's external weights (models over protobuf's 2 GiB limit keep
// their weights there): 64 GiB.
constexpr std::uintmax_t kMaxExternalDataBytes = std::uintmax_t{64} << 30;

// A whole file mapped read-only, with read_text_file's checks (up to `max_bytes`): for large
// inputs parsed in place (an ONNX model's weights), without a copy into memory first.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path, std::uintmax_t max_bytes = kMaxInputFileBytes);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

// Writes via a temporary file in the same directory and rename(), so a reader never sees a
// half-written file and an earlier complete file survives a failure. Creates parent directories.
void write_file_atomic(const std::string& path, const std::string& content);
// The same for content written piece by piece into `out` by `fill` (a large file is not built in
// memory first); `fill` returns false, or `out` fails, for a write that did not complete.
void write_file_atomic(const std::string& path, const std::function<bool(std::FILE* out)>& fill);

// Removes `<name>.tmp.<pid>` files that write_file_atomic left in `dir` when its process was
// killed mid-write (the pid no longer runs).
void remove_stale_temp_files(const std::string& dir);

// Creates `dir` (and parents); a UserError if it exists as a non-directory or cannot be made.
void ensure_directory(const std::string& dir);

}  // namespace conloc
