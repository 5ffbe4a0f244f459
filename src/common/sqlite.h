// Internal: a small RAII wrapper over the SQLite C API, shared by the journal,
// the webhook inbox and the sandbox store. Not part of the public API.
//
//   auto db = sqlite::Database::Open(path, {});            // WAL, FULL sync
//   if (!db) return tl::unexpected(db.error());
//   if (auto st = sqlite::Migrate(**db, "inbox", {kStep1, kStep2}); !st) ...
//   auto tx = sqlite::Transaction::Begin(**db);            // BEGIN IMMEDIATE
//   auto stmt = (*db)->Prepare("INSERT INTO t(a, b) VALUES (?, ?)");
//   stmt->BindAll(std::int64_t{1}, sqlite::Blob{bytes});
//   if (auto st = stmt->Run(); !st) ...                     // tx rolls back in ~Transaction
//   if (auto st = tx->Commit(); !st) ...
//
// Threading: a Database is one connection. Use it from one thread at a time
// (the owner keeps a mutex, or one connection per thread); statements must not
// outlive their Database.
//
// Locking: every process opens its own connection; writers serialise on the
// file lock. "database is locked" never reaches the caller before
// OpenOptions::busy_timeout has passed: a busy handler and Transaction::Begin
// retry SQLITE_BUSY / SQLITE_LOCKED with short randomized backoff until then,
// and only past that deadline report ErrorCode::kUnavailable.
//
// Error mapping (SQLite primary code -> ErrorCode):
//   BUSY, LOCKED                       -> kUnavailable
//   CORRUPT, NOTADB, FORMAT            -> kCorruption
//   CONSTRAINT (UNIQUE / PRIMARY KEY)  -> kAlreadyExists; other CONSTRAINT -> kFailedPrecondition
//   IOERR, FULL, CANTOPEN, READONLY, PERM, NOLFS, PROTOCOL -> kIo
//   TOOBIG, RANGE, MISMATCH            -> kInvalidArgument
//   anything else (MISUSE, ERROR...)   -> kInternal
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "idem/clock.h"
#include "idem/random.h"
#include "idem/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace idem::sqlite {

enum class Synchronous {
  // fsync the WAL on every commit: a commit that returned survives power loss.
  kFull,
  // fsync only at checkpoints: a commit survives a crash of the process, the
  // last commits may be lost if the machine loses power. Never corrupts.
  kNormal,
};

struct OpenOptions {
  // See Synchronous. Default kFull.
  Synchronous synchronous = Synchronous::kFull;
  // How long any statement or BEGIN waits for another connection's lock
  // before the call fails with kUnavailable. Default 30 s.
  std::chrono::milliseconds busy_timeout{30000};
  // Upper bound of one randomized backoff sleep while waiting for a lock.
  // Default 20 ms (sleeps are uniform in [1, cap], growing from 1 ms).
  std::chrono::milliseconds max_backoff{20};
  // Create the file if it is missing. Default true.
  bool create = true;
  // PRAGMA foreign_keys. Default true.
  bool foreign_keys = true;
  // Prepared statements kept for reuse by Prepare(). Default 64.
  std::size_t statement_cache_size = 64;
  // `path` is an SQLite URI ("file:..."), for an in-memory database that
  // several connections of this process share: "file:/NAME?vfs=memdb" (the
  // database lives while one of them is open). Such a database has no WAL:
  // its readers and its writer wait for each other. Default false: a path.
  bool uri = false;
  // Injected for tests; defaults: system clock, real sleeper, CryptoRandom-seeded
  // SeededRandom (backoff jitter needs no cryptographic quality). The clock
  // measures the busy_timeout deadline, so it must advance while the sleeper
  // sleeps: pass the real pair, or a FakeClock with its FakeSleeper.
  std::shared_ptr<Clock> clock;
  std::shared_ptr<Sleeper> sleeper;
  std::shared_ptr<RandomSource> random;
};

// Binds as a BLOB (bytes kept exactly, NULs included). Plain string_view binds
// as TEXT.
struct Blob {
  std::string_view bytes;
};

// The scheme of "scheme://..." (a letter, then letters, digits, '+', '-',
// '.'), nullopt for anything else. Database::Open refuses such a path
// (kInvalidArgument, naming only the scheme: the rest may hold a password):
// a mistyped "postgress://" URL would otherwise become a SQLite file.
std::optional<std::string_view> UrlSchemeOf(std::string_view path);

class Database;

