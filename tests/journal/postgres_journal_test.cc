// The PostgreSQL journal against a throwaway cluster (one per test binary,
// started by a gtest Environment). The shared behaviour suite in
// journal_test.cc runs here too, against PostgreSQL (OpenJournalUnderTest
// below); this file adds what only a server has: migrations under concurrent
// first use, SKIP LOCKED claims across processes, fencing across hosts and a
// server restart mid-run. Missing PostgreSQL binaries fail the run.
#include "journal/postgres_journal.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "idem/journal.h"
#include "journal/pg_schema.h"
#include "journal_test_util.h"
#include "testing/child_process.h"
#include "testing/fake_clock.h"
#include "testing/pg_environment.h"
#include "testing/wait.h"

namespace idem {
namespace testing {
namespace {

// A fresh database on the shared cluster.
Result<std::string> FreshDatabaseUrl() { return FreshPgDatabaseUrl("idem_test_"); }

// One statement on `url`, outside the journal (to inspect or tamper).
std::string QueryOne(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string value = "<error>";
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* result = PQexec(conn, sql.c_str());
    const auto status = PQresultStatus(result);
    if (status == PGRES_TUPLES_OK && PQntuples(result) > 0) {
      value = PQgetvalue(result, 0, 0);
    } else if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      value = "";
    } else {
      value = std::string("<error> ") + PQresultErrorMessage(result);
    }
    PQclear(result);
  }
  PQfinish(conn);
  return value;
}

}  // namespace

// journal_test.cc's suite: a database per test (per TempDir), so a reopen of
// the same TempDir finds the same journal.
Result<std::unique_ptr<Journal>> OpenJournalUnderTest(const TempDir& dir,
                                                      const JournalOptions& options) {
  static std::mutex mu;
  static std::map<std::string, std::string> url_by_dir;
  std::string url;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = url_by_dir.find(dir.path().string());
    if (it == url_by_dir.end()) {
      auto fresh = FreshDatabaseUrl();
      if (!fresh) return tl::unexpected(fresh.error());
      it = url_by_dir.emplace(dir.path().string(), *fresh).first;
    }
    url = it->second;
  }
  return OpenPostgresJournal(url, options);
}

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kLease{30000};

class PostgresJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(SharedPgCluster(), nullptr) << "no PostgreSQL cluster: " << SharedPgClusterError();
    auto url = FreshDatabaseUrl();
    ASSERT_TRUE(url) << url.error().ToString();
    url_ = *url;
  }

  std::unique_ptr<Journal> MustOpen(std::shared_ptr<Clock> clock = nullptr) {
    JournalOptions options;
    options.clock = std::move(clock);
    auto journal = OpenJournal(url_, options);
    EXPECT_TRUE(journal) << journal.error().ToString();
    return journal ? std::move(*journal) : nullptr;
  }

  std::string url_;
};

TEST_F(PostgresJournalTest, OpenJournalPicksTheBackendFromTheUrl) {
  EXPECT_TRUE(IsPostgresUrl("postgres://u@h/db"));
  EXPECT_TRUE(IsPostgresUrl("postgresql://u@h/db"));
  EXPECT_FALSE(IsPostgresUrl("./postgres://x"));
  EXPECT_FALSE(IsPostgresUrl("/var/lib/idem/journal.db"));
  EXPECT_FALSE(IsPostgresUrl("POSTGRES"));

  auto journal = MustOpen();
  ASSERT_NE(journal, nullptr);
  EXPECT_NE(dynamic_cast<journal::PostgresJournal*>(journal.get()), nullptr);
  ASSERT_TRUE(journal->Begin(MakeOp("op-1"), "w", kLease));
  // postgres:// (not postgresql://) reaches the same database.
  std::string short_scheme = url_;
  short_scheme.replace(0, std::string("postgresql").size(), "postgres");
  auto again = OpenJournal(short_scheme);
  ASSERT_TRUE(again) << again.error().ToString();
  auto got = (*again)->Get("op-1");
  ASSERT_TRUE(got && got->has_value());

  TempDir dir;
  auto sqlite = OpenJournal(dir.File("j.db"));
  ASSERT_TRUE(sqlite) << sqlite.error().ToString();
  EXPECT_EQ(dynamic_cast<journal::PostgresJournal*>(sqlite->get()), nullptr);
  EXPECT_TRUE((*sqlite)->List({})->empty());
}

