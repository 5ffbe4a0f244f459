// The inbox's behaviour suite: dedupe, status order, the heal, the persisted
// follow-up tasks, concurrent accepts. It runs against every backend: this
// file is compiled into webhook_inbox_test (SQLite files,
// inbox_backend_sqlite.cc) and webhook_pg_inbox_test (a throwaway PostgreSQL
// cluster, pg_inbox_test.cc), each defining InboxTargetUnderTest.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "idem/natural_key.h"
#include "idem/webhook_inbox.h"
#include "inbox_test_util.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace idem {
namespace {

using testing::Event;
using testing::kWorkflow;

class InboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto target = testing::InboxTargetUnderTest(dir_.path());
    ASSERT_TRUE(target) << target.error().ToString();
    target_ = *target;
  }

  std::unique_ptr<WebhookInbox> Open(bool exec = false) {
    InboxOptions o;
    o.durability = Durability::kProcessCrash;
    o.queue_exec = exec;
    o.clock = clock_;
    o.task_backoff_base = std::chrono::milliseconds(100);
    auto inbox = WebhookInbox::Open(target_, o);
    EXPECT_TRUE(inbox) << inbox.error().ToString();
    return std::move(*inbox);
  }

  testing::TempDir dir_{"idem-inbox"};
  std::string target_;  // a SQLite path or a PostgreSQL URL
  std::shared_ptr<testing::FakeClock> clock_ = std::make_shared<testing::FakeClock>();
};

TEST_F(InboxTest, StoresAndListsEvents) {
  auto inbox = Open();
  auto r = inbox->Accept(Event("s1", "In Progress", 100));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->outcome, InboxOutcome::kStored);
  EXPECT_TRUE(r->applied);
  auto events = inbox->Events({});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].session_id, "s1");
  EXPECT_EQ((*events)[0].status, "In Progress");
  EXPECT_EQ((*events)[0].webhook_type, "status.updated");
  EXPECT_EQ((*events)[0].body, Event("s1", "In Progress", 100));
}

TEST_F(InboxTest, DuplicatesAreAcknowledgedNotAppliedTwice) {
  auto inbox = Open();
  auto first = inbox->Accept(Event("s1", "Approved", 100));
  ASSERT_TRUE(first);
  // Same bytes.
  auto again = inbox->Accept(Event("s1", "Approved", 100));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, InboxOutcome::kDuplicate);
  EXPECT_EQ(again->seq, first->seq);
  // A retry with a new event_id: same session, status, type and timestamp.
  auto new_id = inbox->Accept(Event("s1", "Approved", 100, "user-1", "evt-retry"));
  ASSERT_TRUE(new_id);
  EXPECT_EQ(new_id->outcome, InboxOutcome::kDuplicate);
  // Same delivery id (Standard Webhooks) with a different body.
  ASSERT_TRUE(inbox->Accept(Event("s2", "Approved", 100), "msg_1"));
  auto same_delivery = inbox->Accept(Event("s3", "Approved", 100), "msg_1");
  ASSERT_TRUE(same_delivery);
  EXPECT_EQ(same_delivery->outcome, InboxOutcome::kDuplicate);
  EXPECT_EQ(inbox->Events({})->size(), 2u);
  // Same event_id, but a different event: not a duplicate.
  auto other = inbox->Accept(Event("s1", "Declined", 200, "user-1", "evt"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->outcome, InboxOutcome::kStored);
}

