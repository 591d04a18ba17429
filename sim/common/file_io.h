#pragma once

#include <string>

namespace conloc {

// Reads a whole file; a missing or unreadable file is a UserError naming the path.
std::string read_text_file(const std::string& path);

// Writes via a temporary file in the same directory and rename(), so a reader never sees a
// half-written file and an earlier complete file survives a failure. Creates parent directories.
void write_file_atomic(const std::string& path, const std::string& content);

// Creates `dir` (and parents); a UserError if it exists as a non-directory or cannot be made.
void ensure_directory(const std::string& dir);

}  // namespace conloc
