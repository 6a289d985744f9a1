#include "market/lease_award.h"

#include <algorithm>
#include <exception>
#include <iostream>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "core/error.h"
#include "core/keyfile.h"
#include "core/parallel_for.h"
#include "market/lease_io.h"
#include "core/message.h"
#include "core/status.h"
#include "core/text_pad.h"
#include "core/timestamp.h"
#include "core/tool.h"

namespace grid {

namespace {

// One order's outcome: the winner, or a reason per bid that failed. The
// bids are judged in the order of what they claim (read_rank), best
// first, ties in input order, the order in which min_element over the
// valid bids would take them: the first valid one is the winner, and the
// first valid one of another provider after it has the lowest price among
// the others' valid bids (what second price pays). Judging stops there, so
// a bid that cannot change the outcome is never verified; when no bid is
// valid every bid was judged, and its reason is reported in input order.
AwardOutcome decide(const Order& order, const Market& market) {
  AwardOutcome r;
  r.order = &order;
  if (order.deadline <= market.cfg.now) {
    r.reasons.push_back("its deadline " + format_rfc3339(order.deadline) + " has passed");
    return r;
  }
  auto found = market.by_order.find(order.id);
  if (found == market.by_order.end()) {
    r.reasons.push_back("no bids");
    return r;
  }
  const std::vector<size_t>& bids = found->second;
  std::vector<Contender> claims(bids.size());
  std::vector<size_t> ranked;  // into bids: those whose claims read, best first
  ranked.reserve(bids.size());
  for (size_t k = 0; k < bids.size(); ++k) {
    const json& b = market.bids[bids[k]].msg;
    claims[k] = Contender{&b, bid_id_text(b), "", 0, 0};
    if (read_rank(b, market, &claims[k])) ranked.push_back(k);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [&](size_t a, size_t b) { return better(claims[a], claims[b]); });
  std::vector<std::optional<Status>> judged(bids.size());
  auto valid = [&](size_t k) {
    Contender read = claims[k];
    judged[k] = bid_valid(market.bids[bids[k]], order, market, &read);
    return judged[k]->ok();
  };
  size_t next = 0;
  while (next < ranked.size() && !valid(ranked[next])) ++next;
  if (next < ranked.size()) {
    const Contender& win = claims[ranked[next]];
    r.bid = win.bid;
    r.reputation = win.reputation;
    r.price = win.price;
    // A winner's own second bid must not raise what it is paid.
    if (market.cfg.second_price)
      while (++next < ranked.size()) {
        const Contender& c = claims[ranked[next]];
        if (c.provider != win.provider && valid(ranked[next])) {
          r.price = c.price;
          break;
        }
      }
    return r;
  }
  for (size_t k = 0; k < bids.size(); ++k) {
    if (!judged[k]) valid(k);
    r.reasons.push_back("bid " + short_id(claims[k].id) + ": " + judged[k]->reason());
  }
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

bool Auction::defers_signature(const json& m) {
  if (!m.is_object()) return false;
  auto kind = m.find("kind");
  return kind != m.end() && *kind == "bid";
}

size_t Auction::bids_unverified() const {
  return std::count_if(bids_.begin(), bids_.end(), [](const AuctionMessage& b) { return b.sig.signature_pending; });
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
  parallel_for(unchecked_.size(), threads_,
               [&](size_t i) { unchecked_[i]->sig = check_message(unchecked_[i]->msg, defers_signature); });
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
    const std::optional<std::string> key = key_ref_from_text(by);
    if (!key) throw Error(Exit::usage, "--reputation-by " + by + ": expected ed25519:<64 hex digits>");
    cfg.reputation_by.insert(*key);
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
  each_checked_message(
      tool, opt.inputs, 0,
      [&](json& m, SignatureCheck& c, const Position& at) {
        if (opt.pass && !Auction::takes(m)) return out.write_line(at.text + "\n");
        auction.add(std::move(m), std::move(c));
      },
      Auction::defers_signature);
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
    for (const std::string& why : r.reasons) std::cerr << "\n  " << one_line(why);
    std::cerr << std::endl;
  }
  out.finish();
  return unfilled > 0 ? static_cast<int>(Exit::negative) : 0;
}

}  // namespace grid
