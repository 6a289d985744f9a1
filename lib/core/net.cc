#include "core/net.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"
#include "core/s3_url.h"
#include "core/timestamp.h"

namespace grid {
namespace {

constexpr long kMaxRedirects = 10;
constexpr double kMaxBackoffS = 60;      // no single wait longer than this
constexpr size_t kErrorBodyBytes = 200;  // of an error page, quoted in messages
constexpr size_t kHashChunk = 1 << 20;

void curl_init_once() {
  // A function-local static: initialised exactly once, thread-safely.
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) throw Error(Exit::internal, std::string("cannot start libcurl: ") + curl_easy_strerror(rc));
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  return true;
}


// Where the bytes of a download go: memory or a .part file. Errors are
// kept, not thrown: they are met inside libcurl's callbacks.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual uint64_t size() const = 0;
  virtual bool append(const char* data, size_t n) = 0;
  virtual bool reset() = 0;
  // Set when bytes from one attempt were added after bytes of another.
  bool spliced = false;
  std::optional<Error> failure;
};

class MemorySink : public Sink {
 public:
  MemorySink(std::string& out, uint64_t max, const std::string& url) : out_(out), max_(max), url_(url) {}
  uint64_t size() const override { return out_.size(); }
  bool append(const char* data, size_t n) override {
    if (max_ > 0 && out_.size() + n > max_) {
      failure = Error(Exit::data, url_ + " is larger than " + std::to_string(max_) + " bytes");
      return false;
    }
    out_.append(data, n);
    return true;
  }
  bool reset() override {
    out_.clear();
    spliced = false;
    return true;
  }

 private:
  std::string& out_;
  uint64_t max_;
  std::string url_;
};

