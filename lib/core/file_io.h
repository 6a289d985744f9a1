// Whole-file reads and crash-safe whole-file writes.
#pragma once

#include <string>

namespace grid {

// Closes a descriptor when it goes out of scope.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser();
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

// The folder part of `path`: "." for a bare name, "/" for one at the root.
std::string parent_of(const std::string& path);

// fsync of a folder, so that entries just made in it survive a crash. Best
// effort: a folder that cannot be opened is left alone.
void fsync_dir(const std::string& dir);

// mkdir -p (mode 0755), with an fsync of each folder that gained an entry.
// Exit::io naming the folder (a file in the way too); Exit::no_input when
// a parent vanished meanwhile.
void make_dirs(const std::string& dir);

// Reads all of `fd` (at most `limit` bytes; Exit::data past it).
std::string read_fd(int fd, const std::string& name, size_t limit);

// Reads a whole file; Exit::no_input when it does not exist.
std::string read_file(const std::string& path, size_t limit);

// Writes `content` so that `path` holds either its old content or all of
// the new one, whatever happens: temp file in the same folder, fsync,
// rename (or link, when not replacing), fsync of the folder. Returns false,
// writing nothing, when `replace` is false and `path` exists. Failures are
// Exit::io naming `path`.
bool write_file_atomic(const std::string& path, const std::string& content, int mode, bool replace = true);

// Removes `path` and all below it, making each folder writable and
// searchable by its owner first (a sandboxed program or a tarball may
// leave read-only folders). Links are removed, never followed. False when
// something could not be removed; a missing `path` is removed already.
bool remove_tree(const std::string& path);

}  // namespace grid
