#include "sim/common/result_dir.h"

#include <filesystem>
#include <signal.h>
#include <unistd.h>

#include "modules/base/error.h"
#include "sim/common/file_io.h"

namespace conloc {

namespace fs = std::filesystem;

namespace {

// True for a folder this tool wrote: it has the marker, or (results of earlier versions) the
// summary or comparison file.
bool is_result_set(const fs::path& d) {
  std::error_code ec;
  return fs::exists(d / ResultDir::marker(), ec) || fs::exists(d / "summary.json", ec) ||
         fs::exists(d / "comparison.json", ec);
}

// Leftover `<dir>.tmp-<pid>` / `<dir>.old-<pid>` of processes that no longer run.
void remove_stale(const fs::path& dir) {
  std::error_code ec;
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  const std::string base = dir.filename().string();
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string n = e.path().filename().string();
    for (const char* tag : {".tmp-", ".old-"}) {
      const std::string prefix = base + tag;
      if (n.rfind(prefix, 0) != 0) continue;
      const long pid = std::strtol(n.c_str() + prefix.size(), nullptr, 10);
      if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0) fs::remove_all(e.path(), ec);
    }
  }
}

}  // namespace

const char* ResultDir::marker() {
  return ".conlocnn-result";
}

ResultDir::ResultDir(std::string dir) : dir_(std::move(dir)) {
  if (dir_.empty()) {
    throw UserError(field_error("--out", "", "empty", "\"\"", "a folder for the results"));
  }
  while (dir_.size() > 1 && dir_.back() == '/')
    dir_.pop_back();
  const fs::path d(dir_);
  std::error_code ec;
  if (fs::exists(d, ec)) {
    if (!fs::is_directory(d, ec)) throw UserError(dir_ + ": exists and is not a directory");
    if (!fs::is_empty(d, ec) && !is_result_set(d)) {
      throw UserError(dir_ +
                      ": exists and holds files that are not a conlocnn-sim result; "
                      "expected a new, empty or earlier result folder for --out");
    }
  }
  // The results are written beside the folder and moved into place: a folder that cannot be
  // made there is the user's --out, not the staging folder's name, that the error names.
  try {
    if (d.has_parent_path()) ensure_directory(d.parent_path().string());
    remove_stale(d);
    staging_ = dir_ + ".tmp-" + std::to_string(::getpid());
    fs::remove_all(staging_, ec);
    ensure_directory(staging_);
    write_file_atomic(staging_ + "/" + marker(), "written by conlocnn-sim; replaced as a whole\n");
  } catch (const UserError& e) {
    std::string why = e.what();
    const auto colon = why.rfind(": ");
    if (colon != std::string::npos) why = why.substr(colon + 2);
    throw UserError(field_error("--out", "", "cannot write the results there: " + why,
                                "\"" + dir_ + "\"", "a folder this user can create and write"));
  }
}

void ResultDir::commit() {
  std::error_code ec;
  const std::string old = dir_ + ".old-" + std::to_string(::getpid());
  if (fs::exists(dir_, ec)) {
    fs::rename(dir_, old, ec);
    if (ec) throw UserError(dir_ + ": cannot move the previous results aside: " + ec.message());
  }
  fs::rename(staging_, dir_, ec);
  if (ec) throw UserError(dir_ + ": cannot move the new results into place: " + ec.message());
  committed_ = true;
  fs::remove_all(old, ec);
}

ResultDir::~ResultDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

}  // namespace conloc
