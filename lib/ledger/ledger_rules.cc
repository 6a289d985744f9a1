#include "ledger/ledger_rules.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace grid {
namespace {

constexpr int64_t kBasisPoints = 10000;
// A hold's columns as read_hold takes them, FROM kHoldsResolved.
std::string hold_columns() {
  return std::string("h.lease, h.order_id, h.task, h.buyer, h.provider, h.amount, h.deadline, ") + kHoldState +
         ", r.resolved_by, h.seq";
}
// The resolver of a hold that ran past its deadline.
constexpr char kExpiry[] = "expiry";

int64_t share(int64_t amount, int64_t bp) {
  return static_cast<int64_t>(static_cast<__int128>(amount) * bp / kBasisPoints);
}

std::string sql(const std::string& tail) {
  return "SELECT " + hold_columns() + " FROM " + kHoldsResolved + " " + tail;
}

}  // namespace

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::applied: return "applied";
    case Outcome::exists: return "exists";
    case Outcome::inconclusive: return "inconclusive";
    case Outcome::resolved: return "resolved";
    case Outcome::expired: return "expired";
  }
  return "?";
}

Settlement::Settlement(Book& book, const SettleTerms& terms)
    : book_(book),
      terms_(terms),
      // A hold shares the seq of its hold transfer, found by the transfer's id.
      // Ids, orders and tasks are indexed by their last 8 characters (see
      // kTransferById for the unary plus).
      by_lease_(book.db().handle(),
                sql(std::string("WHERE h.seq = (SELECT seq FROM transfers WHERE ") + kTransferById + ")").c_str()),
      by_order_(book.db().handle(),
                sql("WHERE substr(h.order_id, -8) = substr(?1, -8) AND +h.order_id = ?1").c_str()),
      // Every hold of the task and provider, whatever its state.
      by_task_(book.db().handle(),
               sql("WHERE substr(h.task, -8) = substr(?1, -8) AND +h.task = ?1 AND h.provider = ?2 ORDER BY h.lease")
                   .c_str()),
      insert_hold_(book.db().handle(),
                   "INSERT INTO holds(seq, lease, order_id, task, buyer, provider, amount, deadline) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
      insert_open_(book.db().handle(), "INSERT INTO open_holds(deadline, hold) VALUES (?, ?)"),
      // A hold resolved already keeps its first resolution: changes() is 0.
      resolve_hold_(book.db().handle(),
                    "INSERT INTO resolutions(hold, state, resolved_by) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
      close_hold_(book.db().handle(), "DELETE FROM open_holds WHERE deadline = ? AND hold = ?"),
      due_(book.db().handle(), ("SELECT " + hold_columns() +
                                " FROM open_holds AS o JOIN holds AS h ON h.seq = o.hold "
                                "LEFT JOIN resolutions AS r ON r.hold = h.seq "
                                "WHERE o.deadline <= ? ORDER BY o.deadline, h.lease")
                                   .c_str()) {}

void Settlement::read_hold(const Statement& q, Hold* h) {
  h->lease = q.text(0);
  h->order = q.text(1);
  h->task = q.text(2);
  h->buyer = q.text(3);
  h->provider = q.text(4);
  h->amount = q.int64(5);
  h->deadline = q.int64(6);
  h->state = q.text(7);
  h->resolved_by = q.text(8);
  h->seq = q.int64(9);
}

bool Settlement::load_hold(Statement& q, Hold* h) {
  const bool found = q.step();
  if (found) read_hold(q, h);
  q.reset();
  return found;
}

Transfer Settlement::make(const std::string& cause, const std::string& code, const std::string& type,
                          const std::string& debit, Bucket db, const std::string& credit, Bucket cb, int64_t amount,
                          const std::string& hold) const {
  Transfer t;
  t.id = transfer_id(cause, code);
  t.type = type;
  t.debit = debit;
  t.debit_bucket = db;
  t.credit = credit;
  t.credit_bucket = cb;
  t.amount = amount;
  t.cause = cause;
  t.hold = hold;
  t.at = terms_.now;
  return t;
}

void Settlement::require_same(const Transfer& planned) {
  std::optional<Transfer> stored = book_.find(planned.id);
  if (!stored) throw Error(Exit::internal, "transfer " + planned.id + " should exist and does not");
  if (!same_movement(*stored, planned))
    throw data_error("transfer " + planned.id + " (" + planned.type + ") exists with different fields (" +
                     stored->type + " of " + std::to_string(stored->amount) + " from " + stored->debit + " to " +
                     stored->credit + "; now " + std::to_string(planned.amount) + "): were the terms changed?");
}

Outcome Settlement::apply(const LedgerEntry& e) {
  if (e.error) throw *e.error;
  switch (e.kind) {
    case LedgerEntry::Kind::deposit:
      return single(e, make(e.id, "deposit", "deposit", kDepositsAccount, Bucket::available, e.account,
                            Bucket::available, e.amount));
    case LedgerEntry::Kind::stake:
      return single(e, make(e.id, "stake", "stake", e.account, Bucket::available, e.account, Bucket::stake, e.amount));
    case LedgerEntry::Kind::lease: return lease(e);
    case LedgerEntry::Kind::verdict: return verdict(e);
    case LedgerEntry::Kind::other: break;
  }
  throw Error(Exit::internal, "unchecked message kind");
}

Outcome Settlement::single(const LedgerEntry&, Transfer t) {
  if (book_.find(t.id)) {
    require_same(t);
    return Outcome::exists;
  }
  book_.post({t});
  return Outcome::applied;
}

Outcome Settlement::lease(const LedgerEntry& e) {
  Transfer hold = make(e.id, "hold", "hold", e.buyer, Bucket::available, e.buyer, Bucket::held, e.amount, e.id);
  if (book_.find(hold.id)) {
    require_same(hold);
    return Outcome::exists;
  }
  Hold h;
  by_order_.bind(1, e.order);
  if (load_hold(by_order_, &h))
    throw data_error("order " + e.order + " already has lease " + h.lease + ": a replayed order is refused", ".order.id");
  h = Hold{e.id, e.order, e.task, e.buyer, e.provider, "open", "", e.amount, e.deadline, book_.post({hold})};
  insert_hold_.bind(1, h.seq).bind(2, h.lease).bind(3, h.order).bind(4, h.task).bind(5, h.buyer).bind(6, h.provider);
  insert_hold_.bind(7, h.amount).bind(8, h.deadline).run();
  insert_open_.bind(1, h.deadline).bind(2, h.seq).run();
  // A lease already past its deadline is returned at once, not at the end
  // of the batch: a later lease of the same buyer must see the same funds
  // however the input is batched.
  if (e.deadline <= terms_.now) {
    expire(h);
    return Outcome::expired;
  }
  return Outcome::applied;
}

int64_t Settlement::slash_wanted(int64_t price) const {
  const long double want = static_cast<long double>(terms_.slash_multiple) * price;
  constexpr long double kMax = static_cast<long double>(INT64_MAX / 2);
  return want >= kMax ? INT64_MAX / 2 : static_cast<int64_t>(std::floor(want));
}

// A verdict that names no lease settles the one hold of its task and
// provider. With several, which one it meant is unknowable: refused, unless
// this very verdict resolved one of them before (a replay, a no-op).
Settlement::Hold Settlement::hold_of_task(const LedgerEntry& e) {
  std::vector<Hold> holds;
  by_task_.bind(1, e.task).bind(2, e.provider);
  while (by_task_.step()) {
    holds.emplace_back();
    read_hold(by_task_, &holds.back());
  }
  by_task_.reset();
  if (holds.empty())
    throw data_error("no hold for task " + e.task + " by provider " + e.provider + " in the ledger", ".task");
  for (const Hold& h : holds)
    if (h.resolved_by == e.id) return h;
  if (holds.size() > 1) {
    std::string leases;
    for (const Hold& h : holds) leases += (leases.empty() ? "" : ", ") + h.lease;
    throw data_error("the verdict names no lease, and provider " + e.provider + " holds " +
                         std::to_string(holds.size()) + " leases for task " + e.task + " (" + leases +
                         "): it must name one",
                     ".lease");
  }
  return holds.front();
}

Outcome Settlement::verdict(const LedgerEntry& e) {
  if (e.status == "inconclusive") return Outcome::inconclusive;
  Hold h;
  if (!e.lease.empty()) {
    by_lease_.bind(1, transfer_id(e.lease, "hold"));
    if (!load_hold(by_lease_, &h)) throw data_error("no hold for lease " + e.lease + " in the ledger", ".lease");
  } else {
    h = hold_of_task(e);
  }
  if (!e.provider.empty() && e.provider != h.provider)
    throw data_error("the verdict is on provider " + e.provider + ", the lease went to " + h.provider, ".provider");
  if (e.task != h.task)
    throw data_error("the verdict is on task " + e.task + ", the lease " + h.lease + " is for " + h.task, ".task");
  if (h.state != "open") return resolved_verdict(e, h);
  // Past the deadline the hold is the buyer's again, whenever the verdict
  // comes: the result does not depend on how the input was batched.
  if (h.deadline <= terms_.now) {
    expire(h);
    return Outcome::expired;
  }
  std::vector<Transfer> plan;
  if (e.status == "accept") {
    const int64_t to_verifier = share(h.amount, terms_.verifier_fee_bp), to_fees = share(h.amount, terms_.fee_bp);
    plan.push_back(make(e.id, "post", "post", h.buyer, Bucket::held, h.provider, Bucket::available,
                        h.amount - to_verifier - to_fees, h.lease));
    if (to_verifier > 0)
      plan.push_back(make(e.id, "verifier-fee", "verifier-fee", h.buyer, Bucket::held, e.verifier, Bucket::available,
                          to_verifier, h.lease));
    if (to_fees > 0)
      plan.push_back(
          make(e.id, "fee", "fee", h.buyer, Bucket::held, kFeesAccount, Bucket::available, to_fees, h.lease));
    book_.post(plan);
    resolve(h, "accepted", e.id);
    return Outcome::applied;
  }
  plan.push_back(make(e.id, "void", "void", h.buyer, Bucket::held, h.buyer, Bucket::available, h.amount, h.lease));
  const int64_t wanted = slash_wanted(h.amount);
  if (wanted > 0) {
    const int64_t taken = std::min(wanted, book_.balance(h.provider).stake);
    const int64_t to_verifier = taken / 2;
    Transfer to_buyer = make(e.id, "slash-buyer", "slash", h.provider, Bucket::stake, h.buyer, Bucket::available,
                             taken - to_verifier, h.lease);
    to_buyer.detail = json{{"wanted_micros", wanted}, {"taken_micros", taken}, {"shortfall_micros", wanted - taken}}.dump();
    plan.push_back(to_buyer);
    if (to_verifier > 0)
      plan.push_back(make(e.id, "slash-verifier", "slash", h.provider, Bucket::stake, e.verifier, Bucket::available,
                          to_verifier, h.lease));
  }
  book_.post(plan);
  resolve(h, "rejected", e.id);
  return Outcome::applied;
}

Outcome Settlement::resolved_verdict(const LedgerEntry& e, const Hold& h) {
  // Returned at its deadline, not settled by a verdict: say which.
  if (h.state == "expired") return Outcome::expired;
  if (h.resolved_by != e.id) return Outcome::resolved;
  // The same verdict again: it must still mean the same movement.
  if (e.status == "accept") {
    const int64_t fees = share(h.amount, terms_.verifier_fee_bp) + share(h.amount, terms_.fee_bp);
    require_same(make(e.id, "post", "post", h.buyer, Bucket::held, h.provider, Bucket::available, h.amount - fees,
                      h.lease));
  } else {
    require_same(make(e.id, "void", "void", h.buyer, Bucket::held, h.buyer, Bucket::available, h.amount, h.lease));
    std::optional<Transfer> slash = book_.find(transfer_id(e.id, "slash-buyer"));
    const int64_t wanted = slash_wanted(h.amount);
    const int64_t stored = slash ? json::parse(slash->detail).value("wanted_micros", int64_t{0}) : 0;
    if (stored != wanted)
      throw data_error("verdict " + e.id + " slashed " + std::to_string(stored) + " micros wanted before, now " +
                       std::to_string(wanted) + ": was --slash-multiple changed?");
  }
  return Outcome::exists;
}

void Settlement::expire(const Hold& h) {
  book_.post({make(h.lease, "expire", "expire", h.buyer, Bucket::held, h.buyer, Bucket::available, h.amount, h.lease)});
  resolve(h, "expired", kExpiry);
}

void Settlement::resolve(const Hold& h, const std::string& state, const std::string& by) {
  resolve_hold_.bind(1, h.seq).bind(2, state).bind(3, by).run();
  if (sqlite3_changes(book_.db().handle()) != 1)
    throw Error(Exit::internal, "hold " + h.lease + " was resolved twice in one transaction");
  close_hold_.bind(1, h.deadline).bind(2, h.seq).run();
}

size_t Settlement::expire_due() {
  std::vector<Hold> due;
  due_.bind(1, terms_.now);
  Hold h;
  while (due_.step()) {
    read_hold(due_, &h);
    due.push_back(h);
  }
  due_.reset();
  for (const Hold& d : due) expire(d);
  return due.size();
}

}  // namespace grid