// The catch-up's polled events ("Polled events" in idem/webhook_inbox.h).
TEST_F(InboxTest, APolledStatusIsStoredOnlyWhenItMovesTheSession) {
  auto inbox = Open(/*exec=*/true);
  PolledStatus unknown{"nobody", "Approved", "", "", ""};
  auto r = inbox->AcceptPolled(unknown);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->outcome, InboxOutcome::kDuplicate);
  ASSERT_TRUE(inbox->Accept(Event("s1", "In Progress", 100)));
  PolledStatus same{"s1", "In Progress", "", "", ""};
  r = inbox->AcceptPolled(same);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, InboxOutcome::kDuplicate);
  PolledStatus initial{"s1", "Not Started", "", "", ""};
  r = inbox->AcceptPolled(initial);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, InboxOutcome::kDuplicate);
  PolledStatus approved{"s1", "Approved", R"({"status":"Approved"})", kWorkflow, "user-1"};
  r = inbox->AcceptPolled(approved);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->outcome, InboxOutcome::kStored);
  EXPECT_TRUE(r->applied);
  auto events = inbox->Events({});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_FALSE((*events)[0].polled);
  const WebhookEvent& polled = (*events)[1];
  EXPECT_TRUE(polled.polled);
  // now - heal_clock_skew (5 min): later than the stored event + 1 here.
  const std::int64_t now_s = ToUnixMillis(clock_->Now()) / 1000;
  EXPECT_EQ(polled.timestamp, std::max<std::int64_t>(101, now_s - 300));
  EXPECT_EQ(polled.decision, R"({"status":"Approved"})");
  EXPECT_EQ(nlohmann::json::parse(polled.body).value("source", ""), "polled");
  EXPECT_EQ((*inbox->Session("s1"))->status, "Approved");
  // Again: the session has it now.
  r = inbox->AcceptPolled(approved);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, InboxOutcome::kDuplicate);
}

TEST_F(InboxTest, TheRealWebhookAfterAPollIsStoredWithoutASecondExec) {
  auto inbox = Open(/*exec=*/true);
  ASSERT_TRUE(inbox->Accept(Event("s1", "In Progress", 100)));
  auto polled = inbox->AcceptPolled({"s1", "Approved", "", "", ""});
  ASSERT_TRUE(polled && polled->outcome == InboxOutcome::kStored);
  // A late replay of an intermediate status from before the poll does not
  // move the session back (stored, not applied, executed as a stale event).
  auto stale = inbox->Accept(Event("s1", "In Review", 150));
  ASSERT_TRUE(stale);
  EXPECT_FALSE(stale->applied);
  const std::int64_t now_s = ToUnixMillis(clock_->Now()) / 1000;
  auto real = inbox->Accept(Event("s1", "Approved", now_s));
  ASSERT_TRUE(real) << real.error().ToString();
  EXPECT_EQ(real->outcome, InboxOutcome::kStored);
  EXPECT_TRUE(real->applied);
  auto events = inbox->Events({});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[3].poll_seq, polled->seq);
  EXPECT_FALSE((*events)[3].polled);
  auto tasks = inbox->PendingTasks();
  ASSERT_TRUE(tasks);
  std::vector<std::int64_t> exec_seqs;
  for (const auto& t : *tasks)
    if (t.kind == "exec") exec_seqs.push_back(t.seq);
  EXPECT_EQ(exec_seqs, (std::vector<std::int64_t>{(*events)[0].seq, polled->seq, stale->seq}));
  // A later, different status is a webhook like any other.
  auto declined = inbox->Accept(Event("s1", "Declined", now_s + 100));
  ASSERT_TRUE(declined);
  EXPECT_EQ(inbox->Events({})->back().poll_seq, 0);
}

TEST_F(InboxTest, UnfinishedSessionsAreTheQuietOnesWithoutAFinalStatus) {
  auto inbox = Open();
  ASSERT_TRUE(inbox->Accept(Event("a", "In Progress", 100)));
  ASSERT_TRUE(inbox->Accept(Event("b", "Approved", 100)));
  ASSERT_TRUE(inbox->Accept(Event("c", "In Review", 100)));
  clock_->Advance(std::chrono::minutes(5));
  ASSERT_TRUE(inbox->Accept(Event("d", "In Progress", 100)));
  const std::int64_t before = ToUnixMillis(clock_->Now()) - 1000;
  auto sessions = inbox->UnfinishedSessions(before, 0);
  ASSERT_TRUE(sessions) << sessions.error().ToString();
  std::vector<std::string> ids;
  for (const auto& s : *sessions) ids.push_back(s.session_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "c"}));
  sessions = inbox->UnfinishedSessions(before, 1);
  ASSERT_TRUE(sessions);
  EXPECT_EQ(sessions->size(), 1u);
}

