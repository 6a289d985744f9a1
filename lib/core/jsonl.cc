#include "core/jsonl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <sys/mman.h>

#include "core/error.h"
#include "core/net.h"

namespace grid {
namespace {

constexpr size_t kReadChunk = size_t{1} << 20;

// nlohmann's messages start with "[json.exception.parse_error.101] ";
// the part after it is what a user needs.
std::string strip_exception_prefix(const std::string& what) {
  size_t close = what.find("] ");
  return what.rfind("[json.exception.", 0) == 0 && close != std::string::npos ? what.substr(close + 2) : what;
}

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

namespace {

// Builds the value from nlohmann's SAX events, as json::parse does, and
// also refuses what json::parse lets through: nesting past kMaxJsonDepth
// (every later walk over a message recurses once per level), a member
// name repeated in an object (I-JSON, RFC 7493 section 2.3: readers would
// disagree on which one counts, and a signature covers only one), and a
// number beyond double's range.
class JsonBuilder {
 public:
  explicit JsonBuilder(json* root) : root_(root) {}

  bool null() { return put(nullptr); }
  bool boolean(bool v) { return put(v); }
  bool number_integer(json::number_integer_t v) { return put(v); }
  bool number_unsigned(json::number_unsigned_t v) { return put(v); }
  bool number_float(json::number_float_t v, const std::string&) { return put(v); }
  bool string(std::string& v) { return put(std::move(v)); }
  bool binary(json::binary_t& v) { return put(json::binary(std::move(v))); }

  bool start_object(size_t) { return open(json::object()); }
  bool key(std::string& name) {
    open_.back().key = std::move(name);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(size_t) { return open(json::array()); }
  bool end_array() { return close(); }

  [[noreturn]] bool parse_error(size_t, const std::string& token, const nlohmann::detail::exception& e) {
    if (e.id == 406)  // out_of_range.406: the lexer's strtod overflowed
      throw Error(Exit::data, "number " + token.substr(0, 40) + " is beyond the range of a double");
    throw Error(Exit::data, "malformed JSON: " + strip_exception_prefix(e.what()));
  }

 private:
  struct Open {
    json value;
    std::string key;  // an object's member being read
  };

  bool open(json&& container) {
    if (open_.size() == kMaxJsonDepth)
      throw Error(Exit::data, "arrays and objects nested more than " + std::to_string(kMaxJsonDepth) + " deep")
          .at_field(path());
    open_.push_back(Open{std::move(container), {}});
    return true;
  }

  bool close() {
    json done = std::move(open_.back().value);
    open_.pop_back();
    return put(std::move(done));
  }

  template <typename T>
  bool put(T&& v) {
    if (open_.empty()) {
      *root_ = json(std::forward<T>(v));
      return true;
    }
    Open& in = open_.back();
    if (in.value.is_array()) {
      in.value.emplace_back(std::forward<T>(v));
    } else {
      auto [at, added] = in.value.emplace(std::move(in.key), std::forward<T>(v));
      if (!added) {
        in.key = at.key();
        throw Error(Exit::data, "a member name appears twice in one object").at_field(path());
      }
    }
    return true;
  }

  // Where the next value goes (".a[2].b"), for an error.
  std::string path() const {
    std::string s;
    for (const Open& o : open_)
      s += o.value.is_array() ? "[" + std::to_string(o.value.size()) + "]" : "." + o.key;
    return s.empty() ? "." : s;
  }

  json* root_;
  std::vector<Open> open_;
};

}  // namespace

json parse_json_text(const std::string& text) {
  json out;
  JsonBuilder builder(&out);
  json::sax_parse(text, &builder);
  return out;
}

json parse_json_line(const std::string& text) {
  json out = parse_json_text(text);
  if (!out.is_object()) throw Error(Exit::data, "line is not a JSON object");
  return out;
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
