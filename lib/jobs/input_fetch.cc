#include "jobs/input_fetch.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "core/file_io.h"
#include "core/net.h"
#include "core/store.h"

namespace grid {
namespace {

// An exclusive flock on `path`, created as needed. The holder unlinks the
// file when done, so a waiter that then gets the lock of the unlinked file
// opens the path again rather than run beside a newer holder.
class FileLock {
 public:
  explicit FileLock(std::string path) : path_(std::move(path)) {
    for (;;) {
      fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (fd_ < 0) throw Error(Exit::io, "cannot create " + path_ + ": " + std::strerror(errno));
      while (::flock(fd_, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd_);
        throw Error(Exit::io, "cannot lock " + path_ + ": " + std::strerror(err));
      }
      struct stat held, now;
      if (::fstat(fd_, &held) == 0 && ::stat(path_.c_str(), &now) == 0 && held.st_ino == now.st_ino &&
          held.st_dev == now.st_dev)
        return;
      ::close(fd_);
    }
  }
  ~FileLock() {
    ::unlink(path_.c_str());
    ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// The bytes of object `key` when the store holds it intact (read and
// hashed once); a corrupt one is downloaded again (adopt replaces it).
std::optional<std::string> stored(const Store& store, const Digest& key) {
  if (!store.has(key)) return std::nullopt;
  try {
    return store.get(key);
  } catch (const Error& e) {
    if (e.code() != Exit::data) throw;
    return std::nullopt;
  }
}

}  // namespace

Error input_mismatch(const std::string& what, const Digest& got, const Digest& key, const std::string& field) {
  return data_error(what + " has SHA-256 " + sha256_ref(got) + ", not the expected " + sha256_ref(key),
                    field + ".sha256");
}

std::string fetch_input(const std::string& url, const Digest& key, Store* store, const std::string& field) {
  const std::string shown = redact_url(url);
  if (!store) {
    std::string bytes = fetch_bytes(url, std::nullopt);
    if (Digest got = sha256(bytes); got != key) throw input_mismatch(shown, got, key, field);
    return bytes;
  }
  if (auto bytes = stored(*store, key)) return std::move(*bytes);
  const std::string dest = store->download_path(key);
  {
    FileLock lock(dest + ".lock");
    if (auto bytes = stored(*store, key)) return std::move(*bytes);
    ::unlink(dest.c_str());  // a download checked but not adopted before a crash
    const bool resumed = exists(dest + ".part");
    Digest got = fetch_to_file(url, dest, std::nullopt);
    if (got != key && resumed) {
      // The earlier run's bytes and this run's may not belong together.
      ::unlink(dest.c_str());
      got = fetch_to_file(url, dest, std::nullopt);
    }
    if (got != key) {
      ::unlink(dest.c_str());
      throw input_mismatch(shown, got, key, field);
    }
    store->adopt(dest, key);
  }
  return store->get(key);
}

}  // namespace grid
