#include "common/sqlite.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace idem::sqlite {
namespace {

namespace fs = std::filesystem;

class SqliteTest : public ::testing::Test {
 protected:
  std::string PathOf(const std::string& name) const { return dir_.File(name); }

  idem::testing::TempDir dir_{"idem-sqlite-test"};
};

std::unique_ptr<Database> MustOpen(const std::string& path, OpenOptions options = {}) {
  auto db = Database::Open(path, std::move(options));
  EXPECT_TRUE(db.has_value()) << db.error().ToString();
  return db ? std::move(*db) : nullptr;
}

std::string QueryText(Database& db, const std::string& sql) {
  auto stmt = db.Prepare(sql);
  EXPECT_TRUE(stmt.has_value()) << stmt.error().ToString();
  auto row = stmt->Step();
  EXPECT_TRUE(row.has_value() && *row);
  return stmt->ColumnString(0);
}

TEST_F(SqliteTest, OpensInWalWithRequestedSynchronousMode) {
  auto full = MustOpen(PathOf("a.db"));
  EXPECT_EQ(QueryText(*full, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText(*full, "PRAGMA synchronous"), "2");  // FULL
  EXPECT_EQ(QueryText(*full, "PRAGMA foreign_keys"), "1");
  OpenOptions normal;
  normal.synchronous = Synchronous::kNormal;
  auto other = MustOpen(PathOf("a.db"), normal);
  EXPECT_EQ(QueryText(*other, "PRAGMA synchronous"), "1");  // NORMAL
}

// Issue 16, item 3: a new database and its -wal and -shm files are 0600
// (owner only), whatever the umask; they hold personal data.
TEST_F(SqliteTest, ANewDatabaseAndItsWalFilesArePrivate) {
  const mode_t previous = ::umask(022);
  {
    auto db = MustOpen(PathOf("private.db"));
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)"));
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const fs::path file = PathOf(std::string("private.db") + suffix);
      ASSERT_TRUE(fs::exists(file)) << file;
      struct stat st {};
      ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
    }
  }
  // An existing file keeps the mode its owner gave it.
  const std::string shared = PathOf("shared.db");
  { std::ofstream(shared).flush(); }
  ::chmod(shared.c_str(), 0640);
  ASSERT_NE(MustOpen(shared), nullptr);
  struct stat st {};
  ASSERT_EQ(::stat(shared.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ::umask(previous);
}

// Issue 16: a mistyped postgres:// scheme became a SQLite path, and the
// error printed the URL with its password.
TEST_F(SqliteTest, AUrlIsRefusedWithoutItsCredentialsAndNothingIsCreated) {
  const fs::path cwd = fs::current_path();
  fs::current_path(dir_.path());
  for (const std::string url :
       {"postgress://idem:s3cret-pw@db.example:5432/idem",
        "postgresq://idem:s3cret-pw@localhost/idem", "mysql://root:s3cret-pw@localhost/x"}) {
    auto db = Database::Open(url, {});
    ASSERT_FALSE(db) << url;
    EXPECT_EQ(db.error().code(), ErrorCode::kInvalidArgument) << url;
    EXPECT_EQ(db.error().message().find("s3cret-pw"), std::string::npos) << db.error().message();
    EXPECT_NE(db.error().message().find("postgresql://"), std::string::npos)
        << db.error().message();
  }
  EXPECT_TRUE(fs::is_empty(dir_.path())) << "nothing may be created for a URL";
  fs::current_path(cwd);
  // A file name with a colon is still a file.
  EXPECT_NE(MustOpen(PathOf("a:b.db")), nullptr);
}

TEST_F(SqliteTest, BindAndColumnRoundTripExactBytes) {
  auto db = MustOpen(PathOf("b.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t(i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)"));
  const std::string binary("a\0b\xff\x00z", 6);
  auto insert = db->Prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)");
  ASSERT_TRUE(insert);
  insert->BindAll(std::int64_t{1} << 40, 2.5, "text", Blob{binary}, nullptr);
  ASSERT_TRUE(insert->Run());
  EXPECT_EQ(insert->Changes(), 1);

  auto select = db->Prepare("SELECT i, d, s, b, n FROM t");
  ASSERT_TRUE(select);
  auto row = select->Step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(select->ColumnInt64(0), std::int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(select->ColumnDouble(1), 2.5);
  EXPECT_EQ(select->ColumnString(2), "text");
  EXPECT_EQ(select->ColumnString(3), binary);
  EXPECT_TRUE(select->IsNull(4));
  EXPECT_EQ(select->ColumnString(4), "");
  auto done = select->Step();
  ASSERT_TRUE(done);
  EXPECT_FALSE(*done);
}

TEST_F(SqliteTest, EmptyBlobStaysABlobNotNull) {
  auto db = MustOpen(PathOf("e.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t(b BLOB)"));
  auto insert = db->Prepare("INSERT INTO t VALUES (?)");
  insert->Bind(1, Blob{std::string_view()});
  ASSERT_TRUE(insert->Run());
  EXPECT_EQ(QueryText(*db, "SELECT typeof(b) FROM t"), "blob");
}

TEST_F(SqliteTest, StatementsAreCachedAndReusable) {
  auto db = MustOpen(PathOf("c.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x INTEGER)"));
  for (int i = 0; i < 100; ++i) {
    auto stmt = db->Prepare("INSERT INTO t VALUES (?)");
    ASSERT_TRUE(stmt);
    stmt->Bind(1, i);
    ASSERT_TRUE(stmt->Run());
  }
  EXPECT_EQ(QueryText(*db, "SELECT count(*) FROM t"), "100");
  // The same SQL prepared twice at once gets two distinct statements.
  auto a = db->Prepare("SELECT x FROM t ORDER BY x");
  auto b = db->Prepare("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->Step().value());
  ASSERT_TRUE(a->Step().value());
  ASSERT_TRUE(b->Step().value());
  EXPECT_EQ(a->ColumnInt(0), 1);
  EXPECT_EQ(b->ColumnInt(0), 0);
}

TEST_F(SqliteTest, ErrorsAreMappedToCodes) {
  auto db = MustOpen(PathOf("d.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER NOT NULL)"));
  auto bad_sql = db->Prepare("SELEKT nonsense");
  ASSERT_FALSE(bad_sql);
  EXPECT_EQ(bad_sql.error().code(), ErrorCode::kInternal);
  auto two = db->Prepare("SELECT 1; SELECT 2");
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().code(), ErrorCode::kInvalidArgument);

  auto insert = db->Prepare("INSERT INTO t VALUES (?, ?)");
  insert->BindAll("k", 1);
  ASSERT_TRUE(insert->Run());
  insert->Reset();
  insert->BindAll("k", 2);
  auto dup = insert->Run();
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code(), ErrorCode::kAlreadyExists);
  insert->Reset();
  insert->BindAll("other", nullptr);
  auto not_null = insert->Run();
  ASSERT_FALSE(not_null);
  EXPECT_EQ(not_null.error().code(), ErrorCode::kFailedPrecondition);

  // A bad bind index is reported by the next Run, not lost.
  insert->Reset();
  insert->Bind(7, 1);
  auto range = insert->Run();
  ASSERT_FALSE(range);
  EXPECT_EQ(range.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(SqliteTest, NonSqliteFileIsCorruption) {
  const std::string path = PathOf("garbage.db");
  std::ofstream(path) << std::string(8192, 'x');
  auto db = Database::Open(path);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(db.error().message().find(path), std::string::npos);
}

TEST_F(SqliteTest, UnopenablePathsAreIoErrors) {
  auto missing_dir = Database::Open(PathOf("no/such/dir.db"));
  ASSERT_FALSE(missing_dir);
  EXPECT_EQ(missing_dir.error().code(), ErrorCode::kIo);
  auto directory = Database::Open(dir_.string());
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code(), ErrorCode::kIo);
  OpenOptions no_create;
  no_create.create = false;
  auto absent = Database::Open(PathOf("absent.db"), no_create);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code(), ErrorCode::kIo);
  EXPECT_FALSE(Database::Open(""));
}

TEST_F(SqliteTest, TransactionCommitsOrRollsBack) {
  auto db = MustOpen(PathOf("tx.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x INTEGER)"));
  {
    auto tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)"));
    ASSERT_TRUE(tx->Commit());
  }
  {
    auto tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (2)"));
    // destroyed without Commit: rolled back
  }
  EXPECT_EQ(QueryText(*db, "SELECT group_concat(x) FROM t"), "1");
}

