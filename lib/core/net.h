// Inputs and outputs named by URL (doc/design.md, "Storage and network"), through libcurl:
// timeouts, retries with backoff, resumable downloads, SHA-256 checked
// before anything is used or kept. Nothing here writes to stdout.
//
// How outcomes map to exit codes (doc/design.md, "Exit codes"):
//   HTTP 2xx (file://: read)                    success
//   transient: connection refused or reset,     retried with backoff; when the
//     timeout, transfer cut short, DNS failure,   retries run out: Exit::temp_fail
//     TLS handshake failure, HTTP 408, 425,       (75) naming the URL and the
//     429, and 5xx other than 501 and 505         last error
//   HTTP 401, 403, 404, 410; a file:// path     Exit::no_input (66): "does not
//     that is missing or unreadable               exist or cannot be read", as
//                                                 sysexits(3) defines EX_NOINPUT
//   HTTP 405, 501, 505                          Exit::unavailable (69): the
//                                                 server does not offer the method
//   other HTTP 3xx/4xx, too many redirects,     Exit::data (65): the URL the
//     a scheme other than http/https/file,        input named is one we cannot
//     a bad certificate, SHA-256 mismatch,        use, or the bytes are not the
//     more bytes than FetchOptions::max_bytes     ones it promised
//   a local write that fails                    Exit::io (74)
// Error messages name the URL (with any user:password@ hidden).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"
#include "core/error.h"

namespace grid {

// True for http://, https://, file:// and s3:// (scheme case-insensitive;
// s3:// as core/s3_url.h reads it, signed with the AWS environment).
bool is_url(std::string_view text);

// True for file:// (scheme case-insensitive).
bool is_file_url(std::string_view url);

// The local path of a file:// URL (percent-decoded); Exit::data for a
// host other than localhost.
std::string file_url_path(const std::string& url);

// Exit::usage naming `flag` unless `url` is one of those: for a flag such
// as --publish, checked before any work is done.
void check_url_flag(const std::string& flag, const std::string& url);

// The retries a FetchOptions starts with: 4, unless the tool set another
// for the whole process (--retries, Tool::add_retries_flag), so that every fetch it
// makes, however deep in the library, follows the user's setting.
int default_fetch_retries();
void set_default_fetch_retries(int retries);

struct FetchOptions {
  // Seconds to wait for the TCP (and TLS) connection.
  long connect_timeout_s = 10;
  // A transfer slower than 1 byte/s for this many seconds is cut off (and
  // retried): it catches stalled servers without capping big downloads.
  // (libcurl averages the speed over about 5 s, so a stall right after a
  // burst of bytes is seen that much later.)
  long low_speed_time_s = 30;
  // How many attempts may fail, one after another without bringing a new
  // byte, before giving up with Exit::temp_fail. An attempt that resumes
  // and adds bytes before failing does not use one up (at most
  // kMaxAttempts attempts in all), so a large file over a link that drops
  // now and then still arrives.
  int retries = default_fetch_retries();
  // Wait before the first retry; doubled for each further one, times a
  // random factor in [0.5, 1] (jitter, so many clients do not retry in
  // step), capped at 60 s. A longer Retry-After from the server (429/503)
  // is honoured up to that cap.
  double backoff_s = 0.5;
  // fetch_bytes and read_input only: more bytes than this is Exit::data.
  // 0: no limit.
  uint64_t max_bytes = 0;
  // Called (when set) with a one-line human note before each retry, for
  // the tool to show on stderr.
  std::function<void(const std::string&)> on_retry;
};

// Hard cap on attempts for one transfer, whatever progress they make.
constexpr int kMaxAttempts = 1000;

// Downloads `url` into memory; when `expect` is given, the bytes must hash
// to it (else Exit::data). A transfer cut short resumes with a Range
// request for the rest (restarting when the server ignores the range).
std::string fetch_bytes(const std::string& url, const std::optional<Digest>& expect, const FetchOptions& options = {});

// Downloads `url` to `dest` and returns the SHA-256 of its bytes.
// - Bytes go to dest + ".part" first; a .part left by an earlier,
//   interrupted attempt or run is resumed with a Range request (restarted
//   when the server answers 200 instead of 206).
// - When `expect` is given and `dest` already holds those bytes, nothing
//   is fetched.
// - The SHA-256 is checked before `dest` appears: on a mismatch, when the
//   bytes came partly from an earlier .part, the download is done once
//   more from the start; a mismatch after a whole download is Exit::data,
//   with dest.part and any old dest removed (nothing is kept).
// - `dest` appears atomically (fsync, rename, fsync of the folder).
// - When retries run out, dest.part is kept (if it holds any bytes) for
//   the next run to resume; any other failure removes it.
// One fetch per `dest` at a time: concurrent fetches to the same dest
// must be kept apart by the caller (e.g. by fetching into distinct temp
// names and then Store::put_file).
Digest fetch_to_file(const std::string& url, const std::string& dest, const std::optional<Digest>& expect,
                     const FetchOptions& options = {});

// The bytes of a local file or of a URL (see is_url), checked against
// `expect` when given (Exit::data on a mismatch). A missing local file is
// Exit::no_input.
std::string read_input(const std::string& path_or_url, const std::optional<Digest>& expect,
                       const FetchOptions& options = {});

// Uploads `bytes` to `url` with HTTP PUT (WebDAV, S3-compatible
// pre-signed URLs), with the same retries as fetching; any 2xx answer is
// success. A file:// URL is written locally, atomically, its missing
// folders made as an S3 key's are (Exit::io on failure).
void publish(const std::string& url, const std::string& bytes, const FetchOptions& options = {});

// One HTTP request, for protocols beyond GET and PUT (WebDAV, S3 listing).
struct HttpRequest {
  std::string method = "GET";
  std::string url;                   // http(s):// or s3://
  std::vector<std::string> headers;  // "Name: value"
  const std::string* body = nullptr; // sent when set
  std::string verb = "reach";        // for messages: "cannot VERB URL: ..."
};

struct HttpAnswer {
  long status = 0;
  std::string body;  // at most FetchOptions::max_bytes (more: Exit::data)
};

// Sends `request`, retrying transient failures as fetching does
// (Exit::temp_fail when the retries run out); every other answer, 2xx or
// not, is returned for the caller to judge.
HttpAnswer http_request(const HttpRequest& request, const FetchOptions& options = {});

// The error for an answer the caller cannot use, its exit code by the
// table above.
Error http_error(const std::string& verb, const std::string& url, const HttpAnswer& answer);

// `text` with every byte but A-Z a-z 0-9 - _ . ~ and those in `keep`
// written %XX (upper-case hex), as URLs and SigV4 want it.
std::string percent_encode(std::string_view text, std::string_view keep = "");

// `text` with each %XX replaced by its byte; nullopt for a malformed
// escape or a NUL byte.
std::optional<std::string> percent_decode(std::string_view text);

// Seconds since the epoch of an HTTP date ("Sun, 06 Nov 1994 08:49:37
// GMT") or an ISO 8601 time; nullopt when it is neither.
std::optional<int64_t> parse_http_time(const std::string& text);

// `url` with any user:password@ replaced by "***@", for messages.
std::string redact_url(const std::string& url);

}  // namespace grid