TEST_F(InboxTest, StaleEventsNeverMoveStatusBackwards) {
  auto inbox = Open();
  ASSERT_TRUE(inbox->Accept(Event("s1", "Approved", 300)));
  auto late = inbox->Accept(Event("s1", "In Progress", 200));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->outcome, InboxOutcome::kStored);  // kept in the log
  EXPECT_FALSE(late->applied);
  auto late_newer_ts = inbox->Accept(Event("s1", "Not Started", 400));  // lower rank, later ts
  ASSERT_TRUE(late_newer_ts);
  EXPECT_FALSE(late_newer_ts->applied);
  auto session = inbox->Session("s1");
  ASSERT_TRUE(session && *session);
  EXPECT_EQ((*session)->status, "Approved");
  EXPECT_EQ((*session)->event_timestamp, 300);
  EXPECT_EQ((*session)->decision, R"({"status":"Approved"})");
  // A later final status of the same rank moves it (Approved -> Kyc Expired).
  auto expired = inbox->Accept(Event("s1", "Kyc Expired", 500));
  ASSERT_TRUE(expired);
  EXPECT_TRUE(expired->applied);
  EXPECT_EQ((*inbox->Session("s1"))->status, "Kyc Expired");
  EXPECT_EQ((*inbox->Session("s1"))->decision, R"({"status":"Approved"})");
  // An earlier final status of the same rank does not.
  auto earlier = inbox->Accept(Event("s1", "Declined", 250));
  ASSERT_TRUE(earlier);
  EXPECT_FALSE(earlier->applied);
  EXPECT_FALSE(*inbox->Session("missing"));
}

// Issue 14: a signed event the inbox could not read as a session status
// event was refused (400), and Didit never sends a 4xx'd event again. Now
// every body is stored as it came; only session status events move a
// session.
TEST_F(InboxTest, EveryBodyIsStoredAsItCameAndOnlySessionEventsMoveASession) {
  auto inbox = Open();
  const std::vector<std::string> bodies = {
      "",
      "{",
      "[]",
      "\"x\"",
      "{}",
      R"({"webhook_type":"data.updated","session_id":"s","timestamp":5,"changed_fields":["x"]})",
      R"({"webhook_type":"user.status.updated","user_id":"u-1","status":"FLAGGED","timestamp":5})",
      R"({"session_id":"s","status":"Approved","webhook_type":"t"})",
      R"({"session_id":"s","status":"Approved","webhook_type":"t","timestamp":"1"})",
      R"({"session_id":"","status":"Approved","webhook_type":"t","timestamp":1})",
      R"({"session_id":1,"status":"Approved","webhook_type":"t","timestamp":1})",
      R"({"session_id":"s","status":null,"webhook_type":"t","timestamp":1})",
      R"({"session_id":"s","status":"Approved","timestamp":1})",
      R"({"session_id":"s","status":"Approved","webhook_type":"t","timestamp":1.5})",
      R"({"session_id":"s","status":"Approved","status":"Declined","webhook_type":"t",)"
      R"("timestamp":1})",
      std::string(10000, '[') + std::string(10000, ']'),
      Event("s", "Approved", 1).substr(0, 40)};
  for (const auto& body : bodies) {
    auto r = inbox->Accept(body);
    ASSERT_TRUE(r) << body.substr(0, 80) << ": " << r.error().ToString();
    EXPECT_EQ(r->outcome, InboxOutcome::kStored) << body.substr(0, 80);
    EXPECT_FALSE(r->applied) << body.substr(0, 80);
    // The same bytes again are a duplicate of it.
    auto again = inbox->Accept(body);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->outcome, InboxOutcome::kDuplicate) << body.substr(0, 80);
    EXPECT_EQ(again->seq, r->seq);
  }
  auto events = inbox->Events({});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), bodies.size());
  for (std::size_t i = 0; i < bodies.size(); ++i) EXPECT_EQ((*events)[i].body, bodies[i]);
  EXPECT_EQ((*events)[5].webhook_type, "data.updated");
  EXPECT_EQ((*events)[6].webhook_type, "user.status.updated");
  // None of them moved session "s".
  auto session = inbox->Session("s");
  ASSERT_TRUE(session);
  EXPECT_FALSE(session->has_value());
}

