#include "core/jsonl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <sys/mman.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/net.h"

namespace grid {
namespace {

constexpr size_t kReadChunk = size_t{1} << 20;

}  // namespace

int open_input(const std::string& path, std::string* source) {
  *source = path;
  if (path == "-") return 0;
  if (is_url(path)) {
    *source = redact_url(path);
    const std::string body = fetch_bytes(path, std::nullopt);
    // A memfd gives the bytes a descriptor, so URL inputs flow through
    // the same line reader (and its 64 MiB line cap) as files.
    const int fd = ::memfd_create("gridutils-input", MFD_CLOEXEC);
    if (fd < 0) throw Error(Exit::io, "cannot hold " + *source + " in memory: " + std::strerror(errno));
    for (size_t done = 0; done < body.size();) {
      const ssize_t n = ::write(fd, body.data() + done, body.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = errno;
        ::close(fd);
        throw Error(Exit::io, "cannot hold " + *source + " in memory: " + std::strerror(err));
      }
      done += static_cast<size_t>(n);
    }
    ::lseek(fd, 0, SEEK_SET);
    return fd;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw Error(err == ENOENT ? Exit::no_input : Exit::io, "cannot open " + path + ": " + std::strerror(err));
  }
  // A folder opens, and fails only at its first read: say what it is, as
  // a missing input (66), not as an I/O error.
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Error(Exit::no_input, path + " is a folder, not a file of JSON Lines");
  }
  return fd;
}

LineReader::LineReader(int fd, std::string source) : fd_(fd), source_(std::move(source)), buf_(kReadChunk) {}

bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  for (;;) {
    ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(Exit::io, "cannot read " + source_ + ": " + std::strerror(errno));
    if (n == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<size_t>(n);
    return true;
  }
}

bool LineReader::next(std::string* line) {
  line->clear();
  bool too_long = false;
  bool any = false;
  for (;;) {
    char* start = buf_.data() + begin_;
    size_t avail = end_ - begin_;
    auto* nl = static_cast<char*>(std::memchr(start, '\n', avail));
    size_t take = nl ? static_cast<size_t>(nl - start) : avail;
    if (take > 0 || nl) any = true;
    if (!too_long) {
      if (line->size() + take > kMaxLineBytes) {
        too_long = true;
        line->clear();
        line->shrink_to_fit();
      } else {
        line->append(start, take);
      }
    }
    if (nl) {
      begin_ += take + 1;
      break;
    }
    // Keep the buffer bounded: what is consumed need not stay.
    begin_ = end_ = 0;
    if (!fill()) break;
  }
  if (!any) return false;
  ++line_;
  if (too_long) {
    throw Error(Exit::data, "line longer than " + std::to_string(kMaxLineBytes >> 20) + " MiB")
        .at_line(line_, source_);
  }
  return true;
}

MessageReader::MessageReader(std::vector<std::string> paths) : paths_(std::move(paths)) {
  if (paths_.empty()) paths_.push_back("-");
}

MessageReader::~MessageReader() {
  if (fd_ > 0) ::close(fd_);
}

bool MessageReader::open_next() {
  reader_.reset();
  if (fd_ > 0) ::close(fd_);
  fd_ = -1;
  if (next_path_ >= paths_.size()) return false;
  std::string source;
  fd_ = open_input(paths_[next_path_++], &source);
  reader_.emplace(fd_, source);
  pos_ = Position{source, 0, ""};
  return true;
}

bool MessageReader::next_text() {
  std::string line;
  for (;;) {
    if (!reader_ && !open_next()) return false;
    bool got;
    try {
      got = reader_->next(&line);
    } catch (Error&) {
      pos_.line = reader_->line_number();
      throw;
    }
    if (!got) {
      reader_.reset();
      continue;
    }
    pos_.line = reader_->line_number();
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    pos_.text = std::move(line);
    return true;
  }
}

bool MessageReader::next(json* message) {
  if (!next_text()) return false;
  try {
    *message = parse_json_line(pos_.text);
  } catch (Error& e) {
    e.at_line(pos_.line, pos_.source);
    throw;
  }
  return true;
}

void write_stdout(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(1, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) throw BrokenPipe{};
      throw Error(Exit::io, std::string("cannot write to stdout: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
}

void write_message(const json& message) {
  write_stdout(message.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
}

}  // namespace grid
