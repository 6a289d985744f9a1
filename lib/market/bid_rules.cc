#include "market/bid_rules.h"

#include "core/error.h"
#include "core/fields.h"
#include "core/message.h"
#include "core/timestamp.h"
#include "market/lease_pricing.h"

namespace grid {

namespace {

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

void read_rank_or_throw(const json& b, const Market& market, Contender* c) {
  c->provider = get_string(b, "provider", "");
  c->price = get_int(b, "price_micros", "", 1, kMaxMicros);
  c->reputation = market.reputations.score_of(c->provider);
}

// The first rule the bid breaks; a malformed field is thrown.
Status bid_rules(AuctionMessage& m, const Order& order, const Market& market, Contender* c) {
  const json& b = m.msg;
  read_rank_or_throw(b, market, c);
  // References, not copies: this runs once per bid.
  const std::string& task = require_string(b, "task");
  const std::string& profile_id = require_string(b, "profile");
  const int64_t expires = get_time(b, "expires", "");
  const int64_t deposit = get_int_opt(b, "deposit_micros", "", 0, kMaxMicros).value_or(0);
  const AwardConfig& cfg = market.cfg;
  finish_check(b, &m.sig);
  const SignatureCheck& sig = m.sig;
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

}  // namespace

ProfileIndex::ProfileIndex(const std::deque<AuctionMessage>& profiles) {
  for (const AuctionMessage& k : profiles) {
    auto id = k.msg.find("id");
    if (id != k.msg.end() && id->is_string()) by_id_[id->get<std::string>()].push_back(read_profile(k.msg, k.sig));
  }
}

const ProfileCheck* ProfileIndex::find(const std::string& id, const std::string& provider) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return nullptr;
  for (const ProfileCheck& p : it->second)
    if (p.sig.status.ok() && p.sig.signer == provider) return &p;
  return &it->second.front();
}

Reputations::Reputations(const std::deque<AuctionMessage>& reputations, const std::set<std::string>& trusted) {
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

double Reputations::score_of(const std::string& provider) const {
  auto it = newest_.find(provider);
  return it == newest_.end() ? kPriorReputation : it->second.second;
}

bool better(const Contender& a, const Contender& b) {
  if (a.price != b.price) return a.price < b.price;
  if (a.reputation != b.reputation) return a.reputation > b.reputation;
  return a.id < b.id;
}

std::string bid_id_text(const json& bid) {
  auto id = bid.find("id");
  if (id == bid.end()) return "";
  return id->is_string() ? id->get<std::string>() : id->dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string short_id(const std::string& id) { return id.size() > 19 ? id.substr(0, 19) + "..." : id; }

bool read_rank(const json& bid, const Market& market, Contender* c) {
  try {
    read_rank_or_throw(bid, market, c);
    return true;
  } catch (const Error&) {
    return false;
  } catch (const json::exception&) {
    return false;
  }
}

Status bid_valid(AuctionMessage& b, const Order& order, const Market& market, Contender* c) {
  try {
    return bid_rules(b, order, market, c);
  } catch (const Error& e) {
    return Status::Fail("malformed: " + e.describe());
  } catch (const json::exception& e) {
    return Status::Fail(std::string("malformed: ") + e.what());
  }
}

}  // namespace grid
