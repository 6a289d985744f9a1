// The rules `lease-bid award` holds one bid to: whether it may compete for
// an order (signature, task, expiry, profile, hardware, requirement,
// price, deposit, reputation; the first rule broken is its reason), and
// how the valid ones rank. Apart from the auction (lease_award.h), which
// applies them lazily, so that a test can apply them to every bid as the
// reference the auction must match.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/signed_reader.h"
#include "core/status.h"
#include "market/lease_order.h"

namespace grid {

struct AwardConfig {
  std::string buyer;  // ed25519:<hex>: only this key's orders are awarded
  int64_t now = 0;
  bool second_price = false;
  // Signers whose reputation messages count; empty: the buyer alone.
  std::set<std::string> reputation_by;
};

// A reputation score when a provider has none (Beta(1,1) prior mean).
constexpr double kPriorReputation = 0.5;

// A message an award keeps, with its signature check: made already, or
// for a bid possibly pending (check_message_id_first), finished by
// bid_valid the first time a rule needs it.
struct AuctionMessage {
  json msg;
  SignatureCheck sig;
};
// Each order's bids, by index into the award's bids.
using BidsByOrder = std::unordered_map<std::string_view, std::vector<size_t>>;

struct ProfileCheck {
  const json* msg = nullptr;
  SignatureCheck sig;
  // What lease-bid bid writes as a bid's hardware from this profile, read
  // once per profile; when not ok, why the profile has none (then its
  // bids fail).
  json hardware;
  Status hardware_read = Status::Ok();
};

// The profiles by id; two machines may measure alike, so one id can have
// several signers.
class ProfileIndex {
 public:
  explicit ProfileIndex(const std::deque<AuctionMessage>& profiles);
  // The profile with that id signed by `provider`, else the first one (to
  // name what is wrong with it); nullptr when there is none.
  const ProfileCheck* find(const std::string& id, const std::string& provider) const;

 private:
  std::unordered_map<std::string, std::vector<ProfileCheck>> by_id_;
};

// The newest score of each provider signed by a trusted key.
class Reputations {
 public:
  Reputations(const std::deque<AuctionMessage>& reputations, const std::set<std::string>& trusted);
  double score_of(const std::string& provider) const;

 private:
  std::unordered_map<std::string, std::pair<int64_t, double>> newest_;  // provider: as_of, score
};

// What an award looks an order's bids up in. The bids are not const: a
// pending signature check is finished in place, so each bid must be
// judged by one thread at a time (a bid names one order, and each order
// id is decided once).
struct Market {
  const AwardConfig& cfg;
  std::deque<AuctionMessage>& bids;
  const BidsByOrder& by_order;
  const ProfileIndex& profiles;
  const Reputations& reputations;
};

// A bid as it ranks.
struct Contender {
  const json* bid;
  std::string id, provider;
  int64_t price;
  double reputation;
};

// Lowest price first, then higher reputation, then lower bid id.
bool better(const Contender& a, const Contender& b);

// A bid's id as its reasons name it. Any value may stand there (its
// signature check says what is wrong with it): it must name that bid, not
// end the award.
std::string bid_id_text(const json& bid);

// The id as a reason shows it: its first 19 characters.
std::string short_id(const std::string& id);

// Reads what the bid claims to rank by (provider, price, the provider's
// reputation) into *c, as bid_valid reads them; false when the bid is
// malformed there, and so cannot be valid.
bool read_rank(const json& bid, const Market& market, Contender* c);

// Whether bid `b` may compete for `order`, a malformed bid (or a profile
// field of an unexpected type, met while reading it) being a reason too;
// reads it into *c on the way (c->id is the caller's). Its signature
// check, when pending, is finished here, after the rules that come before
// it, and kept.
Status bid_valid(AuctionMessage& b, const Order& order, const Market& market, Contender* c);

}  // namespace grid
