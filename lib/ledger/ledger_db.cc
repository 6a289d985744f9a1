#include "ledger/ledger_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "core/crypto.h"
#include "core/file_io.h"

namespace grid {
namespace {

// One schema step. A new version appends a row; old files replay the rows
// past their user_version, in one transaction.
struct Migration {
  int version;
  const char* description;
  const char* sql;
};

const Migration kMigrations[] = {
    {1, "accounts, transfers with a hash chain, holds",
     R"(CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE accounts(name TEXT PRIMARY KEY,
          available INTEGER NOT NULL DEFAULT 0, held INTEGER NOT NULL DEFAULT 0,
          stake INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
        CREATE TABLE transfers(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
          debit TEXT NOT NULL, debit_bucket TEXT NOT NULL, credit TEXT NOT NULL, credit_bucket TEXT NOT NULL,
          amount INTEGER NOT NULL, cause TEXT NOT NULL, hold TEXT, at INTEGER NOT NULL, detail TEXT,
          prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
        CREATE INDEX transfers_debit ON transfers(debit);
        CREATE INDEX transfers_credit ON transfers(credit);
        CREATE TABLE holds(lease TEXT PRIMARY KEY, order_id TEXT NOT NULL UNIQUE, task TEXT NOT NULL,
          buyer TEXT NOT NULL, provider TEXT NOT NULL, amount INTEGER NOT NULL, deadline INTEGER NOT NULL,
          state TEXT NOT NULL DEFAULT 'open', resolved_by TEXT) WITHOUT ROWID;
        CREATE INDEX holds_task ON holds(task, provider);
        CREATE INDEX holds_open ON holds(state, deadline);)"},
    // Keyed by lease, a hold's whole row landed on a random page and every
    // batch rewrote most of the table. Stored in the order taken, a batch
    // appends its holds and its verdicts touch recent ones; the random keys
    // live only in narrow indexes, and only open holds in the deadline index.
    {2, "holds stored in the order taken; only open holds indexed by deadline",
     R"(CREATE TABLE holds_by_seq(seq INTEGER PRIMARY KEY, lease TEXT NOT NULL UNIQUE, order_id TEXT NOT NULL UNIQUE,
          task TEXT NOT NULL, buyer TEXT NOT NULL, provider TEXT NOT NULL, amount INTEGER NOT NULL,
          deadline INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'open', resolved_by TEXT);
        INSERT INTO holds_by_seq(lease, order_id, task, buyer, provider, amount, deadline, state, resolved_by)
          SELECT h.lease, h.order_id, h.task, h.buyer, h.provider, h.amount, h.deadline, h.state, h.resolved_by
          FROM holds AS h LEFT JOIN (SELECT hold, MIN(seq) AS taken FROM transfers WHERE type = 'hold' GROUP BY hold)
            AS t ON t.hold = h.lease
          ORDER BY t.taken, h.lease;
        DROP TABLE holds;
        ALTER TABLE holds_by_seq RENAME TO holds;
        CREATE INDEX holds_task ON holds(task);
        CREATE INDEX holds_open ON holds(deadline) WHERE state = 'open';)"},
    // Two index entries a transfer (debit, credit), each a long key, were a
    // quarter of the writer's time; a statement reads an account's postings
    // instead, one row per account per commit. A hold's row shares the seq
    // of its hold transfer, whose id (found through the transfers' id
    // index) finds it: one index of random keys fewer. A hold with no hold
    // transfer (a corrupt ledger, which check reports) is kept, after the rest.
    {3, "postings per account and commit instead of the debit and credit indexes; holds keyed by their hold transfer",
     R"(CREATE TABLE postings(account TEXT NOT NULL, first_seq INTEGER NOT NULL, seqs TEXT NOT NULL,
          PRIMARY KEY(account, first_seq)) WITHOUT ROWID;
        INSERT INTO postings(account, first_seq, seqs)
          SELECT account, MIN(seq), group_concat(seq) FROM
            (SELECT debit AS account, seq FROM transfers UNION SELECT credit, seq FROM transfers)
          GROUP BY account, seq / 1000;
        DROP INDEX transfers_debit;
        DROP INDEX transfers_credit;
        CREATE TABLE holds_by_transfer(seq INTEGER PRIMARY KEY, lease TEXT NOT NULL, order_id TEXT NOT NULL UNIQUE,
          task TEXT NOT NULL, buyer TEXT NOT NULL, provider TEXT NOT NULL, amount INTEGER NOT NULL,
          deadline INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'open', resolved_by TEXT);
        INSERT INTO holds_by_transfer(seq, lease, order_id, task, buyer, provider, amount, deadline, state, resolved_by)
          SELECT t.seq, h.lease, h.order_id, h.task, h.buyer, h.provider, h.amount, h.deadline, h.state, h.resolved_by
          FROM holds AS h LEFT JOIN transfers AS t ON t.hold = h.lease AND t.type = 'hold'
          ORDER BY t.seq IS NULL, t.seq, h.seq;
        DROP TABLE holds;
        ALTER TABLE holds_by_transfer RENAME TO holds;
        CREATE INDEX holds_task ON holds(task);
        CREATE INDEX holds_open ON holds(deadline) WHERE state = 'open';)"},
    // A transfer's id, and a hold's order and task, were index keys of 71
    // bytes or more, landing on random pages: most of the pages a commit
    // wrote. Their last 16 characters (64 bits of a hash, or a task name's
    // distinguishing end) are keys a third as long; a lookup compares the
    // whole value on the rows the short key finds, and uniqueness is the
    // writer's (it looks an id up before posting it) and check's.
    {4, "transfers, holds' orders and tasks indexed by their last 16 characters",
     R"(CREATE TABLE transfers_by_key(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL,
          debit TEXT NOT NULL, debit_bucket TEXT NOT NULL, credit TEXT NOT NULL, credit_bucket TEXT NOT NULL,
          amount INTEGER NOT NULL, cause TEXT NOT NULL, hold TEXT, at INTEGER NOT NULL, detail TEXT,
          prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
        INSERT INTO transfers_by_key SELECT seq, id, type, debit, debit_bucket, credit, credit_bucket, amount, cause,
          hold, at, detail, prev_hash, hash FROM transfers ORDER BY seq;
        DROP TABLE transfers;
        ALTER TABLE transfers_by_key RENAME TO transfers;
        CREATE INDEX transfers_id ON transfers(substr(id, -16));
        CREATE TABLE holds_by_key(seq INTEGER PRIMARY KEY, lease TEXT NOT NULL, order_id TEXT NOT NULL,
          task TEXT NOT NULL, buyer TEXT NOT NULL, provider TEXT NOT NULL, amount INTEGER NOT NULL,
          deadline INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'open', resolved_by TEXT);
        INSERT INTO holds_by_key SELECT seq, lease, order_id, task, buyer, provider, amount, deadline, state,
          resolved_by FROM holds ORDER BY seq;
        DROP TABLE holds;
        ALTER TABLE holds_by_key RENAME TO holds;
        CREATE INDEX holds_order ON holds(substr(order_id, -16));
        CREATE INDEX holds_task ON holds(substr(task, -16));
        CREATE INDEX holds_open ON holds(deadline) WHERE state = 'open';)"},
    // A verdict rewrote its hold's row, a page of older holds each: most
    // of the pages a commit wrote after schema 4. Its outcome is a short
    // row of its own now, keyed by the hold, and the open holds a small
    // table by deadline that a resolution deletes from.
    {5, "verdicts' outcomes in their own table; open holds in one by deadline",
     R"(CREATE TABLE resolutions(hold INTEGER PRIMARY KEY, state TEXT NOT NULL, resolved_by TEXT);
        INSERT INTO resolutions(hold, state, resolved_by)
          SELECT seq, state, resolved_by FROM holds WHERE state <> 'open' ORDER BY seq;
        CREATE TABLE open_holds(deadline INTEGER NOT NULL, hold INTEGER NOT NULL, PRIMARY KEY(deadline, hold))
          WITHOUT ROWID;
        INSERT INTO open_holds(deadline, hold) SELECT deadline, seq FROM holds WHERE state = 'open';
        CREATE TABLE holds_taken(seq INTEGER PRIMARY KEY, lease TEXT NOT NULL, order_id TEXT NOT NULL,
          task TEXT NOT NULL, buyer TEXT NOT NULL, provider TEXT NOT NULL, amount INTEGER NOT NULL,
          deadline INTEGER NOT NULL);
        INSERT INTO holds_taken SELECT seq, lease, order_id, task, buyer, provider, amount, deadline
          FROM holds ORDER BY seq;
        DROP TABLE holds;
        ALTER TABLE holds_taken RENAME TO holds;
        CREATE INDEX holds_order ON holds(substr(order_id, -16));
        CREATE INDEX holds_task ON holds(substr(task, -16));)"},
    // Each commit's random keys land on most pages of those three indexes,
    // so a commit writes them nearly whole: their size is its cost. The
    // last 8 characters (32 bits of a hash) make each entry 17 bytes, not
    // 25; a lookup still compares the whole value on the rows a key finds.
    // Verdicts come in another order than their leases, so resolutions
    // keyed by their hold landed on a page each of 90-byte rows; stored in
    // the order made, a commit appends them, and only 11-byte entries of
    // the index on hold land among older ones.
    {6, "ids, orders and tasks indexed by their last 8 characters; resolutions stored in the order made",
     R"(DROP INDEX transfers_id;
        CREATE INDEX transfers_id ON transfers(substr(id, -8));
        DROP INDEX holds_order;
        CREATE INDEX holds_order ON holds(substr(order_id, -8));
        DROP INDEX holds_task;
        CREATE INDEX holds_task ON holds(substr(task, -8));
        CREATE TABLE resolutions_in_turn(seq INTEGER PRIMARY KEY, hold INTEGER NOT NULL UNIQUE, state TEXT NOT NULL,
          resolved_by TEXT);
        INSERT INTO resolutions_in_turn(hold, state, resolved_by)
          SELECT hold, state, resolved_by FROM resolutions ORDER BY hold;
        DROP TABLE resolutions;
        ALTER TABLE resolutions_in_turn RENAME TO resolutions;)"},
};

// 32 MiB of 4 KiB pages: the WAL a ledger grows to between checkpoints.
constexpr int kWalPagesBeforeCheckpoint = 8192;

// SQLite's file header: the magic, then user_version at 60 and
// application_id at 68, both big-endian.
constexpr size_t kHeaderBytes = 100;
constexpr char kSqliteMagic[] = "SQLite format 3";

int32_t be32(const unsigned char* p) {
  return static_cast<int32_t>(uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]});
}

