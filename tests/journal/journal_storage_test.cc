// The journal's file: schema migrations, files it must refuse, and group
// commit across threads of one process.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "common/sqlite.h"
#include "idem/journal.h"
#include "journal/group_commit.h"
#include "journal/schema.h"
#include "journal/sqlite_journal.h"
#include "journal_test_util.h"

namespace idem {
namespace {

using std::chrono::milliseconds;
using testing::MakeOp;
using testing::TempDir;

constexpr milliseconds kLease{30000};

TEST(JournalMigrationTest, FileAtVersionOneIsMigratedAndKeepsItsData) {
  TempDir dir;
  const std::string path = dir.File("v1.db");
  {
    auto db = sqlite::Database::Open(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(sqlite::Migrate(**db, journal::kSchemaComponent, {journal::SchemaSteps()[0]}));
    // A row as version 1 wrote it: no natural_key / resource_id columns.
    ASSERT_TRUE((*db)->Exec(
        "INSERT INTO ops (op_id, idem_key, method, path, body, fingerprint, state, attempts, "
        "created_ms, updated_ms) VALUES ('old-op', 'key-1', 'POST', '/v3/session/', X'7B7D', "
        "'fp', 'unknown', 4, 1000, 2000)"));
    EXPECT_EQ(sqlite::SchemaVersion(**db, journal::kSchemaComponent).value(), 1);
  }
  auto journal = OpenSqliteJournal(path);
  ASSERT_TRUE(journal) << journal.error().ToString();
  auto got = (*journal)->Get("old-op");
  ASSERT_TRUE(got && *got);
  const Operation& op = **got;
  EXPECT_EQ(op.idem_key, "key-1");
  EXPECT_EQ(op.body, "{}");
  EXPECT_EQ(op.state, OpState::kUnknown);
  EXPECT_EQ(op.attempts, 4);
  EXPECT_EQ(op.natural_key, "");
  EXPECT_EQ(op.resource_id, "");
  EXPECT_TRUE(op.idem_key_from_caller);  // a key from before step 4 stays checked
  // Another op with that key, as a caller might reuse it, is still refused.
  Operation reuse = MakeOp("reuse-op");
  reuse.idem_key = "key-1";
  reuse.idem_key_from_caller = true;
  auto refused = (*journal)->Begin(reuse, "w", kLease);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kAlreadyExists);
  // The version-2 features work on the migrated file.
  Adoption adoption;
  adoption.resource_id = "nothing";
  adoption.kinds = {"create_session"};
  adoption.first_sent_not_after_ms = 1;
  ASSERT_TRUE((*journal)->AdoptResource(adoption));
  ASSERT_TRUE((*journal)->Begin(MakeOp("new-op", "{}", "nk"), "w", kLease));
  EXPECT_EQ((*journal)->FindByNaturalKey("nk")->size(), 1u);
  journal->reset();

  auto db = sqlite::Database::Open(path);
  ASSERT_TRUE(db);
  EXPECT_EQ(sqlite::SchemaVersion(**db, journal::kSchemaComponent).value(),
            static_cast<int>(journal::SchemaSteps().size()));
  auto index = (*db)->Prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
      "('ops_unfinished', 'ops_by_natural_key', 'ops_by_resource_id')");
  ASSERT_TRUE(index && index->Step().value());
  EXPECT_EQ(index->ColumnInt(0), 3);
  // The rebuilt table (step 3) still refuses a state that is none of the four.
  EXPECT_FALSE((*db)->Exec(
      "INSERT INTO ops (op_id, idem_key, method, path, body, fingerprint, state, created_ms, "
      "updated_ms) VALUES ('bad-op', 'key-2', 'POST', '/x', X'', 'fp', 'done', 1, 1)"));
  EXPECT_FALSE((*db)->Exec("UPDATE ops SET state = 'sideways' WHERE op_id = 'old-op'"));
}

TEST(JournalMigrationTest, FileFromTheFutureIsRefusedUntouched) {
  TempDir dir;
  const std::string path = dir.File("future.db");
  ASSERT_TRUE(OpenSqliteJournal(path));
  {
    auto db = sqlite::Database::Open(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->Exec("UPDATE idem_schema SET version = 99 WHERE component = 'journal'"));
  }
  auto journal = OpenSqliteJournal(path);
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(journal.error().message().find("99"), std::string::npos);
  auto db = sqlite::Database::Open(path);
  ASSERT_TRUE(db);
  EXPECT_EQ(sqlite::SchemaVersion(**db, "journal").value(), 99);
}

TEST(JournalFileTest, NonSqliteFileGivesAClearError) {
  TempDir dir;
  const std::string path = dir.File("notes.txt");
  std::ofstream(path) << "this is not a database\n" << std::string(4096, '\x01');
  auto journal = OpenSqliteJournal(path);
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(journal.error().message().find("not a database"), std::string::npos)
      << journal.error().message();
}

TEST(JournalFileTest, DamagedJournalIsReportedNotCrashed) {
  TempDir dir;
  const std::string path = dir.File("damaged.db");
  {
    auto journal = OpenSqliteJournal(path);
    ASSERT_TRUE(journal);
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(
          (*journal)->Begin(MakeOp("op-" + std::to_string(i), std::string(500, 'b')), "w", kLease));
    }
  }  // the last close checkpoints the WAL into the file
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 40000u);
  {
    // Scribble over every page but the first (the header and schema).
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    for (std::uintmax_t offset = 4096 + 100; offset < size; offset += 4096) {
      file.seekp(static_cast<std::streamoff>(offset));
      file << std::string(600, '\xA5');
    }
  }
  auto journal = OpenSqliteJournal(path);
  if (!journal) {
    EXPECT_EQ(journal.error().code(), ErrorCode::kCorruption) << journal.error().ToString();
    return;
  }
  auto listed = (*journal)->List({});
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code(), ErrorCode::kCorruption) << listed.error().ToString();
}

