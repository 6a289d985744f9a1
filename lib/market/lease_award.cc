#include "market/lease_award.h"

#include <algorithm>
#include <exception>
#include <iostream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "core/fields.h"
#include "core/keyfile.h"
#include "core/parallel_for.h"
#include "market/lease_io.h"
#include "market/lease_pricing.h"
#include "core/message.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "core/tool.h"

namespace grid {

namespace {

struct ProfileCheck {
  const json* msg = nullptr;
  SignatureCheck sig;
  // What lease-bid bid writes as a bid's hardware from this profile, read
  // once per profile; when not ok, why the profile has none (then its
  // bids fail).
  json hardware;
  Status hardware_read = Status::Ok();
};

ProfileCheck read_profile(const json& m, const SignatureCheck& sig) {
  ProfileCheck p{&m, sig, json(), Status::Ok()};
  auto s = m.find("summary");
  if (s == m.end()) p.hardware_read = Status::Fail("its profile has no summary");
  else if (!s->is_object()) p.hardware_read = Status::Fail("its profile's summary is " + s->dump() + ", not an object");
  else {
    try {
      p.hardware = read_hardware(m, sig.signer).to_json();
    } catch (const Error& e) {
      p.hardware_read = Status::Fail("its profile: " + e.describe());
    }
  }
  return p;
}

struct Contender {
  const json* bid;
  std::string id, provider;
  int64_t price;
  double reputation;
};

// Lowest price first, then higher reputation, then lower bid id.
bool better(const Contender& a, const Contender& b) {
  if (a.price != b.price) return a.price < b.price;
  if (a.reputation != b.reputation) return a.reputation > b.reputation;
  return a.id < b.id;
}

// What the bid says it offers must be what its profile measured, field by
// field as lease-bid bid writes it: a lease consumer reads bid.hardware,
// the requirement was checked on the profile. A bid without it is invalid
// too (else a bid could leave out what it cannot honestly claim).
Status hardware_matches(const json& bid, const ProfileCheck& p) {
  // The bid is invalid, not the whole award: a provider's own bad profile
  // must not stop every other order.
  if (!p.hardware_read.ok()) return p.hardware_read;
  auto hw = bid.find("hardware");
  if (hw == bid.end()) return Status::Fail("it has no hardware");
  if (!hw->is_object()) return Status::Fail("its hardware is " + hw->dump() + ", not an object");
  for (auto it = p.hardware.begin(); it != p.hardware.end(); ++it) {
    auto h = hw->find(it.key());
    if (h == hw->end()) return Status::Fail("its hardware has no " + it.key() + ", its profile " + it->dump());
    if (*h != *it)
      return Status::Fail("its hardware says " + it.key() + " " + h->dump() + ", its profile " + it->dump());
  }
  return Status::Ok();
}

std::string short_id(const std::string& id) { return id.size() > 19 ? id.substr(0, 19) + "..." : id; }

// A bid's id as its reasons name it. Any value may stand there (its
// signature check says what is wrong with it): it must name that bid, not
// end the award.
std::string bid_id_text(const json& bid) {
  auto id = bid.find("id");
  if (id == bid.end()) return "";
  return id->is_string() ? id->get<std::string>() : id->dump(-1, ' ', false, json::error_handler_t::replace);
}

// The profiles by id; two machines may measure alike, so one id can have
// several signers.
class ProfileIndex {
 public:
  explicit ProfileIndex(const std::deque<AuctionMessage>& profiles) {
    for (const AuctionMessage& k : profiles) {
      auto id = k.msg.find("id");
      if (id != k.msg.end() && id->is_string())
        by_id_[id->get<std::string>()].push_back(read_profile(k.msg, k.sig));
    }
  }
  // The profile with that id signed by `provider`, else the first one (to
  // name what is wrong with it); nullptr when there is none.
  const ProfileCheck* find(const std::string& id, const std::string& provider) const {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return nullptr;
    for (const ProfileCheck& p : it->second)
      if (p.sig.status.ok() && p.sig.signer == provider) return &p;
    return &it->second.front();
  }