class FileSink : public Sink {
 public:
  FileSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
    struct stat st;
    if (::fstat(fd_, &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
    ::lseek(fd_, 0, SEEK_END);
  }
  uint64_t size() const override { return size_; }
  bool append(const char* data, size_t n) override {
    while (n > 0) {
      ssize_t w = ::write(fd_, data, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return fail();
      data += w;
      n -= static_cast<size_t>(w);
      size_ += static_cast<uint64_t>(w);
    }
    return true;
  }
  bool reset() override {
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) return fail();
    size_ = 0;
    spliced = false;
    return true;
  }

 private:
  bool fail() {
    failure = Error(Exit::io, "cannot write " + name_ + ": " + std::strerror(errno));
    return false;
  }
  int fd_;
  std::string name_;
  uint64_t size_ = 0;
};

// What one attempt saw, filled in by libcurl's callbacks.
struct Attempt {
  CURL* curl = nullptr;
  Sink* sink = nullptr;
  uint64_t offset = 0;  // bytes held when the attempt began (asked for the rest)
  bool file = false;
  bool decided = false;  // whether the first byte of the body was seen
  bool resume_broken = false;
  std::string content_range;
  std::string error_body;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* a = static_cast<Attempt*>(user);
  std::string_view line(data, size * n);
  if (starts_with_nocase(line, "http/")) {
    a->content_range.clear();  // a new response (after a redirect or 100)
  } else if (starts_with_nocase(line, "content-range:")) {
    std::string_view v = line.substr(14);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
    a->content_range = std::string(v);
  }
  return size * n;
}

// "bytes FIRST-LAST/TOTAL" or "bytes */TOTAL"; -1 for a part not given.
void parse_content_range(const std::string& v, long long* first, long long* total) {
  *first = -1;
  *total = -1;
  if (!starts_with_nocase(v, "bytes ")) return;
  std::string rest = v.substr(6);
  size_t slash = rest.find('/');
  if (slash == std::string::npos) return;
  if (rest[0] != '*') *first = std::atoll(rest.c_str());
  if (rest.compare(slash + 1, 1, "*") != 0) *total = std::atoll(rest.c_str() + slash + 1);
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* a = static_cast<Attempt*>(user);
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
  if (!a->file && (status < 200 || status > 299)) {
    size_t keep = std::min(len, kErrorBodyBytes - std::min(kErrorBodyBytes, a->error_body.size()));
    a->error_body.append(data, keep);
    return len;
  }
  if (!a->decided) {
    a->decided = true;
    if (a->offset > 0) {
      long long first, total;
      parse_content_range(a->content_range, &first, &total);
      if (status == 206 && first == static_cast<long long>(a->offset)) {
        a->sink->spliced = true;
      } else if (status == 206 && first != 0) {
        a->resume_broken = true;  // a range we did not ask for
        return 0;
      } else if (!a->sink->reset()) {  // 200: the server ignored the range
        return 0;
      }
    }
  }
  return a->sink->append(data, len) ? len : 0;
}

bool transient_http(long status) {
  return status == 408 || status == 425 || status == 429 || (status >= 500 && status != 501 && status != 505);
}

Exit permanent_http_exit(long status) {
  if (status == 401 || status == 403 || status == 404 || status == 410) return Exit::no_input;
  if (status == 405 || status == 501 || status == 505) return Exit::unavailable;
  return Exit::data;
}

bool transient_curl(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

Exit permanent_curl_exit(CURLcode rc, bool file) {
  switch (rc) {
    case CURLE_FILE_COULDNT_READ_FILE:
    case CURLE_REMOTE_FILE_NOT_FOUND:
      return Exit::no_input;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Exit::data;
    case CURLE_OUT_OF_MEMORY:
      return Exit::internal;
    default:
      return file ? Exit::io : Exit::data;  // a local read error; a server we cannot use
  }
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

// One connection cache (and DNS cache) for every handle of the process:
// a run of many small requests (grid-board, the objects of a result)
// reuses kept-alive connections instead of opening one per request.
std::mutex g_share_locks[CURL_LOCK_DATA_LAST];
void share_lock(CURL*, curl_lock_data data, curl_lock_access, void*) { g_share_locks[data].lock(); }
void share_unlock(CURL*, curl_lock_data data, void*) { g_share_locks[data].unlock(); }

CURLSH* connection_share() {
  static CURLSH* const share = [] {
    CURLSH* s = curl_share_init();
    if (!s) return s;
    curl_share_setopt(s, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(s, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    return s;
  }();
  return share;
}

// An easy handle and the request headers it sends (libcurl keeps only a
// pointer to the list).
struct Handle {
  CurlPtr curl;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  std::string sigv4, user, password;  // kept alive for libcurl

  CURL* get() const { return curl.get(); }
  void add_header(const std::string& line) {
    curl_slist* l = curl_slist_append(headers.get(), line.c_str());
    if (!l) throw Error(Exit::internal, "out of memory");
    headers.release();
    headers.reset(l);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  }
};

// A handle for `url`; an s3:// URL goes to its endpoint, signed (SigV4).
Handle new_handle(const std::string& url, const FetchOptions& o, char* errbuf) {
  curl_init_once();
  Handle hd;
  hd.curl.reset(curl_easy_init());
  if (!hd.curl) throw Error(Exit::internal, "cannot start libcurl");
  CURL* h = hd.get();
  if (is_s3_url(url)) {
    S3Request s3 = s3_request(url);
    curl_easy_setopt(h, CURLOPT_URL, s3.http_url.c_str());
    hd.sigv4 = s3.sigv4;
    hd.user = s3.access_key;
    hd.password = s3.secret_key;
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, hd.sigv4.c_str());
    curl_easy_setopt(h, CURLOPT_USERNAME, hd.user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, hd.password.c_str());
    if (!s3.session_token.empty()) hd.add_header("x-amz-security-token: " + s3.session_token);
  } else {
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  }
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o.low_speed_time_s);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "gridutils/" GRID_VERSION);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  if (CURLSH* share = connection_share()) curl_easy_setopt(h, CURLOPT_SHARE, share);
  return hd;
}

std::string curl_error_text(CURLcode rc, const char* errbuf) {
  return errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
}

// The text of <Code> and <Message> in an S3 error body, "" when absent.
std::string s3_error_text(const std::string& body) {
  auto element = [&](const std::string& name) {
    size_t a = body.find("<" + name + ">");
    size_t b = body.find("</" + name + ">");
    return a == std::string::npos || b == std::string::npos || b < a ? "" : body.substr(a + name.size() + 2, b - a - name.size() - 2);
  };
  std::string code = element("Code"), message = element("Message");
  return code.empty() ? "" : code + (message.empty() ? "" : " (" + message + ")");
}

std::string http_error_text(long status, const std::string& body) {
  std::string out = "HTTP " + std::to_string(status);
  std::string s3 = s3_error_text(body.substr(0, kErrorBodyBytes * 4));
  std::string first_line = s3.empty() ? body.substr(0, body.find_first_of("\r\n")) : s3;
  bool printable = std::all_of(first_line.begin(), first_line.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; });
  if (!first_line.empty() && printable) out += ": " + first_line;
  return out;
}

double backoff_delay(const FetchOptions& o, int failures, curl_off_t retry_after) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  double d = o.backoff_s * std::ldexp(1.0, std::min(failures - 1, 30));
  d *= std::uniform_real_distribution<double>(0.5, 1.0)(rng);
  if (retry_after > 0) d = std::max(d, static_cast<double>(retry_after));
  return std::min(std::max(d, 0.0), kMaxBackoffS);
}

