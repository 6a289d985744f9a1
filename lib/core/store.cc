#include "core/store.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <utility>

#include "core/error.h"
#include "core/file_io.h"

namespace grid {
namespace {

constexpr int kObjectMode = 0444;  // objects never change once written
constexpr int kRefMode = 0644;
constexpr size_t kChunk = 1 << 20;  // copy and compare buffer

[[noreturn]] void io_fail(const std::string& what, const std::string& path, int err) {
  throw Error(err == ENOENT ? Exit::no_input : Exit::io, what + " " + path + ": " + std::strerror(err));
}

void write_all(int fd, const char* data, size_t size, const std::string& name) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) io_fail("cannot write", name, errno);
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Whether the file at `path` holds exactly `bytes`.
bool holds(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != bytes.size()) return false;
  std::string buf(kChunk, '\0');
  size_t at = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return at == bytes.size();
    if (at + static_cast<size_t>(n) > bytes.size() ||
        std::memcmp(buf.data(), bytes.data() + at, static_cast<size_t>(n)) != 0)
      return false;
    at += static_cast<size_t>(n);
  }
}

// Writes a temp file in `tmp_dir` through `fill` (which returns the key of
// what it wrote), then renames it to `place(key)`: whole or not at all.
Digest write_object(const std::string& tmp_dir, const std::function<Digest(int fd, const std::string& tmp)>& fill,
                    const std::function<std::string(const Digest&)>& place,
                    const std::function<bool(const Digest&)>& already_there) {
  make_dirs(tmp_dir);
  std::random_device rd;
  std::string tmp = tmp_dir + "/" + std::to_string(::getpid()) + "." + std::to_string(rd()) + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) io_fail("cannot create", tmp, errno);
  Digest key;
  try {
    FdCloser closer(fd);
    key = fill(fd, tmp);
    if (::fchmod(fd, kObjectMode) != 0 || ::fsync(fd) != 0) io_fail("cannot write", tmp, errno);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (already_there(key)) {
    ::unlink(tmp.c_str());
    return key;
  }
  std::string dest = place(key);
  try {
    make_dirs(parent_of(dest));
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    io_fail("cannot store", dest, err);
  }
  fsync_dir(parent_of(dest));
  return key;
}

// "ab/cdef..." for a digest.
std::string fan_out(const Digest& d) {
  std::string h = hex(d);
  return h.substr(0, 2) + "/" + h.substr(2);
}

}  // namespace

Store::Store(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  if (dir_.empty()) dir_ = ".";
}

std::string Store::default_dir() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  // The XDG base directory spec: a relative path is invalid and ignored.
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/gridutils/store";
  const char* home = std::getenv("HOME");
  std::string h = home && home[0] ? home : "";
  if (h.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) h = pw->pw_dir;
  }
  if (h.empty()) throw Error(Exit::usage, "no store folder: give --store, or set XDG_DATA_HOME or HOME");
  return h + "/.local/share/gridutils/store";
}

std::string Store::path(const Digest& key) const { return dir_ + "/sha256/" + fan_out(key); }

std::string Store::ref_path(const std::string& name) const { return dir_ + "/refs/" + fan_out(sha256(name)); }

bool Store::has(const Digest& key) const {
  struct stat st;
  return ::stat(path(key).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Digest Store::put(std::string_view bytes) {
  Digest key = sha256(bytes);
  if (holds(path(key), bytes)) return key;
  return write_object(
      dir_ + "/tmp",
      [&](int fd, const std::string& tmp) {
        write_all(fd, bytes.data(), bytes.size(), tmp);
        return key;
      },
      [&](const Digest& k) { return path(k); }, [](const Digest&) { return false; });
}

Digest Store::put_file(const std::string& src) {
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) io_fail("cannot open", src, errno);
  FdCloser closer(in);
  return write_object(
      dir_ + "/tmp",
      [&](int fd, const std::string& tmp) {
        Sha256 h;
        std::string buf(kChunk, '\0');
        for (;;) {
          ssize_t n = ::read(in, buf.data(), buf.size());
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) io_fail("cannot read", src, errno);
          if (n == 0) break;
          h.update(buf.data(), static_cast<size_t>(n));
          write_all(fd, buf.data(), static_cast<size_t>(n), tmp);
        }
        return h.final();
      },
      [&](const Digest& k) { return path(k); },
      // An object already there is kept unless it is corrupt.
      [&](const Digest& k) { return intact(k); });
}

bool Store::intact(const Digest& key) const {
  int fd = ::open(path(key).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  FdCloser closer(fd);
  Sha256 h;
  std::string buf(kChunk, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return h.final() == key;
    h.update(buf.data(), static_cast<size_t>(n));
  }
}

std::string Store::get(const Digest& key) const {
  std::string p = path(key);
  std::string bytes;
  try {
    bytes = read_file(p, static_cast<size_t>(-1));
  } catch (const Error& e) {
    if (e.code() == Exit::no_input)
      throw Error(Exit::no_input, "object " + sha256_ref(key) + " is not in the store " + dir_);
    throw;
  }
  Digest got = sha256(bytes);
  if (got != key)
    throw Error(Exit::data,
                "store object " + p + " is corrupt: its bytes hash to " + sha256_ref(got) + ", not " + sha256_ref(key));
  return bytes;
}

std::string Store::download_path(const Digest& key) {
  make_dirs(dir_ + "/tmp");
  return dir_ + "/tmp/fetch-" + hex(key);
}

void Store::adopt(const std::string& file, const Digest& key) {
  const std::string dest = path(key);
  make_dirs(parent_of(dest));
  if (::chmod(file.c_str(), kObjectMode) != 0) io_fail("cannot store", file, errno);
  if (::rename(file.c_str(), dest.c_str()) != 0) io_fail("cannot store", dest, errno);
  fsync_dir(parent_of(dest));
}

void Store::put_ref(const std::string& name, const Digest& key) {
  std::string p = ref_path(name);
  make_dirs(parent_of(p));
  write_file_atomic(p, sha256_ref(key) + "\n", kRefMode, true);
}

std::optional<Digest> Store::get_ref(const std::string& name) const {
  std::string p = ref_path(name);
  std::string text;
  try {
    text = read_file(p, 4096);
  } catch (const Error& e) {
    if (e.code() == Exit::no_input) return std::nullopt;
    throw;
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  Digest d;
  if (!parse_sha256_ref(text, &d)) throw Error(Exit::data, "store reference " + p + " is malformed");
  return d;
}

}  // namespace grid
