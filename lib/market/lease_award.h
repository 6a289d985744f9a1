// `lease-bid award`: the buyer's reverse auction. Per order, the valid bids
// compete; the lowest price wins, ties go to the higher reputation, then to
// the lower bid id, so the same messages always give the same leases.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "market/bid_rules.h"
#include "market/lease_order.h"
#include "core/signed_reader.h"

namespace grid {

struct AwardOutcome {
  const Order* order = nullptr;
  const json* bid = nullptr;  // the winner, when filled
  int64_t price = 0;          // what the lease pays
  double reputation = 0;      // the winner's
  // When unfilled: one line per bid that failed ("bid sha256:..: why"),
  // or why the order itself cannot be awarded.
  std::vector<std::string> reasons;
  bool filled() const { return bid != nullptr; }
};

struct AuctionOrder : AuctionMessage {
  Order order;  // read from msg by Auction::add()
};

// The messages of one award run. add() keeps them (orders are checked for
// shape at once, so an error names the input line); run() checks the
// signatures not checked yet, on a few threads, and decides. A bid's
// signature is verified only when it can change the outcome: for a filled
// order, the bids ranked above the winner by what they claim, the winner,
// and under second price the bids down to the first valid one of another
// provider; for an unfilled order every bid, each failure being a reason.
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
  // Whether the message is a bid, whose signature check may wait
  // (check_message_id_first) for run() to need it.
  static bool defers_signature(const json& message);
  size_t orders() const { return orders_.size(); }
  size_t bids() const { return bids_.size(); }
  // Orders not signed by the buyer, skipped by the last run().
  size_t foreign_orders() const { return foreign_; }
  // Bids whose Ed25519 signature no run() has needed so far.
  size_t bids_unverified() const;

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
