// The ledger file: an SQLite database in WAL mode with synchronous=FULL,
// marked as ours by PRAGMA application_id and versioned by user_version,
// with every schema step recorded in its migrations table.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "core/error.h"

namespace grid {

// "GRLD": the SQLite header's application id that says "a gridutils ledger".
constexpr int32_t kLedgerApplicationId = 0x47524c44;
// The schema this build writes; older files are migrated on open.
constexpr int kLedgerSchemaVersion = 6;
// A hold beside its resolution (since schema 5 a verdict's outcome is a
// row of `resolutions`, not an update of its hold; since schema 6 found
// through the index on resolutions.hold): FROM kHoldsResolved,
// `h` is the hold and kHoldState its state, "open" while it has none.
constexpr char kHoldsResolved[] = "holds AS h LEFT JOIN resolutions AS r ON r.hold = h.seq";
constexpr char kHoldState[] = "coalesce(r.state, 'open')";
// How long a run waits for another run's write lock by default.
constexpr int kDefaultBusyTimeoutMs = 5000;

// An SQLite failure as our Error: locked -> 75, corrupt or not a
// database -> 65, disk full or I/O -> 74, cannot open -> 66, else 70.
Error sqlite_error(int rc, const std::string& what, sqlite3* db = nullptr);

// A prepared statement, reset and rebound for each use.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, const std::string& value);
  Statement& bind_null(int index);
  // true while there is a row to read; false when done. Throws on errors.
  bool step();
  // Steps once, expecting no row (an INSERT or UPDATE), and resets.
  void run();
  void reset();
  int64_t int64(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// What init records about a ledger.
struct LedgerInfo {
  std::string id;        // the id of the signed "ledger" message made by init
  std::string currency;  // e.g. "USD"; amounts are micro-units of it
  std::string operator_key;  // "ed25519:<hex>": signs deposits and reputation
};

class Database {
 public:
  Database() = default;
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;

  sqlite3* handle() const { return db_; }
  void exec(const char* sql);
  const LedgerInfo& info() const { return info_; }

  // Opens an existing ledger, migrating an older schema. Exit::no_input
  // when `path` does not exist; Exit::data, before SQLite touches the
  // file, when its header is not a gridutils ledger or has a newer schema;
  // Exit::data when it is corrupt.
  static Database open(const std::string& path, int busy_timeout_ms);

  // Creates a ledger at `path` from the signed ledger message, whole or
  // not at all: built beside it, then linked into place. Exit::usage when
  // `path` exists.
  static void create(const std::string& path, const std::string& ledger_message, const LedgerInfo& info);

 private:
  void close();
  sqlite3* db_ = nullptr;
  LedgerInfo info_;
};

// BEGIN IMMEDIATE (waiting up to the busy timeout for the write lock);
// rolled back when destroyed uncommitted.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool open_ = false;
};

// A read transaction: every query inside sees the same committed state,
// while other runs go on writing (WAL).
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Database& db);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  Database& db_;
};

}  // namespace grid
