// lease-bid award against its floor and against jq, on the same market
// file in the same run.
//
//   lease_award [ORDERS [BIDS [--keep]]]   defaults: 10 000 orders, 100 000 bids;
//                                          --keep leaves the market file for profiling
//
// Makes a market (signed orders, provider profiles and bids, seed printed)
// in a temporary folder, then times, alternately, `lease-bid award` (every
// id checked, every signature that can change a lease verified,
// requirements evaluated, the full tie rule),
// `jq -s` doing only the plain group-by-order minimum price, both as child
// processes, and the floor: the market's Ed25519 verifications alone, on
// every core, in this process. Target: award at most 1.3x the floor (best
// of 3 each; the spread is printed, the machine may be shared). Against
// jq the old target stands beside it: lease-bid at least 5x faster. Both
// must find the same minimum price for every order, or the run fails.
//
// Award verifies a bid's signature only where it can change the outcome:
// the bench counts how many it verified (its library, run once in this
// process, untimed), and times beside it the worst case, the same market
// awarded when every bid has expired (every order unfilled, every bid
// verified to report its reason), for which there is no target.
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/file_io.h"
#include "core/json_parse.h"
#include "core/keyfile.h"
#include "market/lease_award.h"
#include "market/lease_order.h"
#include "market/lease_pricing.h"
#include "core/message.h"
#include "core/timestamp.h"

extern char** environ;

namespace {

using grid::json;

constexpr uint32_t kSeed = 20261128;
constexpr int kProviders = 64;
constexpr int kRuns = 3;  // each side; the best is reported, with the worst
// Award at most this many times its Ed25519 verifications alone.
constexpr double kTargetFloorRatio = 1.3;
constexpr int64_t kNow = 1800000000;

grid::SigningKey key_of(uint32_t n) {
  std::array<uint8_t, 32> seed{};
  for (int i = 0; i < 4; ++i) seed[i] = static_cast<uint8_t>(n >> (8 * i));
  seed[31] = 0x5a;
  return grid::signing_key_from_seed(seed);
}

std::string line(const json& m) { return m.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

// Runs argv with stdout to `out` (and stderr to `err`, when given);
// returns seconds, exits on an exit status other than `expect`.
double run_timed(const std::vector<std::string>& argv, const std::string& out, int expect = 0,
                 const char* err = nullptr) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (err) posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY, 0);
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid;
  if (posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ) != 0) {
    std::fprintf(stderr, "lease_award: cannot run %s\n", args[0]);
    std::exit(2);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  posix_spawn_file_actions_destroy(&fa);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != expect) {
    std::fprintf(stderr, "lease_award: %s failed (status %d)\n", args[0], status);
    std::exit(2);
  }
  return s;
}

std::string lease_bid_path(const char* argv0) {
  std::string self(argv0);
  size_t slash = self.rfind('/');
  std::string guess = (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/../bin/lease-bid";
  return access(guess.c_str(), X_OK) == 0 ? guess : "lease-bid";
}

// The signatures lease-bid award verifies on the market in `dir`: every
// order and profile, and the bids its walk judged (all but those it left
// unverified), counted by running the award's library once.
size_t verified_by_award(const std::string& dir, const grid::SigningKey& buyer) {
  grid::Auction auction;
  std::ifstream f(dir + "/market.jsonl");
  for (std::string l; std::getline(f, l);) auction.add(grid::parse_json_line(l));
  grid::AwardConfig cfg;
  cfg.buyer = grid::public_key_ref(buyer.public_key);
  cfg.now = kNow;
  auction.run(cfg);
  return auction.orders() + kProviders + auction.bids() - auction.bids_unverified();
}

}  // namespace