// Issue 14, item 2: Didit's status machine (fact sheet section 4) is not a
// ladder. Approved -> Resubmitted -> In Progress -> Declined -> Resubmitted
// are all forward; Resubmitted used to rank below Approved, so the session
// kept showing Approved.
TEST_F(InboxTest, ResubmittedAfterADecisionMovesTheSessionOnThroughTheStatusMachine) {
  auto inbox = Open();
  ASSERT_TRUE(inbox->Accept(Event("s1", "In Progress", 100)));
  ASSERT_TRUE(inbox->Accept(Event("s1", "Approved", 200)));
  auto resubmitted = inbox->Accept(Event("s1", "Resubmitted", 300));
  ASSERT_TRUE(resubmitted) << resubmitted.error().ToString();
  EXPECT_TRUE(resubmitted->applied);
  auto session = inbox->Session("s1");
  ASSERT_TRUE(session && *session);
  EXPECT_EQ((*session)->status, "Resubmitted");
  EXPECT_EQ((*session)->event_timestamp, 300);
  // Resubmitted carries no decision: the last one stays.
  EXPECT_EQ((*session)->decision, R"({"status":"Approved"})");
  // A late event from before (older timestamp) still moves nothing.
  auto late = inbox->Accept(Event("s1", "In Progress", 150));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->outcome, InboxOutcome::kStored);
  EXPECT_FALSE(late->applied);
  // The user resumes, is declined, and is asked to resubmit again.
  for (auto [status, ts] : std::vector<std::pair<std::string, std::int64_t>>{
           {"In Progress", 400}, {"Declined", 500}, {"Resubmitted", 600}}) {
    auto r = inbox->Accept(Event("s1", status, ts));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->applied) << status;
    EXPECT_EQ((*inbox->Session("s1"))->status, status);
  }
  EXPECT_EQ((*inbox->Session("s1"))->decision, R"({"status":"Declined"})");
  // A replay of Not Started never moves a session, whatever its timestamp.
  auto replay = inbox->Accept(Event("s1", "Not Started", 700));
  ASSERT_TRUE(replay);
  EXPECT_FALSE(replay->applied);
  EXPECT_EQ((*inbox->Session("s1"))->status, "Resubmitted");
}

// Events of one second (unix seconds) are ordered by the transition table,
// so every arrival order ends on the same status.
TEST_F(InboxTest, EventsOfOneSecondSettleOnTheSameStatusInAnyArrivalOrder) {
  auto inbox = Open();
  struct Case {
    std::vector<std::string> statuses;
    std::string final_status;
  };
  const std::vector<Case> cases = {
      {{"Not Started", "In Progress", "Approved"}, "Approved"},
      {{"In Progress", "In Review", "Declined"}, "Declined"},
      {{"Approved", "Resubmitted"}, "Resubmitted"},
      {{"Approved", "Declined"}, "Declined"},
      {{"Approved", "Kyc Expired"}, "Kyc Expired"},
      {{"Not Started", "Expired"}, "Expired"},
  };
  int n = 0;
  for (Case c : cases) {
    std::sort(c.statuses.begin(), c.statuses.end());
    do {
      const std::string session = "same-second-" + std::to_string(n++);
      for (const auto& status : c.statuses) ASSERT_TRUE(inbox->Accept(Event(session, status, 100)));
      auto s = inbox->Session(session);
      ASSERT_TRUE(s && *s);
      EXPECT_EQ((*s)->status, c.final_status) << ::testing::PrintToString(c.statuses);
    } while (std::next_permutation(c.statuses.begin(), c.statuses.end()));
  }
}