// How an attempt failed.
struct Outcome {
  bool transient = false;
  Exit code = Exit::ok;
  std::string text;
  curl_off_t retry_after = 0;
};

// Runs `attempt` until it succeeds (returns nullopt) or fails for good:
// a permanent failure at once, transient ones once FetchOptions::retries
// of them in a row brought no progress (`held` grew past its best).
template <typename AttemptFn, typename SizeFn>
void with_retries(const std::string& verb, const std::string& shown_url, const FetchOptions& o, AttemptFn attempt,
                  SizeFn held) {
  int failures = 0;
  uint64_t best = held();
  for (int n = 1;; ++n) {
    std::optional<Outcome> out = attempt();
    if (!out) return;
    if (!out->transient) throw Error(out->code, "cannot " + verb + " " + shown_url + ": " + out->text);
    uint64_t now = held();
    if (now > best) {
      best = now;
      failures = 0;  // it moved forward: this failure does not use up a retry
    } else {
      ++failures;
    }
    if (failures > o.retries || n >= kMaxAttempts)
      throw Error(Exit::temp_fail, "cannot " + verb + " " + shown_url + ": " + out->text + " (gave up after " +
                                       std::to_string(n) + (n == 1 ? " attempt)" : " attempts)"));
    double wait = backoff_delay(o, std::max(failures, 1), out->retry_after);
    if (o.on_retry) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2g", wait);
      o.on_retry("retrying " + shown_url + " in " + buf + " s: " + out->text);
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
}

// Downloads `url` into `sink`, resuming from what it holds.
void download(const std::string& url, Sink& sink, const FetchOptions& o) {
  std::string shown = redact_url(url);
  char errbuf[CURL_ERROR_SIZE];
  Handle c = new_handle(url, o, errbuf);
  bool file = is_file_url(url);
  auto attempt = [&]() -> std::optional<Outcome> {
    if (file && sink.size() > 0 && !sink.reset()) throw *sink.failure;
    errbuf[0] = '\0';
    Attempt a;
    a.curl = c.get();
    a.sink = &sink;
    a.file = file;
    a.offset = sink.size();
    std::string range = a.offset > 0 ? std::to_string(a.offset) + "-" : "";
    curl_easy_setopt(a.curl, CURLOPT_RANGE, range.empty() ? nullptr : range.c_str());
    curl_easy_setopt(a.curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(a.curl, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(a.curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(a.curl, CURLOPT_WRITEDATA, &a);
    CURLcode rc = curl_easy_perform(a.curl);
    if (sink.failure) throw *sink.failure;
    long status = 0;
    curl_easy_getinfo(a.curl, CURLINFO_RESPONSE_CODE, &status);
    Outcome out;
    curl_easy_getinfo(a.curl, CURLINFO_RETRY_AFTER, &out.retry_after);
    if (a.resume_broken) {
      if (!sink.reset()) throw *sink.failure;
      out.transient = true;
      out.text = "the server answered a range other than the one asked for: " + a.content_range;
      return out;
    }
    if (rc != CURLE_OK) {
      out.transient = !file && transient_curl(rc);
      out.code = permanent_curl_exit(rc, file);
      out.text = curl_error_text(rc, errbuf);
      return out;
    }
    if (file) return std::nullopt;
    if (status >= 200 && status <= 299) {
      // A 200 with no body at all to a ranged request: the file is empty.
      if (!a.decided && a.offset > 0 && status != 206 && !sink.reset()) throw *sink.failure;
      return std::nullopt;
    }
    if (status == 416 && a.offset > 0) {
      long long first, total;
      parse_content_range(a.content_range, &first, &total);
      if (total == static_cast<long long>(a.offset)) return std::nullopt;  // already whole
      // The .part is longer than the file (which changed): start over.
      if (!sink.reset()) throw *sink.failure;
      out.transient = true;
      out.text = "HTTP 416: what was kept from an earlier attempt is longer than the file";
      return out;
    }
    out.transient = transient_http(status);
    out.code = permanent_http_exit(status);
    out.text = http_error_text(status, a.error_body);
    return out;
  };
  with_retries("fetch", shown, o, attempt, [&] { return sink.size(); });
}

Digest hash_fd(int fd, const std::string& name) {
  Sha256 h;
  std::string buf(kHashChunk, '\0');
  off_t at = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(Exit::io, "cannot read " + name + ": " + std::strerror(errno));
    if (n == 0) return h.final();
    h.update(buf.data(), static_cast<size_t>(n));
    at += n;
  }
}

// Whether the file at `path` exists and hashes to `expect`.
bool file_hashes_to(const std::string& path, const Digest& expect) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  FdCloser closer(fd);
  try {
    return hash_fd(fd, path) == expect;
  } catch (const Error&) {
    return false;
  }
}

Error mismatch(const std::string& what, const Digest& got, const Digest& expect) {
  return Error(Exit::data, what + " has SHA-256 " + sha256_ref(got) + ", not the expected " + sha256_ref(expect));
}


struct Upload {
  const std::string* data = nullptr;
  size_t pos = 0;
};

size_t on_upload_read(char* buf, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t len = std::min(size * n, up->data->size() - up->pos);
  std::memcpy(buf, up->data->data() + up->pos, len);
  up->pos += len;
  return len;
}

int on_upload_seek(void* user, curl_off_t offset, int origin) {
  auto* up = static_cast<Upload*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > up->data->size())
    return CURL_SEEKFUNC_CANTSEEK;
  up->pos = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t on_answer_body(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  return sink->append(data, size * n) ? size * n : 0;
}

std::atomic<int> default_retries{4};

}  // namespace

int default_fetch_retries() { return default_retries.load(std::memory_order_relaxed); }
void set_default_fetch_retries(int retries) { default_retries.store(retries, std::memory_order_relaxed); }

std::string file_url_path(const std::string& url) {
  curl_init_once();
  std::unique_ptr<CURLU, void (*)(CURLU*)> u(curl_url(), curl_url_cleanup);
  if (!u) throw Error(Exit::internal, "cannot start libcurl");
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    throw Error(Exit::data, "malformed URL " + redact_url(url));
  char* host = nullptr;
  if (curl_url_get(u.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
    std::string h = host;
    curl_free(host);
    if (!h.empty() && h != "localhost") throw Error(Exit::data, "file:// URL names another host: " + redact_url(url));
  }
  char* path = nullptr;
  if (curl_url_get(u.get(), CURLUPART_PATH, &path, CURLU_URLDECODE) != CURLUE_OK || !path)
    throw Error(Exit::data, "malformed URL " + redact_url(url));
  std::string out = path;
  curl_free(path);
  return out;
}

std::string percent_encode(std::string_view text, std::string_view keep) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 15];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    uint8_t byte;
    if (i + 2 >= text.size() || !unhex(text.substr(i + 1, 2), &byte, 1) || byte == 0) return std::nullopt;
    out += static_cast<char>(byte);
    i += 2;
  }
  if (out.find('\0') != std::string::npos) return std::nullopt;
  return out;
}

