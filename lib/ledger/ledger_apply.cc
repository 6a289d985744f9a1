#include "ledger/ledger_apply.h"

#include <algorithm>

#include "core/jsonl.h"

namespace grid {

namespace {

// Messages a checking thread takes at once: small enough that the threads
// finish a batch together, large enough that the lock is rarely contended.
constexpr size_t kCheckChunk = 16;

}  // namespace

LedgerApplier::LedgerApplier(Database& db, std::set<std::string> trust, const SettleTerms& terms, size_t batch,
                             unsigned threads)
    : db_(db), trust_(std::move(trust)), batch_(batch ? batch : 1), threads_(threads ? threads : 1), book_(db),
      rules_(book_, terms), batches_ahead_(std::max<size_t>(1, kMessagesCheckedAhead / batch_)) {
  pending_.reserve(batch_);
  for (unsigned t = 0; t < threads_; ++t) checkers_.emplace_back([this] { check_loop(); });
}

LedgerApplier::~LedgerApplier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  for (std::thread& t : checkers_) t.join();
}

void LedgerApplier::add(json message, const Position& at) {
  push(Pending{std::move(message), Position{at.source, at.line, ""}, true});
}

void LedgerApplier::add_text(Position at) {
  const size_t begin = pending_text_.size();
  pending_text_ += at.text;
  push(Pending{json(), Position{std::move(at.source), at.line, ""}, false, begin, at.text.size()});
}

void LedgerApplier::push(Pending p) {
  pending_.push_back(std::move(p));
  if (pending_.size() >= batch_) seal();
}

void LedgerApplier::finish() {
  if (!pending_.empty()) seal();
  if (sealed_.empty()) {
    Batch none;  // still expire what is due
    write(none);
  }
  while (!sealed_.empty()) write_oldest();
}

void LedgerApplier::seal() {
  auto next = std::make_unique<Batch>();
  next->text = std::move(pending_text_);
  pending_text_.clear();
  if (!spare_texts_.empty()) {
    pending_text_ = std::move(spare_texts_.back());
    spare_texts_.pop_back();
  }
  next->messages = std::move(pending_);
  next->entries.resize(next->messages.size());
  pending_.clear();
  pending_.reserve(batch_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    sealed_.push_back(std::move(next));
  }
  work_.notify_all();
  while (sealed_.size() > batches_ahead_) write_oldest();
}

void LedgerApplier::write_oldest() {
  Batch* oldest = sealed_.front().get();
  {
    std::unique_lock<std::mutex> lock(mu_);
    checked_.wait(lock, [&] { return oldest->done == oldest->messages.size(); });
  }
  if (oldest->failed) std::rethrow_exception(oldest->failed);
  // Dropped once written, or when writing throws: the run ends then.
  std::unique_ptr<Batch> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch = std::move(sealed_.front());
    sealed_.pop_front();
  }
  write(*batch);
  batch->text.clear();
  spare_texts_.push_back(std::move(batch->text));
}

void LedgerApplier::check_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    Batch* b = nullptr;
    work_.wait(lock, [&] {
      if (stopping_) return true;
      for (const std::unique_ptr<Batch>& s : sealed_)
        if (s->next < s->messages.size()) {
          b = s.get();
          return true;
        }
      return false;
    });
    if (stopping_) return;
    const size_t begin = b->next, end = std::min(begin + kCheckChunk, b->messages.size());
    b->next = end;
    lock.unlock();
    std::exception_ptr failed;
    try {
      for (size_t i = begin; i < end; ++i) check(*b, b->messages[i], b->entries[i]);
    } catch (...) {
      failed = std::current_exception();  // out of memory, say: ends the run at this batch's turn
    }
    lock.lock();
    if (failed && !b->failed) b->failed = failed;
    b->done += end - begin;
    if (b->done == b->messages.size()) checked_.notify_all();
  }
}

void LedgerApplier::check(const Batch& b, Pending& p, LedgerEntry& entry) const {
  const Position at{p.at.source, p.at.line, ""};
  if (!p.parsed) {
    try {
      p.message = parse_json_line(b.text.substr(p.begin, p.size));
    } catch (const Error& e) {
      entry.at = at;
      entry.error = e;
      entry.bad_line = true;
      return;
    }
  }
  entry = check_ledger_entry(p.message, at, db_.info(), trust_);
  // Freed here, on a checking thread, not by the writer.
  p = Pending();
}

void LedgerApplier::write(Batch& batch) {
  std::vector<ApplyReport> reports;
  reports.reserve(batch.entries.size());
  book_.begin();
  try {
    // Holds of earlier runs now past their deadline; within a run a lease
    // past its deadline is returned as it is applied.
    expired_ += rules_.expire_due();
    for (size_t i = 0; i < batch.entries.size(); ++i) {
      const LedgerEntry& e = batch.entries[i];
      try {
        Outcome o = rules_.apply(e);
        reports.push_back({e.at, e.id, e.input_kind(), o});
      } catch (Error& err) {
        err.at_line(e.at.line, e.at.source);
        if (err.code() != Exit::data) throw;
        if (e.bad_line && on_bad_line) {
          on_bad_line(err);
          continue;
        }
        if (!on_refused) throw;
        on_refused(err);
        ++refused_;
      }
    }
    book_.commit();
  } catch (...) {
    book_.rollback();
    throw;
  }
  if (on_report)
    for (const ApplyReport& r : reports) on_report(r);
}

}  // namespace grid