TEST_F(PostgresJournalTest, UnreachableServerIsUnavailableAndThePasswordIsNotShown) {
  // Port 1: nobody listens there, the connection is refused at once.
  const std::string url = "postgresql://idem:s3cret-pw@127.0.0.1:1/db?connect_timeout=2";
  auto journal = OpenPostgresJournal(url);
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(journal.error().ToString().find("s3cret-pw"), std::string::npos);

  // A wrong database on a live server: refused at connect, nothing leaks.
  std::string missing = SharedPgCluster()->Url("no_such_db");
  missing.insert(std::string("postgresql://postgres").size(), ":s3cret-pw");
  auto refused = OpenPostgresJournal(missing);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().ToString().find("s3cret-pw"), std::string::npos);
  EXPECT_NE(refused.error().ToString().find("no_such_db"), std::string::npos);

  // Malformed URLs and conninfo are errors, not crashes.
  for (const std::string bad :
       {"postgresql://[::1", "postgresql://h:notaport/db", "host='unterminated"}) {
    auto opened = OpenPostgresJournal(bad);
    EXPECT_FALSE(opened) << bad;
  }
}

TEST_F(PostgresJournalTest, ConcurrentFirstUseMigratesOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  std::vector<std::string> errors(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto journal = OpenPostgresJournal(url_);
      if (journal) {
        opened.fetch_add(1);
      } else {
        errors[static_cast<std::size_t>(i)] = journal.error().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), 4) << errors[0] << errors[1] << errors[2] << errors[3];
  const std::string latest = std::to_string(journal::pg::SchemaSteps().size());
  EXPECT_EQ(QueryOne(url_, "SELECT version FROM idem_schema WHERE component = 'journal'"), latest);
  // The journal and its rate budget (pg_rate_budget.cc), each migrated once.
  EXPECT_EQ(QueryOne(url_, "SELECT version FROM idem_schema WHERE component = 'rate_budget'"), "1");
  EXPECT_EQ(QueryOne(url_, "SELECT count(*) FROM idem_schema"), "2");
  // Reopening an up-to-date database changes nothing.
  ASSERT_NE(MustOpen(), nullptr);
  EXPECT_EQ(QueryOne(url_, "SELECT version FROM idem_schema WHERE component = 'journal'"), latest);
}

TEST_F(PostgresJournalTest, DatabaseAtVersionOneIsMigratedAndKeepsItsOps) {
  // A database as version 1 left it, with one op.
  ASSERT_EQ(QueryOne(url_, journal::pg::SchemaSteps()[0]), "");
  ASSERT_EQ(QueryOne(url_,
                     "CREATE TABLE idem_schema (component text PRIMARY KEY, version bigint NOT "
                     "NULL); INSERT INTO idem_schema VALUES ('journal', 1); "
                     "INSERT INTO idem_ops (op_id, idem_key, method, path, body, fingerprint, "
                     "state, created_ms, updated_ms) VALUES ('old-op', 'key-1', 'POST', '/x', "
                     "'{}', 'fp', 'unknown', 1, 2)"),
            "");
  auto journal = MustOpen();
  ASSERT_NE(journal, nullptr);
  EXPECT_EQ(QueryOne(url_, "SELECT version FROM idem_schema WHERE component = 'journal'"),
            std::to_string(journal::pg::SchemaSteps().size()));
  auto old = journal->Get("old-op");
  ASSERT_TRUE(old && *old);
  EXPECT_EQ((*old)->idem_key, "key-1");
  EXPECT_FALSE((*old)->idem_key_from_caller);
  EXPECT_EQ((*old)->state, OpState::kUnknown);
  // Every key stays unique on PostgreSQL, whoever made it.
  Operation reuse = MakeOp("new-op");
  reuse.idem_key = "key-1";
  auto refused = journal->Begin(reuse, "w", kLease);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kAlreadyExists);
  Operation mine = MakeOp("caller-op");
  mine.idem_key_from_caller = true;
  ASSERT_TRUE(journal->Begin(mine, "w", kLease));
  EXPECT_TRUE(journal->Get("caller-op").value()->idem_key_from_caller);
}

