// The ledger library: transfer ids and the hash chain, refusing files that
// are not ledgers, and the property that matters most: however a stream of
// deposits, leases and verdicts is cut into batches, the final balances
// and the set of transfers are the same, and check finds nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>

#include "ledger/ledger_apply.h"
#include "ledger/ledger_query.h"
#include "ledger/ledger_sample.h"
#include "temp_dir.h"

namespace grid {
namespace {

class LedgerTest : public TempDirTest {
 protected:

  // A fresh ledger run by the sample operator.
  std::string make_ledger(const std::string& name) {
    const std::string path = dir_ + "/" + name;
    const std::string message = sample_ledger_message(&info_);
    Database::create(path, message, info_);
    return path;
  }

  struct LedgerState {
    std::map<std::string, std::tuple<int64_t, int64_t, int64_t>> balances;
    std::vector<std::string> transfer_ids;
    size_t refused = 0;
    std::vector<std::string> outcomes;  // per input line; "refused" when it was
    std::vector<std::string> violations;
  };

  // Applies `lines`, committing at each of `cuts` (indexes into lines).
  LedgerState apply(const std::string& path, const std::vector<std::string>& lines, const std::vector<size_t>& cuts,
                int64_t now) {
    Database db = Database::open(path, kDefaultBusyTimeoutMs);
    SettleTerms terms;
    terms.now = now;
    LedgerState out;
    {
      LedgerApplier applier(db, {public_key_ref(sample_keys().verifier.public_key)}, terms, lines.size() + 1, 2);
      out.outcomes.assign(lines.size(), "refused");
      applier.on_refused = [&](const Error&) { ++out.refused; };
      applier.on_report = [&](const ApplyReport& r) { out.outcomes[r.at.line - 1] = outcome_name(r.outcome); };
      size_t next_cut = 0;
      for (size_t i = 0; i < lines.size(); ++i) {
        Position at{"sample", i + 1, ""};
        applier.add(parse_json_text(lines[i]), at);
        if (next_cut < cuts.size() && cuts[next_cut] == i) {
          applier.finish();
          ++next_cut;
        }
      }
      applier.finish();
    }
    for (const AccountBalance& b : ledger_balances(db))
      out.balances[b.account] = {b.balances.available, b.balances.held, b.balances.stake};
    Statement q(db.handle(), "SELECT id FROM transfers ORDER BY id");
    while (q.step()) out.transfer_ids.push_back(q.text(0));
    out.violations = ledger_check(db);
    return out;
  }

  LedgerInfo info_;
};

TEST_F(LedgerTest, TransferIdsAreDeterministicAndTheHashCoversEveryField) {
  EXPECT_EQ(transfer_id("sha256:aa", "post"), transfer_id("sha256:aa", "post"));
  EXPECT_NE(transfer_id("sha256:aa", "post"), transfer_id("sha256:aa", "void"));
  Transfer t;
  t.id = "x";
  t.type = "post";
  t.debit = "a";
  t.credit = "b";
  t.amount = 5;
  t.cause = "c";
  const std::string h = transfer_hash(kChainStart, t);
  std::vector<std::function<void(Transfer&)>> edits = {
      [](Transfer& x) { x.amount = 6; },           [](Transfer& x) { x.debit = "z"; },
      [](Transfer& x) { x.credit = "z"; },         [](Transfer& x) { x.cause = "z"; },
      [](Transfer& x) { x.hold = "z"; },           [](Transfer& x) { x.detail = "{}"; },
      [](Transfer& x) { x.at = 1; },               [](Transfer& x) { x.debit_bucket = Bucket::held; },
      [](Transfer& x) { x.credit_bucket = Bucket::stake; }, [](Transfer& x) { x.type = "void"; }};
  for (auto& edit : edits) {
    Transfer u = t;
    edit(u);
    EXPECT_NE(transfer_hash(kChainStart, u), h);
  }
  EXPECT_NE(transfer_hash("sha256:1", t), h);
}

TEST_F(LedgerTest, OpenRefusesWhatIsNotALedgerWithoutTouchingIt) {
  EXPECT_EQ([&] {
    try {
      Database::open(dir_ + "/missing.db", 0);
    } catch (const Error& e) {
      return e.code();
    }
    return Exit::ok;
  }(), Exit::no_input);
  const std::string text = dir_ + "/text.db";
  std::ofstream(text) << std::string(200, 'x');
  try {
    Database::open(text, 0);
    FAIL() << "opened a text file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::data);
  }
  std::ifstream in(text);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), std::string(200, 'x'));
  EXPECT_NE(::access((text + "-wal").c_str(), F_OK), 0);
}

