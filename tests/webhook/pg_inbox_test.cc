// The webhook inbox on PostgreSQL against a throwaway cluster (one per test
// binary, testing/pg_environment.h). inbox_test.cc's behaviour suite runs
// here too (InboxTargetUnderTest below: a fresh database per test); this file
// adds what only a shared server has: two inboxes (two receivers) on one
// database, tasks claimed across them, a server restart between accepts.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "idem/natural_key.h"
#include "idem/webhook_inbox.h"
#include "inbox_test_util.h"
#include "testing/fake_clock.h"
#include "testing/pg_environment.h"

namespace idem {
namespace testing {

Result<std::string> InboxTargetUnderTest(const std::filesystem::path&) {
  return FreshPgDatabaseUrl("idem_inbox_");
}

}  // namespace testing

namespace {

using testing::Event;
using testing::FakeClock;

// One value from `url`, outside the inbox.
std::string QueryOne(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  std::string value = "<error>";
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* result = PQexec(conn, sql.c_str());
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0) {
      value = PQgetvalue(result, 0, 0);
    } else if (PQresultStatus(result) == PGRES_COMMAND_OK) {
      value = "";
    }
    PQclear(result);
  }
  PQfinish(conn);
  return value;
}

class PgInboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = testing::FreshPgDatabaseUrl("idem_pg_inbox_");
    ASSERT_TRUE(url) << url.error().ToString();
    url_ = *url;
  }

  // Another receiver: its own inbox object, connections and journal.
  std::unique_ptr<WebhookInbox> Open(bool exec = false) {
    InboxOptions o;
    o.queue_exec = exec;
    o.clock = clock_;
    o.busy_timeout = std::chrono::milliseconds(10000);
    auto inbox = WebhookInbox::Open(url_, o);
    EXPECT_TRUE(inbox) << inbox.error().ToString();
    return inbox ? std::move(*inbox) : nullptr;
  }

  std::string url_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
};

TEST_F(PgInboxTest, OpenPicksPostgresFromTheUrlAndMigratesOnce) {
  auto first = Open();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(QueryOne(url_, "SELECT version FROM idem_schema WHERE component = 'webhook'"), "2");
  // Without InboxOptions::journal, the heal's journal is the one at the URL.
  EXPECT_EQ(QueryOne(url_, "SELECT count(*) FROM idem_schema WHERE component = 'journal'"), "1");
  ASSERT_TRUE(first->Accept(Event("s1", "Approved", 100)));
  auto second = Open();  // a second opener finds the schema in place
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->Events({})->size(), 1u);
  EXPECT_EQ(QueryOne(url_, "SELECT count(*) FROM idem_webhook_events"), "1");
  // "postgres://" works as well as "postgresql://".
  std::string short_scheme = "postgres://" + url_.substr(std::string("postgresql://").size());
  auto third = WebhookInbox::Open(short_scheme, InboxOptions{});
  ASSERT_TRUE(third) << third.error().ToString();
  EXPECT_EQ((*third)->Events({})->size(), 1u);
}

TEST_F(PgInboxTest, NewerSchemaIsRefusedAndUnreachableServerIsUnavailable) {
  ASSERT_NE(Open(), nullptr);
  ASSERT_EQ(QueryOne(url_, "UPDATE idem_schema SET version = 99 WHERE component = 'webhook'"), "");
  auto newer = WebhookInbox::Open(url_, InboxOptions{});
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(newer.error().message().find("newer"), std::string::npos);

  // Port 1 on loopback: nothing listens. The password never shows.
  auto down = WebhookInbox::Open("postgresql://idem:s3cret-pw@127.0.0.1:1/x?connect_timeout=2", {});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(down.error().ToString().find("s3cret-pw"), std::string::npos);
}

