#include "common/sqlite.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <utility>

namespace idem::sqlite {
namespace {

bool IsBusy(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

ErrorCode MapCode(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
      return ErrorCode::kCorruption;
    case SQLITE_CONSTRAINT:
      return (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                 ? ErrorCode::kAlreadyExists
                 : ErrorCode::kFailedPrecondition;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
    case SQLITE_PROTOCOL:
      return ErrorCode::kIo;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return ErrorCode::kInvalidArgument;
    default:
      return ErrorCode::kInternal;
  }
}

// True when only whitespace and ';' remain after a prepared statement.
bool OnlyTrailingNoise(const char* tail, const char* end) {
  return std::all_of(tail, end, [](char c) {
    return c == ';' || c == ' ' || c == '\n' || c == '\r' || c == '\t';
  });
}

}  // namespace

// ---------------------------------------------------------------- Statement

Statement::Statement(Database* db, sqlite3_stmt* stmt, std::string sql)
    : db_(db), stmt_(stmt), sql_(std::move(sql)) {}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      sql_(std::move(other.sql_)),
      bind_error_(std::exchange(other.bind_error_, 0)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    this->~Statement();
    new (this) Statement(std::move(other));
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  db_->ReturnToCache(std::move(sql_), stmt_);
  stmt_ = nullptr;
}

void Statement::NoteBindError(int rc) {
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

Statement& Statement::Bind(int index, std::int64_t value) {
  NoteBindError(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  NoteBindError(sqlite3_bind_double(stmt_, index, value));
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  NoteBindError(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::Bind(int index, Blob blob) {
  // A zero-length blob with a null pointer would bind NULL; keep it a blob.
  static const char kEmpty = 0;
  const char* data = blob.bytes.data() != nullptr ? blob.bytes.data() : &kEmpty;
  NoteBindError(sqlite3_bind_blob64(stmt_, index, data, blob.bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::Bind(int index, std::nullptr_t) {
  NoteBindError(sqlite3_bind_null(stmt_, index));
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_error_ != 0) {
    const int rc = std::exchange(bind_error_, 0);
    return tl::unexpected(db_->MakeSqliteError(rc, "bind"));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error error = db_->MakeSqliteError(rc, "step");
  sqlite3_reset(stmt_);
  return tl::unexpected(std::move(error));
}

Status Statement::Run() {
  while (true) {
    auto row = Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return {};
  }
}

int Statement::Changes() const { return sqlite3_changes(sqlite3_db_handle(stmt_)); }

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::ColumnString(int column) const {
  // column_blob before column_bytes: returns TEXT bytes unconverted too.
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

// ----------------------------------------------------------------- Database

Database::Database(sqlite3* db, std::string path, OpenOptions options)
    : db_(db), path_(std::move(path)), options_(std::move(options)) {}

Database::~Database() {
  for (auto& [sql, stmts] : cache_) {
    for (sqlite3_stmt* stmt : stmts) sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db_);
}

std::optional<std::string_view> UrlSchemeOf(std::string_view path) {
  const std::size_t colon = path.find("://");
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view scheme = path.substr(0, colon);
  if (!std::isalpha(static_cast<unsigned char>(scheme[0]))) return std::nullopt;
  for (char c : scheme) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return std::nullopt;
    }
  }
  return scheme;
}

namespace {

// Journals, inboxes and sandbox stores hold personal data (names, dates of
// birth, document numbers, images in multipart bodies): a new database file
// is created 0600, owner only, whatever the umask. SQLite creates the -wal
// and -shm files with the database file's permissions, so they follow. An
// existing file keeps its mode; a path SQLite treats specially (":memory:",
// "file:" URIs) is left to SQLite. Errors are left for sqlite3_open_v2 to
// report.
void CreatePrivately(const std::string& path) {
  if (path == ":memory:" || path.rfind("file:", 0) == 0) return;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, OpenOptions options) {
  if (!options.clock) options.clock = DefaultClock();
  if (!options.sleeper) options.sleeper = std::make_shared<RealSleeper>();
  if (!options.random) options.random = std::make_shared<SeededRandom>(CryptoRandom().NextU64());
  if (path.empty()) return MakeError(ErrorCode::kInvalidArgument, "sqlite: empty database path");

  if (auto scheme = UrlSchemeOf(path)) {
    // Only the scheme is named: the rest may hold a user and password.
    return MakeError(ErrorCode::kInvalidArgument,
                     "sqlite: a " + std::string(*scheme) +
                         ":// URL is not a database file path (PostgreSQL takes postgresql:// "
                         "or postgres://; SQLite a file path)");
  }
  if (options.create) CreatePrivately(path);
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0) |
                    (options.uri ? SQLITE_OPEN_URI : 0);
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "sqlite: cannot open '" + path +
                          "': " + (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    sqlite3_close_v2(raw);
    return MakeError(MapCode(rc), std::move(message));
  }
  std::unique_ptr<Database> db(new Database(raw, path, std::move(options)));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_handler(raw, &Database::BusyHandler, db.get());

  if (sqlite3_db_readonly(raw, "main") == 1) {
    return MakeError(ErrorCode::kIo, "sqlite: '" + path + "' is read-only");
  }
  if (auto st = db->Configure(); !st) {
    return MakeError(st.error().code(), "sqlite: '" + path + "': " + st.error().message());
  }
  return db;
}

Status Database::Configure() {
  // The first read of the file: a non-SQLite file fails here with NOTADB.
  auto mode = Prepare("PRAGMA journal_mode=WAL");
  if (!mode) return tl::unexpected(mode.error());
  // SQLite may answer BUSY here without calling the busy handler: while the
  // last connection of another process checkpoints and removes the WAL on
  // close, or turns a new file to WAL. Opening waits like any other lock.
  const auto started = options_.clock->SteadyNow();
  Result<bool> row = mode->Step();
  for (int attempt = 0;
       !row && row.error().code() == ErrorCode::kUnavailable && BackoffOrGiveUp(started, attempt);
       ++attempt) {
    mode->Reset();
    row = mode->Step();
  }
  if (!row) return tl::unexpected(row.error());
  const std::string journal_mode = *row ? mode->ColumnString(0) : "";
  const bool in_memory =
      path_ == ":memory:" || (options_.uri && path_.find("vfs=memdb") != std::string::npos);
  if (journal_mode != "wal" && !in_memory) {
    return MakeError(ErrorCode::kIo, "cannot use WAL (journal_mode=" + journal_mode + ")");
  }
  mode->Reset();
  if (auto st = Exec(options_.synchronous == Synchronous::kFull ? "PRAGMA synchronous=FULL"
                                                                : "PRAGMA synchronous=NORMAL");
      !st) {
    return st;
  }
  return Exec(options_.foreign_keys ? "PRAGMA foreign_keys=ON" : "PRAGMA foreign_keys=OFF");
}

Result<Statement> Database::Prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = cache_.find(key); it != cache_.end() && !it->second.empty()) {
    sqlite3_stmt* stmt = it->second.back();
    it->second.pop_back();
    --cached_count_;
    return Statement(this, stmt, std::move(key));
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) return tl::unexpected(MakeSqliteError(rc, "prepare"));
  if (stmt == nullptr) return MakeError(ErrorCode::kInvalidArgument, "sqlite: empty statement");
  if (tail != nullptr && !OnlyTrailingNoise(tail, sql.data() + sql.size())) {
    sqlite3_finalize(stmt);
    return MakeError(ErrorCode::kInvalidArgument,
                     "sqlite: Prepare takes one statement; use Exec for several");
  }
  return Statement(this, stmt, std::move(key));
}

Status Database::Exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(MakeSqliteError(rc, "exec"));
  return {};
}

std::int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

void Database::ReturnToCache(std::string sql, sqlite3_stmt* stmt) {
  if (cached_count_ >= options_.statement_cache_size) {
    sqlite3_finalize(stmt);
    return;
  }
  cache_[std::move(sql)].push_back(stmt);
  ++cached_count_;
}

bool Database::BackoffOrGiveUp(std::chrono::steady_clock::time_point started, int attempt) {
  const auto now = options_.clock->SteadyNow();
  if (now - started >= options_.busy_timeout) return false;
  // Grows 1, 2, 4 ... ms up to max_backoff; full jitter so that processes
  // waiting for the same lock do not wake together.
  const std::int64_t cap =
      std::max<std::int64_t>(1, std::min<std::int64_t>(options_.max_backoff.count(),
                                                       std::int64_t{1} << std::min(attempt, 10)));
  const auto sleep = std::chrono::milliseconds(options_.random->NextInRange(1, cap));
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(options_.busy_timeout -
                                                                          (now - started));
  options_.sleeper->SleepFor(std::max(std::chrono::milliseconds(1), std::min(sleep, left)));
  return true;
}

int Database::BusyHandler(void* self, int count) {
  auto* db = static_cast<Database*>(self);
  if (count == 0) db->busy_started_ = db->options_.clock->SteadyNow();
  return db->BackoffOrGiveUp(db->busy_started_, count) ? 1 : 0;
}

Error Database::MakeSqliteError(int rc, std::string_view what) const {
  std::string message = "sqlite " + std::string(what) + ": " + sqlite3_errstr(rc);
  const char* detail = sqlite3_errmsg(db_);
  if (detail != nullptr && std::string_view(detail) != sqlite3_errstr(rc)) {
    message += " (";
    message += detail;
    message += ")";
  }
  if (IsBusy(rc))
    message += " after waiting " + std::to_string(options_.busy_timeout.count()) + " ms";
  return Error(MapCode(rc), std::move(message));
}

// -------------------------------------------------------------- Transaction

Result<Transaction> Transaction::Begin(Database& db) {
  const auto started = db.options().clock->SteadyNow();
  for (int attempt = 0;; ++attempt) {
    const int rc = sqlite3_exec(db.handle(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return Transaction(&db);
    if (!IsBusy(rc) || !db.BackoffOrGiveUp(started, attempt)) {
      return tl::unexpected(db.MakeSqliteError(rc, "BEGIN IMMEDIATE"));
    }
  }
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  // A destructor cannot report; SQLite rolls back an open transaction when the
  // connection closes anyway.
  if (db_ != nullptr) (void)Rollback();
}

Status Transaction::Commit() {
  if (db_ == nullptr) return MakeError(ErrorCode::kInternal, "sqlite: transaction already ended");
  const auto started = db_->options().clock->SteadyNow();
  for (int attempt = 0;; ++attempt) {
    const int rc = sqlite3_exec(db_->handle(), "COMMIT", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) {
      db_ = nullptr;
      return {};
    }
    // A busy COMMIT leaves the transaction open and may be retried.
    if (IsBusy(rc) && db_->BackoffOrGiveUp(started, attempt)) continue;
    Error error = db_->MakeSqliteError(rc, "COMMIT");
    // The COMMIT's error is the one to report.
    (void)Rollback();
    return tl::unexpected(std::move(error));
  }
}

Status Transaction::Rollback() {
  if (db_ == nullptr) return {};
  Database* db = std::exchange(db_, nullptr);
  // After some errors SQLite has already rolled back; then there is nothing to do.
  if (sqlite3_get_autocommit(db->handle()) != 0) return {};
  const int rc = sqlite3_exec(db->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(db->MakeSqliteError(rc, "ROLLBACK"));
  return {};
}

// ---------------------------------------------------------------- Savepoint

Result<Savepoint> Savepoint::Begin(Database& db, std::string name) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
      })) {
    return MakeError(ErrorCode::kInvalidArgument, "sqlite: bad savepoint name");
  }
  if (auto st = db.Exec("SAVEPOINT " + name); !st) return tl::unexpected(st.error());
  return Savepoint(&db, std::move(name));
}

Savepoint::Savepoint(Savepoint&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), name_(std::move(other.name_)) {}

Savepoint::~Savepoint() {
  // A destructor cannot report; the enclosing transaction's outcome decides.
  if (db_ != nullptr) (void)RollbackTo();
}

Status Savepoint::Release() {
  if (db_ == nullptr) return MakeError(ErrorCode::kInternal, "sqlite: savepoint already ended");
  Database* db = std::exchange(db_, nullptr);
  return db->Exec("RELEASE " + name_);
}

Status Savepoint::RollbackTo() {
  if (db_ == nullptr) return {};
  Database* db = std::exchange(db_, nullptr);
  if (sqlite3_get_autocommit(db->handle()) != 0) return {};  // the whole transaction is gone
  if (auto st = db->Exec("ROLLBACK TO " + name_); !st) return st;
  return db->Exec("RELEASE " + name_);
}

// --------------------------------------------------------------- Migrations

namespace {

[[nodiscard]] Result<bool> SchemaTableExists(Database& db) {
  auto stmt =
      db.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'idem_schema'");
  if (!stmt) return tl::unexpected(stmt.error());
  return stmt->Step();
}

}  // namespace

[[nodiscard]] Result<int> SchemaVersion(Database& db, std::string_view component) {
  auto exists = SchemaTableExists(db);
  if (!exists) return tl::unexpected(exists.error());
  if (!*exists) return 0;
  auto stmt = db.Prepare("SELECT version FROM idem_schema WHERE component = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->Bind(1, component);
  auto row = stmt->Step();
  if (!row) return tl::unexpected(row.error());
  return *row ? stmt->ColumnInt(0) : 0;
}

[[nodiscard]] Status Migrate(Database& db, std::string_view component,
                             const std::vector<std::string>& steps) {
  const int latest = static_cast<int>(steps.size());
  auto too_new = [&](int version) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "sqlite: '" + db.path() + "' has schema version " + std::to_string(version) +
                         " for " + std::string(component) + ", newer than this build knows (" +
                         std::to_string(latest) + "); use a newer idem");
  };
  // Fast path without the write lock: already current (the usual open).
  auto current = SchemaVersion(db, component);
  if (!current) return tl::unexpected(current.error());
  if (*current == latest) return {};
  if (*current > latest) return too_new(*current);

  auto tx = Transaction::Begin(db);
  if (!tx) return tl::unexpected(tx.error());
  if (auto st = db.Exec("CREATE TABLE IF NOT EXISTS idem_schema("
                        "component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
      !st) {
    return st;
  }
  // Another process may have migrated while we waited for the lock.
  current = SchemaVersion(db, component);
  if (!current) return tl::unexpected(current.error());
  if (*current > latest) return too_new(*current);
  for (int step = *current; step < latest; ++step) {
    if (auto st = db.Exec(steps[static_cast<std::size_t>(step)]); !st) {
      return MakeError(st.error().code(), "sqlite: migrating " + std::string(component) +
                                              " to version " + std::to_string(step + 1) + ": " +
                                              st.error().message());
    }
  }
  auto upsert = db.Prepare(
      "INSERT INTO idem_schema(component, version) VALUES (?, ?) "
      "ON CONFLICT(component) DO UPDATE SET version = excluded.version");
  if (!upsert) return tl::unexpected(upsert.error());
  upsert->BindAll(component, latest);
  if (auto st = upsert->Run(); !st) return st;
  return tx->Commit();
}

}  // namespace idem::sqlite