// A prepared statement. Obtained from Database::Prepare; on destruction it is
// reset and handed back to the database's cache. Bind errors are kept and
// reported by the next Step/Run, so binds can be chained.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameter indexes are 1-based, as in SQLite.
  Statement& Bind(int index, std::int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<std::int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, Blob blob);
  Statement& Bind(int index, std::nullptr_t);
  // Binds args to parameters 1..N in order.
  template <typename... Args>
  Statement& BindAll(const Args&... args) {
    int index = 0;
    (Bind(++index, args), ...);
    return *this;
  }

  // One step: true = a row is available (read it with Column*), false = done.
  [[nodiscard]] Result<bool> Step();
  // Steps until done, ignoring rows (for INSERT/UPDATE/DELETE).
  [[nodiscard]] Status Run();
  // Rows changed by the last Run() on this connection.
  int Changes() const;
  // Resets the statement and clears its bindings, to run it again.
  void Reset();

  // Columns are 0-based, as in SQLite.
  bool IsNull(int column) const;
  std::int64_t ColumnInt64(int column) const;
  int ColumnInt(int column) const { return static_cast<int>(ColumnInt64(column)); }
  double ColumnDouble(int column) const;
  // TEXT or BLOB bytes, exactly (NULs included); "" for NULL.
  std::string ColumnString(int column) const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt, std::string sql);
  void NoteBindError(int rc);

  Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;  // the cache key
  int bind_error_ = 0;
};

class Database {
 public:
  // Opens `path` (":memory:" and, with OpenOptions::uri, a shared memdb URI
  // work too) with WAL (an in-memory database keeps SQLite's memory journal),
  // the chosen synchronous mode, foreign keys and the busy handler. A file that is not SQLite gives
  // kCorruption; a path that cannot be opened or created gives kIo.
  [[nodiscard]] static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                              OpenOptions options = {});

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // A statement from the cache, or freshly prepared. One SQL statement only.
  [[nodiscard]] Result<Statement> Prepare(std::string_view sql);
  // Runs one or more ';'-separated statements without parameters.
  [[nodiscard]] Status Exec(std::string_view sql);

  std::int64_t LastInsertRowId() const;
  const std::string& path() const { return path_; }
  const OpenOptions& options() const { return options_; }
  sqlite3* handle() const { return db_; }

  // Sleeps one randomized backoff step for a lock wait that started at
  // `started` and has retried `attempt` times; false (without sleeping) once
  // the busy_timeout deadline has passed.
  bool BackoffOrGiveUp(std::chrono::steady_clock::time_point started, int attempt);

  // Maps an SQLite result code to an Error with the connection's message.
  Error MakeSqliteError(int rc, std::string_view what) const;

 private:
  friend class Statement;
  Database(sqlite3* db, std::string path, OpenOptions options);
  [[nodiscard]] Status Configure();  // pragmas run by Open
  void ReturnToCache(std::string sql, sqlite3_stmt* stmt);
  static int BusyHandler(void* self, int count);

  sqlite3* db_;
  std::string path_;
  OpenOptions options_;
  std::chrono::steady_clock::time_point busy_started_{};
  // sql -> idle prepared statements.
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> cache_;
  std::size_t cached_count_ = 0;
};

// BEGIN IMMEDIATE ... COMMIT. Begin() takes the write lock up front (so the
// transaction never fails half-way with SQLITE_BUSY_SNAPSHOT), retrying a busy
// database with randomized backoff until busy_timeout. Destroying an
// uncommitted Transaction rolls it back.
class Transaction {
 public:
  [[nodiscard]] static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  // Commits (retrying a busy COMMIT until busy_timeout). On failure the
  // transaction is rolled back.
  [[nodiscard]] Status Commit();
  [[nodiscard]] Status Rollback();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

// A SAVEPOINT inside a transaction: Release() keeps its changes, destroying it
// unreleased rolls back to it (and leaves the outer transaction usable). Used
// to isolate one request's writes inside a group commit.
class Savepoint {
 public:
  [[nodiscard]] static Result<Savepoint> Begin(Database& db, std::string name = "sp");
  Savepoint(Savepoint&& other) noexcept;
  Savepoint& operator=(Savepoint&&) = delete;
  Savepoint(const Savepoint&) = delete;
  ~Savepoint();

  [[nodiscard]] Status Release();
  [[nodiscard]] Status RollbackTo();

 private:
  Savepoint(Database* db, std::string name) : db_(db), name_(std::move(name)) {}
  Database* db_;
  std::string name_;
};

// Per-component schema migrations, recorded in
//   idem_schema(component TEXT PRIMARY KEY, version INTEGER NOT NULL).
// `steps[i]` takes the component from version i to i + 1 (one or more SQL
// statements). The missing steps are applied in one transaction, so a crash
// leaves either the old or the new version. A database whose version is
// higher than steps.size() (written by a newer idem) gives
// kFailedPrecondition and is left untouched. Safe when several processes
// migrate the same file at once.
[[nodiscard]] Status Migrate(Database& db, std::string_view component,
                             const std::vector<std::string>& steps);

// The component's schema version, 0 if it has none.
[[nodiscard]] Result<int> SchemaVersion(Database& db, std::string_view component);

}  // namespace idem::sqlite