// Two receivers get the same 200 deliveries at the same time (the sender
// retried on both, or a load balancer sent duplicates to each): every
// delivery is stored once, the other side gets kDuplicate with the
// original's seq, and each session ends at its highest status.
TEST_F(PgInboxTest, TwoInboxesAcceptingTheSameDeliveriesStoreEachOnce) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  constexpr int kSessions = 100;
  std::vector<std::string> bodies;  // session i: In Progress, then Approved
  for (int i = 0; i < kSessions; ++i) {
    bodies.push_back(Event("s" + std::to_string(i), "In Progress", 100, "u" + std::to_string(i)));
    bodies.push_back(Event("s" + std::to_string(i), "Approved", 200, "u" + std::to_string(i)));
  }
  std::vector<Result<AcceptResult>> by_a(bodies.size(), MakeError(ErrorCode::kInternal, "unset"));
  std::vector<Result<AcceptResult>> by_b = by_a;
  // A in batches of 7 in order (the receiver's store thread), B one by one
  // in a shuffled order: their transactions overlap on the same keys.
  std::thread ta([&] {
    for (std::size_t start = 0; start < bodies.size(); start += 7) {
      std::vector<WebhookInbox::Delivery> batch;
      for (std::size_t i = start; i < std::min(bodies.size(), start + 7); ++i) {
        batch.push_back({bodies[i], ""});
      }
      auto results = a->AcceptMany(batch);
      for (std::size_t k = 0; k < results.size(); ++k) by_a[start + k] = std::move(results[k]);
    }
  });
  std::thread tb([&] {
    std::vector<std::size_t> order(bodies.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937(7));
    for (std::size_t i : order) by_b[i] = b->Accept(bodies[i]);
  });
  ta.join();
  tb.join();

  std::set<std::int64_t> seqs;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    ASSERT_TRUE(by_a[i]) << i << ": " << by_a[i].error().ToString();
    ASSERT_TRUE(by_b[i]) << i << ": " << by_b[i].error().ToString();
    const int stored =
        (by_a[i]->outcome == InboxOutcome::kStored) + (by_b[i]->outcome == InboxOutcome::kStored);
    EXPECT_EQ(stored, 1) << "delivery " << i;
    EXPECT_EQ(by_a[i]->seq, by_b[i]->seq) << "the duplicate names the original, delivery " << i;
    seqs.insert(by_a[i]->seq);
  }
  EXPECT_EQ(seqs.size(), bodies.size());
  auto events = a->Events({});
  ASSERT_TRUE(events);
  EXPECT_EQ(events->size(), bodies.size());
  std::map<std::string, int> per_session;
  for (const auto& e : *events) per_session[e.session_id]++;
  EXPECT_EQ(per_session.size(), static_cast<std::size_t>(kSessions));
  for (const auto& [session, count] : per_session) EXPECT_EQ(count, 2) << session;
  // The status never moved backwards, whichever receiver stored which event.
  for (int i = 0; i < kSessions; ++i) {
    auto session = b->Session("s" + std::to_string(i));
    ASSERT_TRUE(session && *session);
    EXPECT_EQ((*session)->status, "Approved") << i;
    EXPECT_EQ((*session)->decision, R"({"status":"Approved"})") << i;
  }
}

// The heal settles an op of the PostgreSQL journal the inbox opened itself
// (the same URL), and the op's state is what another host reads.
TEST_F(PgInboxTest, HealAdoptsAnInFlightOpInThePostgresJournal) {
  auto inbox = Open();
  ASSERT_NE(inbox, nullptr);
  auto journal = OpenJournal(url_, JournalOptions{});
  ASSERT_TRUE(journal) << journal.error().ToString();
  for (int i = 0; i < 3; ++i) {
    Operation op;
    op.op_id = "create-" + std::to_string(i);
    op.idem_key = "key-" + std::to_string(i);
    op.kind = "create_session";
    op.method = "POST";
    op.path = "/v3/session/";
    op.body = "{}";
    op.fingerprint = "fp";
    op.natural_key = SessionNaturalKey(testing::kWorkflow, "user-" + std::to_string(i));
    op.first_sent_ms = 99'000;  // sent before the sessions were made (at 100 s)
    ASSERT_TRUE((*journal)->Begin(op, "driver", std::chrono::seconds(30)));
  }
  // Op 2's response was lost: it is unknown, not in_flight.
  auto op2 = (*journal)->Get("create-2");
  ASSERT_TRUE(op2 && *op2);
  Operation unknown = **op2;
  unknown.state = OpState::kUnknown;
  ASSERT_TRUE((*journal)->Update(unknown));

  auto r = inbox->Accept(Event("sess-0", "In Progress", 100, "user-0"));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->healed_op_ids, std::vector<std::string>{"create-0"});
  auto batch = inbox->AcceptMany({{Event("sess-2", "Approved", 100, "user-2"), ""},
                                  {Event("sess-9", "Approved", 100, "user-9"), ""}});
  ASSERT_TRUE(batch[0] && batch[1]);
  EXPECT_EQ(batch[0]->healed_op_ids, std::vector<std::string>{"create-2"});
  EXPECT_TRUE(batch[1]->healed_op_ids.empty());
  for (auto [id, session] : {std::pair{"create-0", "sess-0"}, {"create-2", "sess-2"}}) {
    auto op = (*journal)->Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded) << id;
    EXPECT_EQ((*op)->resource_id, session) << id;
    EXPECT_TRUE((*op)->lease_owner.empty()) << id;
  }
  EXPECT_EQ((*(*journal)->Get("create-1"))->state, OpState::kInFlight);
  // The heals succeeded inline, so no heal task is left for any receiver.
  auto tasks = inbox->PendingTasks();
  ASSERT_TRUE(tasks);
  EXPECT_TRUE(tasks->empty());
}