TEST_F(PostgresJournalTest, NewerSchemaIsRefused) {
  ASSERT_NE(MustOpen(), nullptr);
  ASSERT_EQ(QueryOne(url_, "UPDATE idem_schema SET version = 99 WHERE component = 'journal'"), "");
  auto journal = OpenPostgresJournal(url_);
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(journal.error().message().find("newer"), std::string::npos);
}

TEST_F(PostgresJournalTest, StaleOwnerOnAnotherHostIsFenced) {
  auto clock = std::make_shared<FakeClock>();
  auto host_a = MustOpen(clock);
  auto host_b = MustOpen(clock);
  ASSERT_TRUE(host_a && host_b);
  auto begun = host_a->Begin(MakeOp("op-1"), "host-a", kLease);
  ASSERT_TRUE(begun && begun->leased);
  Operation stale = begun->op;

  EXPECT_TRUE(host_b->ClaimUnfinished("host-b", kLease, 0)->empty());  // lease holds
  clock->Advance(kLease);
  auto claimed = host_b->ClaimUnfinished("host-b", kLease, 0);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  Operation fresh = claimed->front();
  EXPECT_EQ(fresh.lease_generation, 2);

  stale.state = OpState::kFailed;
  auto late = host_a->Update(stale);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(late.error().message().find("host-b"), std::string::npos);
  fresh.state = OpState::kSucceeded;
  ASSERT_TRUE(host_b->Update(fresh));
  auto stored = host_a->Get("op-1");
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->state, OpState::kSucceeded);
}

// Two processes claim from one queue at the same time: SKIP LOCKED splits it,
// no op is claimed twice and none is left behind.
TEST_F(PostgresJournalTest, TwoProcessesClaimingNeverGetTheSameOp) {
  constexpr int kOps = 300;
  {
    auto journal = MustOpen();
    ASSERT_NE(journal, nullptr);
    for (int i = 0; i < kOps; ++i) {
      auto begun = journal->Begin(MakeOp("op-" + std::to_string(i)), "producer", kLease);
      ASSERT_TRUE(begun);
      ASSERT_TRUE(journal->Release(begun->op));
    }
  }
  TempDir dir;
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::vector<ChildProcess> children;
  for (int c = 0; c < 2; ++c) {
    children.push_back(ChildProcess::Fork([&] {
      close(go[1]);
      auto journal = OpenPostgresJournal(url_);
      if (!journal) _exit(2);
      char byte;
      if (read(go[0], &byte, 1) != 0) _exit(3);  // EOF = start together
      std::ofstream out(dir.File("claimed-" + std::to_string(c)));
      const std::string owner = "process-" + std::to_string(c);
      while (true) {
        auto claimed = (*journal)->ClaimUnfinished(owner, kLease, 7);
        if (!claimed) _exit(4);
        if (claimed->empty()) break;
        for (Operation& op : *claimed) {
          out << op.op_id << "\n";
          op.state = OpState::kSucceeded;
          if (!(*journal)->Update(op)) _exit(5);
        }
      }
      out.close();
      _exit(out ? 0 : 6);
    }));
    ASSERT_TRUE(children.back().started());
  }
  close(go[0]);
  close(go[1]);
  for (ChildProcess& child : children) {
    const ExitStatus status = child.Wait();
    EXPECT_EQ(status.code, 0) << "child signal " << status.signal;
  }
  std::multiset<std::string> seen;
  for (int c = 0; c < 2; ++c) {
    std::ifstream in(dir.File("claimed-" + std::to_string(c)));
    for (std::string line; std::getline(in, line);) seen.insert(line);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kOps));
  for (const std::string& id : seen) EXPECT_EQ(seen.count(id), 1u) << id << " claimed twice";
  auto journal = MustOpen();
  EXPECT_EQ(journal->List({OpState::kSucceeded, 0})->size(), static_cast<std::size_t>(kOps));
}

