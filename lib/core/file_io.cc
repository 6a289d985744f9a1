#include "core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "core/error.h"

namespace grid {
namespace {

[[noreturn]] void io_fail(const std::string& what, const std::string& path) {
  int err = errno;
  throw Error(err == ENOENT ? Exit::no_input : Exit::io, what + " " + path + ": " + std::strerror(err));
}

}  // namespace

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void make_dirs(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return;
    throw Error(Exit::io, "cannot use " + dir + " as a folder: it is a file");
  }
  std::string parent = parent_of(dir);
  if (parent != dir) make_dirs(parent);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) io_fail("cannot create folder", dir);
  fsync_dir(parent);
}

FdCloser::~FdCloser() {
  if (fd_ >= 0) ::close(fd_);
}

std::string read_fd(int fd, const std::string& name, size_t limit) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_fail("cannot read", name);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > limit)
      throw Error(Exit::data, name + " is larger than " + std::to_string(limit) + " bytes");
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file(const std::string& path, size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io_fail("cannot open", path);
  FdCloser closer(fd);
  return read_fd(fd, path, limit);
}

bool write_file_atomic(const std::string& path, const std::string& content, int mode, bool replace) {
  std::random_device rd;
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  auto fail = [&](int err) {
    ::unlink(tmp.c_str());
    throw Error(Exit::io, "cannot write " + path + ": " + std::strerror(err));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw Error(Exit::io, "cannot write " + path + ": " + std::strerror(errno));
  {
    FdCloser closer(fd);
    size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(errno);
      done += static_cast<size_t>(n);
    }
    // The umask must not widen or narrow what the caller asked for.
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0 || ::fsync(fd) != 0) fail(errno);
  }
  if (replace) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail(errno);
  } else {
    // link(2) fails if the name exists: no window in which another file
    // created meanwhile would be replaced.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      if (err != EEXIST) fail(err);
      ::unlink(tmp.c_str());
      return false;
    }
    ::unlink(tmp.c_str());
  }
  fsync_dir(parent_of(path));
  return true;
}

bool remove_tree(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(path, ec);
  if (ec) return st.type() == fs::file_type::not_found;
  if (fs::is_directory(st)) {
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec))
      if (it->is_directory(ec) && !it->is_symlink(ec))
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path, ec);
  return !ec;
}

}  // namespace grid