TEST_F(SqliteTest, SavepointIsolatesOnePieceOfATransaction) {
  auto db = MustOpen(PathOf("sp.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x INTEGER)"));
  auto tx = Transaction::Begin(*db);
  ASSERT_TRUE(tx);
  {
    auto kept = Savepoint::Begin(*db, "kept");
    ASSERT_TRUE(kept);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)"));
    ASSERT_TRUE(kept->Release());
  }
  {
    auto dropped = Savepoint::Begin(*db, "dropped");
    ASSERT_TRUE(dropped);
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (2)"));
  }
  EXPECT_FALSE(Savepoint::Begin(*db, "bad name; DROP TABLE t"));
  ASSERT_TRUE(tx->Commit());
  EXPECT_EQ(QueryText(*db, "SELECT group_concat(x) FROM t"), "1");
}

TEST_F(SqliteTest, BusyDatabaseWaitsThenReportsUnavailablePastDeadline) {
  const std::string path = PathOf("busy.db");
  auto holder = MustOpen(path);
  ASSERT_TRUE(holder->Exec("CREATE TABLE t(x INTEGER)"));
  OpenOptions short_wait;
  short_wait.busy_timeout = std::chrono::milliseconds(60);
  auto waiter = MustOpen(path, short_wait);

  auto held = Transaction::Begin(*holder);
  ASSERT_TRUE(held);
  const auto start = std::chrono::steady_clock::now();
  auto blocked = Transaction::Begin(*waiter);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code(), ErrorCode::kUnavailable);
  EXPECT_GE(waited, std::chrono::milliseconds(60));
  // Reads are never blocked by a writer in WAL mode.
  EXPECT_EQ(QueryText(*waiter, "SELECT count(*) FROM t"), "0");
  ASSERT_TRUE(held->Commit());
  EXPECT_TRUE(Transaction::Begin(*waiter));
}

