#include "core/store.h"

#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

// The names in `dir`, "." and ".." left out, sorted; none when it does
// not exist.
std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    io_fail("cannot read folder", dir, errno);
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool is_lower_hex(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Calls fn(path, stat) for each regular file two levels under `top`
// (top/ab/cdef...) whose two names are lower-case hex of 2 and 62 digits.
void each_fanned_file(const std::string& top, const std::function<void(const std::string&, const std::string&,
                                                                       const struct stat&)>& fn) {
  for (const std::string& fan : names_in(top)) {
    if (fan.size() != 2 || !is_lower_hex(fan)) continue;
    for (const std::string& rest : names_in(top + "/" + fan)) {
      if (rest.size() != 62 || !is_lower_hex(rest)) continue;
      const std::string path = top + "/" + fan + "/" + rest;
      struct stat st;
      if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) fn(fan + rest, path, st);
    }
  }
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
  return put_fd(in, src);
}

Digest Store::put_fd(int in, const std::string& src) {
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

bool Store::intact(const Digest& key) const { return rehash(key) == key; }

std::optional<Digest> Store::rehash(const Digest& key) const {
  int fd = ::open(path(key).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  FdCloser closer(fd);
  Sha256 h;
  std::string buf(kChunk, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return h.final();
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

void Store::make_folders() const {
  make_dirs(dir_ + "/tmp");
  for (const char* top : {"/sha256", "/refs"}) {
    const std::string parent = dir_ + top;
    make_dirs(parent);
    for (int i = 0; i < 256; ++i) {
      char sub[4];
      std::snprintf(sub, sizeof sub, "%02x", i);
      const std::string dir = parent + "/" + sub;
      if (::mkdir(dir.c_str(), 0755) == 0) continue;
      if (errno != EEXIST) io_fail("cannot create folder", dir, errno);
      make_dirs(dir);  // there already: a folder, or Exit::io naming the file in its place
    }
    // One fsync of the parent makes its 256 new entries durable: one per
    // folder (make_dirs) was 513 fsyncs a store, seconds on a busy disk,
    // for gpu-bench's and make bench's fresh store before each job-run.
    fsync_dir(parent);
  }
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

std::vector<StoredObject> Store::objects() const {
  std::vector<StoredObject> out;
  each_fanned_file(dir_ + "/sha256", [&](const std::string& h, const std::string& path, const struct stat& st) {
    StoredObject o;
    unhex(h, o.key.data(), o.key.size());
    o.path = path;
    o.bytes = static_cast<uint64_t>(st.st_size);
    o.mtime = st.st_mtime;
    out.push_back(std::move(o));
  });
  return out;
}

std::vector<Digest> Store::keys_with_prefix(const std::string& hex_prefix) const {
  std::vector<Digest> out;
  if (hex_prefix.size() < 2 || hex_prefix.size() > 64 || !is_lower_hex(hex_prefix)) return out;
  const std::string fan = hex_prefix.substr(0, 2), rest = hex_prefix.substr(2);
  for (const std::string& name : names_in(dir_ + "/sha256/" + fan)) {
    if (name.size() != 62 || !is_lower_hex(name) || name.compare(0, rest.size(), rest) != 0) continue;
    Digest d;
    unhex(fan + name, d.data(), d.size());
    if (has(d)) out.push_back(d);
  }
  return out;
}

std::vector<StoredRef> Store::refs() const {
  std::vector<StoredRef> out;
  each_fanned_file(dir_ + "/refs", [&](const std::string&, const std::string& path, const struct stat& st) {
    StoredRef r;
    r.path = path;
    r.mtime = st.st_mtime;
    try {
      std::string text = read_file(path, 4096);
      if (!text.empty() && text.back() == '\n') text.pop_back();
      Digest d;
      if (parse_sha256_ref(text, &d)) r.target = d;
    } catch (const Error& e) {
      // Removed meanwhile: nothing to list.
      if (e.code() == Exit::no_input) return;
      if (e.code() != Exit::data) throw;
    }
    out.push_back(std::move(r));
  });
  return out;
}

std::vector<TempFile> Store::temp_files() const {
  std::vector<TempFile> out;
  const std::string tmp = dir_ + "/tmp";
  for (const std::string& name : names_in(tmp)) {
    const std::string path = tmp + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    out.push_back({path, static_cast<uint64_t>(st.st_size), static_cast<int64_t>(st.st_mtime)});
  }
  return out;
}

void Store::remove(const std::vector<std::string>& paths) {
  std::vector<std::string> folders;
  for (const std::string& path : paths) {
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT) continue;
      throw Error(Exit::io, "cannot remove " + path + ": " + std::strerror(errno));
    }
    folders.push_back(parent_of(path));
  }
  std::sort(folders.begin(), folders.end());
  folders.erase(std::unique(folders.begin(), folders.end()), folders.end());
  for (const std::string& f : folders) fsync_dir(f);
}

}  // namespace grid
