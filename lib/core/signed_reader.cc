#include "core/signed_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "core/error.h"
#include "core/file_io.h"
#include "core/jsonl.h"
#include "core/message.h"
#include "core/net.h"
#include "core/parallel_for.h"
#include "core/tool.h"

namespace grid {

namespace {

// Lines parsed and checked together: large enough to keep every thread
// busy, small enough that raw text and parsed messages stay bounded.
constexpr size_t kBatchLines = 8192;

struct Entry {
  Position at;
  json message;
  SignatureCheck check;
  std::optional<Error> error;  // why at.text did not parse into an object
};

// Lines go through three stages, so that reading and the caller's work
// overlap with the checks: the batch being read, the batch the checker
// threads parse and verify, and the checked batch handed to the caller,
// in input order.
class Batches {
 public:
  Batches(Tool& tool, int threads, const std::function<void(json&, SignatureCheck&, const Position&)>& fn,
          const std::function<bool(const json&)>& defer_signature)
      : tool_(tool), threads_(threads), fn_(fn), defer_signature_(defer_signature) {}
  // A run that ends early (an error thrown to the caller) still joins the checker.
  ~Batches() {
    if (checker_.joinable()) checker_.join();
  }
  Batches(const Batches&) = delete;
  Batches& operator=(const Batches&) = delete;

  void add(const std::string& source, size_t line, std::string text) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) return;
    Entry& e = reading_.emplace_back();
    e.at = Position{source, line, std::move(text)};
    if (reading_.size() >= kBatchLines) cycle();
  }

  // A line that could not even be read (longer than the limit).
  void add_bad(const Error& error, const std::string& source, size_t line) {
    flush();
    Error e = error;
    tool_.skip_bad_line(e.at_line(line, source));
  }

  // Hands every line read so far to the caller.
  void flush() {
    cycle();
    wait();
    std::vector<Entry> done = std::move(checking_);
    checking_.clear();
    deliver(done);
  }

 private:
  // The batch read goes to the checkers; the one they finished, to the caller.
  void cycle() {
    wait();
    std::vector<Entry> done = std::move(checking_);
    checking_ = std::move(reading_);
    reading_.clear();
    reading_.reserve(kBatchLines);
    if (!checking_.empty()) {
      checker_ = std::thread([this] {
        try {
          parallel_for(checking_.size(), threads_, [&](size_t i) { check(checking_[i]); });
        } catch (...) {
          checker_error_ = std::current_exception();
        }
      });
    }
    deliver(done);
  }

  void wait() {
    if (checker_.joinable()) checker_.join();
    if (checker_error_) std::rethrow_exception(std::exchange(checker_error_, nullptr));
  }

  void check(Entry& e) const {
    try {
      e.message = parse_json_line(e.at.text);
      e.check = check_message(e.message, defer_signature_);
    } catch (const Error& err) {
      e.error = err;
    }
  }

  void deliver(std::vector<Entry>& batch) {
    for (Entry& e : batch) {
      try {
        if (e.error) throw *e.error;
        fn_(e.message, e.check, e.at);
      } catch (Error& err) {
        if (err.code() != Exit::data) throw;
        tool_.skip_bad_line(err.at_line(e.at.line, e.at.source));
      }
    }
  }

  Tool& tool_;
  int threads_;
  const std::function<void(json&, SignatureCheck&, const Position&)>& fn_;
  const std::function<bool(const json&)>& defer_signature_;
  std::vector<Entry> reading_, checking_;
  std::thread checker_;
  std::exception_ptr checker_error_;
};

void read_fd(int fd, const std::string& source, Batches* b) {
  LineReader reader(fd, source);
  std::string line;
  for (;;) {
    try {
      if (!reader.next(&line)) return;
    } catch (const Error& e) {
      b->add_bad(e, source, reader.line_number());
      continue;
    }
    b->add(source, reader.line_number(), std::move(line));
  }
}

}  // namespace

SignatureCheck check_message(const json& m) {
  SignatureCheck c;
  c.status = check_signature(m, &c.signer);
  return c;
}

SignatureCheck check_message_id_first(const json& m) {
  SignatureCheck c;
  c.status = check_message_id(m);
  c.signature_pending = c.status.ok();
  return c;
}

SignatureCheck check_message(const json& m, const std::function<bool(const json&)>& defer_signature) {
  return defer_signature && defer_signature(m) ? check_message_id_first(m) : check_message(m);
}

void finish_check(const json& m, SignatureCheck* c) {
  if (!c->signature_pending) return;
  c->status = check_signature_of_id(m, &c->signer);
  c->signature_pending = false;
}

void each_checked_message(Tool& tool, const std::vector<std::string>& inputs, int threads,
                          const std::function<void(json&, SignatureCheck&, const Position&)>& fn,
                          const std::function<bool(const json&)>& defer_signature) {
  Batches batches(tool, threads, fn, defer_signature);
  const std::vector<std::string> paths = inputs.empty() ? std::vector<std::string>{"-"} : inputs;
  for (const std::string& path : paths) {
    std::string source;
    const int fd = open_input(path, &source);
    FdCloser closer(fd == 0 ? -1 : fd);
    read_fd(fd, source, &batches);
  }
  batches.flush();
}

}  // namespace grid