// Every commit is synced (WAL, synchronous=FULL); checkpoints come every
// 8192 pages of WAL, not SQLite's 1000, so a page the batches keep
// dirtying is copied into the file once for several of them.
TEST_F(LedgerTest, AnOpenLedgerSyncsEveryCommitAndCheckpointsInLargeSteps) {
  Database db = Database::open(make_ledger("pragmas.db"), kDefaultBusyTimeoutMs);
  auto pragma = [&](const char* sql) {
    Statement q(db.handle(), sql);
    EXPECT_TRUE(q.step()) << sql;
    return q.text(0);
  };
  EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma("PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(pragma("PRAGMA wal_autocheckpoint"), "8192");
}

// A ledger of schema 1 (holds keyed by lease) opens as schema 2 (holds in
// the order taken), its holds intact: applying the rest of a stream to it
// ends as applying the whole stream to a new ledger.
TEST_F(LedgerTest, ASchemaOneLedgerIsMigratedAndGoesOnAsANewOne) {
  SampleMarket m;
  m.seed = 5;
  m.leases = 80;
  const std::vector<std::string> lines = sample_market(info_, sample_keys(), m);
  const size_t half = lines.size() / 2;
  const std::vector<std::string> first(lines.begin(), lines.begin() + half), rest(lines.begin() + half, lines.end());
  const LedgerState whole = apply(make_ledger("whole.db"), lines, {half - 1}, m.now);

  const std::string path = make_ledger("old.db");
  const LedgerState before = apply(path, first, {}, m.now);
  {
    // Back to schema 1, as pay-settle 0.1.0 wrote it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v1 = R"(BEGIN;
      CREATE TABLE holds_v1(lease TEXT PRIMARY KEY, order_id TEXT NOT NULL UNIQUE, task TEXT NOT NULL,
        buyer TEXT NOT NULL, provider TEXT NOT NULL, amount INTEGER NOT NULL, deadline INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'open', resolved_by TEXT) WITHOUT ROWID;
      INSERT INTO holds_v1 SELECT lease, order_id, task, buyer, provider, amount, deadline, state, resolved_by
        FROM holds;
      DROP TABLE holds;
      ALTER TABLE holds_v1 RENAME TO holds;
      CREATE INDEX holds_task ON holds(task, provider);
      CREATE INDEX holds_open ON holds(state, deadline);
      DELETE FROM migrations WHERE version > 1;
      PRAGMA user_version = 1;
      COMMIT;)";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  const LedgerState after = apply(path, rest, {}, m.now);
  EXPECT_EQ(after.balances, whole.balances);
  EXPECT_EQ(after.transfer_ids, whole.transfer_ids);
  EXPECT_EQ(before.refused + after.refused, whole.refused);
  EXPECT_TRUE(after.violations.empty()) << after.violations.front();

  Database db = Database::open(path, kDefaultBusyTimeoutMs);
  Statement version(db.handle(), "PRAGMA user_version");
  ASSERT_TRUE(version.step());
  EXPECT_EQ(version.int64(0), 2);
  Statement migrated(db.handle(), "SELECT COUNT(*) FROM migrations WHERE version = 2");
  ASSERT_TRUE(migrated.step());
  EXPECT_EQ(migrated.int64(0), 1);
  // The holds of the first half come first, in the order their hold
  // transfers were made.
  Statement order(db.handle(),
                  "SELECT COUNT(*) FROM holds AS a JOIN holds AS b ON a.seq < b.seq "
                  "JOIN transfers AS ta ON ta.hold = a.lease AND ta.type = 'hold' "
                  "JOIN transfers AS tb ON tb.hold = b.lease AND tb.type = 'hold' WHERE ta.seq > tb.seq");
  ASSERT_TRUE(order.step());
  EXPECT_EQ(order.int64(0), 0);
}

// Applying again what was applied moves nothing. (What was refused, as a
// verdict before its lease, may apply on a later run: that is the retry.)
TEST_F(LedgerTest, ReapplyingWhatWasAppliedChangesNothing) {
  const std::string path = make_ledger("again.db");
  SampleMarket m;
  m.seed = 7;
  const std::vector<std::string> lines = sample_market(info_, sample_keys(), m);
  const LedgerState first = apply(path, lines, {}, m.now);
  ASSERT_GT(first.refused, 0u);
  std::vector<std::string> applied;
  for (size_t i = 0; i < lines.size(); ++i)
    if (first.outcomes[i] != "refused") applied.push_back(lines[i]);
  const LedgerState second = apply(path, applied, {}, m.now);
  EXPECT_EQ(first.balances, second.balances);
  EXPECT_EQ(first.transfer_ids, second.transfer_ids);
  EXPECT_EQ(second.refused, 0u);
  for (const std::string& o : second.outcomes) EXPECT_NE(o, "applied");
  EXPECT_TRUE(second.violations.empty());
}

// Random streams, cut into random batches: the same end every time.
TEST_F(LedgerTest, RandomBatchSplitsGiveTheSameLedger) {
  for (uint64_t seed : {1, 2, 3, 20261128, 4242}) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " (SampleMarket.seed and the cut generator)");
    SampleMarket m;
    m.seed = seed;
    m.leases = 150;
    const std::string base = make_ledger("base-" + std::to_string(seed) + ".db");
    const std::vector<std::string> lines = sample_market(info_, sample_keys(), m);
    const LedgerState whole = apply(base, lines, {}, m.now);
    ASSERT_TRUE(whole.violations.empty()) << whole.violations.front();
    // The stream must exercise the rules, not just pass through them.
    ASSERT_GT(whole.refused, 0u);
    ASSERT_GT(whole.transfer_ids.size(), m.leases);

    std::mt19937_64 rng(seed);
    for (int split = 0; split < 4; ++split) {
      SCOPED_TRACE("split " + std::to_string(split));
      std::vector<size_t> cuts;
      const size_t every = split == 0 ? 1 : std::uniform_int_distribution<size_t>(2, 60)(rng);
      for (size_t i = 0; i < lines.size(); ++i)
        if (split == 0 || std::uniform_int_distribution<size_t>(0, every)(rng) == 0) cuts.push_back(i);
      const std::string path = make_ledger("split-" + std::to_string(seed) + "-" + std::to_string(split) + ".db");
      const LedgerState o = apply(path, lines, cuts, m.now);
      EXPECT_EQ(o.balances, whole.balances);
      EXPECT_EQ(o.transfer_ids, whole.transfer_ids);
      EXPECT_EQ(o.refused, whole.refused);
      EXPECT_EQ(o.outcomes, whole.outcomes);
      EXPECT_TRUE(o.violations.empty()) << o.violations.front();
      int64_t total = 0;
      for (const auto& [account, b] : o.balances) total += std::get<0>(b) + std::get<1>(b) + std::get<2>(b);
      EXPECT_EQ(total, 0);
    }
  }
}

