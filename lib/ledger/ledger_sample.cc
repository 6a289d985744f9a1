#include "ledger/ledger_sample.h"

#include <algorithm>
#include <random>

#include "core/message.h"
#include "core/timestamp.h"

namespace grid {
namespace {

SigningKey key_named(const std::string& name) {
  const Digest d = sha256("gridutils sample key " + name);
  std::array<uint8_t, 32> seed;
  std::copy(d.begin(), d.end(), seed.begin());
  return signing_key_from_seed(seed);
}

std::string pub(const SigningKey& k) { return public_key_ref(k.public_key); }

// A message placed at a moment of the stream; sorted by it.
struct Event {
  double at;
  size_t order;  // ties: generation order
  std::string line;
};

}  // namespace

SampleKeys sample_keys() { return {key_named("operator"), key_named("verifier"), key_named("stranger")}; }

std::string sample_ledger_message(LedgerInfo* info) {
  const SampleKeys keys = sample_keys();
  json ledger = {{"kind", "ledger"}, {"v", kMessageVersion}, {"currency", "USD"},
                 {"operator", pub(keys.operator_key)}, {"created", "2026-11-28T00:00:00Z"}, {"nonce", "sample"}};
  sign_message(ledger, keys.operator_key);
  info->id = ledger["id"];
  info->currency = "USD";
  info->operator_key = pub(keys.operator_key);
  return ledger.dump();
}

std::vector<std::string> sample_market(const LedgerInfo& ledger, const SampleKeys& keys, const SampleMarket& m) {
  std::mt19937_64 rng(m.seed);
  auto uniform = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  std::vector<SigningKey> buyers, providers;
  for (size_t i = 0; i < m.buyers; ++i) buyers.push_back(key_named("buyer " + std::to_string(i)));
  for (size_t i = 0; i < m.providers; ++i) providers.push_back(key_named("provider " + std::to_string(i)));

  std::vector<Event> events;
  auto add = [&](double at, json msg, const SigningKey& key) {
    sign_message(msg, key);
    events.push_back({at, events.size(), msg.dump()});
  };
  auto funds = [&](double at, const std::string& type, const std::string& side, const SigningKey& account,
                   const SigningKey& signer, int64_t amount) {
    add(at,
        {{"kind", "transfer"}, {"v", kMessageVersion}, {"type", type}, {"ledger", ledger.id}, {"currency", "USD"},
         {side, pub(account)}, {"amount_micros", amount}, {"created", "2026-11-28T00:00:00Z"},
         {"nonce", std::to_string(events.size())}},
        signer);
  };
  // Clean runs fund everyone for everything up front.
  const int64_t buyer_funds = m.awkward ? 0 : int64_t{1} << 50;
  for (const SigningKey& b : buyers) funds(-1, "deposit", "credit", b, keys.operator_key, buyer_funds + 2000000);
  for (const SigningKey& p : providers) {
    funds(-1, "deposit", "credit", p, keys.operator_key, 3000000);
    funds(-0.5, "stake", "debit", p, p, uniform(500000, 2500000));
  }
  for (size_t i = 0; i < m.leases; ++i) {
    const SigningKey& buyer = buyers[uniform(0, m.buyers - 1)];
    const SigningKey& provider = providers[uniform(0, m.providers - 1)];
    const double at = std::uniform_real_distribution<double>(0, 1)(rng);
    if (m.awkward && chance(0.1)) funds(at, "deposit", "credit", buyer, keys.operator_key, uniform(100000, 1000000));
    json task = {{"kind", "task"}, {"v", kMessageVersion}, {"type", "gemm"}, {"index", i}, {"flops", 1e9},
                 {"job", "sample " + std::to_string(m.seed)}};
    set_message_id(task);
    const int64_t price = m.awkward ? uniform(10000, 400000) : uniform(100, 1000);
    // Awkward runs put a tenth of the deadlines before now: those expire.
    const int64_t deadline = m.now + (m.awkward && chance(0.1) ? -uniform(1, 86400) : uniform(1, 86400));
    json order = {{"kind", "order"}, {"v", kMessageVersion}, {"buyer", pub(buyer)}, {"task", task},
                  {"flops", 1e9}, {"max_price_micros", 1000000}, {"deadline", format_rfc3339(deadline)},
                  {"bid_deposit_micros", 0}, {"created", "2026-11-28T00:00:00Z"}};
    sign_message(order, buyer);
    json bid = {{"kind", "bid"}, {"v", kMessageVersion}, {"order", order["id"]}, {"task", task["id"]},
                {"provider", pub(provider)}, {"price_micros", price}, {"deposit_micros", 0},
                {"expires", format_rfc3339(deadline)}, {"created", "2026-11-28T00:00:00Z"}};
    sign_message(bid, provider);
    json lease = {{"kind", "lease"}, {"v", kMessageVersion}, {"order", order}, {"bid", bid},
                  {"buyer", pub(buyer)}, {"provider", pub(provider)}, {"task", task["id"]},
                  {"price_micros", price}, {"rule", "first-price"}, {"deadline", format_rfc3339(deadline)},
                  {"awarded", "2026-11-28T01:00:00Z"}};
    sign_message(lease, buyer);
    events.push_back({at, events.size(), lease.dump()});
    if (m.awkward && chance(0.05)) events.push_back({at + 0.01, events.size(), lease.dump()});  // a repeat

    const double roll = std::uniform_real_distribution<double>(0, 1)(rng);
    const std::string status = !m.awkward ? "accept" : roll < 0.15 ? "reject" : roll < 0.25 ? "inconclusive" : "accept";
    json verdict = {{"kind", "verdict"}, {"v", kMessageVersion}, {"result", sha256_ref(sha256(std::to_string(i)))},
                    {"task", task["id"]}, {"type", "gemm"}, {"provider", pub(provider)}, {"status", status},
                    {"lease", lease["id"]}};
    if (m.awkward && chance(0.1)) verdict.erase("lease");  // found by task and provider
    // Most verdicts come after their lease; a few before it (refused) or
    // twice (the second is a no-op), a few from a stranger (refused).
    const double later = m.awkward && chance(0.05) ? at - 0.05 : at + std::uniform_real_distribution<double>(0.001, 0.3)(rng);
    const SigningKey& verifier = m.awkward && chance(0.03) ? keys.stranger : keys.verifier;
    add(later, verdict, verifier);
    if (m.awkward && chance(0.05)) events.push_back({later + 0.02, events.size(), events.back().line});
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.at != b.at ? a.at < b.at : a.order < b.order; });
  std::vector<std::string> lines;
  lines.reserve(events.size());
  for (Event& e : events) lines.push_back(std::move(e.line));
  return lines;
}

}  // namespace grid