// Refuses a file that is not ours without letting SQLite write to it
// (opening one in WAL mode, or an empty file, would).
int check_header(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error(Exit::no_input, "no ledger at " + path + " (make one with pay-settle init)");
    throw Error(Exit::io, "cannot read " + path + ": " + std::strerror(errno));
  }
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) throw data_error(path + " is a folder, not a ledger");
  unsigned char h[kHeaderBytes];
  ssize_t n = ::pread(fd, h, sizeof h, 0);
  if (n != static_cast<ssize_t>(sizeof h) || std::memcmp(h, kSqliteMagic, sizeof kSqliteMagic) != 0)
    throw data_error(path + " is not a pay-settle ledger (not an SQLite database); left untouched");
  if (be32(h + 68) != kLedgerApplicationId)
    throw data_error(path + " is an SQLite database but not a pay-settle ledger (application_id); left untouched");
  const int version = be32(h + 60);
  if (version > kLedgerSchemaVersion || version < 1)
    throw data_error(path + " has ledger schema version " + std::to_string(version) + "; this build knows 1 to " +
                     std::to_string(kLedgerSchemaVersion));
  return version;
}

sqlite3* open_handle(const std::string& path, int flags, int busy_timeout_ms) {
  // SQLite counts every allocation under a global mutex for
  // sqlite3_memory_used(), which nothing here reads: 5-10% of the writer's
  // time. It can only be turned off before SQLite's first use in the
  // process; later it stays on, which is only slower.
  static const int no_memory_statistics = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)no_memory_statistics;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(rc, "cannot open " + path, db);
    sqlite3_close(db);
    throw e;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return db;
}

