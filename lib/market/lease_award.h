// `lease-bid award`: the buyer's reverse auction. Per order, the valid bids
// compete; the lowest price wins, ties go to the higher reputation, then to
// the lower bid id, so the same messages always give the same leases.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "market/lease_order.h"
#include "core/signed_reader.h"

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

struct AwardOutcome {
  const Order* order = nullptr;
  const json* bid = nullptr;  // the winner, when filled
  int64_t price = 0;          // what the lease pays
  double reputation = 0;      // the winner's
  size_t valid_bids = 0;
  // When unfilled: one line per bid that failed ("bid sha256:..: why"),
  // or why the order itself cannot be awarded.
  std::vector<std::string> reasons;
  bool filled() const { return bid != nullptr; }
};

// A message an Auction keeps, with its signature check (the reader's, or
// run()'s when there was none).
struct AuctionMessage {
  json msg;
  SignatureCheck sig;
};
// Each order's bids, by index into the auction's bids.
using BidsByOrder = std::unordered_map<std::string_view, std::vector<size_t>>;

struct AuctionOrder : AuctionMessage {
  Order order;  // read from msg by Auction::add()
};

// The messages of one award run. add() keeps them (orders are checked for
// shape at once, so an error names the input line); run() checks the
// signatures not checked yet, on a few threads, and decides.
class Auction {
 public:
  // threads: signature checkers for run(); <= 0: one per core.
  explicit Auction(int threads = 0) : threads_(threads) {}
  Auction(const Auction&) = delete;
  Auction& operator=(const Auction&) = delete;
  // Takes an order, bid, profile or reputation message, with its
  // signature check when the reader made it already; any other kind is
  // Exit::data. A malformed order is Exit::data naming the field.
  void add(json message, const SignatureCheck* checked = nullptr);
  // The same, taking over the reader's check.
  void add(json message, SignatureCheck&& checked);
  std::vector<AwardOutcome> run(const AwardConfig& config);
  // Whether add() takes a message of this kind (award --pass sends the
  // others on).
  static bool takes(const json& message);
  size_t orders() const { return orders_.size(); }
  size_t bids() const { return bids_.size(); }
  // Orders not signed by the buyer, skipped by the last run().
  size_t foreign_orders() const { return foreign_; }

 private:
  // Where add() put the message, for the overloads to fill in its check.
  AuctionMessage& store(json m);
  // The checks add() was not given, on threads_.
  void check_signatures();

  int threads_;
  // Deques keep their elements in place as they grow: pointers into them
  // (unchecked_, Order::msg, the outcomes) hold.
  std::deque<AuctionOrder> orders_;
  std::deque<AuctionMessage> bids_, profiles_, reputations_;
  std::vector<AuctionMessage*> unchecked_;
  // Each order's bids, by index into bids_, keyed by views of the bids' own
  // strings: filled as bids come, while the reader's threads check
  // signatures, not in a serial pass after (copying a hundred thousand ids
  // there was serial time too).
  BidsByOrder by_order_;
  size_t foreign_ = 0;
};

// The signed lease for a filled outcome.
json make_lease(const AwardOutcome& won, const AwardConfig& config, const SigningKey& key);

int lease_award_main(Tool& tool, const LeaseOptions& opt);

}  // namespace grid
