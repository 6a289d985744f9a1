#include "market/lease_bid.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <unordered_set>

#include "core/error.h"
#include "core/fields.h"
#include "core/keyfile.h"
#include "market/lease_io.h"
#include "market/lease_price_akash.h"
#include "market/lease_price_script.h"
#include "core/message.h"
#include "core/net.h"
#include "core/timestamp.h"
#include "core/tool.h"
#include "core/text_pad.h"

namespace grid {

namespace {

// How a bid whose run time fell back to flops says so, with why after it:
// the warning (once a reason) and --explain (each order) alike.
constexpr const char* kFlopsFallback = "run time estimated from flops at the exact GEMM rate, not the task's kind: ";

// Seconds for --explain, however large (a profile may claim a rate near
// zero): printed from the double, never cast past int64's range.
std::string whole_seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", std::ceil(s));
  return buf;
}

// One order on its way to a bid, or to the reason it got none.
struct Candidate {
  json msg;
  Order order;
  // Ok while it may still get a bid; once ruled out, why.
  Status status = Status::Ok();
  Estimate estimate;
  double seconds = 0;
  int64_t price = 0;
  json pricing;
  bool warn = false;  // said on stderr even without --explain
};

json load_profile(const std::string& path, const SigningKey& key, std::string* signer) {
  const std::string text = read_input(path, std::nullopt);
  const std::string line = text.substr(0, text.find('\n'));
  json p;
  try {
    p = parse_json_text(line);
    check_envelope(p);
    if (p["kind"] != "profile") throw data_error("expected a gpu-bench profile", ".kind");
    require_signature(p, "profile not trusted", signer);
    if (get_bool_opt(p, "faulty", "").value_or(false))
      throw data_error("the profile marks this machine faulty", ".faulty");
  } catch (Error& e) {
    e.at_line(1, path);
    throw;
  }
  if (*signer != public_key_ref(key.public_key))
    throw Error(Exit::usage, "--profile " + path + " is signed by " + *signer + ", not by the --key " +
                                 public_key_ref(key.public_key));
  return p;
}

}  // namespace

int64_t count_open_leases(Tool& tool, const std::string& path, const std::string& provider, int64_t now) {
  int64_t open = 0;
  tool.each_message({path}, [&](json& m, const Position&) {
    check_envelope(m);
    if (m["kind"] != "lease") throw data_error("--leases holds a " + m["kind"].get<std::string>() + ", not a lease", ".kind");
    if (m.contains("provider") && m["provider"] == provider && get_time(m, "deadline", "") > now) ++open;
  });
  return open;
}

json script_request(const Order& o, const Hardware& hw) {
  const json& task = (*o.msg)["task"];
  json r = {{"order", o.id},
            {"task", o.task_id},
            {"type", o.type},
            {"flops", whole_number(o.flops)},
            {"max_price_micros", o.max_price},
            {"deadline", (*o.msg)["deadline"]},
            {"bid_deposit_micros", o.bid_deposit},
            {"min_reputation", o.min_reputation},
            {"need", o.need.text()},
            {"estimated_seconds", estimated_seconds(o, hw)},
            {"hardware", hw.to_json()}};
  if (!o.type.empty() && task.contains(o.type)) r["spec"] = task[o.type];
  return r;
}

