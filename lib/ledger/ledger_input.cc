#include "ledger/ledger_input.h"

#include <sstream>

#include "core/fields.h"
#include "core/file_io.h"
#include "market/lease_order.h"
#include "core/message.h"
#include "core/timestamp.h"

namespace grid {
namespace {

constexpr size_t kMaxTrustBytes = size_t{1} << 20;

// The signer of `m` at `path`, or Exit::data naming the field.
std::string signer_of(const json& m, const std::string& path, const std::string& what) {
  std::string by;
  Status s = check_signature(m, &by);
  if (!s.ok()) throw data_error(what + ": " + s.reason(), path + (s.reason().find("id") == 0 ? ".id" : ".sig"));
  return by;
}


void check_transfer(const json& m, const LedgerInfo& ledger, LedgerEntry* e) {
  const std::string type = get_choice(m, "type", "", {"deposit", "stake"});
  if (get_string(m, "ledger", "") != ledger.id)
    throw data_error("the transfer is for ledger " + m["ledger"].get<std::string>() + ", this one is " + ledger.id,
                     ".ledger");
  if (m.contains("currency") && get_string(m, "currency", "") != ledger.currency)
    throw data_error("currency " + m["currency"].get<std::string>() + " differs from the ledger's " + ledger.currency,
                     ".currency");
  e->amount = get_int(m, "amount_micros", "", 1, kMaxMicros);
  const std::string by = signer_of(m, "", type);
  if (type == "deposit") {
    e->kind = LedgerEntry::Kind::deposit;
    e->account = get_key(m, "credit", "");
    if (by != ledger.operator_key)
      throw data_error("a deposit must be signed by the ledger's operator " + ledger.operator_key + ", not " + by,
                       ".sig.by");
  } else {
    e->kind = LedgerEntry::Kind::stake;
    e->account = get_key(m, "debit", "");
    if (by != e->account) throw data_error("a stake must be signed by its provider " + e->account + ", not " + by, ".sig.by");
  }
}

void check_lease(const json& m, LedgerEntry* e) {
  e->kind = LedgerEntry::Kind::lease;
  const std::string by = signer_of(m, "", "lease");
  e->buyer = get_key(m, "buyer", "");
  e->provider = get_key(m, "provider", "");
  e->task = get_string(m, "task", "");
  e->amount = get_int(m, "price_micros", "", 1, kMaxMicros);
  e->deadline = get_time(m, "deadline", "");
  if (by != e->buyer) throw data_error("the lease is signed by " + by + ", not by its buyer " + e->buyer, ".sig.by");

  const json& order = get_object(m, "order", "");
  // The whole order must be one lease-bid takes, not only the fields
  // settling reads: a wrong-typed need or flops is bad input here too.
  try {
    Order parsed;
    read_order(order, &parsed);
  } catch (const Error& e) {
    Error in_order(e.code(), e.what());
    in_order.at_field(".order" + e.field());
    throw in_order;
  }
  const std::string order_by = signer_of(order, ".order", "the lease's order");
  if (order_by != e->buyer)
    throw data_error("the order is signed by " + order_by + ", not by the lease's buyer " + e->buyer, ".order.sig.by");
  if (get_string(order, "buyer", ".order") != e->buyer)
    throw data_error("the order's buyer differs from the lease's", ".order.buyer");
  e->order = order["id"].get<std::string>();
  const json& task = get_object(order, "task", ".order");
  if (task.contains("id") && task["id"] != e->task)
    throw data_error("the order is for task " + task["id"].dump() + ", the lease for " + e->task, ".order.task.id");
  const int64_t max_price = get_int(order, "max_price_micros", ".order", 1, kMaxMicros);
  if (e->amount > max_price)
    throw data_error("price_micros " + std::to_string(e->amount) + " is above the order's max_price_micros " +
                     std::to_string(max_price), ".price_micros");

  const json& bid = get_object(m, "bid", "");
  const std::string bid_by = signer_of(bid, ".bid", "the lease's bid");
  if (bid_by != e->provider)
    throw data_error("the bid is signed by " + bid_by + ", not by the lease's provider " + e->provider, ".bid.sig.by");
  if (get_string(bid, "provider", ".bid") != e->provider)
    throw data_error("the bid's provider differs from the lease's", ".bid.provider");
  if (get_string(bid, "order", ".bid") != e->order)
    throw data_error("the bid answers order " + bid["order"].get<std::string>() + ", the lease carries " + e->order,
                     ".bid.order");
  if (get_string(bid, "task", ".bid") != e->task)
    throw data_error("the bid is for task " + bid["task"].get<std::string>() + ", the lease for " + e->task, ".bid.task");

  // What the buyer signed alone must be what the order and the bid (the
  // provider's own signature) agreed: a lease re-signed at another price
  // or deadline would pay the provider less, or let the hold run out
  // before the work was due.
  if (get_time(order, "deadline", ".order") != e->deadline)
    throw data_error("the lease's deadline " + get_string(m, "deadline", "") + " is not its order's " +
                         get_string(order, "deadline", ".order"),
                     ".deadline");
  const int64_t bid_price = get_int(bid, "price_micros", ".bid", 1, kMaxMicros);
  if (get_choice(m, "rule", "", {"first-price", "second-price"}) == "first-price") {
    if (e->amount != bid_price)
      throw data_error("price_micros " + std::to_string(e->amount) + " is not the winning bid's " +
                           std::to_string(bid_price) + ", as first-price pays",
                       ".price_micros");
  } else if (e->amount < bid_price) {
    throw data_error("price_micros " + std::to_string(e->amount) + " is below the winning bid's " +
                         std::to_string(bid_price) + ": second-price pays at least the winner's own",
                     ".price_micros");
  }
}

void check_verdict(const json& m, const std::set<std::string>& trust, LedgerEntry* e) {
  e->kind = LedgerEntry::Kind::verdict;
  e->verifier = signer_of(m, "", "verdict");
  if (!trust.count(e->verifier)) throw data_error("verdict by " + e->verifier + ", who is not in --trust", ".sig.by");
  e->status = get_choice(m, "status", "", {"accept", "reject", "inconclusive"});
  if (m.contains("lease") && !m["lease"].is_null()) e->lease = get_string(m, "lease", "");
  e->task = get_string(m, "task", "");
  if (m.contains("provider") && m["provider"].is_string()) e->provider = m["provider"];
  if (e->lease.empty() && e->provider.empty())
    throw data_error("a verdict without a lease must name its provider", ".provider");
}

}  // namespace

std::set<std::string> load_trust(const std::string& path) {
  std::istringstream in(read_file(path, kMaxTrustBytes));
  std::set<std::string> keys;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    const auto b = line.find_first_not_of(" \t\r"), e = line.find_last_not_of(" \t\r");
    if (b == std::string::npos) continue;
    line = line.substr(b, e - b + 1);
    const std::optional<std::string> key = key_ref_from_text(line);
    if (!key)
      throw data_error("--trust " + path + " line " + std::to_string(n) + ": expected ed25519:<64 hex digits>, got '" +
                       line + "'");
    keys.insert(*key);
  }
  return keys;
}

const char* LedgerEntry::input_kind() const {
  switch (kind) {
    case Kind::deposit:
    case Kind::stake: return "transfer";
    case Kind::lease: return "lease";
    case Kind::verdict: return "verdict";
    case Kind::other: break;
  }
  return "";
}

LedgerEntry check_ledger_entry(const json& m, const Position& at, const LedgerInfo& ledger,
                               const std::set<std::string>& trust) {
  LedgerEntry e;
  e.at = at;
  try {
    check_envelope(m);
    if (m.contains("id") && m["id"].is_string()) e.id = m["id"];
    const std::string& kind = m["kind"].get_ref<const std::string&>();
    if (kind == "transfer") check_transfer(m, ledger, &e);
    else if (kind == "lease") check_lease(m, &e);
    else if (kind == "verdict") check_verdict(m, trust, &e);
    else throw data_error("pay-settle apply takes leases, verdicts and transfers, not kind " + kind, ".kind");
  } catch (const Error& err) {
    e.error = err;
  } catch (const std::exception& err) {
    e.error = data_error(err.what());
  }
  return e;
}

}  // namespace grid