// Every Didit event type is stored with its type; only a session's
// status.updated moves the session.
TEST_F(InboxTest, EventsOtherThanStatusUpdatedAreStoredWithTheirTypeAndMoveNoSession) {
  auto inbox = Open();
  ASSERT_TRUE(inbox->Accept(Event("s1", "In Progress", 100)));
  const std::vector<std::pair<std::string, std::string>> typed = {
      {"data.updated",
       R"({"event_id":"d-1","webhook_type":"data.updated","session_id":"s1","status":"Approved",)"
       R"("timestamp":200,"workflow_id":"wf","vendor_data":"user-1","decision":{"status":"Approved"}})"},
      {"user.status.updated",
       R"({"event_id":"u-1","webhook_type":"user.status.updated","vendor_data":"user-1",)"
       R"("status":"FLAGGED","previous_status":"ACTIVE","timestamp":200})"},
      {"user.data.updated",
       R"({"event_id":"u-2","webhook_type":"user.data.updated","vendor_data":"user-1",)"
       R"("timestamp":200,"changed_fields":["full_name"],)"
       R"("changes":{"full_name":{"previous":"Ann","current":"Anne"}}})"},
      {"business.status.updated",
       R"({"event_id":"b-1","webhook_type":"business.status.updated","status":"BLOCKED",)"
       R"("previous_status":"ACTIVE","timestamp":200})"},
      {"a.type.didit.adds.later",
       R"({"event_id":"x-1","webhook_type":"a.type.didit.adds.later","session_id":"s1",)"
       R"("status":"Declined","timestamp":300})"},
  };
  for (const auto& [type, body] : typed) {
    auto r = inbox->Accept(body);
    ASSERT_TRUE(r) << type << ": " << r.error().ToString();
    EXPECT_EQ(r->outcome, InboxOutcome::kStored) << type;
    EXPECT_FALSE(r->applied) << type;
  }
  auto session = inbox->Session("s1");
  ASSERT_TRUE(session && *session);
  EXPECT_EQ((*session)->status, "In Progress");
  auto events = inbox->Events({});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), typed.size() + 1);
  for (std::size_t i = 0; i < typed.size(); ++i) {
    EXPECT_EQ((*events)[i + 1].webhook_type, typed[i].first);
    EXPECT_EQ((*events)[i + 1].body, typed[i].second);
  }
  EXPECT_EQ((*events)[2].session_id, "");  // a user event names no session
  EXPECT_EQ((*events)[2].status, "FLAGGED");
  // The session's own events include its data.updated.
  auto of_s1 = inbox->Events({.session_id = "s1"});
  ASSERT_TRUE(of_s1);
  EXPECT_EQ(of_s1->size(), 3u);
}

