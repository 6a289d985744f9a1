// The award verifies a bid only when it can change the outcome (the lazy
// walk in decide()). Here its outcomes, reasons included, are compared with
// the eager rule it replaced: every bid checked, the valid ones kept in
// input order, min_element by `better`, second price from all the others'
// valid bids. The markets are random (fixed seeds, printed on failure) and
// full of bids that rank well and are invalid: forged cheapest prices,
// ids tampered with, the wrong signer, malformed fields, duplicates, ties.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/message.h"
#include "core/timestamp.h"
#include "market/lease_award.h"
#include "market/lease_pricing.h"

namespace grid {
namespace {

constexpr int64_t kNow = 1800000000;

SigningKey provider_key(int p) {
  std::array<uint8_t, 32> seed;
  seed.fill(static_cast<uint8_t>(40 + p));
  return signing_key_from_seed(seed);
}

SigningKey buyer_key() {
  std::array<uint8_t, 32> seed;
  seed.fill(1);
  return signing_key_from_seed(seed);
}

// What can be wrong with a bid; most are fine.
enum class Flaw { none, forged, forged_with_id, wrong_signer, tampered_id, id_not_string, malformed, expired,
                  other_task, hardware, duplicate };

std::vector<json> mixed_market(uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  const SigningKey buyer = buyer_key();
  std::vector<json> out;
  const int providers = 2 + pick(4);
  std::vector<std::string> refs, profile_ids;
  std::vector<json> hardware;
  for (int p = 0; p < providers; ++p) {
    const SigningKey k = provider_key(p);
    refs.push_back(public_key_ref(k.public_key));
    json prof = {{"kind", "profile"}, {"v", 1}, {"device", "cuda"}, {"host", {{"n", p}}},
                 {"summary", {{"gpu_model", pick(2) ? "H100" : "A100"}, {"exact_gemm_tflops", 20}, {"gpu_count", 1}}}};
    sign_message(prof, k);
    profile_ids.push_back(prof["id"]);
    hardware.push_back(read_hardware(prof, refs[p]).to_json());
    out.push_back(prof);
    if (pick(2)) {  // equal scores make reputation ties
      json rep = {{"kind", "reputation"}, {"v", 1}, {"provider", refs[p]}, {"accepted", 1}, {"rejected", 1},
                  {"score", pick(2) ? 0.5 : 0.8}, {"as_of", format_rfc3339(kNow - 100)}};
      sign_message(rep, buyer);
      out.push_back(rep);
    }
  }
  LeaseOptions opt;
  const int orders = 1 + pick(6);
  std::vector<json> order_msgs;
  for (int o = 0; o < orders; ++o) {
    json task = {{"kind", "task"}, {"v", 1}, {"type", "gemm"}, {"flops", 1e9}, {"index", o}, {"seed", seed}};
    set_message_id(task);
    opt.max_price = 60 + pick(40);
    opt.min_reputation = pick(4) == 0 ? 0.6 : 0;
    NeedExpr need;
    std::string err;
    NeedExpr::parse(pick(3) == 0 ? "summary.gpu_model == 'H100'" : "", &need, &err);
    json order = make_order(task, opt, need, kNow, kNow + 3600, buyer);
    out.push_back(order);
    if (pick(6) == 0) out.push_back(order);
    order_msgs.push_back(order);
  }
  for (const json& order : order_msgs)
    for (int b = pick(9); b > 0; --b) {
      const int p = pick(providers);
      json bid = {{"kind", "bid"}, {"v", 1}, {"order", order["id"]}, {"task", order["task"]["id"]},
                  {"provider", refs[p]}, {"profile", profile_ids[p]}, {"hardware", hardware[p]},
                  {"price_micros", 40 + 10 * pick(7)}, {"deposit_micros", 0}, {"nonce", rng()},
                  {"expires", format_rfc3339(kNow + 600)}, {"created", format_rfc3339(kNow)}};
      const Flaw flaw = pick(2) ? Flaw::none : static_cast<Flaw>(1 + pick(10));
      switch (flaw) {
        case Flaw::expired: bid["expires"] = format_rfc3339(kNow); break;
        case Flaw::other_task: bid["task"] = order_msgs[0]["id"]; break;
        case Flaw::hardware: bid["hardware"]["gpu_count"] = 8; break;
        case Flaw::malformed:
          switch (pick(4)) {
            case 0: bid["price_micros"] = "cheap"; break;
            case 1: bid["price_micros"] = 0; break;
            case 2: bid.erase("task"); break;
            default: bid["expires"] = "soon"; break;
          }
          break;
        default: break;
      }
      sign_message(bid, provider_key(flaw == Flaw::wrong_signer ? (p + 1) % providers : p));
      switch (flaw) {
        case Flaw::forged: bid["price_micros"] = 1; break;  // the id no longer matches
        case Flaw::forged_with_id:
          bid["price_micros"] = 1;
          bid["id"] = message_id(bid);  // the id matches, the signature does not
          break;
        case Flaw::tampered_id: bid["id"] = "sha256:" + std::string(64, '0'); break;
        case Flaw::id_not_string: bid["id"] = 7; break;
        case Flaw::duplicate: out.push_back(bid); break;
        default: break;
      }
      out.push_back(bid);
    }
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

// The eager rule, as the award applied it before it went lazy: every bid
// of the order judged in input order, then the best valid one. (The
// orders here are all open: a deadline passed is decided before any bid.)
AwardOutcome decide_eagerly(const Order& order, const Market& market) {
  AwardOutcome r;
  r.order = &order;
  std::vector<Contender> valid;
  auto found = market.by_order.find(order.id);
  if (found != market.by_order.end())
    for (size_t bi : found->second) {
      AuctionMessage& b = market.bids[bi];
      Contender c{&b.msg, bid_id_text(b.msg), "", 0, 0};
      const Status s = bid_valid(b, order, market, &c);
      if (s.ok()) valid.push_back(std::move(c));
      else r.reasons.push_back("bid " + short_id(c.id) + ": " + s.reason());
    }
  if (valid.empty()) {
    if (r.reasons.empty()) r.reasons.push_back("no bids");
    return r;
  }
  const Contender& win = *std::min_element(valid.begin(), valid.end(), better);
  r.bid = win.bid;
  r.reputation = win.reputation;
  r.price = win.price;
  if (market.cfg.second_price) {
    const Contender* second = nullptr;
    for (const Contender& c : valid)
      if (c.provider != win.provider && (!second || c.price < second->price)) second = &c;
    if (second) r.price = second->price;
  }
  r.reasons.clear();
  return r;
}

// The messages sorted as Auction::add sorts them, each checked in full.
struct EagerMarket {
  std::deque<AuctionMessage> bids, profiles, reputations;
  BidsByOrder by_order;
  explicit EagerMarket(const std::vector<json>& messages) {
    for (const json& m : messages) {
      const std::string& kind = m["kind"].get_ref<const std::string&>();
      std::deque<AuctionMessage>* to = kind == "bid" ? &bids : kind == "profile" ? &profiles
                                       : kind == "reputation"                      ? &reputations
                                                                                   : nullptr;
      if (!to) continue;
      to->push_back(AuctionMessage{m, check_message(m)});
      if (to == &bids) by_order[bids.back().msg["order"].get_ref<const std::string&>()].push_back(bids.size() - 1);
    }
  }
};

void compare_with_eager(uint32_t seed, bool second_price) {
  SCOPED_TRACE("seed " + std::to_string(seed) + (second_price ? " second-price" : " first-price"));
  const std::vector<json> messages = mixed_market(seed);
  AwardConfig cfg;
  cfg.buyer = public_key_ref(buyer_key().public_key);
  cfg.now = kNow;
  cfg.second_price = second_price;
  Auction lazy(2);
  for (const json& m : messages) lazy.add(m);
  const std::vector<AwardOutcome> got = lazy.run(cfg);

  EagerMarket eager(messages);
  const ProfileIndex profiles(eager.profiles);
  const Reputations reputations(eager.reputations, {cfg.buyer});
  const Market market{cfg, eager.bids, eager.by_order, profiles, reputations};
  for (const AwardOutcome& r : got) {
    SCOPED_TRACE("order " + r.order->id);
    const AwardOutcome want = decide_eagerly(*r.order, market);
    ASSERT_EQ(r.filled(), want.filled());
    if (r.filled()) {
      EXPECT_EQ(*r.bid, *want.bid);
      EXPECT_EQ(r.price, want.price);
      EXPECT_EQ(r.reputation, want.reputation);
      EXPECT_TRUE(r.reasons.empty());
    } else {
      EXPECT_EQ(r.reasons, want.reasons);
    }
  }
}

TEST(LeaseAwardLazy, SameOutcomesAndReasonsAsCheckingEveryBidFirstPrice) {
  for (uint32_t seed = 1; seed <= 120; ++seed) compare_with_eager(seed, false);
}

TEST(LeaseAwardLazy, SameOutcomesAndReasonsAsCheckingEveryBidSecondPrice) {
  for (uint32_t seed = 501; seed <= 620; ++seed) compare_with_eager(seed, true);
}

// Valid bids at distinct prices: the cheapest of each order is the only
// bid verified, under second price the next one of another provider too.
TEST(LeaseAwardLazy, OnlyTheBidsThatDecideAreVerified) {
  const SigningKey buyer = buyer_key();
  const SigningKey providers[] = {provider_key(0), provider_key(1)};
  std::vector<json> messages;
  std::string refs[2], profile_ids[2];
  json hardware[2];
  for (int p = 0; p < 2; ++p) {
    refs[p] = public_key_ref(providers[p].public_key);
    json prof = {{"kind", "profile"}, {"v", 1}, {"device", "cuda"}, {"summary", {{"gpu_model", "H100"}, {"exact_gemm_tflops", 20}, {"gpu_count", 1}}}};
    sign_message(prof, providers[p]);
    profile_ids[p] = prof["id"];
    hardware[p] = read_hardware(prof, refs[p]).to_json();
    messages.push_back(prof);
  }
  LeaseOptions opt;
  opt.max_price = 1000;
  constexpr int kOrders = 3, kBidsPerOrder = 6;
  for (int o = 0; o < kOrders; ++o) {
    json task = {{"kind", "task"}, {"v", 1}, {"type", "gemm"}, {"flops", 1e9}, {"index", o}};
    set_message_id(task);
    const json order = make_order(task, opt, NeedExpr(), kNow, kNow + 3600, buyer);
    messages.push_back(order);
    // Provider 0 bids 100, 110, 120; provider 1 bids 130, 140, 150, so
    // under second price the walk passes the winner's own two dearer bids.
    for (int b = kBidsPerOrder - 1; b >= 0; --b) {
      const int p = b < 3 ? 0 : 1;
      json bid = {{"kind", "bid"}, {"v", 1}, {"order", order["id"]}, {"task", task["id"]},
                  {"provider", refs[p]}, {"profile", profile_ids[p]}, {"hardware", hardware[p]},
                  {"price_micros", 100 + 10 * b}, {"expires", format_rfc3339(kNow + 600)}};
      sign_message(bid, providers[p]);
      messages.push_back(bid);
    }
  }
  AwardConfig cfg;
  cfg.buyer = public_key_ref(buyer.public_key);
  cfg.now = kNow;
  for (bool second_price : {false, true}) {
    SCOPED_TRACE(second_price ? "second-price" : "first-price");
    Auction a;
    for (const json& m : messages) a.add(m);
    cfg.second_price = second_price;
    for (const AwardOutcome& r : a.run(cfg)) {
      ASSERT_TRUE(r.filled());
      EXPECT_EQ(r.price, second_price ? 130 : 100);
    }
    EXPECT_EQ(a.bids_unverified(), static_cast<size_t>(kOrders * (kBidsPerOrder - (second_price ? 2 : 1))));
  }
}

}  // namespace
}  // namespace grid
