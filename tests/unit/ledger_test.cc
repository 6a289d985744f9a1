// The ledger library: transfer ids and the hash chain, refusing files that
// are not ledgers, and the property that matters most: however a stream of
// deposits, leases and verdicts is cut into batches, the final balances
// and the set of transfers are the same, and check finds nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
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
    std::map<std::string, std::vector<std::string>> statements;  // transfer ids by account, oldest first
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
    // Each account's statement (read through its postings) is exactly the
    // transfers that name it, oldest first.
    for (const auto& [account, b] : out.balances) {
      std::vector<std::pair<int64_t, std::string>> statement, scanned;
      ledger_statement(db, account, INT64_MIN, [&](int64_t seq, const Transfer& t) { statement.push_back({seq, t.id}); });
      Statement scan(db.handle(), "SELECT seq, id FROM transfers WHERE debit = ?1 OR credit = ?1 ORDER BY seq");
      scan.bind(1, account);
      while (scan.step()) scanned.push_back({scan.int64(0), scan.text(1)});
      EXPECT_EQ(statement, scanned) << account;
      for (const auto& [seq, id] : statement) out.statements[account].push_back(id);
    }
    out.violations = ledger_check(db);
    return out;
  }

  // Takes the ledger at `path` back to `version`, as the build of that
  // schema wrote it.
  static void downgrade(const std::string& path, int version) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    // Ids, orders and tasks indexed by their last 16 characters;
    // resolutions keyed by their hold.
    const char* to_5 = R"(BEGIN;
      CREATE TABLE resolutions_v5(hold INTEGER PRIMARY KEY, state TEXT NOT NULL, resolved_by TEXT);
      INSERT INTO resolutions_v5 SELECT hold, state, resolved_by FROM resolutions ORDER BY hold;
      DROP TABLE resolutions;
      ALTER TABLE resolutions_v5 RENAME TO resolutions;
      DROP INDEX transfers_id;
      CREATE INDEX transfers_id ON transfers(substr(id, -16));
      DROP INDEX holds_order;
      CREATE INDEX holds_order ON holds(substr(order_id, -16));
      DROP INDEX holds_task;
      CREATE INDEX holds_task ON holds(substr(task, -16));
      DELETE FROM migrations WHERE version > 5;
      PRAGMA user_version = 5;
      COMMIT;)";
    // A hold's outcome in its row, its open ones indexed by deadline.
    const char* to_4 = R"(BEGIN;
      CREATE TABLE holds_v4(seq INTEGER PRIMARY KEY, lease TEXT NOT NULL, order_id TEXT NOT NULL,
        task TEXT NOT NULL, buyer TEXT NOT NULL, provider TEXT NOT NULL, amount INTEGER NOT NULL,
        deadline INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'open', resolved_by TEXT);
      INSERT INTO holds_v4 SELECT h.seq, h.lease, h.order_id, h.task, h.buyer, h.provider, h.amount, h.deadline,
        coalesce(r.state, 'open'), r.resolved_by FROM holds AS h LEFT JOIN resolutions AS r ON r.hold = h.seq
        ORDER BY h.seq;
      DROP TABLE holds;
      DROP TABLE resolutions;
      DROP TABLE open_holds;
      ALTER TABLE holds_v4 RENAME TO holds;
      CREATE INDEX holds_order ON holds(substr(order_id, -16));
      CREATE INDEX holds_task ON holds(substr(task, -16));
      CREATE INDEX holds_open ON holds(deadline) WHERE state = 'open';
      DELETE FROM migrations WHERE version > 4;
      PRAGMA user_version = 4;
      COMMIT;)";
    // Transfers unique by id, holds by order, each whole value its key.
    const char* to_3 = R"(BEGIN;
      CREATE TABLE transfers_v3(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
        debit TEXT NOT NULL, debit_bucket TEXT NOT NULL, credit TEXT NOT NULL, credit_bucket TEXT NOT NULL,
        amount INTEGER NOT NULL, cause TEXT NOT NULL, hold TEXT, at INTEGER NOT NULL, detail TEXT,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
      INSERT INTO transfers_v3 SELECT * FROM transfers ORDER BY seq;
      DROP TABLE transfers;
      ALTER TABLE transfers_v3 RENAME TO transfers;
      CREATE TABLE holds_v3(seq INTEGER PRIMARY KEY, lease TEXT NOT NULL, order_id TEXT NOT NULL UNIQUE,
        task TEXT NOT NULL, buyer TEXT NOT NULL, provider TEXT NOT NULL, amount INTEGER NOT NULL,
        deadline INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'open', resolved_by TEXT);
      INSERT INTO holds_v3 SELECT * FROM holds ORDER BY seq;
      DROP TABLE holds;
      ALTER TABLE holds_v3 RENAME TO holds;
      CREATE INDEX holds_task ON holds(task);
      CREATE INDEX holds_open ON holds(deadline) WHERE state = 'open';
      DELETE FROM migrations WHERE version > 3;
      PRAGMA user_version = 3;
      COMMIT;)";
    const char* to_2 = R"(BEGIN;
      CREATE TABLE holds_v2(seq INTEGER PRIMARY KEY, lease TEXT NOT NULL UNIQUE, order_id TEXT NOT NULL UNIQUE,
        task TEXT NOT NULL, buyer TEXT NOT NULL, provider TEXT NOT NULL, amount INTEGER NOT NULL,
        deadline INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'open', resolved_by TEXT);
      INSERT INTO holds_v2(lease, order_id, task, buyer, provider, amount, deadline, state, resolved_by)
        SELECT lease, order_id, task, buyer, provider, amount, deadline, state, resolved_by FROM holds ORDER BY seq;
      DROP TABLE holds;
      ALTER TABLE holds_v2 RENAME TO holds;
      CREATE INDEX holds_task ON holds(task);
      CREATE INDEX holds_open ON holds(deadline) WHERE state = 'open';
      DROP TABLE postings;
      CREATE INDEX transfers_debit ON transfers(debit);
      CREATE INDEX transfers_credit ON transfers(credit);
      DELETE FROM migrations WHERE version > 2;
      PRAGMA user_version = 2;
      COMMIT;)";
    // As pay-settle 0.1.0 wrote it.
    const char* to_1 = R"(BEGIN;
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
    for (const char* sql : {to_5, to_4, to_3, to_2, to_1}) {
      if ((sql == to_4 && version > 4) || (sql == to_3 && version > 3) || (sql == to_2 && version > 2) ||
          (sql == to_1 && version > 1))
        break;
      ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    }
    sqlite3_close(db);
  }

  // A ledger of schema `version` holding the first half of a stream opens
  // as the current schema, and applying the rest to it ends as applying
  // the whole stream to a new ledger.
  void migrate_and_go_on(int version) {
    SampleMarket m;
    m.seed = 5;
    m.leases = 80;
    const std::string whole_path = make_ledger("whole.db");  // sets info_, which the stream names
    const std::vector<std::string> lines = sample_market(info_, sample_keys(), m);
    const size_t half = lines.size() / 2;
    const std::vector<std::string> first(lines.begin(), lines.begin() + half), rest(lines.begin() + half, lines.end());
    const LedgerState whole = apply(whole_path, lines, {half - 1}, m.now);
    ASSERT_GT(whole.transfer_ids.size(), m.leases);

    const std::string path = make_ledger("old.db");
    const LedgerState before = apply(path, first, {}, m.now);
    downgrade(path, version);
    const LedgerState after = apply(path, rest, {}, m.now);
    EXPECT_EQ(after.balances, whole.balances);
    EXPECT_EQ(after.transfer_ids, whole.transfer_ids);
    EXPECT_EQ(after.statements, whole.statements);
    EXPECT_EQ(before.refused + after.refused, whole.refused);
    EXPECT_TRUE(after.violations.empty()) << after.violations.front();

    Database db = Database::open(path, kDefaultBusyTimeoutMs);
    Statement schema(db.handle(), "PRAGMA user_version");
    ASSERT_TRUE(schema.step());
    EXPECT_EQ(schema.int64(0), kLedgerSchemaVersion);
    Statement migrated(db.handle(), "SELECT COUNT(*) FROM migrations WHERE version > ?");
    migrated.bind(1, int64_t{version});
    ASSERT_TRUE(migrated.step());
    EXPECT_EQ(migrated.int64(0), kLedgerSchemaVersion - version);
    // Each hold is keyed by the seq of its hold transfer.
    Statement keyed(db.handle(),
                    "SELECT COUNT(*), SUM(t.seq IS NOT NULL) FROM holds AS h "
                    "LEFT JOIN transfers AS t ON t.seq = h.seq AND t.type = 'hold' AND t.hold = h.lease");
    ASSERT_TRUE(keyed.step());
    EXPECT_GT(keyed.int64(0), 0);
    EXPECT_EQ(keyed.int64(1), keyed.int64(0));
    // Ids, orders and tasks are keyed by their ends alone.
    Statement indexes(db.handle(), "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema "
                                   "WHERE type = 'index' AND tbl_name IN ('transfers', 'holds') ORDER BY name)");
    ASSERT_TRUE(indexes.step());
    EXPECT_EQ(indexes.text(0), "holds_order holds_task transfers_id");
    // Each by its last 8 characters: a commit rewrites most of these
    // indexes, so the width of their keys is the pages it writes.
    Statement keys(db.handle(), "SELECT group_concat(sql, '; ') FROM (SELECT sql FROM sqlite_schema "
                                "WHERE name IN ('holds_order', 'holds_task', 'transfers_id') ORDER BY name)");
    ASSERT_TRUE(keys.step());
    EXPECT_EQ(keys.text(0), "CREATE INDEX holds_order ON holds(substr(order_id, -8)); "
                            "CREATE INDEX holds_task ON holds(substr(task, -8)); "
                            "CREATE INDEX transfers_id ON transfers(substr(id, -8))");
    // Resolutions in the order made, found by their hold through a unique index.
    Statement resolutions(db.handle(), "SELECT (SELECT group_concat(name, ' ') FROM pragma_table_info('resolutions')), "
                                       "(SELECT group_concat(name, ' ') FROM pragma_index_info("
                                       "(SELECT name FROM pragma_index_list('resolutions') WHERE \"unique\")))");
    ASSERT_TRUE(resolutions.step());
    EXPECT_EQ(resolutions.text(0), "seq hold state resolved_by");
    EXPECT_EQ(resolutions.text(1), "hold");
    // The open holds by deadline are exactly those with no resolution.
    Statement open(db.handle(), "SELECT (SELECT COUNT(*) FROM open_holds), (SELECT COUNT(*) FROM holds AS h "
                                "WHERE NOT EXISTS (SELECT 1 FROM resolutions AS r WHERE r.hold = h.seq)), "
                                "(SELECT COUNT(*) FROM resolutions)");
    ASSERT_TRUE(open.step());
    EXPECT_EQ(open.int64(0), open.int64(1));
    EXPECT_GT(open.int64(2), 0);
  }

  // A ledger of 20 leases and their verdicts that check finds sound.
  std::string small_ledger(const std::string& name, bool awkward = true) {
    const std::string path = make_ledger(name);
    SampleMarket m;
    m.seed = 3;
    m.leases = 20;
    m.awkward = awkward;
    const LedgerState state = apply(path, sample_market(info_, sample_keys(), m), {}, m.now);
    EXPECT_TRUE(state.violations.empty()) << state.violations.front();
    return path;
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

TEST_F(LedgerTest, ASchemaOneLedgerIsMigratedAndGoesOnAsANewOne) { migrate_and_go_on(1); }

// Schema 2 indexed transfers by debit and credit and keyed holds by
// themselves; schema 3 has postings and holds keyed by their transfers.
TEST_F(LedgerTest, ASchemaTwoLedgerIsMigratedAndGoesOnAsANewOne) { migrate_and_go_on(2); }

// Schema 3 keyed transfers by their whole ids and holds by their whole
// orders; schema 4 by their last 16 characters.
TEST_F(LedgerTest, ASchemaThreeLedgerIsMigratedAndGoesOnAsANewOne) { migrate_and_go_on(3); }

// Schema 4 kept a hold's outcome in its row; schema 5 in a row of its own.
TEST_F(LedgerTest, ASchemaFourLedgerIsMigratedAndGoesOnAsANewOne) { migrate_and_go_on(4); }

// Schema 5 indexed ids, orders and tasks by their last 16 characters and
// kept resolutions keyed by their hold; schema 6 by their last 8, and
// resolutions in the order made.
TEST_F(LedgerTest, ASchemaFiveLedgerIsMigratedAndGoesOnAsANewOne) { migrate_and_go_on(5); }

// Every lookup the writer makes goes through an index: an index on an
// expression serves only a query that names the expression, which SQLite's
// rewriting of the query may take away.
TEST_F(LedgerTest, EveryLookupOfTheWriterIsIndexed) {
  Database db = Database::open(make_ledger("plans.db"), kDefaultBusyTimeoutMs);
  Book book(db);
  Settlement rules(book, SettleTerms{});
  size_t lookups = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db.handle(), nullptr); s; s = sqlite3_next_stmt(db.handle(), s)) {
    const std::string sql = sqlite3_sql(s);
    if (sql.find(" WHERE ") == std::string::npos) continue;
    ++lookups;
    Statement plan(db.handle(), ("EXPLAIN QUERY PLAN " + sql).c_str());
    std::string steps;
    while (plan.step()) steps += plan.text(3) + "\n";
    EXPECT_EQ(steps.find("SCAN"), std::string::npos) << sql << "\n" << steps;
    EXPECT_NE(steps.find("SEARCH"), std::string::npos) << sql << "\n" << steps;
  }
  EXPECT_GE(lookups, 7u);  // accounts, transfers by id, holds by lease, order, task, due; a resolve
}

