#include "ledger/ledger_transfers.h"

#include <memory>

#include "core/crypto.h"

namespace grid {

const char* bucket_name(Bucket b) {
  switch (b) {
    case Bucket::available: return "available";
    case Bucket::held: return "held";
    case Bucket::stake: return "stake";
  }
  return "?";
}

Bucket parse_bucket(const std::string& name) {
  if (name == "available") return Bucket::available;
  if (name == "held") return Bucket::held;
  if (name == "stake") return Bucket::stake;
  throw data_error("unknown balance bucket '" + name + "' in the ledger: corrupt");
}

std::string transfer_id(const std::string& cause, const std::string& code) {
  return sha256_ref(sha256(cause + "\n" + code));
}

std::string transfer_hash(const std::string& prev_hash, const Transfer& t) {
  // Unit separators keep fields apart: no field holds a control character.
  const char sep = '\x1f';
  std::string row = prev_hash;
  for (const std::string* s : {&t.id, &t.type, &t.debit, &t.credit, &t.cause, &t.hold, &t.detail}) row += sep + *s;
  row += sep;
  row += bucket_name(t.debit_bucket);
  row += sep;
  row += bucket_name(t.credit_bucket);
  row += sep + std::to_string(t.amount) + sep + std::to_string(t.at);
  return sha256_ref(sha256(row));
}

bool same_movement(const Transfer& a, const Transfer& b) {
  return a.id == b.id && a.type == b.type && a.debit == b.debit && a.debit_bucket == b.debit_bucket &&
         a.credit == b.credit && a.credit_bucket == b.credit_bucket && a.amount == b.amount && a.cause == b.cause &&
         a.hold == b.hold && a.detail == b.detail;
}

Book::Book(Database& db)
    : db_(db),
      get_account_(db.handle(), "SELECT available, held, stake FROM accounts WHERE name = ?"),
      put_account_(db.handle(),
                   "INSERT INTO accounts(name, available, held, stake) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT(name) DO UPDATE SET available = ?2, held = ?3, stake = ?4"),
      find_(db.handle(), (std::string("SELECT type, debit, debit_bucket, credit, credit_bucket, amount, cause, "
                                      "hold, detail, at FROM transfers WHERE ") + kTransferById).c_str()),
      insert_(db.handle(),
              "INSERT INTO transfers(id, type, debit, debit_bucket, credit, credit_bucket, amount, cause, hold, at, "
              "detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      head_query_(db.handle(), "SELECT hash FROM transfers ORDER BY seq DESC LIMIT 1"),
      put_postings_(db.handle(), "INSERT INTO postings(account, first_seq, seqs) VALUES (?, ?, ?)") {}

void Book::begin() {
  cache_.clear();
  dirty_.clear();
  postings_.clear();
  tx_ = std::make_unique<Transaction>(db_);
  head_ = head_query_.step() ? head_query_.text(0) : kChainStart;
  head_query_.reset();
}

void Book::commit() {
  for (const auto& [name, dirty] : dirty_) {
    if (!dirty) continue;
    const Balances& b = cache_.at(name);
    put_account_.bind(1, name).bind(2, b.available).bind(3, b.held).bind(4, b.stake).run();
  }
  for (const auto& [name, p] : postings_) put_postings_.bind(1, name).bind(2, p.first_seq).bind(3, p.seqs).run();
  tx_->commit();
  tx_.reset();
  cache_.clear();
  dirty_.clear();
  postings_.clear();
}

void Book::rollback() {
  tx_.reset();
  cache_.clear();
  dirty_.clear();
  postings_.clear();
}

void Book::add_posting(const std::string& account, int64_t seq) {
  Postings& p = postings_[account];
  if (p.seqs.empty()) p.first_seq = seq;
  else p.seqs += ',';
  p.seqs += std::to_string(seq);
}

Balances& Book::cached(const std::string& account) {
  auto it = cache_.find(account);
  if (it != cache_.end()) return it->second;
  Balances b;
  get_account_.bind(1, account);
  if (get_account_.step()) {
    b.available = get_account_.int64(0);
    b.held = get_account_.int64(1);
    b.stake = get_account_.int64(2);
  }
  get_account_.reset();
  return cache_.emplace(account, b).first->second;
}

Balances Book::balance(const std::string& account) { return cached(account); }

std::optional<Transfer> Book::find(const std::string& id) {
  find_.bind(1, id);
  std::optional<Transfer> t;
  if (find_.step()) {
    t.emplace();
    t->id = id;
    t->type = find_.text(0);
    t->debit = find_.text(1);
    t->debit_bucket = parse_bucket(find_.text(2));
    t->credit = find_.text(3);
    t->credit_bucket = parse_bucket(find_.text(4));
    t->amount = find_.int64(5);
    t->cause = find_.text(6);
    t->hold = find_.text(7);
    t->detail = find_.text(8);
    t->at = find_.int64(9);
  }
  find_.reset();
  return t;
}

int64_t Book::post(const std::vector<Transfer>& transfers) {
  // Work on copies first, so a refused transfer leaves nothing half done.
  std::unordered_map<std::string, Balances> next;
  auto get = [&](const std::string& a) -> Balances& {
    auto it = next.find(a);
    return it != next.end() ? it->second : next.emplace(a, cached(a)).first->second;
  };
  for (const Transfer& t : transfers) {
    if (t.amount < 0) throw Error(Exit::internal, "negative transfer amount " + std::to_string(t.amount));
    int64_t& from = get(t.debit).at(t.debit_bucket);
    if (__builtin_sub_overflow(from, t.amount, &from))
      throw data_error("amount overflows the " + std::string(bucket_name(t.debit_bucket)) + " balance of " + t.debit);
    if (from < 0 && t.debit != kDepositsAccount)
      throw data_error("insufficient funds: " + t.debit + " has " + std::to_string(from + t.amount) + " micros " +
                       bucket_name(t.debit_bucket) + ", " + t.type + " needs " + std::to_string(t.amount));
    int64_t& to = get(t.credit).at(t.credit_bucket);
    if (__builtin_add_overflow(to, t.amount, &to))
      throw data_error("amount overflows the " + std::string(bucket_name(t.credit_bucket)) + " balance of " + t.credit);
  }
  int64_t first_seq = 0;
  for (const Transfer& t : transfers) {
    const std::string hash = transfer_hash(head_, t);
    insert_.bind(1, t.id).bind(2, t.type).bind(3, t.debit).bind(4, std::string(bucket_name(t.debit_bucket)));
    insert_.bind(5, t.credit).bind(6, std::string(bucket_name(t.credit_bucket))).bind(7, t.amount).bind(8, t.cause);
    if (t.hold.empty()) insert_.bind_null(9);
    else insert_.bind(9, t.hold);
    insert_.bind(10, t.at);
    if (t.detail.empty()) insert_.bind_null(11);
    else insert_.bind(11, t.detail);
    insert_.bind(12, head_).bind(13, hash).run();
    const int64_t seq = sqlite3_last_insert_rowid(db_.handle());
    if (!first_seq) first_seq = seq;
    add_posting(t.debit, seq);
    if (t.credit != t.debit) add_posting(t.credit, seq);
    head_ = hash;
    ++posted_;
  }
  for (auto& [name, b] : next) {
    cache_[name] = b;
    dirty_[name] = true;
  }
  return first_seq;
}

}  // namespace grid
