#include "core/keyfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/file_io.h"

namespace grid {

std::string key_file_text(const SigningKey& key) { return hex(key.seed) + "\n"; }

SigningKey parse_key_text(const std::string& text, const std::string& source) {
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::array<uint8_t, 32> seed;
  if (!unhex(line, seed.data(), seed.size()))
    throw Error(Exit::data, "key file " + source + " does not hold a 64-digit hex Ed25519 seed");
  return signing_key_from_seed(seed);
}

void save_key(const std::string& path, const SigningKey& key, bool overwrite) {
  if (!write_file_atomic(path, key_file_text(key), 0600, overwrite))
    throw Error(Exit::usage, "key file " + path + " exists; refusing to overwrite it (use --force)");
}

SigningKey load_key(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    Exit code = err == ENOENT ? Exit::no_input : Exit::io;
    throw Error(code, "cannot open key file " + path + ": " + std::strerror(err));
  }
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw Error(Exit::io, "cannot stat key file " + path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode))
    throw Error(Exit::no_input, "key file " + path + " is a folder, not a key file (grid-key gen --out FILE makes one)");
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw Error(Exit::data, "key file " + path + " is accessible by group or others (mode " + mode +
                                "); run: chmod 600 " + path);
  }
  return parse_key_text(read_fd(fd, path, 4096), path);
}

}  // namespace grid