// While receiver A runs an exec task (its row locked), receiver B's task
// runner skips it and runs the others; A's finishes once. No sleeps: A's
// runner blocks until B is done.
TEST_F(PgInboxTest, TwoReceiversNeverRunTheSameTaskAtOnce) {
  auto a = Open(/*exec=*/true);
  auto b = Open(/*exec=*/true);
  ASSERT_TRUE(a && b);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(a->Accept(Event("s" + std::to_string(i), "Approved", 100)));
  }
  std::mutex mu;
  std::condition_variable cv;
  std::int64_t a_running = 0;  // the seq A is running, once it started
  bool release_a = false;
  std::map<std::int64_t, int> runs;
  auto a_exec = [&](const WebhookEvent& e) -> Status {
    std::unique_lock<std::mutex> lock(mu);
    runs[e.seq]++;
    a_running = e.seq;
    cv.notify_all();
    cv.wait(lock, [&] { return release_a; });
    return {};
  };
  Result<int> a_done = 0;
  std::thread ta([&] { a_done = a->RunPending(a_exec, 1); });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return a_running != 0; });
  }
  std::vector<std::int64_t> b_ran;
  auto b_done = b->RunPending([&](const WebhookEvent& e) -> Status {
    std::lock_guard<std::mutex> lock(mu);
    runs[e.seq]++;
    b_ran.push_back(e.seq);
    return {};
  });
  {
    std::lock_guard<std::mutex> lock(mu);
    release_a = true;
  }
  cv.notify_all();
  ta.join();
  ASSERT_TRUE(a_done) << a_done.error().ToString();
  ASSERT_TRUE(b_done) << b_done.error().ToString();
  EXPECT_EQ(*a_done, 1);
  EXPECT_EQ(*b_done, 3);
  EXPECT_EQ(std::count(b_ran.begin(), b_ran.end(), a_running), 0);
  EXPECT_EQ(runs.size(), 4u);
  for (const auto& [seq, count] : runs) EXPECT_EQ(count, 1) << "seq " << seq;
  EXPECT_TRUE(a->PendingTasks()->empty());
  EXPECT_TRUE(b->PendingTasks()->empty());
}

// A server restart between accepts (every pooled connection is cut): the
// next accept succeeds (the pool reconnects and runs the transaction again)
// or says kUnavailable; no acknowledged event is lost, none is doubled.
TEST_F(PgInboxTest, ServerRestartBetweenAcceptsLosesNoAcknowledgedEvent) {
  auto inbox = Open(/*exec=*/true);
  ASSERT_NE(inbox, nullptr);
  std::set<std::string> acknowledged;
  auto accept = [&](int i) {
    const std::string session = "s" + std::to_string(i);
    auto r = inbox->Accept(Event(session, "Approved", 100 + i));
    if (r) {
      acknowledged.insert(session);
    } else {
      EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable) << r.error().ToString();
    }
    return static_cast<bool>(r);
  };
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(accept(i));
  ASSERT_TRUE(testing::SharedPgCluster()->Restart());
  int refused = 0;
  for (int i = 20; i < 40; ++i) refused += accept(i) ? 0 : 1;
  EXPECT_LE(refused, 1) << "the pool should reconnect at once";
  // What was refused is sent again (the sender's retry) and lands once.
  for (int i = 20; i < 40; ++i) {
    if (acknowledged.count("s" + std::to_string(i)) == 0) {
      EXPECT_TRUE(accept(i)) << i;
    }
  }
  // The task runner's idle connection was cut too: it reconnects.
  ASSERT_TRUE(testing::SharedPgCluster()->Restart());
  auto ran = inbox->RunPending([](const WebhookEvent&) -> Status { return {}; }, 0);
  ASSERT_TRUE(ran) << ran.error().ToString();
  EXPECT_EQ(*ran, 40);

  auto reader = Open();
  ASSERT_NE(reader, nullptr);
  auto events = reader->Events({});
  ASSERT_TRUE(events) << events.error().ToString();
  std::map<std::string, int> counts;
  for (const auto& e : *events) counts[e.session_id]++;
  EXPECT_EQ(counts.size(), 40u);
  for (const auto& session : acknowledged) EXPECT_EQ(counts[session], 1) << session;
}

}  // namespace
}  // namespace idem
