// The award against a brute-force reference: random orders, bids,
// profiles and reputations, from fixed seeds printed on failure. The
// generator knows the truth of each bid (forged? expired? whose profile?)
// and the reference decides from that truth alone, without the award's
// code paths (no signature checks, no expression evaluation, a full sort).
#include "market/lease_award.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "market/lease_pricing.h"
#include "core/message.h"
#include "core/timestamp.h"

namespace grid {
namespace {

constexpr int64_t kNow = 1800000000;

SigningKey key_of(uint8_t fill) {
  std::array<uint8_t, 32> seed;
  seed.fill(fill);
  return signing_key_from_seed(seed);
}

struct Truth {  // what the generator knows of one bid
  std::string id, provider;
  int64_t price;
  bool forged, expired, own_profile;
  bool honest_hardware;  // bid.hardware is what lease-bid bid writes from its profile
  int profile_of;  // the provider whose profile the bid names
};

struct OrderTruth {
  bool foreign;
  int copies = 1;  // messages of this order in the input
  int64_t max_price;
  double min_rep;
  int need;  // 0: none, 1: gpu_model == 'H100', 2: exact tflops >= 10
  std::vector<Truth> bids;
};

struct World {
  std::vector<json> messages;
  std::vector<OrderTruth> orders;
  std::vector<std::string> models;
  std::vector<double> tflops;
  std::vector<double> rep;  // the score the reference expects per provider
};

World generate(uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  World w;
  const SigningKey buyer = key_of(1), stranger = key_of(2);
  const int providers = 2 + pick(4);
  std::vector<SigningKey> pk;
  std::vector<std::string> profile_ids;
  std::vector<json> hardware;  // what lease-bid bid writes from each profile
  for (int p = 0; p < providers; ++p) {
    pk.push_back(key_of(static_cast<uint8_t>(10 + p)));
    w.models.push_back(pick(2) ? "H100" : "A100");
    w.tflops.push_back(pick(2) ? 20.0 : 5.0);
    json prof = {{"kind", "profile"}, {"v", 1}, {"device", "cuda"},
                 {"summary", {{"gpu_model", w.models[p]}, {"exact_gemm_tflops", w.tflops[p]}, {"gpu_count", 1}}}};
    sign_message(prof, pk[p]);
    profile_ids.push_back(prof["id"]);
    hardware.push_back(read_hardware(prof, public_key_ref(pk[p].public_key)).to_json());
    w.messages.push_back(prof);
    // Reputation: maybe one trusted (buyer-signed) and one untrusted; the
    // newest trusted counts.
    w.rep.push_back(kPriorReputation);
    int64_t newest = 0;
    for (int r = pick(3); r > 0; --r) {
      const bool trusted = pick(3) != 0;
      const double score = 0.1 * (1 + pick(9));
      const int64_t as_of = kNow - 100 * (1 + pick(50));
      json m = {{"kind", "reputation"}, {"v", 1}, {"provider", public_key_ref(pk[p].public_key)},
                {"accepted", 1}, {"rejected", 1}, {"score", score}, {"as_of", format_rfc3339(as_of)}};
      sign_message(m, trusted ? buyer : stranger);
      if (trusted && as_of > newest) newest = as_of, w.rep[p] = score;
      w.messages.push_back(m);
    }
  }
  static const char* kNeeds[] = {"", "summary.gpu_model == 'H100'", "summary.exact_gemm_tflops >= 10"};
  LeaseOptions opt;
  const int orders = 1 + pick(8);
  for (int o = 0; o < orders; ++o) {
    OrderTruth ot;
    ot.foreign = pick(6) == 0;
    ot.max_price = 50 + pick(60);
    ot.min_rep = pick(3) == 0 ? 0.5 : 0;
    ot.need = pick(3);
    json task = {{"kind", "task"}, {"v", 1}, {"type", "gemm"}, {"flops", 1e9}, {"index", o}, {"seed", seed}};
    set_message_id(task);
    opt.max_price = ot.max_price;
    opt.min_reputation = ot.min_rep;
    NeedExpr need;
    std::string err;
    NeedExpr::parse(kNeeds[ot.need], &need, &err);
    json order = make_order(task, opt, need, kNow, kNow + 3600, ot.foreign ? stranger : buyer);
    w.messages.push_back(order);
    // The same order again: still one order, one lease.
    if (pick(5) == 0) w.messages.push_back(order), ot.copies = 2;
    for (int b = pick(7); b > 0; --b) {
      Truth t;
      const int p = pick(providers);
      t.provider = public_key_ref(pk[p].public_key);
      t.price = 40 + pick(80);  // few distinct prices: ties happen
      t.expired = pick(8) == 0;
      t.profile_of = pick(6) == 0 ? pick(providers) : p;
      // Two machines that measure alike have profiles with one id.
      t.own_profile = profile_ids[t.profile_of] == profile_ids[p];
      t.forged = pick(8) == 0;
      json bid = {{"kind", "bid"}, {"v", 1}, {"order", order["id"]}, {"task", task["id"]},
                  {"provider", t.provider}, {"profile", profile_ids[t.profile_of]}, {"price_micros", t.price},
                  {"deposit_micros", 0}, {"nonce", rng()},
                  {"expires", format_rfc3339(t.expired ? kNow - 1 : kNow + 600)}, {"created", format_rfc3339(kNow)}};
      // Mostly the named profile's hardware; else none, not an object, a
      // field left out, or a field that claims more than was measured.
      static const char* kFields[] = {"device", "gpu_model", "gpu_count", "gpu_memory_bytes", "cpu_model",
                                      "exact_gemm_tflops"};
      json hw = hardware[t.profile_of];
      t.honest_hardware = true;
      bool omit = false;
      switch (pick(12)) {
        case 0: omit = true, t.honest_hardware = false; break;
        case 1: hw = "H100", t.honest_hardware = false; break;
        case 2: hw.erase(kFields[pick(6)]), t.honest_hardware = false; break;
        case 3: hw[kFields[pick(6)]] = 141000000000, t.honest_hardware = false; break;
        case 4: hw["extra"] = 1; break;  // more than bid writes is not a claim on the profile
        default: break;
      }
      if (!omit) bid["hardware"] = hw;
      sign_message(bid, pk[p]);
      if (t.forged) {  // a lower price written in after signing
        bid["price_micros"] = 1;
        t.price = 1;
        bid["id"] = message_id(bid);  // even with an honest id the signature fails
      }
      t.id = bid["id"];
      ot.bids.push_back(t);
      w.messages.push_back(bid);
    }
    w.orders.push_back(ot);
  }
  std::shuffle(w.messages.begin(), w.messages.end(), rng);
  return w;
}

struct Expect {
  bool filled;
  std::string winner;
  int64_t price;
};

// Brute force: keep the valid bids by the generator's truth, sort them
// all by (price, -reputation, id), take the first.
std::vector<Expect> reference(const World& w, bool second_price, std::vector<int>* order_index) {
  std::vector<Expect> out;
  for (size_t o = 0; o < w.orders.size(); ++o) {
    const OrderTruth& ot = w.orders[o];
    if (ot.foreign) continue;
    struct V { int64_t price; double rep; std::string id, provider; };
    std::vector<V> valid;
    for (const Truth& t : ot.bids) {
      const int p = t.profile_of;
      const bool need = ot.need == 0 || (ot.need == 1 ? w.models[p] == "H100" : w.tflops[p] >= 10);
      int self = -1;
      for (size_t q = 0; q < w.rep.size(); ++q)
        if (public_key_ref(key_of(static_cast<uint8_t>(10 + q)).public_key) == t.provider) self = static_cast<int>(q);
      const double rep = w.rep[self];
      if (!t.forged && !t.expired && t.own_profile && t.honest_hardware && need && t.price <= ot.max_price && rep >= ot.min_rep)
        valid.push_back({t.price, rep, t.id, t.provider});
    }
    std::sort(valid.begin(), valid.end(), [](const V& a, const V& b) {
      return std::make_tuple(a.price, -a.rep, a.id) < std::make_tuple(b.price, -b.rep, b.id);
    });
    Expect e{!valid.empty(), "", 0};
    if (e.filled) {
      e.winner = valid[0].id;
      e.price = valid[0].price;
      if (second_price)
        for (size_t i = 1; i < valid.size(); ++i)
          if (valid[i].provider != valid[0].provider) {
            e.price = valid[i].price;
            break;
          }
    }
    out.push_back(e);
    order_index->push_back(static_cast<int>(o));
  }
  return out;
}

void check_seed(uint32_t seed, bool second_price) {
  SCOPED_TRACE("seed " + std::to_string(seed) + (second_price ? " second-price" : " first-price"));
  World w = generate(seed);
  Auction a(2);
  for (json& m : w.messages) a.add(m);
  AwardConfig cfg;
  cfg.buyer = public_key_ref(key_of(1).public_key);
  cfg.now = kNow;
  cfg.second_price = second_price;
  std::vector<AwardOutcome> got = a.run(cfg);
  std::vector<int> index;
  std::vector<Expect> want = reference(w, second_price, &index);
  // The award keeps input order, which the shuffle changed: match by task.
  ASSERT_EQ(got.size(), want.size());
  size_t foreign = 0;
  // Each copy of a foreign order is counted as skipped.
  for (const OrderTruth& ot : w.orders) foreign += ot.foreign ? ot.copies : 0;
  EXPECT_EQ(a.foreign_orders(), foreign);
  for (const AwardOutcome& r : got) {
    const int o = (*r.order->msg)["task"]["index"].get<int>();
    auto at = std::find(index.begin(), index.end(), o);
    ASSERT_NE(at, index.end());
    const Expect& e = want[at - index.begin()];
    SCOPED_TRACE("order " + std::to_string(o));
    std::string reasons;
    for (const std::string& why : r.reasons) reasons += "\n  " + why;
    ASSERT_EQ(r.filled(), e.filled) << reasons;
    if (!e.filled) {
      EXPECT_FALSE(r.reasons.empty());
      continue;
    }
    EXPECT_EQ((*r.bid)["id"], e.winner);
    EXPECT_EQ(r.price, e.price);
  }
}

TEST(LeaseAward, MatchesBruteForceFirstPrice) {
  for (uint32_t seed = 1; seed <= 150; ++seed) check_seed(seed, false);
}

TEST(LeaseAward, MatchesBruteForceSecondPrice) {
  for (uint32_t seed = 1001; seed <= 1150; ++seed) check_seed(seed, true);
}

TEST(LeaseAward, LeaseIsSignedByTheBuyerAndCarriesTheWinner) {
  World w = generate(7);
  Auction a;
  for (json& m : w.messages) a.add(m);
  AwardConfig cfg;
  cfg.buyer = public_key_ref(key_of(1).public_key);
  cfg.now = kNow;
  for (const AwardOutcome& r : a.run(cfg)) {
    if (!r.filled()) continue;
    json lease = make_lease(r, cfg, key_of(1));
    std::string signer;
    EXPECT_TRUE(check_signature(lease, &signer).ok());
    EXPECT_EQ(signer, cfg.buyer);
    EXPECT_EQ(lease["bid"], *r.bid);
    EXPECT_EQ(lease["order"]["task"]["id"], lease["task"]);
    EXPECT_EQ(lease["rule"], "first-price");
  }
}

TEST(LeaseAward, OtherKindsAreBadInput) {
  Auction a;
  EXPECT_THROW(a.add(json{{"kind", "task"}, {"v", 1}}), Error);
  EXPECT_THROW(a.add(json{{"kind", "order"}, {"v", 1}}), Error);  // missing fields
}

}  // namespace
}  // namespace grid
