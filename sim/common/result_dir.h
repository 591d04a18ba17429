#pragma once

#include <string>

namespace conloc {

// An output folder written as a whole (`run`, `compare`). Files go into a staging folder next to
// the target (`<dir>.tmp-<pid>`); commit() puts it in place of the target, removing the previous
// result set, so a reader finds the old set or the new one, never a mix, and a run that fails or
// is killed leaves the previous set untouched. Staging folders of dead processes are removed.
// A target that exists and holds anything but an earlier result set is refused (a UserError), so
// `--out .` cannot wipe a working folder.
class ResultDir {
 public:
  explicit ResultDir(std::string dir);
  ~ResultDir();
  ResultDir(const ResultDir&) = delete;
  ResultDir& operator=(const ResultDir&) = delete;

  const std::string& staging() const { return staging_; }  // write here
  const std::string& target() const { return dir_; }
  void commit();

  // The marker file every result set carries.
  static const char* marker();

 private:
  std::string dir_, staging_;
  bool committed_ = false;
};

}  // namespace conloc
