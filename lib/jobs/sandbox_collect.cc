#include "jobs/sandbox_collect.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "core/error.h"
#include "core/file_io.h"
#include "core/merkle.h"

namespace grid {
namespace {

// Folders nested deeper than this, or paths longer, are refused as
// "output name": the walk holds one descriptor per level, and a result
// names each path in full.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kReadChunk = 1 << 20;

[[noreturn]] void io_fail(const std::string& what, const std::string& path) {
  int err = errno;
  throw Error(Exit::io, what + " " + path + ": " + std::strerror(err));
}

struct Walk {
  Walk(const SandboxLimits& l, bool h, std::vector<OutputEntry>* o) : limits(l), hash(h), outputs(o) {}
  const SandboxLimits& limits;
  bool hash;
  std::vector<OutputEntry>* outputs;
  uint64_t entries = 0, bytes = 0;
  std::string reason;
  std::vector<char> buffer;

  // openat, once more after giving the owner read (and search) access: a
  // program may leave its own files mode 000, and a collector that is not
  // root reads them only so. Links were ruled out by lstat before.
  int open_entry(int dir, const char* name, int flags, const struct stat& st) {
    int fd = ::openat(dir, name, flags);
    if (fd < 0 && errno == EACCES && st.st_uid == ::geteuid()) {
      mode_t extra = S_ISDIR(st.st_mode) ? S_IRUSR | S_IXUSR : S_IRUSR;
      if (::fchmodat(dir, name, (st.st_mode & 07777) | extra, 0) == 0) fd = ::openat(dir, name, flags);
    }
    return fd;
  }

  bool refuse(const char* why) {
    if (reason.empty()) reason = why;
    return false;
  }

  // Hashes one regular file already opened; false past a limit.
  bool hash_file(int fd, const std::string& path) {
    Sha256 h;
    uint64_t size = 0;
    for (;;) {
      ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) io_fail("cannot read output", path);
      if (n == 0) break;
      size += static_cast<uint64_t>(n);
      if (bytes + size > limits.output_bytes) return refuse("output size");
      h.update(buffer.data(), static_cast<size_t>(n));
    }
    bytes += size;
    outputs->push_back(OutputEntry{path, size, h.final()});
    return true;
  }

  // The entries of folder `dir` (owned), named `prefix` inside /out.
  bool walk_dir(int dir, const std::string& prefix, int depth) {
    DIR* d = ::fdopendir(dir);
    if (!d) {
      ::close(dir);
      if (!hash) return true;
      io_fail("cannot read output folder", prefix);
    }
    struct Closer {
      DIR* d;
      ~Closer() { ::closedir(d); }
    } closer{d};
    for (;;) {
      errno = 0;
      struct dirent* e = ::readdir(d);
      if (!e) {
        if (errno != 0 && hash) io_fail("cannot read output folder", prefix);
        return true;
      }
      const char* name = e->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      if (++entries > limits.output_files) return refuse("output files");
      std::string path = prefix.empty() ? name : prefix + "/" + name;
      if (hash && (!valid_output_name(name) || path.size() > kMaxPathBytes)) return refuse("output name");
      struct stat st;
      // While the program runs (a tally) it may remove or replace an entry
      // between two calls: what vanished is not counted.
      if (::fstatat(::dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (!hash) continue;
        io_fail("cannot stat output", path);
      }
      if (S_ISDIR(st.st_mode)) {
        if (depth + 1 >= kMaxDepth) return refuse("output name");
        int sub = open_entry(::dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, st);
        if (sub < 0 && !hash) continue;
        if (sub < 0) io_fail("cannot open output folder", path);
        if (!walk_dir(sub, path, depth + 1)) return false;
        continue;
      }
      if (!S_ISREG(st.st_mode)) {
        if (hash) return refuse("output type");
        continue;
      }
      if (!hash) {
        bytes += static_cast<uint64_t>(st.st_size);
        if (bytes > limits.output_bytes) return refuse("output size");
        continue;
      }
      // O_NONBLOCK: should the entry have become a FIFO since the lstat,
      // open must not wait for a writer; the fstat below then refuses it.
      int fd = open_entry(::dirfd(d), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, st);
      if (fd < 0) io_fail("cannot open output", path);
      FdCloser close_fd(fd);
      struct stat now;
      if (::fstat(fd, &now) != 0) io_fail("cannot stat output", path);
      if (!S_ISREG(now.st_mode) || now.st_ino != st.st_ino || now.st_dev != st.st_dev) return refuse("output type");
      if (!hash_file(fd, path)) return false;
    }
  }
};

std::string run_walk(const std::string& out_dir, const SandboxLimits& limits, bool hash,
                     std::vector<OutputEntry>* outputs) {
  int top = ::open(out_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (top < 0) io_fail("cannot open output folder", out_dir);
  Walk w(limits, hash, outputs);
  if (hash) w.buffer.resize(kReadChunk);
  if (!w.walk_dir(top, "", 0)) return w.reason;
  return "";
}

}  // namespace

bool valid_output_name(std::string_view name) {
  size_t i = 0;
  while (i < name.size()) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Lengths and first-continuation ranges of RFC 3629's table: no
    // overlong forms, no surrogates, nothing past U+10FFFF.
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (i + len > name.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(name[i + k]);
      if (k == 1 ? (cc < lo || cc > hi) : (cc < 0x80 || cc > 0xbf)) return false;
    }
    // C1 controls (U+0080..U+009F) are control characters too.
    if (len == 2 && c == 0xc2 && static_cast<unsigned char>(name[i + 1]) < 0xa0) return false;
    i += len;
  }
  return true;
}

std::string collect_outputs(const std::string& out_dir, const SandboxLimits& limits,
                            std::vector<OutputEntry>* outputs) {
  outputs->clear();
  std::string reason = run_walk(out_dir, limits, true, outputs);
  if (!reason.empty()) {
    outputs->clear();
    return reason;
  }
  std::sort(outputs->begin(), outputs->end(),
            [](const OutputEntry& a, const OutputEntry& b) { return a.path < b.path; });
  return "";
}

std::string tally_outputs(const std::string& out_dir, const SandboxLimits& limits) {
  return run_walk(out_dir, limits, false, nullptr);
}

// A leaf is the path's bytes, a 0 byte (no path holds one), the size as 8
// bytes big-endian and the 32 bytes of the SHA-256: fixed widths after the
// one terminator, so no two entries share an encoding.
Digest output_root(const std::vector<OutputEntry>& outputs) {
  std::vector<Digest> leaves;
  leaves.reserve(outputs.size());
  std::string leaf;
  for (const OutputEntry& e : outputs) {
    leaf.assign(e.path);
    leaf.push_back('\0');
    for (int shift = 56; shift >= 0; shift -= 8) leaf.push_back(static_cast<char>((e.size >> shift) & 0xff));
    leaf.append(reinterpret_cast<const char*>(e.sha256.data()), e.sha256.size());
    leaves.push_back(merkle_leaf_hash(leaf));
  }
  return merkle_root(leaves);
}

}  // namespace grid