 private:
  std::unordered_map<std::string, std::vector<ProfileCheck>> by_id_;
};

// The newest score of each provider signed by a trusted key.
class Reputations {
 public:
  Reputations(const std::deque<AuctionMessage>& reputations, const std::set<std::string>& trusted) {
    for (const AuctionMessage& k : reputations) {
      if (!k.sig.status.ok() || !trusted.count(k.sig.signer)) continue;
      try {
        const std::string provider = get_string(k.msg, "provider", "");
        const double score = get_number(k.msg, "score", "", 0, 1);
        const int64_t as_of = get_time(k.msg, "as_of", "");
        auto it = newest_.find(provider);
        if (it == newest_.end() || as_of > it->second.first) newest_[provider] = {as_of, score};
      } catch (const Error&) {
        // A trusted but malformed score counts as none.
      }
    }
  }
  double score_of(const std::string& provider) const {
    auto it = newest_.find(provider);
    return it == newest_.end() ? kPriorReputation : it->second.second;
  }

 private:
  std::unordered_map<std::string, std::pair<int64_t, double>> newest_;  // provider: as_of, score
};

// What an award run looks an order's bids up in.
struct Market {
  const AwardConfig& cfg;
  const std::deque<AuctionMessage>& bids;
  const BidsByOrder& by_order;
  const ProfileIndex& profiles;
  const Reputations& reputations;
};

// Whether bid `b` (signature check `sig`) may compete for `order`; reads
// it into *c on the way. The first rule it breaks is the reason.
Status bid_valid(const json& b, const SignatureCheck& sig, const Order& order, const Market& market,
                 Contender* c) {
  c->provider = get_string(b, "provider", "");
  c->price = get_int(b, "price_micros", "", 1, int64_t{1} << 53);
  // References, not copies: this runs once per bid.
  const std::string& task = require_string(b, "task");
  const std::string& profile_id = require_string(b, "profile");
  const int64_t expires = get_time(b, "expires", "");
  const int64_t deposit = get_int_opt(b, "deposit_micros", "", 0, int64_t{1} << 53).value_or(0);
  c->reputation = market.reputations.score_of(c->provider);
  const AwardConfig& cfg = market.cfg;
  if (!sig.status.ok()) return Status::Fail("signature: " + sig.status.reason());
  if (sig.signer != c->provider) return Status::Fail("signed by " + sig.signer + ", not its provider");
  if (task != order.task_id) return Status::Fail("it is for task " + task + ", the order for " + order.task_id);
  if (expires <= cfg.now) return Status::Fail("it expired at " + format_rfc3339(expires));
  const ProfileCheck* p = market.profiles.find(profile_id, c->provider);
  if (!p) return Status::Fail("its profile " + profile_id + " is not among the inputs");
  if (!p->sig.status.ok()) return Status::Fail("its profile is not trusted: " + p->sig.status.reason());
  if (p->sig.signer != c->provider)
    return Status::Fail("its profile is signed by " + p->sig.signer + ", another key than the bidder's");
  if (Status hw = hardware_matches(b, *p); !hw.ok()) return hw;
  if (std::string unmet; !order.need.eval(*p->msg, &unmet))
    return Status::Fail("the requirement is not met: " + unmet);
  if (c->price > order.max_price)
    return Status::Fail("price " + std::to_string(c->price) + " is above max_price_micros " +
                        std::to_string(order.max_price));
  if (deposit < order.bid_deposit)
    return Status::Fail("deposit " + std::to_string(deposit) + " is below the order's " +
                        std::to_string(order.bid_deposit));
  if (c->reputation < order.min_reputation)
    return Status::Fail("reputation " + std::to_string(c->reputation) + " is below min_reputation " +
                        std::to_string(order.min_reputation));
  return Status::Ok();
}

// The same, with a malformed bid (or profile field of an unexpected type,
// met while reading it) a reason too.
Status bid_valid_or_malformed(const json& b, const SignatureCheck& sig, const Order& order, const Market& market,
                              Contender* c) {
  try {
    return bid_valid(b, sig, order, market, c);
  } catch (const Error& e) {
    return Status::Fail("malformed: " + e.describe());
  } catch (const json::exception& e) {
    return Status::Fail(std::string("malformed: ") + e.what());
  }
}

// Fills *r from the valid bids: the best wins; under second_price it is
// paid the lowest price of another provider (a winner's own second bid
// must not raise what it is paid).
void award_best(const std::vector<Contender>& valid, bool second_price, AwardOutcome* r) {
  const Contender& win = *std::min_element(valid.begin(), valid.end(), better);
  r->bid = win.bid;
  r->reputation = win.reputation;
  r->price = win.price;
  if (second_price) {
    const Contender* second = nullptr;
    for (const Contender& c : valid)
      if (c.provider != win.provider && (!second || c.price < second->price)) second = &c;
    if (second) r->price = second->price;
  }
  r->reasons.clear();
}

// One order's outcome: the winner, or a reason per bid that failed.
AwardOutcome decide(const Order& order, const Market& market) {
  AwardOutcome r;
  r.order = &order;
  if (order.deadline <= market.cfg.now) {
    r.reasons.push_back("its deadline " + format_rfc3339(order.deadline) + " has passed");
    return r;
  }
  std::vector<Contender> valid;
  auto found = market.by_order.find(order.id);
  if (found != market.by_order.end())
    for (size_t bi : found->second) {
      const AuctionMessage& b = market.bids[bi];
      Contender c{&b.msg, bid_id_text(b.msg), "", 0, 0};
      const Status s = bid_valid_or_malformed(b.msg, b.sig, order, market, &c);
      if (s.ok()) valid.push_back(std::move(c));
      else r.reasons.push_back("bid " + short_id(c.id) + ": " + s.reason());
    }
  r.valid_bids = valid.size();
  if (valid.empty()) {
    if (r.reasons.empty()) r.reasons.push_back("no bids");
    return r;
  }
  award_best(valid, market.cfg.second_price, &r);
  return r;
}

}  // namespace

void Auction::add(json m, const SignatureCheck* checked) {
  AuctionMessage& k = store(std::move(m));
  if (checked) k.sig = *checked;
  else unchecked_.push_back(&k);
}

bool Auction::takes(const json& m) {
  if (!m.is_object() || !m.contains("kind") || !m["kind"].is_string()) return true;  // add() names what is wrong
  const std::string& kind = m["kind"].get_ref<const std::string&>();
  return kind == "order" || kind == "bid" || kind == "profile" || kind == "reputation";
}

void Auction::add(json m, SignatureCheck&& checked) { store(std::move(m)).sig = std::move(checked); }

AuctionMessage& Auction::store(json m) {
  check_envelope(m);
  const std::string& kind = m["kind"].get_ref<const std::string&>();
  if (kind == "order") {
    AuctionOrder& o = orders_.emplace_back();
    o.msg = std::move(m);
    try {
      read_order(o.msg, &o.order);
    } catch (...) {
      orders_.pop_back();
      throw;
    }
    return o;
  }
  std::deque<AuctionMessage>* to = kind == "bid"          ? &bids_
                         : kind == "profile"    ? &profiles_
                         : kind == "reputation" ? &reputations_
                                                : nullptr;
  if (!to) throw data_error("expected an order, bid, profile or reputation message, got a " + kind, ".kind");
  AuctionMessage& k = to->emplace_back(AuctionMessage{std::move(m), SignatureCheck()});
  if (to == &bids_) {
    auto o = k.msg.find("order");
    if (o != k.msg.end() && o->is_string()) by_order_[o->get_ref<const std::string&>()].push_back(bids_.size() - 1);
  }
  return k;
}

void Auction::check_signatures() {
  parallel_for(unchecked_.size(), threads_, [&](size_t i) { unchecked_[i]->sig = check_message(unchecked_[i]->msg); });
  unchecked_.clear();
}

std::vector<AwardOutcome> Auction::run(const AwardConfig& cfg) {
  check_signatures();
  const ProfileIndex profiles(profiles_);
  std::set<std::string> trusted = cfg.reputation_by;
  if (trusted.empty()) trusted.insert(cfg.buyer);
  const Reputations reputations(reputations_, trusted);
  const Market market{cfg, bids_, by_order_, profiles, reputations};

  // 1: not the buyer's; 2: the same order again (one order, one lease).
  std::vector<char> skip(orders_.size(), 0);
  std::unordered_set<std::string_view> seen;
  for (size_t oi = 0; oi < orders_.size(); ++oi) {
    const AuctionOrder& o = orders_[oi];
    if (!o.sig.status.ok() || o.sig.signer != cfg.buyer || o.order.buyer != cfg.buyer) skip[oi] = 1;
    else if (!seen.insert(o.order.id).second) skip[oi] = 2;
  }
  // Orders are decided independently of one another, so on a few threads;
  // the outcomes keep input order.
  std::vector<AwardOutcome> all(orders_.size());
  parallel_for(orders_.size(), threads_, [&](size_t oi) {
    if (!skip[oi]) all[oi] = decide(orders_[oi].order, market);
  });
  std::vector<AwardOutcome> out;
  out.reserve(all.size());
  foreign_ = 0;
  for (size_t oi = 0; oi < all.size(); ++oi) {
    if (skip[oi] == 1) ++foreign_;
    else if (!skip[oi]) out.push_back(std::move(all[oi]));
  }
  return out;
}

json make_lease(const AwardOutcome& won, const AwardConfig& cfg, const SigningKey& key) {
  json lease = {{"kind", "lease"},
                {"v", kMessageVersion},
                {"order", *won.order->msg},
                {"bid", *won.bid},
                {"buyer", won.order->buyer},
                {"provider", (*won.bid)["provider"]},
                {"task", won.order->task_id},
                {"price_micros", won.price},
                {"rule", cfg.second_price ? "second-price" : "first-price"},
                {"deadline", (*won.order->msg)["deadline"]},
                {"awarded", format_rfc3339(cfg.now)}};
  sign_message(lease, key);
  return lease;
}

int lease_award_main(Tool& tool, const LeaseOptions& opt) {
  if (opt.rule != "first-price" && opt.rule != "second-price")
    throw Error(Exit::usage, "--rule must be first-price or second-price");
  AwardConfig cfg;
  cfg.now = resolve_now(opt.now);
  cfg.second_price = opt.rule == "second-price";
  for (const std::string& by : opt.reputation_by) {
    std::array<uint8_t, 32> pub;
    if (!parse_public_key_ref(by, &pub)) throw Error(Exit::usage, "--reputation-by " + by + ": expected ed25519:<64 hex digits>");
    cfg.reputation_by.insert(by);
  }
  if (tool.key_path().empty()) throw Error(Exit::usage, "leases are signed by the buyer: give --key or set GRID_KEY");
  const SigningKey key = load_key(tool.key_path());
  cfg.buyer = public_key_ref(key.public_key);

  // Not freed: the process ends right after the award, and freeing a
  // hundred thousand parsed messages one by one took ~0.4 s (freeing them
  // on several threads was slower still). Kept reachable for leak checkers.
  static Auction* kept = nullptr;
  kept = new Auction;
  Auction& auction = *kept;
  for (const std::string& p : opt.profiles)
    each_checked_message(tool, {p}, 0, [&](json& m, SignatureCheck& c, const Position&) {
      check_envelope(m);
      if (m["kind"] != "profile") throw data_error("--profiles holds a " + m["kind"].get<std::string>() + ", not a profile", ".kind");
      auction.add(std::move(m), std::move(c));
    });
  LeaseOutput out(opt.publish);
  each_checked_message(tool, opt.inputs, 0, [&](json& m, SignatureCheck& c, const Position& at) {
    if (opt.pass && !Auction::takes(m)) return out.write_line(at.text + "\n");
    auction.add(std::move(m), std::move(c));
  });
  // The natural pipe `lease-bid bid | lease-bid award` loses the orders
  // (bid consumes them): say so instead of awarding nothing in silence.
  if (auction.orders() == 0 && auction.bids() > 0)
    throw Error(Exit::no_input, std::to_string(auction.bids()) +
                                    " bid(s) and no order: award needs the orders too "
                                    "(e.g. cat orders.jsonl bids.jsonl | lease-bid award)");
  const std::vector<AwardOutcome> outcomes = auction.run(cfg);
  if (auction.foreign_orders() > 0)
    tool.note(std::to_string(auction.foreign_orders()) + " order(s) not signed by the --key " + cfg.buyer + " skipped");

  // Leases are made and signed on a few threads (signing is deterministic),
  // then written in order; a failure shows where the serial loop met it.
  std::vector<std::string> lines(outcomes.size());
  std::vector<std::exception_ptr> failed(outcomes.size());
  parallel_for(outcomes.size(), 0, [&](size_t i) {
    if (!outcomes[i].filled()) return;
    try {
      lines[i] = make_lease(outcomes[i], cfg, key).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    } catch (...) {
      failed[i] = std::current_exception();
    }
  });
  size_t unfilled = 0;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const AwardOutcome& r = outcomes[i];
    if (failed[i]) std::rethrow_exception(failed[i]);
    if (r.filled()) {
      out.write_line(lines[i]);
      std::string().swap(lines[i]);
      continue;
    }
    ++unfilled;
    std::cerr << tool.name() << ": order " << r.order->id << " (task " << r.order->task_id << ") unfilled:";
    for (const std::string& why : r.reasons) std::cerr << "\n  " << why;
    std::cerr << std::endl;
  }
  out.finish();
  return unfilled > 0 ? static_cast<int>(Exit::negative) : 0;
}

}  // namespace grid