// The server restarts while four threads write: calls that broke before
// COMMIT are replayed on a fresh connection, calls whose COMMIT outcome is
// unknown report kUnavailable and are repeated by the caller. In the end
// every op is stored once and settled once.
TEST_F(PostgresJournalTest, ServerRestartMidRunLosesNothingAndDoublesNothing) {
  auto opened = OpenPostgresJournal(url_);
  ASSERT_TRUE(opened) << opened.error().ToString();
  auto* journal = dynamic_cast<journal::PostgresJournal*>(opened->get());
  ASSERT_NE(journal, nullptr);
  constexpr int kThreads = 4;
  constexpr int kOpsPerThread = 60;
  std::atomic<int> done{0};
  std::atomic<int> unavailable{0};
  std::vector<std::string> failures(kThreads);
  std::vector<std::map<std::string, int>> created(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string owner = "worker-" + std::to_string(t);
      for (int i = 0; i < kOpsPerThread; ++i) {
        const Operation op = MakeOp("op-" + std::to_string(t) + "-" + std::to_string(i));
        Result<BeginResult> begun = MakeError(ErrorCode::kUnavailable, "not yet");
        for (int tries = 0; tries < 20; ++tries) {
          begun = journal->Begin(op, owner, kLease);
          if (begun || begun.error().code() != ErrorCode::kUnavailable) break;
          unavailable.fetch_add(1);
        }
        if (!begun) {
          failures[t] = "Begin: " + begun.error().ToString();
          return;
        }
        if (begun->created) created[t][op.op_id] += 1;
        Operation settled = begun->op;
        settled.state = OpState::kSucceeded;
        settled.attempts = 1;
        Status st = MakeError(ErrorCode::kUnavailable, "not yet");
        bool retried = false;
        for (int tries = 0; tries < 20; ++tries) {
          st = journal->Update(settled);
          if (st || st.error().code() != ErrorCode::kUnavailable) break;
          unavailable.fetch_add(1);
          retried = true;
        }
        // A final Update clears the lease, so a repeat after an unknown
        // COMMIT that did land is fenced: the stored op tells.
        if (!st && retried && st.error().code() == ErrorCode::kFailedPrecondition) {
          auto stored = journal->Get(op.op_id);
          if (stored && *stored && (**stored).state == OpState::kSucceeded) st = Status{};
        }
        if (!st) {
          failures[t] = "Update: " + st.error().ToString();
          return;
        }
        done.fetch_add(1);
      }
    });
  }
  // Restart once a third of the work is done (bounded wait).
  // Past the deadline the restart comes anyway; the checks below judge it.
  (void)WaitUntil(
      std::chrono::seconds(30), [&] { return done.load() >= kThreads * kOpsPerThread / 3; },
      milliseconds(1));
  const int done_before_restart = done.load();
  ASSERT_TRUE(SharedPgCluster()->Restart()) << "restart failed";
  for (auto& t : threads) t.join();
  for (const std::string& f : failures) EXPECT_EQ(f, "");
  EXPECT_LT(done_before_restart, kThreads * kOpsPerThread) << "restart came too late to matter";
  EXPECT_GT(journal->reconnects(), 0u) << "no call noticed the restart";

  auto all = journal->List({});
  ASSERT_TRUE(all) << all.error().ToString();
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kThreads * kOpsPerThread));
  std::set<std::string> keys;
  for (const Operation& op : *all) {
    EXPECT_EQ(op.state, OpState::kSucceeded) << op.op_id;
    EXPECT_EQ(op.attempts, 1) << op.op_id;
    EXPECT_EQ(op.lease_generation, 1) << op.op_id << " was taken over";
    keys.insert(op.idem_key);
  }
  EXPECT_EQ(keys.size(), all->size());
  for (const auto& per_thread : created) {
    for (const auto& [id, count] : per_thread) EXPECT_LE(count, 1) << id;
  }
  std::cerr << "restart: " << done_before_restart << " ops done before, " << journal->reconnects()
            << " transactions replayed, " << unavailable.load()
            << " kUnavailable reported to callers\n";
}

}  // namespace
}  // namespace testing
}  // namespace idem