namespace {

// What one run knows before it reads any order.
struct Bidder {
  SigningKey key;
  std::string me;  // the provider, ed25519:<hex>
  json profile;
  Hardware hw;
  PricePolicy policy;
  int64_t now = 0, expires = 0;
  int64_t room = -1;  // bids this run may make; -1: no limit
  double script_timeout_s = 0;
  bool akash = false;  // --price-script-format akash
  AkashRates akash_rates;
  double margin = 1.5;
};

// The --price-script-format flags, checked: each Akash one only with akash,
// where --akash-denom-price is required.
void read_script_format(const LeaseOptions& opt, Bidder* b) {
  b->akash = opt.price_script_format == "akash";
  if (!b->akash) {
    if (opt.akash_denom_price != 0 || opt.akash_block_seconds != 0 || !opt.akash_denom.empty())
      throw Error(Exit::usage,
                  "--akash-denom-price, --akash-denom and --akash-block-seconds go with --price-script-format akash");
    return;
  }
  if (opt.price_script.empty()) throw Error(Exit::usage, "--price-script-format akash is for a --price-script");
  if (!(opt.akash_denom_price > 0) || !std::isfinite(opt.akash_denom_price))
    throw Error(Exit::usage, "--price-script-format akash needs --akash-denom-price: what one unit of the script's "
                             "denomination (AKT) is worth in the order's currency, > 0");
  if (opt.akash_block_seconds < 0 || !std::isfinite(opt.akash_block_seconds))
    throw Error(Exit::usage, "--akash-block-seconds must be a positive number of seconds");
  // Akash denominations are names like uakt or ibc/<64 hex digits>.
  if (!opt.akash_denom.empty() &&
      opt.akash_denom.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:._-") !=
          std::string::npos)
    throw Error(Exit::usage, "--akash-denom " + opt.akash_denom + ": expected a denomination such as uakt");
  b->akash_rates.denom = opt.akash_denom;
  b->akash_rates.denom_price = opt.akash_denom_price;
  if (opt.akash_block_seconds > 0) b->akash_rates.block_seconds = opt.akash_block_seconds;
}

Bidder prepare(Tool& tool, const LeaseOptions& opt) {
  if (opt.policy.empty() == opt.price_script.empty())
    throw Error(Exit::usage, "give exactly one of --policy FILE and --price-script CMD");
  if (opt.script_jobs < 1) throw Error(Exit::usage, "--script-jobs must be at least 1");
  if (opt.max_leases < 0) throw Error(Exit::usage, "--max-leases must not be negative");
  if (!(opt.margin >= 1 && opt.margin <= 1000))
    throw Error(Exit::usage, "--margin must be between 1 and 1000 (a factor on the estimated run time)");
  Bidder b;
  b.margin = opt.margin;
  const auto timeout = parse_timeout(opt.script_timeout);
  if (!timeout)
    throw Error(Exit::usage, "--script-timeout " + opt.script_timeout + ": expected a duration (500ms, 1.5s, 30s, 2m)");
  b.script_timeout_s = *timeout;
  read_script_format(opt, &b);
  b.now = resolve_now(opt.now);
  b.expires = resolve_time(opt.expires, b.now, "--expires");
  if (b.expires <= b.now) throw Error(Exit::usage, "--expires " + opt.expires + " is not after --now");
  if (tool.key_path().empty()) throw Error(Exit::usage, "bids are signed: give --key or set GRID_KEY");
  b.key = load_key(tool.key_path());
  b.profile = load_profile(opt.profile, b.key, &b.me);
  try {
    b.hw = read_hardware(b.profile, b.me);
  } catch (Error& e) {
    e.at_line(1, opt.profile);
    throw;
  }
  if (!opt.policy.empty()) {
    json pj;
    try {
      pj = parse_json_text(read_input(opt.policy, std::nullopt));
    } catch (const Error& e) {
      if (e.code() != Exit::data) throw;
      throw data_error("--policy " + opt.policy + ": " + e.what(), e.field());
    }
    b.policy = parse_policy(pj, opt.policy);
  }
  if (opt.max_leases > 0) {
    const int64_t open = opt.leases.empty() ? 0 : count_open_leases(tool, opt.leases, b.me, b.now);
    b.room = std::max<int64_t>(0, opt.max_leases - open);
  }
  return b;
}

// Ok, or why this machine cannot serve the order whatever the price.
Status screen(Candidate& c, const Bidder& b) {
  std::string signer, why;
  Status s = check_signature(c.msg, &signer);
  c.estimate = estimate_task(c.order, b.hw);
  c.seconds = c.estimate.seconds;
  if (!s.ok()) return Status::Fail("the order's signature does not hold: " + s.reason());
  if (signer != c.order.buyer)
    return Status::Fail("the order is signed by " + signer + ", not its buyer " + c.order.buyer);
  if (c.order.deadline <= b.now)
    return Status::Fail("its deadline " + format_rfc3339(c.order.deadline) + " has passed");
  if (!c.order.need.eval(b.profile, &why)) return Status::Fail("the requirement is not met: " + why);
  if (static_cast<double>(b.now) + c.seconds * b.margin > static_cast<double>(c.order.deadline))
    return Status::Fail("the deadline is too short: about " + whole_seconds(c.seconds) + " s " + c.estimate.basis +
                        ", " + whole_seconds(c.seconds * b.margin) + " s with --margin " + short_number(b.margin) + ", " +
                        std::to_string(c.order.deadline - b.now) + " s left");
  return Status::Ok();
}

// Prices the candidates at `which`, by the script (as one batch) or the policy.
void price(std::vector<Candidate>& cands, const std::vector<size_t>& which, const Bidder& b, const LeaseOptions& opt) {
  if (opt.price_script.empty()) {
    for (size_t i : which) {
      Candidate& c = cands[i];
      c.status = policy_price(b.policy, c.order, b.hw, &c.price, &c.pricing);
    }
    return;
  }
  std::vector<ScriptRequest> requests;
  // Akash's list describes this machine, the same for every order; only
  // the newer request's price cap is the order's own.
  const json groups = b.akash ? akash_resource_groups(b.profile, b.hw) : json();
  const std::string akash_list = b.akash ? groups.dump() + "\n" : "";
  for (size_t i : which) {
    const Candidate& c = cands[i];
    if (!b.akash) {
      requests.push_back({script_request(c.order, b.hw).dump() + "\n", {}});
      continue;
    }
    // Akash's scripts know the tenant by AKASH_OWNER (whitelists, logs):
    // here the order's buyer key.
    requests.push_back({b.akash_rates.denom.empty()
                            ? akash_list
                            : akash_priced_request(groups, b.akash_rates, c.order.max_price, c.seconds).dump() + "\n",
                        {"AKASH_OWNER=" + c.order.buyer}});
  }
  auto outcomes = run_price_script(opt.price_script, requests, b.script_timeout_s, opt.script_jobs);
  for (size_t k = 0; k < which.size(); ++k) {
    Candidate& c = cands[which[k]];
    c.status = outcomes[k].priced;
    c.warn = outcomes[k].faulty;
    c.price = outcomes[k].price;
    c.pricing = {{"method", "script"}, {"script", opt.price_script}, {"output", outcomes[k].output}};
    if (b.akash && c.status.ok()) {
      c.status = akash_price(outcomes[k].amount, b.akash_rates, c.seconds, &c.price, &c.pricing);
      c.warn = !c.status.ok();
    }
  }
}

json make_bid(const Candidate& c, const Bidder& b) {
  json bid = {{"kind", "bid"},
              {"v", kMessageVersion},
              {"order", c.order.id},
              {"task", c.order.task_id},
              {"provider", b.me},
              {"profile", b.hw.profile_id},
              {"hardware", b.hw.to_json()},
              {"price_micros", c.price},
              {"pricing", c.pricing},
              {"estimated_seconds", c.seconds},
              {"deposit_micros", c.order.bid_deposit},
              {"expires", format_rfc3339(b.expires)},
              {"created", format_rfc3339(b.now)}};
  sign_message(bid, b.key);
  return bid;
}

}  // namespace

