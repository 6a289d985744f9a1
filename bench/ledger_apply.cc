// Durable transfers per second through the ledger's apply path, against a
// bare SQLite insert loop with the same durability (WAL, synchronous=FULL),
// the same table and the same number of rows per commit, in the same run.
//
//   ledger_apply [LEASES]     LEASES defaults to 20000 (3 transfers each)
//
// The apply path is the whole of what pay-settle apply does per message:
// JSON parsing, ids and Ed25519 signatures checked (on the library's
// thread pool), the rules, the hash chain, balances, holds. Targets: at
// least 100 000 transfers/s, and at least 0.5 of the bare loop.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger_apply.h"
#include "ledger/ledger_sample.h"

namespace {

using Clock = std::chrono::steady_clock;

// Messages per transaction: pay-settle apply's default.
constexpr size_t kBatch = grid::kDefaultBatch;
constexpr double kTargetRate = 100000;
constexpr double kTargetRatio = 0.5;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string make_ledger(const std::string& path, grid::LedgerInfo* info) {
  const std::string message = grid::sample_ledger_message(info);
  grid::Database::create(path, message, *info);
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t leases = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  char tmpl[] = "/tmp/grid-ledger-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) return 74;
  const std::string dir = tmpl;
  try {
    grid::LedgerInfo info;
    const std::string applied_path = make_ledger(dir + "/apply.db", &info);
    grid::SampleMarket m;
    m.leases = leases;
    m.awkward = false;
    std::fprintf(stderr, "ledger_apply: signing %zu leases and verdicts...\n", leases);
    const std::vector<std::string> lines = grid::sample_market(info, grid::sample_keys(), m);
    const unsigned threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));

    // The apply path.
    int64_t transfers = 0;
    size_t commits = 0;
    double apply_s = 0;
    {
      grid::Database db = grid::Database::open(applied_path, grid::kDefaultBusyTimeoutMs);
      grid::SettleTerms terms;
      terms.now = m.now;
      grid::LedgerApplier applier(db, {grid::public_key_ref(grid::sample_keys().verifier.public_key)}, terms, kBatch,
                                  threads);
      size_t refused = 0;
      applier.on_refused = [&](const grid::Error&) { ++refused; };
      const auto t0 = Clock::now();
      for (size_t i = 0; i < lines.size(); ++i) applier.add(grid::parse_json_text(lines[i]), {"bench", i + 1, ""});
      applier.finish();
      apply_s = since(t0);
      transfers = applier.transfers();
      commits = (lines.size() + kBatch - 1) / kBatch;
      if (refused) std::fprintf(stderr, "ledger_apply: %zu messages refused: the sample is wrong\n", refused);
    }

    // The bare loop: the same rows into the same table, as many per commit.
    const size_t rows_per_commit = std::max<size_t>(1, transfers / std::max<size_t>(1, commits));
    double bare_s = 0;
    {
      grid::LedgerInfo bare_info;
      grid::Database db = grid::Database::open(make_ledger(dir + "/bare.db", &bare_info), grid::kDefaultBusyTimeoutMs);
      grid::Statement insert(db.handle(),
                             "INSERT INTO transfers(id, type, debit, debit_bucket, credit, credit_bucket, amount, "
                             "cause, hold, at, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      const std::string buyer = "ed25519:" + std::string(64, 'b'), provider = "ed25519:" + std::string(64, 'p');
      const auto t0 = Clock::now();
      for (int64_t i = 0; i < transfers;) {
        db.exec("BEGIN IMMEDIATE");
        for (size_t r = 0; r < rows_per_commit && i < transfers; ++r, ++i) {
          const std::string id = grid::transfer_id(std::to_string(i), "bare");
          insert.bind(1, id).bind(2, std::string("post")).bind(3, buyer).bind(4, std::string("held"));
          insert.bind(5, provider).bind(6, std::string("available")).bind(7, i).bind(8, id).bind(9, id);
          insert.bind(10, m.now).bind_null(11).bind(12, id).bind(13, id).run();
        }
        db.exec("COMMIT");
      }
      bare_s = since(t0);
    }

    // The checking alone (parse, ids, Ed25519), on as many threads and no
    // database: the ceiling the signatures put on the apply path.
    double check_s = 0;
    {
      std::set<std::string> trust = {grid::public_key_ref(grid::sample_keys().verifier.public_key)};
      std::atomic<size_t> next{0};
      const auto t0 = Clock::now();
      auto work = [&] {
        for (size_t i; (i = next.fetch_add(1)) < lines.size();)
          grid::check_ledger_entry(grid::parse_json_text(lines[i]), {"bench", i + 1, ""}, info, trust);
      };
      std::vector<std::thread> pool;
      for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
      work();
      for (std::thread& t : pool) t.join();
      check_s = since(t0);
    }

    const double apply_rate = transfers / apply_s, bare_rate = transfers / bare_s, ratio = apply_rate / bare_rate;
    std::printf("%-44s %10s %10s %14s\n", "durable transfers (WAL, synchronous=FULL)", "transfers", "seconds",
                "transfers/s");
    std::printf("%-44s %10lld %10.3f %14.0f\n", "pay-settle apply path (parse, sigs, rules)",
                static_cast<long long>(transfers), apply_s, apply_rate);
    std::printf("%-44s %10lld %10.3f %14.0f\n", "  of which checking alone (no database)",
                static_cast<long long>(transfers), check_s, transfers / check_s);
    std::printf("%-44s %10lld %10.3f %14.0f\n", "bare SQLite insert loop", static_cast<long long>(transfers), bare_s,
                bare_rate);
    std::printf("messages %zu, %zu per commit (%zu rows per bare commit), %u signature threads\n", lines.size(), kBatch,
                rows_per_commit, threads);
    std::printf("apply / bare = %.2f (target >= %.1f: %s); apply rate target >= %.0f/s: %s\n", ratio, kTargetRatio,
                ratio >= kTargetRatio ? "met" : "NOT met", kTargetRate, apply_rate >= kTargetRate ? "met" : "NOT met");
  } catch (const grid::Error& e) {
    std::fprintf(stderr, "ledger_apply: error: %s\n", e.describe().c_str());
    return static_cast<int>(e.code());
  }
  int rc = std::system(("rm -rf '" + dir + "'").c_str());
  (void)rc;
  return 0;
}