void exec_on(sqlite3* db, const char* sql) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) throw sqlite_error(rc, "ledger", db);
}

void set_durability(sqlite3* db) {
  // WAL: readers never block the writer; FULL: a committed batch is on disk.
  Statement mode(db, "PRAGMA journal_mode=WAL");
  if (!mode.step() || mode.text(0) != "wal") throw Error(Exit::io, "ledger: cannot switch to WAL journal mode");
  exec_on(db, "PRAGMA synchronous=FULL");
  // The indexes are keyed by hashes, so inserts land all over them: keep
  // them in memory rather than re-reading pages from the OS (64 MiB).
  exec_on(db, "PRAGMA cache_size=-65536");
  // A batch dirties pages all over those indexes, and mostly the same ones
  // batch after batch: checkpointing every kWalPagesBeforeCheckpoint pages
  // rather than SQLite's 1000 copies each into the file once for several
  // batches. Commits are as durable either way (the WAL is synced).
  exec_on(db, ("PRAGMA wal_autocheckpoint=" + std::to_string(kWalPagesBeforeCheckpoint)).c_str());
}

void migrate(sqlite3* db, int from) {
  for (const Migration& m : kMigrations) {
    if (m.version <= from) continue;
    exec_on(db, m.sql);
    exec_on(db, "CREATE TABLE IF NOT EXISTS migrations(version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                "applied INTEGER NOT NULL)");
    Statement rec(db, "INSERT INTO migrations(version, description, applied) VALUES (?, ?, strftime('%s','now'))");
    rec.bind(1, int64_t{m.version}).bind(2, std::string(m.description)).run();
    exec_on(db, ("PRAGMA user_version=" + std::to_string(m.version)).c_str());
  }
}