// The id index is no unique one, nor the orders': check finds a transfer
// id stored twice and an order held twice.
TEST_F(LedgerTest, CheckFindsATransferIdOrAnOrderStoredTwice) {
  const std::string path = small_ledger("twice.db", false);
  ASSERT_FALSE(HasFailure());
  Database db = Database::open(path, kDefaultBusyTimeoutMs);
  db.exec("UPDATE transfers SET id = (SELECT id FROM transfers WHERE seq = 1) WHERE seq = 2");
  db.exec("UPDATE holds SET order_id = (SELECT MIN(order_id) FROM holds) "
          "WHERE seq = (SELECT MAX(seq) FROM holds)");
  const std::vector<std::string> bad = ledger_check(db);
  auto has = [&](const std::string& what) {
    return std::any_of(bad.begin(), bad.end(), [&](const std::string& b) { return b.find(what) != std::string::npos; });
  };
  EXPECT_TRUE(has("is stored twice (transfers 1 and 2)"));
  EXPECT_TRUE(has("has two holds"));
}

// An open hold expires only through its row among the open holds by
// deadline: check finds one missing, and one left for a resolved hold.
TEST_F(LedgerTest, CheckFindsAnOpenHoldThatWouldNeverExpire) {
  const std::string path = small_ledger("open.db");
  ASSERT_FALSE(HasFailure());
  Database db = Database::open(path, kDefaultBusyTimeoutMs);
  Statement open(db.handle(), "SELECT COUNT(*) FROM open_holds");
  ASSERT_TRUE(open.step());
  ASSERT_GT(open.int64(0), 0);
  db.exec("DELETE FROM open_holds WHERE hold = (SELECT MIN(hold) FROM open_holds)");
  std::vector<std::string> bad = ledger_check(db);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("is open but listed 0 times among the open holds"), std::string::npos) << bad[0];
  db.exec("INSERT INTO open_holds(deadline, hold) SELECT h.deadline, h.seq FROM holds AS h "
          "JOIN resolutions AS r ON r.hold = h.seq LIMIT 1");
  bad = ledger_check(db);
  EXPECT_EQ(bad.size(), 3u);
}