// The fact sheet (section 6): event_id is unique per delivery attempt, so a
// retry may carry a new one. An event that is not a session status event is
// deduplicated on its content without event_id.
TEST_F(InboxTest, OtherEventsDedupeOnTheirContentNotOnTheirEventId) {
  auto inbox = Open();
  auto user_event = [](const std::string& event_id, const std::string& status) {
    return nlohmann::json{{"event_id", event_id},        {"webhook_type", "user.status.updated"},
                          {"vendor_data", "user-1"},     {"status", status},
                          {"previous_status", "ACTIVE"}, {"timestamp", 200}}
        .dump();
  };
  auto first = inbox->Accept(user_event("u-1", "FLAGGED"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->outcome, InboxOutcome::kStored);
  auto retry = inbox->Accept(user_event("u-2", "FLAGGED"));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->outcome, InboxOutcome::kDuplicate);
  EXPECT_EQ(retry->seq, first->seq);
  // Re-encoded (other key order and spacing), without an event_id: the same event.
  auto reencoded =
      inbox->Accept(R"({ "timestamp": 200, "status": "FLAGGED", "previous_status": "ACTIVE", )"
                    R"("vendor_data": "user-1", "webhook_type": "user.status.updated" })");
  ASSERT_TRUE(reencoded);
  EXPECT_EQ(reencoded->outcome, InboxOutcome::kDuplicate);
  // Another change in the same second is another event.
  auto other = inbox->Accept(user_event("u-3", "BLOCKED"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->outcome, InboxOutcome::kStored);
  // Two data edits of one session in one second are two events; a retry of
  // either with a new event_id is a duplicate.
  auto data = [](const std::string& event_id, const std::string& field) {
    return nlohmann::json{{"event_id", event_id}, {"webhook_type", "data.updated"},
                          {"session_id", "s1"},   {"status", "Approved"},
                          {"timestamp", 300},     {"changed_fields", {field}}}
        .dump();
  };
  auto a = inbox->Accept(data("d-1", "first_name"));
  auto b = inbox->Accept(data("d-2", "last_name"));
  auto a_again = inbox->Accept(data("d-3", "first_name"));
  ASSERT_TRUE(a && b && a_again);
  EXPECT_EQ(a->outcome, InboxOutcome::kStored);
  EXPECT_EQ(b->outcome, InboxOutcome::kStored);
  EXPECT_EQ(a_again->outcome, InboxOutcome::kDuplicate);
  EXPECT_EQ(a_again->seq, a->seq);
  EXPECT_EQ(inbox->Events({})->size(), 4u);
}

// Signed hostile bodies: wrong types for the known fields, huge, deeply
// nested. Each is stored as it came, and none moves a session or crashes.
TEST_F(InboxTest, WrongTypesForKnownFieldsAreStoredAndMoveNothing) {
  auto inbox = Open();
  const std::string nested = std::string(5000, '[') + std::string(5000, ']');
  const std::vector<std::string> bodies = {
      R"({"webhook_type":"status.updated","session_id":5,"status":"Approved","timestamp":1})",
      R"({"webhook_type":"status.updated","session_id":"h","status":{},"timestamp":1})",
      R"({"webhook_type":"status.updated","session_id":"h","status":["Approved"],"timestamp":1})",
      R"({"webhook_type":{"a":1},"session_id":"h","status":"Approved","timestamp":1})",
      R"({"webhook_type":"status.updated","session_id":"h","status":"Approved","timestamp":1e300})",
      R"({"webhook_type":"status.updated","session_id":"h","status":"Approved","timestamp":-5})",
      R"({"webhook_type":"status.updated","session_id":"h","status":"Approved",)"
      R"("timestamp":123456789012345678901234567890})",
      R"({"webhook_type":"status.updated","session_id":"h","status":"Approved","timestamp":true})",
      R"({"webhook_type":"data.updated","session_id":"h","timestamp":1,"decision":)" + nested + "}",
      R"({"webhook_type":"user.data.updated","timestamp":1,"changes":{"pad":")" +
          std::string(900'000, 'x') + R"("}})",
  };
  for (const auto& body : bodies) {
    auto r = inbox->Accept(body);
    ASSERT_TRUE(r) << body.substr(0, 80) << ": " << r.error().ToString();
    EXPECT_EQ(r->outcome, InboxOutcome::kStored) << body.substr(0, 80);
    EXPECT_FALSE(r->applied) << body.substr(0, 80);
  }
  auto events = inbox->Events({});
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), bodies.size());
  for (std::size_t i = 0; i < bodies.size(); ++i) EXPECT_EQ((*events)[i].body, bodies[i]);
  EXPECT_EQ((*events)[0].session_id, "");  // not a string: absent
  EXPECT_EQ((*events)[1].status, "");
  EXPECT_EQ((*events)[9].webhook_type, "user.data.updated");
  EXPECT_FALSE(*inbox->Session("h"));
  // Well-typed but odd: a NUL in the session id, a status Didit does not
  // have, wrong types for the optional fields. A status event like any other.
  const std::string odd =
      R"({"webhook_type":"status.updated","session_id":"h\u0000x","status":"Approved\ttab",)"
      R"("timestamp":1,"event_id":7,"vendor_data":{},"workflow_id":[1],"created_at":"x"})";
  auto r = inbox->Accept(odd);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(r->applied);
  auto odd_session = inbox->Session(std::string("h\0x", 3));
  ASSERT_TRUE(odd_session && *odd_session);
  EXPECT_EQ((*odd_session)->status, "Approved\ttab");
  EXPECT_EQ((*odd_session)->vendor_data, "");
  EXPECT_EQ(inbox->Events({})->back().body, odd);
}