std::string meta_value(sqlite3* db, const std::string& key) {
  Statement q(db, "SELECT value FROM meta WHERE key = ?");
  q.bind(1, key);
  if (!q.step()) throw data_error("the ledger has no " + key + " in its meta table: corrupt");
  return q.text(0);
}

}  // namespace

Error sqlite_error(int rc, const std::string& what, sqlite3* db) {
  const std::string msg = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error(Exit::temp_fail, msg + " (another run holds the ledger; retry, or raise --busy-timeout)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error(Exit::data, msg + " (the ledger file is corrupt)");
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Error(Exit::io, msg);
    case SQLITE_CANTOPEN:
      return Error(Exit::no_input, msg);
    default:
      return Error(Exit::internal, msg);
  }
}

Statement::Statement(sqlite3* db, const char* sql) : db_(db) {
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) throw sqlite_error(rc, "ledger", db);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, const std::string& value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = sqlite_error(rc, "ledger", db_);
  sqlite3_reset(stmt_);
  throw e;
}

void Statement::run() {
  step();
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, column)) : std::string();
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Database::~Database() { close(); }

Database::Database(Database&& other) noexcept : db_(other.db_), info_(std::move(other.info_)) { other.db_ = nullptr; }

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = other.db_;
    info_ = std::move(other.info_);
    other.db_ = nullptr;
  }
  return *this;
}

void Database::close() {
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

void Database::exec(const char* sql) { exec_on(db_, sql); }

Database Database::open(const std::string& path, int busy_timeout_ms) {
  const int version = check_header(path);
  Database d;
  d.db_ = open_handle(path, SQLITE_OPEN_READWRITE, busy_timeout_ms);
  set_durability(d.db_);
  if (version < kLedgerSchemaVersion) {
    Transaction t(d);
    // Another run may have migrated it while we waited for the lock.
    Statement v(d.db_, "PRAGMA user_version");
    v.step();
    const int now = static_cast<int>(v.int64(0));
    v.reset();
    migrate(d.db_, now);
    t.commit();
  }
  d.info_.id = meta_value(d.db_, "id");
  d.info_.currency = meta_value(d.db_, "currency");
  d.info_.operator_key = meta_value(d.db_, "operator");
  return d;
}

void Database::create(const std::string& path, const std::string& ledger_message, const LedgerInfo& info) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) throw Error(Exit::usage, path + " exists; pay-settle init never replaces a file");
  std::random_device rd;
  const std::string temp = path + ".init-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  struct Cleanup {
    const std::string& p;
    ~Cleanup() {
      ::unlink(p.c_str());
      ::unlink((p + "-wal").c_str());
      ::unlink((p + "-shm").c_str());
    }
  } cleanup{temp};
  // Made here rather than by SQLite, whose failure to create a file reads
  // as "unable to open" (SQLITE_CANTOPEN, a missing input) and loses errno.
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(Exit::io, "cannot create " + path + ": " + std::strerror(errno));
  ::close(fd);
  {
    Database d;
    d.db_ = open_handle(temp, SQLITE_OPEN_READWRITE, 0);
    d.exec(("PRAGMA application_id=" + std::to_string(kLedgerApplicationId)).c_str());
    set_durability(d.db_);
    Transaction t(d);
    migrate(d.db_, 0);
    Statement put(d.db_, "INSERT INTO meta(key, value) VALUES (?, ?)");
    put.bind(1, std::string("id")).bind(2, info.id).run();
    put.bind(1, std::string("currency")).bind(2, info.currency).run();
    put.bind(1, std::string("operator")).bind(2, info.operator_key).run();
    put.bind(1, std::string("ledger")).bind(2, ledger_message).run();
    t.commit();
    // Closing the last connection checkpoints the WAL into the file.
  }
  if (::link(temp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) throw Error(Exit::usage, path + " exists; pay-settle init never replaces a file");
    throw Error(Exit::io, "cannot create " + path + ": " + std::strerror(errno));
  }
  fsync_dir(parent_of(path));
}

Transaction::Transaction(Database& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
  open_ = true;
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

ReadSnapshot::ReadSnapshot(Database& db) : db_(db) {
  db_.exec("BEGIN DEFERRED");
  // The snapshot starts at the first read, so read now.
  Statement(db_.handle(), "SELECT COUNT(*) FROM meta").step();
}

ReadSnapshot::~ReadSnapshot() { sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr); }

}  // namespace grid