int lease_bid_main(Tool& tool, const LeaseOptions& opt) {
  Bidder b = prepare(tool, opt);
  // Read every order first: the price script runs on them as a batch.
  std::vector<Candidate> cands;
  LeaseOutput out(opt.publish);
  tool.each_message(opt.inputs, [&](json& m, const Position& at) {
    check_envelope(m);
    if (m["kind"] != "order") {
      if (opt.pass) return out.write_line(at.text + "\n");
      throw data_error("expected an order message", ".kind");
    }
    Candidate c;
    c.msg = std::move(m);
    read_order(c.msg, &c.order);
    cands.push_back(std::move(c));
  });
  // The same order twice is one order: one bid, one unit of capacity. Its
  // id is checked by screen(), so a bad copy cannot hide the good one.
  std::vector<size_t> servable;
  std::vector<char> repeat(cands.size(), 0);
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < cands.size(); ++i) {
    cands[i].order.msg = &cands[i].msg;  // the vector moved the messages
    cands[i].status = screen(cands[i], b);
    if (!cands[i].status.ok()) continue;
    if (seen.insert(cands[i].order.id).second) servable.push_back(i);
    else repeat[i] = 1;
  }
  price(cands, servable, b, opt);
  // Capacity last, in input order, so --explain names the real limit.
  for (size_t i : servable) {
    Candidate& c = cands[i];
    if (!c.status.ok()) continue;
    if (c.price > c.order.max_price)
      c.status = Status::Fail("our price " + std::to_string(c.price) + " is above the order's max_price_micros " +
                              std::to_string(c.order.max_price));
    else if (b.room == 0)
      c.status = Status::Fail("no capacity: --max-leases " + std::to_string(opt.max_leases) +
                              " reached with open leases and this run's bids");
    else if (b.room > 0)
      --b.room;
  }

  if (opt.explain && b.hw.kinds.is_null())
    tool.note("the profile has no kinds section (a gpu-bench before per-kind costs, or --only): run times are "
              "estimated from flops at " + std::to_string(b.hw.exact_tflops) + " exact TFLOP/s, which leaves out "
              "every per-step and per-task cost");
  // A profile with costs for kinds but not for this task's (taken by an
  // older gpu-bench, or with --kinds) prices it from flops alone, which
  // leaves out its per-task and per-step costs: a deadline it cannot keep
  // may be accepted. Said once a reason, with or without --explain.
  if (!opt.explain && !b.hw.kinds.is_null()) {
    std::map<std::string, int> fell_back;
    for (size_t i = 0; i < cands.size(); ++i)
      if (!repeat[i] && cands[i].status.ok() && !cands[i].estimate.fallback.empty()) ++fell_back[cands[i].estimate.fallback];
    for (const auto& [why, n] : fell_back)
      tool.note("warning: " + std::to_string(n) + " order(s)' " + kFlopsFallback + one_line(why) +
                " (--explain names each)");
  }
  out.write(b.profile);
  for (size_t i = 0; i < cands.size(); ++i) {
    const Candidate& c = cands[i];
    if (repeat[i]) continue;
    // Each one not repeated was screened, and each one screened in was priced and sized.
    if (opt.explain && !c.estimate.fallback.empty() && !b.hw.kinds.is_null())
      std::cerr << tool.name() << ": order " << c.order.id << " (task " << c.order.task_id
                << "): " << kFlopsFallback << one_line(c.estimate.fallback) << std::endl;
    if (c.status.ok()) out.write(make_bid(c, b));
    else if (opt.explain || c.warn)
      std::cerr << tool.name() << ": order " << c.order.id << " (task " << c.order.task_id
                << "): no bid: " << one_line(c.status.reason()) << std::endl;
  }
  out.finish();
  return 0;
}

}  // namespace grid