TEST_F(InboxTest, HealSettlesTheOpWhoseResponseWasLost) {
  JournalOptions jo;
  jo.durability = Durability::kProcessCrash;
  auto journal = OpenJournal(target_, jo);  // the inbox's own journal
  ASSERT_TRUE(journal) << journal.error().ToString();
  Operation op;
  op.op_id = "create-user-7";
  op.idem_key = "key-7";
  op.kind = "create_session";
  op.method = "POST";
  op.path = "/v3/session/";
  op.content_type = "application/json";
  op.body = R"({"workflow_id":"wf","vendor_data":"user-7"})";
  op.fingerprint = "fp";
  op.natural_key = SessionNaturalKey(kWorkflow, "user-7");
  op.first_sent_ms = 99'000;  // sent a second before the session was made (at 100 s)
  auto begun = (*journal)->Begin(op, "driver", std::chrono::seconds(30));
  ASSERT_TRUE(begun) << begun.error().ToString();

  auto inbox = Open();
  const std::string event = Event("sess-77", "In Progress", 100, "user-7");
  auto r = inbox->Accept(event);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->healed_op_ids, std::vector<std::string>{"create-user-7"});
  auto healed = (*journal)->Get("create-user-7");
  ASSERT_TRUE(healed && *healed);
  EXPECT_EQ((*healed)->state, OpState::kSucceeded);
  EXPECT_EQ((*healed)->resource_id, "sess-77");
  // A 2xx the typed client reads as the session, and why it was settled.
  EXPECT_EQ((*healed)->response_status, 200);
  EXPECT_EQ((*healed)->response_body, event);
  EXPECT_EQ((*healed)->audit, "settled by webhook evt: session sess-77 (In Progress)");
  // The heal task is gone once the heal succeeded.
  auto tasks = inbox->PendingTasks();
  ASSERT_TRUE(tasks);
  EXPECT_TRUE(tasks->empty());
  // Another user's event does not touch it; a duplicate does not heal again.
  auto dup = inbox->Accept(Event("sess-77", "In Progress", 100, "user-7"));
  ASSERT_TRUE(dup);
  EXPECT_TRUE(dup->healed_op_ids.empty());
}

// Issue 15, corner 1: the heal adopts only a create op that was sent, no
// later than the session's creation plus the clock skew.
TEST_F(InboxTest, HealLeavesOpsThatCannotHaveCreatedTheSession) {
  JournalOptions jo;
  jo.durability = Durability::kProcessCrash;
  auto journal = OpenJournal(target_, jo);
  ASSERT_TRUE(journal) << journal.error().ToString();
  const std::int64_t created_s = 1'800'000'000;
  const std::int64_t skew_ms = InboxOptions{}.heal_clock_skew.count();
  auto begin = [&](const std::string& id, const std::string& kind, std::int64_t first_sent_ms) {
    Operation op;
    op.op_id = id;
    op.idem_key = "key-" + id;
    op.kind = kind;
    op.method = "POST";
    op.path = "/v3/session/";
    op.body = "{\"op\":\"" + id + "\"}";
    op.fingerprint = "fp-" + id;
    op.natural_key = SessionNaturalKey(kWorkflow, "user-8");
    op.first_sent_ms = first_sent_ms;
    ASSERT_TRUE((*journal)->Begin(op, "driver", std::chrono::seconds(30)));
  };
  begin("only-enqueued", "create_session", 0);
  begin("another-kind", "aml", created_s * 1000);
  begin("sent-after", "create_session", created_s * 1000 + 999 + skew_ms + 1);
  begin("sent-in-time", "create_session", created_s * 1000 + 999 + skew_ms);

  auto inbox = Open();
  // The session's creation is the earlier of created_at and timestamp.
  auto body = nlohmann::json::parse(Event("sess-88", "Approved", created_s + 600, "user-8"));
  body["created_at"] = created_s;
  auto r = inbox->Accept(body.dump());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->healed_op_ids, std::vector<std::string>{"sent-in-time"});
  for (const char* id : {"only-enqueued", "another-kind", "sent-after"}) {
    auto op = (*journal)->Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kInFlight) << id;
  }
}

