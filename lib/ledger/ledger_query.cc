#include "ledger/ledger_query.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "core/message.h"
#include "core/timestamp.h"

namespace grid {
namespace {

constexpr char kTransferColumns[] =
    "seq, id, type, debit, debit_bucket, credit, credit_bucket, amount, cause, hold, at, detail, prev_hash, hash";

// A row of kTransferColumns; the hashes are left to the caller.
Transfer read_transfer(const Statement& q) {
  Transfer t;
  t.id = q.text(1);
  t.type = q.text(2);
  t.debit = q.text(3);
  t.debit_bucket = parse_bucket(q.text(4));
  t.credit = q.text(5);
  t.credit_bucket = parse_bucket(q.text(6));
  t.amount = q.int64(7);
  t.cause = q.text(8);
  t.hold = q.text(9);
  t.at = q.int64(10);
  t.detail = q.text(11);
  return t;
}

bool add_checked(int64_t* sum, int64_t v) { return !__builtin_add_overflow(*sum, v, sum); }

}  // namespace

std::vector<AccountBalance> ledger_balances(Database& db, const std::string& account) {
  std::vector<AccountBalance> out;
  Statement q(db.handle(), account.empty() ? "SELECT name, available, held, stake FROM accounts ORDER BY name"
                                           : "SELECT name, available, held, stake FROM accounts WHERE name = ?");
  if (!account.empty()) q.bind(1, account);
  while (q.step()) out.push_back({q.text(0), {q.int64(1), q.int64(2), q.int64(3)}});
  if (!account.empty() && out.empty()) out.push_back({account, {}});
  return out;
}

namespace {

// Appends the seqs of one postings row (comma-separated) to `seqs`.
void parse_postings(const std::string& account, const std::string& list, std::vector<int64_t>* seqs) {
  const char *p = list.data(), *end = p + list.size();
  for (;;) {
    int64_t seq = 0;
    const std::from_chars_result r = std::from_chars(p, end, seq);
    if (r.ec != std::errc() || seq <= 0 || (r.ptr != end && *r.ptr != ','))
      throw data_error("the postings of " + account + " hold '" + list + "', not seqs: the ledger is corrupt");
    seqs->push_back(seq);
    if (r.ptr == end) return;
    p = r.ptr + 1;
  }
}

// Each commit's row is in order; rows made by the migration need not be.
void sort_postings(std::vector<int64_t>* seqs) {
  std::sort(seqs->begin(), seqs->end());
  seqs->erase(std::unique(seqs->begin(), seqs->end()), seqs->end());
}

}  // namespace

void ledger_statement(Database& db, const std::string& account, int64_t since,
                      const std::function<void(int64_t, const Transfer&)>& fn) {
  ReadSnapshot snapshot(db);
  Statement q(db.handle(),
              (std::string("SELECT ") + kTransferColumns + " FROM transfers WHERE seq = ?1 AND at >= ?2").c_str());
  std::vector<int64_t> seqs;
  Statement p(db.handle(), "SELECT seqs FROM postings WHERE account = ?");
  p.bind(1, account);
  while (p.step()) parse_postings(account, p.text(0), &seqs);
  sort_postings(&seqs);
  for (int64_t seq : seqs) {
    q.bind(1, seq).bind(2, since);
    if (q.step()) fn(q.int64(0), read_transfer(q));
    q.reset();
  }
}

json transfer_message(const LedgerInfo& info, int64_t seq, const Transfer& t) {
  json m = {{"kind", "transfer"},       {"v", kMessageVersion},  {"type", t.type},
            {"transfer", t.id},         {"seq", seq},            {"debit", t.debit},
            {"debit_bucket", bucket_name(t.debit_bucket)},        {"credit", t.credit},
            {"credit_bucket", bucket_name(t.credit_bucket)},      {"amount_micros", t.amount},
            {"currency", info.currency}, {"cause", t.cause},     {"at", format_rfc3339(t.at)},
            {"ledger", info.id}};
  if (!t.hold.empty()) m["hold"] = t.hold;
  if (!t.detail.empty()) m["detail"] = json::parse(t.detail);
  set_message_id(m);
  return m;
}

std::vector<ProviderRecord> ledger_records(Database& db) {
  const std::string sql = std::string("SELECT h.provider, TOTAL(r.state = 'accepted'), TOTAL(r.state = 'rejected') FROM ") +
                          kHoldsResolved + " GROUP BY h.provider ORDER BY h.provider";
  Statement q(db.handle(), sql.c_str());
  std::vector<ProviderRecord> out;
  while (q.step()) out.push_back({q.text(0), q.int64(1), q.int64(2)});
  return out;
}

json reputation_message(const LedgerInfo& info, const ProviderRecord& r, int64_t as_of) {
  const double score = static_cast<double>(r.accepted + 1) / static_cast<double>(r.accepted + r.rejected + 2);
  return {{"kind", "reputation"}, {"v", kMessageVersion}, {"provider", r.provider},
          {"accepted", r.accepted},  {"rejected", r.rejected}, {"score", score},
          {"as_of", format_rfc3339(as_of)}, {"ledger", info.id}};
}

std::vector<std::string> ledger_check(Database& db, int64_t* transfers_seen, std::string* head,
                                      const std::vector<std::string>& expect_heads) {
  std::vector<std::string> bad;
  // One snapshot for every query below, however many runs write meanwhile.
  ReadSnapshot snapshot(db);
  {
    Statement q(db.handle(), "PRAGMA integrity_check");
    while (q.step())
      if (q.text(0) != "ok") bad.push_back("SQLite integrity: " + q.text(0));
  }

  // The chain, and the balances every transfer implies.
  std::map<std::string, Balances> implied;
  std::map<std::string, std::vector<int64_t>> implied_postings;  // in seq order
  std::string prev = kChainStart;
  std::set<std::string> unseen(expect_heads.begin(), expect_heads.end());
  int64_t n = 0;
  bool overflow = false;
  {
    Statement q(db.handle(), (std::string("SELECT ") + kTransferColumns + " FROM transfers ORDER BY seq").c_str());
    while (q.step()) {
      ++n;
      const int64_t seq = q.int64(0);
      Transfer t = read_transfer(q);
      const std::string stored_prev = q.text(12), stored_hash = q.text(13);
      if (stored_prev != prev)
        bad.push_back("hash chain broken at transfer " + std::to_string(seq) + " (" + t.id +
                      "): prev_hash is not the hash of the row before");
      else if (transfer_hash(prev, t) != stored_hash)
        bad.push_back("hash chain broken at transfer " + std::to_string(seq) + " (" + t.id +
                      "): the row does not hash to its stored hash (edited?)");
      prev = stored_hash;
      unseen.erase(stored_hash);
      if (t.amount < 0) bad.push_back("transfer " + std::to_string(seq) + " has a negative amount");
      overflow |= !add_checked(&implied[t.debit].at(t.debit_bucket), -t.amount);
      overflow |= !add_checked(&implied[t.credit].at(t.credit_bucket), t.amount);
      implied_postings[t.debit].push_back(seq);
      if (t.credit != t.debit) implied_postings[t.credit].push_back(seq);
    }
  }
  // The id index is no unique one (its keys are the ids' ends): the
  // writer looks an id up before posting it, and check holds it to that,
  // through the index rather than holding every id in memory.
  {
    Statement q(db.handle(), "SELECT a.id, a.seq, b.seq FROM transfers AS a JOIN transfers AS b "
                             "ON substr(b.id, -8) = substr(a.id, -8) AND +b.id = a.id AND b.seq > a.seq "
                             "ORDER BY a.seq, b.seq");
    while (q.step())
      bad.push_back("transfer id " + q.text(0) + " is stored twice (transfers " + std::to_string(q.int64(1)) +
                    " and " + std::to_string(q.int64(2)) + ")");
  }
  // The postings a statement reads: each account's, exactly its transfers.
  {
    std::map<std::string, std::vector<int64_t>> stored;
    Statement q(db.handle(), "SELECT account, seqs FROM postings");
    while (q.step()) {
      const std::string account = q.text(0);
      try {
        parse_postings(account, q.text(1), &stored[account]);
      } catch (const Error& e) {
        bad.push_back(e.what());
      }
    }
    for (auto& [account, seqs] : stored) sort_postings(&seqs);
    for (const auto& [account, seqs] : implied_postings) stored[account];
    for (const auto& [account, seqs] : stored) {
      const auto it = implied_postings.find(account);
      const size_t want = it == implied_postings.end() ? 0 : it->second.size();
      if (it == implied_postings.end() || seqs != it->second)
        bad.push_back("the postings of " + account + " list " + std::to_string(seqs.size()) +
                      " transfers, not its " + std::to_string(want) + ": its statement would be wrong");
    }
  }
  if (overflow) bad.push_back("the transfers' sums overflow 64 bits");
  if (transfers_seen) *transfers_seen = n;
  if (head) *head = prev;
  for (const std::string& h : unseen)
    bad.push_back("head " + h + " is not in the hash chain: the transfers up to it were cut or rewritten");

  // Stored balances: equal to what the transfers imply, summing to zero,
  // never negative outside system:deposits.
  int64_t total = 0;
  std::map<std::string, Balances> stored;
  {
    Statement q(db.handle(), "SELECT name, available, held, stake FROM accounts");
    while (q.step()) stored[q.text(0)] = {q.int64(1), q.int64(2), q.int64(3)};
  }
  for (const auto& [name, b] : stored) {
    for (int64_t v : {b.available, b.held, b.stake}) overflow |= !add_checked(&total, v);
    if (name != kDepositsAccount && (b.available < 0 || b.held < 0 || b.stake < 0))
      bad.push_back("account " + name + " has a negative balance (available " + std::to_string(b.available) +
                    ", held " + std::to_string(b.held) + ", stake " + std::to_string(b.stake) + ")");
  }
  if (total != 0) bad.push_back("double entry broken: all balances sum to " + std::to_string(total) + ", not 0");
  for (Bucket k : {Bucket::available, Bucket::held, Bucket::stake}) {
    std::map<std::string, Balances> all = implied;
    for (const auto& [name, b] : stored) all[name];
    for (auto& [name, b] : all) {
      Balances s = stored.count(name) ? stored[name] : Balances{};
      Balances i = implied.count(name) ? implied[name] : Balances{};
      if (s.at(k) != i.at(k))
        bad.push_back("account " + name + ": stored " + bucket_name(k) + " " + std::to_string(s.at(k)) +
                      " differs from the sum of its transfers " + std::to_string(i.at(k)));
    }
  }

  // Holds: each taken once, resolved at most once, and fully when resolved.
  // One pass over the transfers (no index on hold), then over the holds.
  struct Moves {
    int64_t taken = 0, resolutions = 0, released = 0;
  };
  std::map<std::string, Moves> moves;
  {
    Statement q(db.handle(),
                "SELECT hold, SUM(type = 'hold'), "
                " COUNT(DISTINCT CASE WHEN type IN ('post', 'void', 'expire') THEN cause END), "
                " SUM(CASE WHEN debit_bucket = 'held' THEN amount ELSE 0 END) "
                "FROM transfers WHERE hold IS NOT NULL GROUP BY hold");
    while (q.step()) moves[q.text(0)] = {q.int64(1), q.int64(2), q.int64(3)};
  }
  {
    std::map<std::string, std::string> lease_of_order;  // nor is the orders'
    // An open hold is one with no resolution, and expires only through its
    // row in open_holds, under its own deadline.
    const std::string sql =
        std::string("SELECT h.lease, ") + kHoldState + ", h.amount, h.order_id, " +
        "(SELECT COUNT(*) FROM open_holds AS o WHERE o.hold = h.seq AND o.deadline = h.deadline) FROM " +
        kHoldsResolved + " ORDER BY h.lease";
    Statement q(db.handle(), sql.c_str());
    while (q.step()) {
      const std::string lease = q.text(0), state = q.text(1), order = q.text(3);
      const int64_t amount = q.int64(2);
      if (q.int64(4) != (state == "open" ? 1 : 0))
        bad.push_back("hold " + lease + " is " + state + " but listed " + std::to_string(q.int64(4)) +
                      " times among the open holds by deadline");
      const auto [first, fresh] = lease_of_order.emplace(order, lease);
      if (!fresh) bad.push_back("order " + order + " has two holds: " + first->second + " and " + lease);
      const Moves m = moves.count(lease) ? moves[lease] : Moves{};
      if (m.taken != 1) bad.push_back("hold " + lease + " was taken " + std::to_string(m.taken) + " times");
      if (m.resolutions > 1)
        bad.push_back("hold " + lease + " was resolved " + std::to_string(m.resolutions) + " times");
      const bool open = state == "open";
      if (open != (m.resolutions == 0))
        bad.push_back("hold " + lease + " is " + state + " but has " + std::to_string(m.resolutions) +
                      " resolution(s)");
      if (m.released != (open ? 0 : amount))
        bad.push_back("hold " + lease + " of " + std::to_string(amount) + " released " + std::to_string(m.released));
    }
  }
  {
    Statement q(db.handle(),
                "SELECT COUNT(*) FROM open_holds AS o WHERE NOT EXISTS (SELECT 1 FROM holds AS h "
                "WHERE h.seq = o.hold AND h.deadline = o.deadline) OR o.hold IN (SELECT hold FROM resolutions)");
    if (q.step() && q.int64(0) > 0)
      bad.push_back(std::to_string(q.int64(0)) + " open holds by deadline name no open hold of that deadline");
    Statement r(db.handle(), "SELECT COUNT(*) FROM resolutions WHERE hold NOT IN (SELECT seq FROM holds)");
    if (r.step() && r.int64(0) > 0) bad.push_back(std::to_string(r.int64(0)) + " resolutions name no hold");
  }
  return bad;
}

}  // namespace grid