TEST(JournalFileTest, TruncatedJournalIsReportedNotCrashed) {
  TempDir dir;
  const std::string path = dir.File("truncated.db");
  {
    auto journal = OpenSqliteJournal(path);
    ASSERT_TRUE(journal);
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE((*journal)->Begin(MakeOp("op-" + std::to_string(i), std::string(1000, 'b')), "w",
                                    kLease));
    }
  }
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  auto journal = OpenSqliteJournal(path);
  if (!journal) {
    EXPECT_EQ(journal.error().code(), ErrorCode::kCorruption) << journal.error().ToString();
    return;
  }
  auto listed = (*journal)->List({});
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code(), ErrorCode::kCorruption) << listed.error().ToString();
}

TEST(JournalFileTest, PathsThatCannotHoldAJournalAreIoErrors) {
  TempDir dir;
  for (const std::string& path :
       {dir.File("missing-dir/journal.db"), dir.path().string(), std::string("/proc/idem.db")}) {
    auto journal = OpenSqliteJournal(path);
    ASSERT_FALSE(journal) << path;
    EXPECT_EQ(journal.error().code(), ErrorCode::kIo) << path << ": " << journal.error().ToString();
  }
}

// ":memory:" is a journal of its own in this process's memory (the client's
// state-machine tests run on one): what its writer stores, its reader
// (Get, List) sees; fencing holds; a second one shares nothing with it.
TEST(JournalMemoryTest, AMemoryJournalReadsItsOwnWritesAndIsNobodyElses) {
  auto journal = OpenSqliteJournal(":memory:");
  ASSERT_TRUE(journal) << journal.error().ToString();
  auto begun = (*journal)->Begin(MakeOp("mem-1"), "owner-a", kLease);
  ASSERT_TRUE(begun) << begun.error().ToString();
  Operation op = begun->op;
  op.state = OpState::kSucceeded;
  op.response_status = 200;
  ASSERT_TRUE((*journal)->Update(op));
  auto got = (*journal)->Get("mem-1");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->state, OpState::kSucceeded);
  EXPECT_EQ((*got)->response_status, 200);
  auto listed = (*journal)->List({});
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
  Operation stale = begun->op;
  stale.lease_generation += 1;  // not the stored lease: fenced
  auto fenced = (*journal)->Update(stale);
  ASSERT_FALSE(fenced);
  EXPECT_EQ(fenced.error().code(), ErrorCode::kFailedPrecondition);

  auto other = OpenSqliteJournal(":memory:");
  ASSERT_TRUE(other) << other.error().ToString();
  auto none = (*other)->Get("mem-1");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

// Many threads of one process writing at once share transactions, and every
// write is in the file when its call returns.
TEST(JournalGroupCommitTest, ConcurrentWritersShareTransactions) {
  TempDir dir;
  const std::string path = dir.File("group.db");
  JournalOptions options;
  options.group_commit_delay = std::chrono::microseconds(2000);  // company is near certain
  auto opened = journal::SqliteJournal::Open(path, options);
  ASSERT_TRUE(opened) << opened.error().ToString();
  journal::SqliteJournal& journal = **opened;

  constexpr int kThreads = 16;
  constexpr int kOpsPerThread = 25;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOpsPerThread; ++i) {
        auto begun = journal.Begin(MakeOp("t" + std::to_string(t) + "-" + std::to_string(i)),
                                   "w" + std::to_string(t), kLease);
        if (!begun || !begun->created) {
          ++errors;
          continue;
        }
        Operation op = begun->op;
        op.state = OpState::kSucceeded;
        if (!journal.Update(op)) ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  const auto stats = journal.stats();
  EXPECT_EQ(stats.writes, static_cast<std::uint64_t>(2 * kThreads * kOpsPerThread));
  EXPECT_LT(stats.transactions, stats.writes / 2) << "transactions " << stats.transactions;
  EXPECT_EQ(stats.failed_batches, 0u);

  opened->reset();
  auto reopened = OpenSqliteJournal(path);
  ASSERT_TRUE(reopened);
  auto all = (*reopened)->List({OpState::kSucceeded, 0});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kThreads * kOpsPerThread));
}