TEST_F(InboxTest, ExecTasksAreRetriedAndSurviveReopen) {
  {
    auto inbox = Open(/*exec=*/true);
    ASSERT_TRUE(inbox->Accept(Event("s1", "Approved", 100)));
    ASSERT_TRUE(inbox->Accept(Event("s2", "Declined", 100)));
    int calls = 0;
    auto failing = [&](const WebhookEvent&) -> Status {
      ++calls;
      return MakeError(ErrorCode::kUnavailable, "exit status 1");
    };
    auto done = inbox->RunPending(failing);
    ASSERT_TRUE(done) << done.error().ToString();
    EXPECT_EQ(*done, 0);
    EXPECT_EQ(calls, 2);
    // Not due yet: backoff.
    EXPECT_EQ(*inbox->RunPending(failing), 0);
    EXPECT_EQ(calls, 2);
    auto tasks = inbox->PendingTasks();
    ASSERT_TRUE(tasks);
    ASSERT_EQ(tasks->size(), 2u);
    EXPECT_EQ((*tasks)[0].kind, "exec");
    EXPECT_EQ((*tasks)[0].attempts, 1);
    EXPECT_EQ((*tasks)[0].last_error, "exit status 1");
  }
  // "Restart": a new inbox on the same file still has both tasks.
  auto inbox = Open(/*exec=*/true);
  clock_->Advance(std::chrono::seconds(1));
  std::vector<std::string> seen;
  auto ok = [&](const WebhookEvent& e) -> Status {
    seen.push_back(e.session_id);
    return {};
  };
  EXPECT_EQ(*inbox->RunPending(ok), 2);
  EXPECT_EQ(seen, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_TRUE(inbox->PendingTasks()->empty());
}

TEST_F(InboxTest, ConcurrentAcceptsShareCommitsAndLoseNothing) {
  auto inbox = Open();
  constexpr int kThreads = 4, kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> stored{0}, duplicates{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Every event is sent by two threads: exactly one stores it.
        int n = (t / 2) * kPerThread + i;
        auto r = inbox->Accept(Event("s" + std::to_string(n), "Approved", 100));
        ASSERT_TRUE(r) << r.error().ToString();
        (r->outcome == InboxOutcome::kStored ? stored : duplicates)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(stored.load(), kThreads / 2 * kPerThread);
  EXPECT_EQ(duplicates.load(), kThreads / 2 * kPerThread);
  EXPECT_EQ(inbox->Events({})->size(), static_cast<std::size_t>(kThreads / 2 * kPerThread));
  EventFilter one;
  one.session_id = "s3";
  EXPECT_EQ(inbox->Events(one)->size(), 1u);
}

TEST_F(InboxTest, AcceptManyAnswersEachDeliveryOnItsOwn) {
  auto inbox = Open();
  const std::string a = Event("s1", "Approved", 100), b = Event("s2", "In Progress", 100);
  // A body that is not JSON (stored as it came) and a duplicate inside the
  // same batch: each gets its own answer.
  auto results = inbox->AcceptMany({{a, ""}, {"{not json", ""}, {b, ""}, {a, ""}});
  ASSERT_EQ(results.size(), 4u);
  ASSERT_TRUE(results[0]) << results[0].error().ToString();
  EXPECT_EQ(results[0]->outcome, InboxOutcome::kStored);
  ASSERT_TRUE(results[1]);
  EXPECT_EQ(results[1]->outcome, InboxOutcome::kStored);
  EXPECT_FALSE(results[1]->applied);
  ASSERT_TRUE(results[2]);
  EXPECT_EQ(results[2]->outcome, InboxOutcome::kStored);
  ASSERT_TRUE(results[3]);
  EXPECT_EQ(results[3]->outcome, InboxOutcome::kDuplicate);
  EXPECT_EQ(results[3]->seq, results[0]->seq);
  auto events = inbox->Events({});
  ASSERT_TRUE(events);
  EXPECT_EQ(events->size(), 3u);
  // The inline heal ran, so its safety-net task is gone at the next commit
  // and the task runner has nothing to redo.
  ASSERT_TRUE(inbox->Accept(Event("s3", "Approved", 100)));
  clock_->Advance(std::chrono::seconds(1));
  auto pending = inbox->PendingTasks();
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->size(), 0u);
}

}  // namespace
}  // namespace idem