// check reads the postings against the transfers: a statement that would
// miss a transfer, or list one not the account's, is a violation, and a
// postings row that is no list of seqs is bad data for the statement.
TEST_F(LedgerTest, CheckFindsPostingsThatDifferFromTheTransfers) {
  const std::string path = small_ledger("postings.db");
  ASSERT_FALSE(HasFailure());
  Database db = Database::open(path, kDefaultBusyTimeoutMs);
  const std::string provider = ledger_records(db).front().provider;
  db.exec(("UPDATE postings SET seqs = seqs || ',1' WHERE account = '" + provider + "'").c_str());
  std::vector<std::string> bad = ledger_check(db);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("the postings of " + provider + " list"), std::string::npos) << bad[0];

  db.exec(("UPDATE postings SET seqs = '2,x' WHERE account = '" + provider + "'").c_str());
  bad = ledger_check(db);
  ASSERT_FALSE(bad.empty());
  EXPECT_NE(bad[0].find("hold '2,x', not seqs"), std::string::npos) << bad[0];
  try {
    ledger_statement(db, provider, INT64_MIN, [](int64_t, const Transfer&) {});
    FAIL() << "a statement read postings that are no seqs";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::data);
  }
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
  const std::string parsed_path = make_ledger("parsed.db");  // sets info_, which the stream names
  std::vector<std::string> lines = sample_market(info_, sample_keys(), m);
  const LedgerState parsed = apply(parsed_path, lines, {}, m.now);
  // Most of the stream applies, and the sample's bad messages are refused.
  ASSERT_GT(parsed.transfer_ids.size(), m.leases);
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