std::optional<int64_t> parse_http_time(const std::string& text) {
  if (std::optional<int64_t> iso = parse_rfc3339(text)) return iso;
  time_t t = curl_getdate(text.c_str(), nullptr);
  if (t == -1) return std::nullopt;
  return static_cast<int64_t>(t);
}

bool is_file_url(std::string_view url) { return starts_with_nocase(url, "file://"); }

bool is_url(std::string_view text) {
  return starts_with_nocase(text, "http://") || starts_with_nocase(text, "https://") ||
         starts_with_nocase(text, "file://") || is_s3_url(text);
}

void check_url_flag(const std::string& flag, const std::string& url) {
  if (!is_url(url))
    throw Error(Exit::usage, flag + " " + redact_url(url) + ": not an http://, https://, s3:// or file:// URL");
  if (is_s3_url(url)) s3_request(url);  // a malformed bucket or missing credentials: say so before any work
}

std::string redact_url(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t start = scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + "***" + url.substr(at);
}

std::string fetch_bytes(const std::string& url, const std::optional<Digest>& expect, const FetchOptions& options) {
  std::string out;
  MemorySink sink(out, options.max_bytes, redact_url(url));
  download(url, sink, options);
  if (expect) {
    Digest got = sha256(out);
    if (got != *expect && sink.spliced) {
      // Pieces from different attempts may not belong together: once more, whole.
      sink.reset();
      download(url, sink, options);
      got = sha256(out);
    }
    if (got != *expect) throw mismatch(redact_url(url), got, *expect);
  }
  return out;
}

