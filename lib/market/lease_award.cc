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
#include "core/timestamp.h"
#include "core/tool.h"

namespace grid {

namespace {

struct ProfileCheck {
  const json* msg = nullptr;
  SignatureCheck sig;
  // What lease-bid bid writes as a bid's hardware from this profile, read
  // once per profile; or why the profile has none (then its bids fail).
  json hardware;
  std::string hardware_error;
};

ProfileCheck read_profile(const json& m, const SignatureCheck& sig) {
  ProfileCheck p{&m, sig, json(), ""};
  auto s = m.find("summary");
  if (s == m.end()) p.hardware_error = "its profile has no summary";
  else if (!s->is_object()) p.hardware_error = "its profile's summary is " + s->dump() + ", not an object";
  else {
    try {
      p.hardware = read_hardware(m, sig.signer).to_json();
    } catch (const Error& e) {
      p.hardware_error = "its profile: " + e.describe();
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
std::string hardware_mismatch(const json& bid, const ProfileCheck& p) {
  // The bid is invalid, not the whole award: a provider's own bad profile
  // must not stop every other order.
  if (!p.hardware_error.empty()) return p.hardware_error;
  auto hw = bid.find("hardware");
  if (hw == bid.end()) return "it has no hardware";
  if (!hw->is_object()) return "its hardware is " + hw->dump() + ", not an object";
  for (auto it = p.hardware.begin(); it != p.hardware.end(); ++it) {
    auto h = hw->find(it.key());
    if (h == hw->end()) return "its hardware has no " + it.key() + ", its profile " + it->dump();
    if (*h != *it) return "its hardware says " + it.key() + " " + h->dump() + ", its profile " + it->dump();
  }
  return "";
}

std::string short_id(const std::string& id) { return id.size() > 19 ? id.substr(0, 19) + "..." : id; }

}  // namespace

void Auction::add(json m, const SignatureCheck* checked) {
  auto [msg, sig] = store(std::move(m));
  if (checked) *sig = *checked;
  else unchecked_.emplace_back(msg, sig);
}

bool Auction::takes(const json& m) {
  if (!m.is_object() || !m.contains("kind") || !m["kind"].is_string()) return true;  // add() names what is wrong
  const std::string& kind = m["kind"].get_ref<const std::string&>();
  return kind == "order" || kind == "bid" || kind == "profile" || kind == "reputation";
}

void Auction::add(json m, SignatureCheck&& checked) { *store(std::move(m)).second = std::move(checked); }

std::pair<const json*, SignatureCheck*> Auction::store(json m) {
  check_envelope(m);
  const std::string& kind = m["kind"].get_ref<const std::string&>();
  std::deque<json>* to;
  std::deque<SignatureCheck>* sig;
  if (kind == "order") {
    orders_msg_.push_back(std::move(m));
    orders_.emplace_back();
    try {
      read_order(orders_msg_.back(), &orders_.back());
    } catch (...) {
      orders_.pop_back();
      orders_msg_.pop_back();
      throw;
    }
    to = &orders_msg_, sig = &orders_sig_;
  } else if (kind == "bid") {
    to = &bids_, sig = &bids_sig_;
    to->push_back(std::move(m));
  } else if (kind == "profile") {
    to = &profiles_, sig = &profiles_sig_;
    to->push_back(std::move(m));
  } else if (kind == "reputation") {
    to = &reputations_, sig = &reputations_sig_;
    to->push_back(std::move(m));
  } else {
    throw data_error("expected an order, bid, profile or reputation message, got a " + kind, ".kind");
  }
  // Deques keep their elements in place as they grow: the pointers hold.
  return {&to->back(), &sig->emplace_back()};
}

std::vector<AwardOutcome> Auction::run(const AwardConfig& cfg) {
  parallel_for(unchecked_.size(), threads_,
               [&](size_t i) { *unchecked_[i].second = check_message(*unchecked_[i].first); });
  unchecked_.clear();
  const std::deque<SignatureCheck>& order_sig = orders_sig_;
  const std::deque<SignatureCheck>& bid_sig = bids_sig_;
  const std::deque<SignatureCheck>& profile_sig = profiles_sig_;
  const std::deque<SignatureCheck>& rep_sig = reputations_sig_;

  // By id; two machines may measure alike, so one id can have several signers.
  std::unordered_map<std::string, std::vector<ProfileCheck>> profiles;
  for (size_t i = 0; i < profiles_.size(); ++i) {
    auto id = profiles_[i].find("id");
    if (id != profiles_[i].end() && id->is_string())
      profiles[id->get<std::string>()].push_back(read_profile(profiles_[i], profile_sig[i]));
  }
  // The profile with that id signed by `provider`, else the first one (to name what is wrong with it).
  auto profile_for = [&](const std::string& id, const std::string& provider) -> const ProfileCheck* {
    auto it = profiles.find(id);
    if (it == profiles.end()) return nullptr;
    for (const ProfileCheck& p : it->second)
      if (p.sig.ok && p.sig.signer == provider) return &p;
    return &it->second.front();
  };

  // The newest trusted score of each provider.
  std::set<std::string> trusted = cfg.reputation_by;
  if (trusted.empty()) trusted.insert(cfg.buyer);
  std::unordered_map<std::string, std::pair<int64_t, double>> reputation;
  for (size_t i = 0; i < reputations_.size(); ++i) {
    const json& r = reputations_[i];
    if (!rep_sig[i].ok || !trusted.count(rep_sig[i].signer)) continue;
    try {
      const std::string provider = get_string(r, "provider", "");
      const double score = get_number(r, "score", "", 0, 1);
      const int64_t as_of = get_time(r, "as_of", "");
      auto it = reputation.find(provider);
      if (it == reputation.end() || as_of > it->second.first) reputation[provider] = {as_of, score};
    } catch (const Error&) {
      // A trusted but malformed score counts as none.
    }
  }
  auto score_of = [&](const std::string& provider) {
    auto it = reputation.find(provider);
    return it == reputation.end() ? kPriorReputation : it->second.second;
  };

  // Keyed by views of the bids' own strings (the deque keeps them in place):
  // copying a hundred thousand ids here was serial time.
  std::unordered_map<std::string_view, std::vector<size_t>> bids_by_order;
  bids_by_order.reserve(orders_.size());
  for (size_t i = 0; i < bids_.size(); ++i) {
    auto o = bids_[i].find("order");
    if (o != bids_[i].end() && o->is_string())
      bids_by_order[o->get_ref<const std::string&>()].push_back(i);
  }

  // Orders are decided independently of one another, so on a few threads;
  // the outcomes keep input order.
  std::vector<AwardOutcome> all(orders_.size());
  // 1: not the buyer's; 2: the same order again (one order, one lease).
  std::vector<char> skip(orders_.size(), 0);
  std::unordered_set<std::string_view> seen;
  for (size_t oi = 0; oi < orders_.size(); ++oi) {
    const Order& order = orders_[oi];
    if (!order_sig[oi].ok || order_sig[oi].signer != cfg.buyer || order.buyer != cfg.buyer) skip[oi] = 1;
    else if (!seen.insert(order.id).second) skip[oi] = 2;
  }
  parallel_for(orders_.size(), threads_, [&](size_t oi) {
    const Order& order = orders_[oi];
    if (skip[oi]) return;
    AwardOutcome& r = all[oi];
    r.order = &order;
    if (order.deadline <= cfg.now) {
      r.reasons.push_back("its deadline " + format_rfc3339(order.deadline) + " has passed");
      return;
    }
    std::vector<Contender> valid;
    auto found = bids_by_order.find(order.id);
    if (found != bids_by_order.end())
      for (size_t bi : found->second) {
        const json& b = bids_[bi];
        std::string why;
        Contender c{&b, b.value("id", std::string()), "", 0, 0};
        try {
          c.provider = get_string(b, "provider", "");
          c.price = get_int(b, "price_micros", "", 1, int64_t{1} << 53);
          const std::string task = get_string(b, "task", "");
          const std::string profile_id = get_string(b, "profile", "");
          const int64_t expires = get_time(b, "expires", "");
          const int64_t deposit = get_int_opt(b, "deposit_micros", "", 0, int64_t{1} << 53).value_or(0);
          c.reputation = score_of(c.provider);
          const ProfileCheck* p = profile_for(profile_id, c.provider);
          std::string unmet;
          if (!bid_sig[bi].ok) why = "signature: " + bid_sig[bi].why;
          else if (bid_sig[bi].signer != c.provider) why = "signed by " + bid_sig[bi].signer + ", not its provider";
          else if (task != order.task_id) why = "it is for task " + task + ", the order for " + order.task_id;
          else if (expires <= cfg.now) why = "it expired at " + format_rfc3339(expires);
          else if (!p) why = "its profile " + profile_id + " is not among the inputs";
          else if (!p->sig.ok) why = "its profile is not trusted: " + p->sig.why;
          else if (p->sig.signer != c.provider)
            why = "its profile is signed by " + p->sig.signer + ", another key than the bidder's";
          else if (std::string bad = hardware_mismatch(b, *p); !bad.empty()) why = bad;
          else if (!order.need.eval(*p->msg, &unmet)) why = "the requirement is not met: " + unmet;
          else if (c.price > order.max_price)
            why = "price " + std::to_string(c.price) + " is above max_price_micros " + std::to_string(order.max_price);
          else if (deposit < order.bid_deposit)
            why = "deposit " + std::to_string(deposit) + " is below the order's " + std::to_string(order.bid_deposit);
          else if (c.reputation < order.min_reputation)
            why = "reputation " + std::to_string(c.reputation) + " is below min_reputation " +
                  std::to_string(order.min_reputation);
        } catch (const Error& e) {
          why = "malformed: " + e.describe();
        } catch (const json::exception& e) {
          // A profile's field of an unexpected type, met while reading it.
          why = std::string("malformed: ") + e.what();
        }
        if (why.empty()) valid.push_back(std::move(c));
        else r.reasons.push_back("bid " + short_id(c.id) + ": " + why);
      }
    r.valid_bids = valid.size();
    if (valid.empty()) {
      if (r.reasons.empty()) r.reasons.push_back("no bids");
      return;
    }
    const Contender& win = *std::min_element(valid.begin(), valid.end(), better);
    r.bid = win.bid;
    r.reputation = win.reputation;
    r.price = win.price;
    if (cfg.second_price) {
      // The lowest price of another provider: a winner's own second bid
      // must not raise what it is paid.
      const Contender* second = nullptr;
      for (const Contender& c : valid)
        if (c.provider != win.provider && (!second || c.price < second->price)) second = &c;
      if (second) r.price = second->price;
    }
    r.reasons.clear();
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