int main(int argc, char** argv) {
  const int orders = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int bids = argc > 2 ? std::atoi(argv[2]) : 100000;
  char tmpl[] = "/tmp/lease_award.XXXXXX";
  if (!mkdtemp(tmpl)) return 2;
  const std::string dir = tmpl, market = dir + "/market.jsonl", keyfile = dir + "/buyer.key";
  std::printf("seed %u: %d orders, %d bids from %d providers, in %s\n", kSeed, orders, bids, kProviders, dir.c_str());

  const grid::SigningKey buyer = key_of(1);
  grid::write_file_atomic(keyfile, grid::key_file_text(buyer), 0600);
  std::mt19937 rng(kSeed);
  std::vector<std::string> out_orders(orders), out_bids(bids), out_profiles(kProviders);
  std::vector<std::string> order_ids(orders), task_ids(orders), profile_ids(kProviders), provider_refs(kProviders);
  std::vector<grid::SigningKey> pk;
  std::vector<json> hardware(kProviders);
  for (int p = 0; p < kProviders; ++p) {
    pk.push_back(key_of(100 + p));
    provider_refs[p] = grid::public_key_ref(pk[p].public_key);
    json prof = {{"kind", "profile"}, {"v", 1}, {"device", "cuda"}, {"host", {{"n", p}}},
                 {"summary", {{"gpu_model", p % 2 ? "H100" : "A100"}, {"gpu_count", 1},
                              {"exact_gemm_tflops", 20 + p}, {"gpu_memory_bytes", int64_t{80} << 30}}}};
    grid::sign_message(prof, pk[p]);
    profile_ids[p] = prof["id"];
    hardware[p] = grid::read_hardware(prof, provider_refs[p]).to_json();  // as lease-bid bid echoes it
    out_profiles[p] = line(prof);
  }
  grid::LeaseOptions opt;
  opt.max_price = 1000000;
  grid::NeedExpr need;
  std::string err;
  grid::NeedExpr::parse("summary.exact_gemm_tflops >= 10 and summary.gpu_model in [\"A100\", \"H100\"]", &need, &err);
  std::vector<uint32_t> bid_order(bids), bid_provider(bids), bid_price(bids);
  for (int b = 0; b < bids; ++b) {
    bid_order[b] = rng() % static_cast<uint32_t>(orders);
    bid_provider[b] = rng() % kProviders;
    bid_price[b] = 1000 + rng() % 900000;
  }
  // Signing 110 000 messages takes a while on one core: share it out.
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  auto parallel = [&](int n, auto fn) {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        for (int i = static_cast<int>(t); i < n; i += static_cast<int>(threads)) fn(i);
      });
    for (auto& th : pool) th.join();
  };
  parallel(orders, [&](int o) {
    json task = {{"kind", "task"}, {"v", 1}, {"type", "gemm"}, {"flops", 1e12 * (1 + o % 7)}, {"index", o},
                 {"gemm", {{"m", 1024}, {"n", 1024}, {"k", 1024}, {"seed", o}}}};
    grid::set_message_id(task);
    json order = grid::make_order(task, opt, need, kNow, kNow + 7200, buyer);
    order_ids[o] = order["id"];
    task_ids[o] = task["id"];
    out_orders[o] = line(order);
  });
  parallel(bids, [&](int b) {
    const int p = static_cast<int>(bid_provider[b]);
    json bid = {{"kind", "bid"}, {"v", 1}, {"order", order_ids[bid_order[b]]}, {"task", task_ids[bid_order[b]]},
                {"provider", provider_refs[p]}, {"profile", profile_ids[p]},
                {"hardware", hardware[p]},
                {"price_micros", bid_price[b]},
                {"pricing", {{"method", "policy"}, {"basis", "gpu_hour"}, {"rate_micros", 2500000}}},
                {"estimated_seconds", 1.5}, {"deposit_micros", 0},
                {"expires", grid::format_rfc3339(kNow + 3600)}, {"created", grid::format_rfc3339(kNow)}};
    grid::sign_message(bid, pk[p]);
    out_bids[b] = line(bid);
  });
  {
    std::ofstream f(market);
    for (auto& s : out_orders) f << s;
    for (auto& s : out_profiles) f << s;
    for (auto& s : out_bids) f << s;
  }
  std::printf("market file: %.1f MB\n", static_cast<double>(std::ifstream(market, std::ios::ate).tellg()) / 1e6);

  const std::vector<std::string> award = {lease_bid_path(argv[0]), "award", "--key", keyfile, "--now",
                                          std::to_string(kNow), market};
  // An hour on, when every bid has expired and no order's deadline has
  // passed: every order unfilled (exit 1), every bid a reason.
  std::vector<std::string> award_unfilled = award;
  award_unfilled[5] = std::to_string(kNow + 3600);
  const std::vector<std::string> jq = {
      "jq", "-s", "-c", "map(select(.kind == \"bid\")) | group_by(.order) | map(min_by(.price_micros))[]", market};
  // The floor's inputs: every message's id, key and signature, as award
  // verifies them (canonical form, hashing and parsing left out).
  struct Signed {
    std::array<uint8_t, 32> key;
    std::string id;
    std::array<uint8_t, 64> sig;
  };
  std::vector<Signed> sigs;
  for (const auto* group : {&out_orders, &out_profiles, &out_bids})
    for (const std::string& l : *group) {
      const json m = json::parse(l);
      Signed v;
      v.id = m["id"];
      if (!grid::parse_public_key_ref(m["sig"]["by"].get<std::string>(), &v.key) ||
          !grid::unhex(m["sig"]["sig"].get<std::string>(), v.sig.data(), v.sig.size()))
        return 2;
      sigs.push_back(std::move(v));
    }
  auto verify_all = [&] {
    std::atomic<size_t> next{0}, good{0};
    parallel(static_cast<int>(threads), [&](int) {
      size_t mine = 0;
      for (size_t i; (i = next.fetch_add(1)) < sigs.size();) mine += grid::ed25519_verify(sigs[i].key, sigs[i].id, sigs[i].sig);
      good += mine;
    });
    return good.load() == sigs.size();
  };

  std::vector<double> t_award, t_jq, t_floor, t_unfilled;
  for (int r = 0; r < kRuns; ++r) {
    t_award.push_back(run_timed(award, dir + "/leases.jsonl"));
    t_unfilled.push_back(run_timed(award_unfilled, dir + "/unfilled.jsonl", 1, "/dev/null"));
    t_jq.push_back(run_timed(jq, dir + "/jq.jsonl"));
    const auto t0 = std::chrono::steady_clock::now();
    if (!verify_all()) return 2;
    t_floor.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }

  // Same minimum price per order from both (ties may pick different bids).
  std::map<std::string, int64_t> by_award, by_jq;
  {
    std::ifstream f(dir + "/leases.jsonl");
    for (std::string l; std::getline(f, l);) {
      json m = json::parse(l);
      by_award[m["order"]["id"]] = m["price_micros"];
    }
    std::ifstream g(dir + "/jq.jsonl");
    for (std::string l; std::getline(g, l);) {
      json m = json::parse(l);
      by_jq[m["order"]] = m["price_micros"];
    }
  }
  const bool same = by_award == by_jq && !by_award.empty();
  const size_t verified = verified_by_award(dir, buyer);
  auto best = [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); };
  auto worst = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
  const double a = best(t_award), j = best(t_jq), floor_s = best(t_floor);
  std::printf("%-46s %8s %8s\n", "best of 3 runs, seconds", "best", "worst");
  std::printf("%-46s %8.2f %8.2f  (%zu of the %zu signatures verified)\n", "lease-bid award", a, worst(t_award),
              verified, sigs.size());
  std::printf("%-46s %8.2f %8.2f\n", "jq -s group_by(.order) | min_by(.price)", j, worst(t_jq));
  std::printf("%-46s %8.2f %8.2f  (%zu on %u threads)\n", "floor: the Ed25519 verifications alone", floor_s,
              worst(t_floor), sigs.size(), threads);
  std::printf("%-46s %8.2f %8.2f  (all verified)\n", "lease-bid award, every order unfilled", best(t_unfilled),
              worst(t_unfilled));
  std::printf("lease-bid / floor: %.2fx (target <= %.1fx: %s); every order unfilled / floor: %.2fx (no target)\n",
              a / floor_s, kTargetFloorRatio, a / floor_s <= kTargetFloorRatio ? "met" : "NOT met",
              best(t_unfilled) / floor_s);
  std::printf("ratio jq / lease-bid: %.2fx (target >= 5x: %s); jq / floor %.2fx; %zu leases, minima %s\n", j / a,
              j / a >= 5 ? "met" : "NOT met", j / floor_s, by_award.size(), same ? "agree" : "DISAGREE");
  std::error_code ec;
  if (argc > 3 && std::string(argv[3]) == "--keep") std::printf("kept %s\n", dir.c_str());
  else std::filesystem::remove_all(dir, ec);
  return same ? 0 : 1;
}