// pay-settle apply hands raw lines to the applier, parsed on the checking
// threads: the same ledger and outcomes as messages parsed first, and a
// line that is no JSON object goes to on_bad_line, naming it, at its turn.
TEST_F(LedgerTest, LinesParsedOnTheCheckingThreadsApplyAsParsedMessages) {
  SampleMarket m;
  m.seed = 11;
  m.leases = 60;
  std::vector<std::string> lines = sample_market(info_, sample_keys(), m);
  const LedgerState parsed = apply(make_ledger("parsed.db"), lines, {}, m.now);
  ASSERT_GT(parsed.refused, 0u);

  // The same stream with two bad lines in it, in small batches.
  const size_t bad_at[] = {5, 40};
  std::vector<std::string> with_bad = lines;
  with_bad.insert(with_bad.begin() + bad_at[0] - 1, "{\"kind\": \"lease\",");
  with_bad.insert(with_bad.begin() + bad_at[1] - 1, "[1, 2]");
  Database db = Database::open(make_ledger("text.db"), kDefaultBusyTimeoutMs);
  SettleTerms terms;
  terms.now = m.now;
  std::map<size_t, std::string> outcomes;
  std::vector<Error> bad;
  size_t refused = 0;
  {
    LedgerApplier applier(db, {public_key_ref(sample_keys().verifier.public_key)}, terms, 7, 2);
    applier.on_refused = [&](const Error&) { ++refused; };
    applier.on_bad_line = [&](const Error& e) { bad.push_back(e); };
    applier.on_report = [&](const ApplyReport& r) { outcomes[r.at.line] = outcome_name(r.outcome); };
    for (size_t i = 0; i < with_bad.size(); ++i) applier.add_text({"text", i + 1, with_bad[i]});
    applier.finish();
  }
  EXPECT_EQ(refused, parsed.refused);
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0].code(), Exit::data);
  EXPECT_NE(bad[0].describe().find("input line 5 of text"), std::string::npos) << bad[0].describe();
  EXPECT_NE(bad[1].describe().find("not a JSON object (input line 40 of text"), std::string::npos) << bad[1].describe();
  // Line numbers past a bad line are one or two higher than in `lines`.
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t line = i + 1 + (i + 1 >= bad_at[0]) + (i + 2 >= bad_at[1]);
    auto o = outcomes.find(line);
    EXPECT_EQ(o == outcomes.end() ? "refused" : o->second, parsed.outcomes[i]) << "line " << line;
  }
  std::map<std::string, std::tuple<int64_t, int64_t, int64_t>> balances;
  for (const AccountBalance& b : ledger_balances(db))
    balances[b.account] = {b.balances.available, b.balances.held, b.balances.stake};
  EXPECT_EQ(balances, parsed.balances);
  EXPECT_TRUE(ledger_check(db).empty());
}

}  // namespace
}  // namespace grid