// Opening meets a file another connection holds exclusively (a new file not
// yet in WAL mode): it backs off and opens once the lock is gone, instead of
// failing with "database is locked". The holder lets go in the opener's first
// backoff sleep, so nothing here waits on time. (Here SQLite's busy handler
// does the waiting; the retry around PRAGMA journal_mode=WAL in Configure is
// for the moments SQLite answers BUSY without calling it, which
// JournalProcessTest.ConcurrentFirstOpensOfANewFileAllSucceed meets under
// load.)
TEST_F(SqliteTest, OpeningWaitsOutAnExclusiveLockOnTheFile) {
  const std::string path = PathOf("exclusive.db");
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder,
                         "CREATE TABLE t(x INTEGER); PRAGMA locking_mode=EXCLUSIVE; "
                         "BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);

  // Commits and closes the holder in the first sleep it is asked for.
  class ReleasingSleeper final : public Sleeper {
   public:
    explicit ReleasingSleeper(sqlite3*& holder) : holder_(holder) {}
    void SleepFor(std::chrono::milliseconds) override {
      ++sleeps;
      if (holder_ == nullptr) return;
      sqlite3_exec(holder_, "COMMIT", nullptr, nullptr, nullptr);
      sqlite3_close(holder_);
      holder_ = nullptr;
    }
    int sleeps = 0;

   private:
    sqlite3*& holder_;
  };
  auto sleeper = std::make_shared<ReleasingSleeper>(holder);
  OpenOptions options;
  options.sleeper = sleeper;
  auto db = Database::Open(path, options);
  if (holder != nullptr) sqlite3_close(holder);
  ASSERT_TRUE(db) << db.error().ToString();
  EXPECT_GE(sleeper->sleeps, 1);
  EXPECT_EQ(QueryText(**db, "SELECT count(*) FROM t"), "1");
  EXPECT_EQ(QueryText(**db, "PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteTest, LockHeldBrieflyByAnotherProcessIsWaitedOut) {
  const std::string path = PathOf("proc.db");
  ASSERT_TRUE(MustOpen(path)->Exec("CREATE TABLE t(x INTEGER)"));
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  idem::testing::ChildProcess child = idem::testing::ChildProcess::Fork([&] {
    // Holds the write lock for 100 ms, then commits.
    auto db = Database::Open(path);
    if (!db) _exit(2);
    auto tx = Transaction::Begin(**db);
    if (!tx || !(*db)->Exec("INSERT INTO t VALUES (1)")) _exit(3);
    char byte = 1;
    if (write(ready[1], &byte, 1) != 1) _exit(4);
    usleep(100'000);
    _exit(tx->Commit() ? 0 : 5);
  });
  ASSERT_TRUE(child.started());
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  auto db = MustOpen(path);
  auto tx = Transaction::Begin(*db);  // waits for the child's commit
  ASSERT_TRUE(tx) << tx.error().ToString();
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (2)"));
  ASSERT_TRUE(tx->Commit());
  const idem::testing::ExitStatus status = child.Wait();
  ASSERT_EQ(status.signal, 0);
  EXPECT_EQ(status.code, 0);
  EXPECT_EQ(QueryText(*db, "SELECT group_concat(x) FROM t"), "1,2");
}

const std::vector<std::string> kStepsV2 = {
    "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "ALTER TABLE items ADD COLUMN note TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX items_by_name ON items(name)",
};

TEST_F(SqliteTest, MigrateAppliesMissingStepsAndKeepsData) {
  const std::string path = PathOf("m.db");
  {
    auto db = MustOpen(path);
    ASSERT_TRUE(Migrate(*db, "items", {kStepsV2[0]}));
    EXPECT_EQ(SchemaVersion(*db, "items").value(), 1);
    ASSERT_TRUE(db->Exec("INSERT INTO items(name) VALUES ('kept')"));
  }
  auto db = MustOpen(path);
  ASSERT_TRUE(Migrate(*db, "items", kStepsV2));
  EXPECT_EQ(SchemaVersion(*db, "items").value(), 2);
  EXPECT_EQ(QueryText(*db, "SELECT name || '/' || note FROM items"), "kept/");
  EXPECT_EQ(QueryText(*db, "SELECT count(*) FROM sqlite_master WHERE name = 'items_by_name'"), "1");
  // Idempotent, and components are independent.
  ASSERT_TRUE(Migrate(*db, "items", kStepsV2));
  EXPECT_EQ(SchemaVersion(*db, "other").value(), 0);
  ASSERT_TRUE(Migrate(*db, "other", {"CREATE TABLE other(x)"}));
  EXPECT_EQ(SchemaVersion(*db, "items").value(), 2);
}

TEST_F(SqliteTest, MigrateRefusesADatabaseFromTheFuture) {
  auto db = MustOpen(PathOf("future.db"));
  ASSERT_TRUE(Migrate(*db, "items", kStepsV2));
  auto st = Migrate(*db, "items", {kStepsV2[0]});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(SchemaVersion(*db, "items").value(), 2);
}

TEST_F(SqliteTest, FailingMigrationStepLeavesTheOldVersion) {
  auto db = MustOpen(PathOf("fail.db"));
  ASSERT_TRUE(Migrate(*db, "items", {kStepsV2[0]}));
  auto st = Migrate(*db, "items", {kStepsV2[0], "CREATE TABLE x(a); THIS IS NOT SQL"});
  ASSERT_FALSE(st);
  EXPECT_EQ(SchemaVersion(*db, "items").value(), 1);
  EXPECT_EQ(QueryText(*db, "SELECT count(*) FROM sqlite_master WHERE name = 'x'"), "0");
}

}  // namespace
}  // namespace idem::sqlite
