#include "ledger/ledger_apply.h"

#include <algorithm>
#include <future>

#include "core/jsonl.h"
#include "core/parallel_for.h"

namespace grid {

LedgerApplier::LedgerApplier(Database& db, std::set<std::string> trust, const SettleTerms& terms, size_t batch,
                             unsigned threads)
    : db_(db), trust_(std::move(trust)), batch_(batch ? batch : 1), threads_(threads ? threads : 1), book_(db),
      rules_(book_, terms) {
  pending_.reserve(batch_);
}

void LedgerApplier::add(json message, const Position& at) {
  push(Pending{std::move(message), Position{at.source, at.line, ""}, true});
}

void LedgerApplier::add_text(Position at) { push(Pending{json(), std::move(at), false}); }

void LedgerApplier::push(Pending p) {
  pending_.push_back(std::move(p));
  if (pending_.size() >= batch_) seal();
}

void LedgerApplier::finish() {
  if (!pending_.empty()) seal();
  if (checking_) {
    std::unique_ptr<Batch> last = std::move(checking_);
    write(*last);
  } else {
    Batch none;  // still expire what is due
    write(none);
  }
}

void LedgerApplier::seal() {
  auto next = std::make_unique<Batch>();
  next->messages = std::move(pending_);
  pending_.clear();
  pending_.reserve(batch_);
  Batch* b = next.get();
  next->checked = std::async(std::launch::async, [this, b] { b->entries = check_all(b->messages); });
  std::unique_ptr<Batch> ready = std::move(checking_);
  checking_ = std::move(next);
  if (ready) write(*ready);
}

std::vector<LedgerEntry> LedgerApplier::check_all(std::vector<Pending>& messages) const {
  std::vector<LedgerEntry> entries(messages.size());
  // Threads only pay for themselves on a batch of some size.
  const unsigned n = messages.size() < 64 ? 1 : std::min<unsigned>(threads_, messages.size() / 32);
  parallel_for(messages.size(), static_cast<int>(n), [&](size_t i) {
    Pending& p = messages[i];
    const Position at{p.at.source, p.at.line, ""};
    if (!p.parsed) {
      try {
        p.message = parse_json_line(p.at.text);
      } catch (const Error& e) {
        entries[i].at = at;
        entries[i].error = e;
        entries[i].bad_line = true;
        return;
      }
    }
    entries[i] = check_ledger_entry(p.message, at, db_.info(), trust_);
    // Freed here, on a checking thread, not by the writer.
    p = Pending();
  });
  return entries;
}

void LedgerApplier::write(Batch& batch) {
  if (batch.checked.valid()) batch.checked.get();
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