Digest fetch_to_file(const std::string& url, const std::string& dest, const std::optional<Digest>& expect,
                     const FetchOptions& options) {
  if (expect && file_hashes_to(dest, *expect)) return *expect;
  std::string part = dest + ".part";
  int fd = ::open(part.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(Exit::io, "cannot write " + part + ": " + std::strerror(errno));
  FdCloser closer(fd);
  FileSink sink(fd, part);
  sink.spliced = sink.size() > 0;
  Digest got;
  try {
    download(url, sink, options);
    got = hash_fd(fd, part);
    if (expect && got != *expect && sink.spliced) {
      if (!sink.reset()) throw *sink.failure;
      download(url, sink, options);
      got = hash_fd(fd, part);
    }
  } catch (const Error& e) {
    // Keep what a later run can resume; drop what is of no use.
    if (e.code() != Exit::temp_fail || sink.size() == 0) ::unlink(part.c_str());
    throw;
  }
  if (expect && got != *expect) {
    ::unlink(part.c_str());
    ::unlink(dest.c_str());
    throw mismatch(redact_url(url), got, *expect);
  }
  if (::fsync(fd) != 0 || ::rename(part.c_str(), dest.c_str()) != 0)
    throw Error(Exit::io, "cannot write " + dest + ": " + std::strerror(errno));
  fsync_dir(parent_of(dest));
  return got;
}

std::string read_input(const std::string& path_or_url, const std::optional<Digest>& expect,
                       const FetchOptions& options) {
  if (is_url(path_or_url)) return fetch_bytes(path_or_url, expect, options);
  std::string bytes = read_file(path_or_url, options.max_bytes > 0 ? options.max_bytes : static_cast<size_t>(-1));
  if (expect) {
    Digest got = sha256(bytes);
    if (got != *expect) throw mismatch(path_or_url, got, *expect);
  }
  return bytes;
}

HttpAnswer http_request(const HttpRequest& request, const FetchOptions& options) {
  std::string shown = redact_url(request.url);
  char errbuf[CURL_ERROR_SIZE];
  Handle c = new_handle(request.url, options, errbuf);
  CURL* h = c.get();
  // No "Expect: 100-continue": some servers never answer it, costing a
  // second per upload. (Not by removing the header where libcurl signs the
  // request: its SigV4 would sign the empty header it then leaves out.)
  if (is_s3_url(request.url)) {
    curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
  } else {
    c.add_header("Expect:");
  }
  for (const std::string& line : request.headers) c.add_header(line);
  std::string answer_body;
  MemorySink sink(answer_body, options.max_bytes, shown);
  Upload up;
  up.data = request.body;
  if (request.body) {
    // SigV4 signs the payload's hash; libcurl 7.88 hashes only POST fields.
    if (is_s3_url(request.url)) c.add_header("x-amz-content-sha256: " + hex(sha256(*request.body)));
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body->size()));
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &up);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_upload_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &up);
  }
  if (request.method != (request.body ? "PUT" : "GET"))
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_answer_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  long status = 0;
  auto attempt = [&]() -> std::optional<Outcome> {
    errbuf[0] = '\0';
    up.pos = 0;
    sink.reset();
    CURLcode rc = curl_easy_perform(h);
    if (sink.failure) throw *sink.failure;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    Outcome out;
    curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &out.retry_after);
    if (rc != CURLE_OK) {
      out.transient = transient_curl(rc);
      out.code = permanent_curl_exit(rc, false);
      out.text = curl_error_text(rc, errbuf);
      return out;
    }
    if (!transient_http(status)) return std::nullopt;
    out.transient = true;
    out.text = http_error_text(status, answer_body);
    return out;
  };
  with_retries(request.verb, shown, options, attempt, [] { return uint64_t{0}; });
  return HttpAnswer{status, std::move(answer_body)};
}

Error http_error(const std::string& verb, const std::string& url, const HttpAnswer& answer) {
  return Error(permanent_http_exit(answer.status),
               "cannot " + verb + " " + redact_url(url) + ": " + http_error_text(answer.status, answer.body));
}

void publish(const std::string& url, const std::string& bytes, const FetchOptions& options) {
  if (is_file_url(url)) {
    const std::string path = file_url_path(url);
    make_dirs(parent_of(path));  // the URL may name folders not made yet, as an S3 key's slashes need none
    write_file_atomic(path, bytes, 0644);
    return;
  }
  HttpAnswer a = http_request({"PUT", url, {}, &bytes, "publish to"}, options);
  if (a.status < 200 || a.status > 299) throw http_error("publish to", url, a);
}

}  // namespace grid