// A write that fails inside a shared transaction is rolled back alone: the
// others of the batch commit and get their own results.
TEST(JournalGroupCommitTest, OneFailingWriteDoesNotFailItsBatch) {
  TempDir dir;
  JournalOptions options;
  options.group_commit_delay = std::chrono::microseconds(5000);
  auto opened = journal::SqliteJournal::Open(dir.File("mixed.db"), options);
  ASSERT_TRUE(opened);
  journal::SqliteJournal& journal = **opened;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(journal.Begin(MakeOp("taken-" + std::to_string(i), "original"), "w", kLease));
  }
  const auto before = journal.stats();

  constexpr int kThreads = 16;
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Even threads conflict with a stored op (different body); odd ones are new.
      const bool conflict = t % 2 == 0;
      const std::string id =
          conflict ? "taken-" + std::to_string(t / 2) : "new-" + std::to_string(t);
      auto begun = journal.Begin(MakeOp(id, conflict ? "changed" : "fresh"), "w", kLease);
      results[t] = begun ? Status{} : Status(tl::unexpected(begun.error()));
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    if (t % 2 == 0) {
      ASSERT_FALSE(results[t]) << t;
      EXPECT_EQ(results[t].error().code(), ErrorCode::kAlreadyExists);
      EXPECT_EQ(journal.Get("taken-" + std::to_string(t / 2)).value()->body, "original");
    } else {
      EXPECT_TRUE(results[t]) << t << ": " << results[t].error().ToString();
      EXPECT_TRUE(journal.Get("new-" + std::to_string(t)).value().has_value());
    }
  }
  const auto after = journal.stats();
  EXPECT_EQ(after.writes - before.writes, static_cast<std::uint64_t>(kThreads / 2));
  EXPECT_LT(after.transactions - before.transactions, static_cast<std::uint64_t>(kThreads));
  EXPECT_EQ(after.failed_batches, 0u);
}

// The fast path runs a batch without savepoints; a piece that wrote and then
// failed makes the committer roll back and re-run the batch with a savepoint
// per piece, so only that piece's writes are undone and the others commit once.
TEST(JournalGroupCommitTest, APieceThatWroteThenFailedIsUndoneAloneOnTheRerun) {
  TempDir dir;
  auto db = sqlite::Database::Open(dir.File("pieces.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t (name TEXT PRIMARY KEY)"));
  journal::GroupCommitter committer(**db, std::chrono::microseconds(0));
  std::vector<int> runs(3, 0);
  auto insert = [&](int piece, const char* name, bool fail) {
    return [&, piece, name, fail](sqlite::Database& d) -> Status {
      ++runs[piece];
      auto stmt = d.Prepare("INSERT INTO t (name) VALUES (?)");
      if (!stmt) return tl::unexpected(stmt.error());
      stmt->Bind(1, std::string_view(name));
      if (auto st = stmt->Run(); !st) return st;
      if (fail) return MakeError(ErrorCode::kFailedPrecondition, "piece refused after writing");
      return {};
    };
  };
  auto statuses =
      committer.RunMany({insert(0, "a", false), insert(1, "b", true), insert(2, "c", false)});
  ASSERT_EQ(statuses.size(), 3u);
  EXPECT_TRUE(statuses[0]);
  ASSERT_FALSE(statuses[1]);
  EXPECT_EQ(statuses[1].error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(statuses[2]);
  auto count =
      (*db)->Prepare("SELECT group_concat(name, ',') FROM (SELECT name FROM t ORDER BY name)");
  ASSERT_TRUE(count);
  ASSERT_TRUE(count->Step().value());
  EXPECT_EQ(count->ColumnString(0), "a,c");
  // Piece 2 never ran on the fast path: the failure of piece 1 stopped it.
  EXPECT_EQ(runs, (std::vector<int>{2, 2, 1}));
  const auto stats = committer.stats();
  EXPECT_EQ(stats.optimistic_retries, 1u);
  EXPECT_EQ(stats.transactions, 1u);
  EXPECT_EQ(stats.writes, 2u);
  EXPECT_EQ(stats.failed_batches, 0u);

  // A batch where nothing fails runs once, without a retry.
  statuses = committer.RunMany({insert(0, "d", false), insert(2, "e", false)});
  EXPECT_TRUE(statuses[0] && statuses[1]);
  EXPECT_EQ(runs, (std::vector<int>{3, 2, 2}));
  EXPECT_EQ(committer.stats().optimistic_retries, 1u);
}

}  // namespace
}  // namespace idem
