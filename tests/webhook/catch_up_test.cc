// The catch-up (idem/webhook_catch_up.h) with real parts and fake time: a
// real SQLite inbox in a temp dir, the sandbox on 127.0.0.1:0 answering the
// decision look-ups through the typed Didit client, and a FakeClock shared by
// the catch-up, the inbox and the sandbox (its rate limiter). Step() is
// driven by hand: nothing sleeps.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/sqlite.h"
#include "idem/didit.h"
#include "idem/didit/decision_lookup.h"
#include "idem/journal.h"
#include "idem/sandbox.h"
#include "idem/transport.h"
#include "idem/webhook_catch_up.h"
#include "idem/webhook_inbox.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace idem {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using TimePoint = std::chrono::system_clock::time_point;

constexpr char kWorkflow[] = "0b6f7a4e-8c1d-4e7b-9a55-1f2e3d4c5b6a";

std::int64_t UnixSeconds(TimePoint t) { return ToUnixMillis(t) / 1000; }

// A status.updated body as Didit sends it.
std::string Webhook(const std::string& session_id, const std::string& status, std::int64_t ts) {
  return json{{"webhook_type", "status.updated"},
              {"session_id", session_id},
              {"status", status},
              {"timestamp", ts},
              {"created_at", ts},
              {"event_id", "evt-" + status + std::to_string(ts)}}
      .dump();
}

class CatchUpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<testing::FakeClock>();
    InboxOptions io;
    io.clock = clock_;
    io.queue_exec = true;
    io.durability = Durability::kProcessCrash;
    auto inbox = WebhookInbox::Open((dir_ / "inbox.db").string(), io);
    ASSERT_TRUE(inbox) << inbox.error().ToString();
    inbox_ = std::move(*inbox);
    JournalOptions jo;
    jo.clock = clock_;
    auto journal = OpenJournal((dir_ / "client.db").string(), jo);
    ASSERT_TRUE(journal) << journal.error().ToString();
    journal_ = std::move(*journal);
    transport_ = MakeCurlTransport({});
  }
  void TearDown() override {
    if (sandbox_) sandbox_->Stop();
  }

  void StartSandbox(int rate_limit = 0, std::uint16_t port = 0) {
    SandboxOptions o;
    o.port = port;
    o.clock = clock_;
    o.rate_limit = rate_limit;
    o.db_path = (dir_ / "sandbox.db").string();
    auto sandbox = Sandbox::Start(o);
    ASSERT_TRUE(sandbox) << sandbox.error().ToString();
    sandbox_ = std::move(*sandbox);
    didit::DiditClientOptions options;
    options.client.base_url = sandbox_->base_url();
    options.client.api_key = "sandbox-key";
    options.client.journal = journal_;
    options.client.transport = transport_;
    options.client.clock = clock_;
    options.get_attempts = 1;
    auto didit = didit::DiditClient::Create(options);
    ASSERT_TRUE(didit) << didit.error().ToString();
    didit_ = std::move(*didit);
  }

  std::string CreateSession(const std::string& vendor_data) {
    didit::CreateSessionRequest r;
    r.workflow_id = kWorkflow;
    r.vendor_data = vendor_data;
    auto session = didit_->CreateSession(r, {.op_id = "create-" + vendor_data});
    EXPECT_TRUE(session) << (session ? std::string() : session.error().ToString());
    return session ? session->session_id : "";
  }

  void Advance(const std::string& id, const std::string& status) {
    auto r = TriggerSessionStatus(sandbox_->base_url(), id, status);
    ASSERT_TRUE(r) << r.error().ToString();
  }

  // Delivers a real webhook of `status`, timestamped now.
  AcceptResult Deliver(const std::string& id, const std::string& status) {
    auto r = inbox_->Accept(Webhook(id, status, UnixSeconds(clock_->Now())));
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? *r : AcceptResult{};
  }

  std::unique_ptr<CatchUp> MakeCatchUp(int rate = 30, milliseconds after = minutes(10)) {
    CatchUpOptions o;
    o.after = after;
    o.rate_per_minute = rate;
    o.clock = clock_;
    o.lookup = [this](const std::string& id) {
      lookups_.push_back(clock_->Now());
      return didit::MakeDecisionLookup(didit_)(id);
    };
    auto c = CatchUp::Create(*inbox_, o);
    EXPECT_TRUE(c) << c.error().ToString();
    return c ? std::move(*c) : nullptr;
  }

  // The receiver's thread with fake time: a step, then the clock jumps to
  // when the next is due, until `span` has passed.
  void Drive(CatchUp& catch_up, milliseconds span) {
    const TimePoint end = clock_->Now() + span;
    while (true) {
      const TimePoint next = catch_up.Step();
      if (next > end) break;
      const auto wait = std::chrono::duration_cast<milliseconds>(next - clock_->Now());
      clock_->Advance(std::max(wait, milliseconds(1)));
    }
    if (end > clock_->Now())
      clock_->Advance(std::chrono::duration_cast<milliseconds>(end - clock_->Now()));
  }

  std::vector<WebhookEvent> Events(const std::string& id) {
    EventFilter f;
    f.session_id = id;
    auto events = inbox_->Events(f);
    EXPECT_TRUE(events);
    return events ? *events : std::vector<WebhookEvent>{};
  }

  std::string StatusOf(const std::string& id) {
    auto s = inbox_->Session(id);
    EXPECT_TRUE(s && *s);
    return s && *s ? (*s)->status : "";
  }

  // Runs every due exec task (moving the clock past the heal backoff) and
  // returns the events passed to --exec.
  std::vector<WebhookEvent> RunExec() {
    std::vector<WebhookEvent> execd;
    clock_->Advance(minutes(1));
    auto done = inbox_->RunPending([&](const WebhookEvent& e) -> Status {
      execd.push_back(e);
      return {};
    });
    EXPECT_TRUE(done);
    return execd;
  }

  testing::TempDir dir_{"idem-catch-up"};
  std::shared_ptr<testing::FakeClock> clock_;
  std::unique_ptr<WebhookInbox> inbox_;
  std::shared_ptr<Journal> journal_;
  std::shared_ptr<Transport> transport_;
  std::unique_ptr<Sandbox> sandbox_;
  std::shared_ptr<didit::DiditClient> didit_;
  std::vector<TimePoint> lookups_;
};

TEST(CatchUpFinalStatus, FollowsTheStatusMachine) {
  for (const char* s : {"Approved", "Declined", "Expired", "Abandoned", "Kyc Expired"})
    EXPECT_TRUE(IsFinalStatus(s)) << s;
  for (const char* s :
       {"Not Started", "In Progress", "Awaiting User", "In Review", "Resubmitted", "Paused"})
    EXPECT_FALSE(IsFinalStatus(s)) << s;
}

TEST_F(CatchUpTest, OptionsAreChecked) {
  CatchUpOptions o;
  o.after = minutes(1);
  EXPECT_FALSE(CatchUp::Create(*inbox_, o));  // no look-up
  o.lookup = [](const std::string&) -> tl::expected<PolledStatus, DecisionLookupError> {
    return tl::unexpected(DecisionLookupError{0, std::nullopt, "down"});
  };
  o.rate_per_minute = 0;
  EXPECT_FALSE(CatchUp::Create(*inbox_, o));
  o.rate_per_minute = 1;
  o.after = milliseconds(0);
  EXPECT_FALSE(CatchUp::Create(*inbox_, o));
}

TEST_F(CatchUpTest, FinalStatusWhoseWebhookNeverCameIsCaughtUp) {
  StartSandbox();
  const std::string id = CreateSession("never-came");
  Advance(id, "In Progress");
  Deliver(id, "In Progress");
  Advance(id, "Approved");  // its webhook never comes
  auto catch_up = MakeCatchUp();
  Drive(*catch_up, minutes(9));
  EXPECT_TRUE(lookups_.empty()) << "not quiet for 10 min yet";
  EXPECT_EQ(StatusOf(id), "In Progress");
  Drive(*catch_up, minutes(2));
  ASSERT_EQ(lookups_.size(), 1u);
  EXPECT_EQ(StatusOf(id), "Approved");
  auto events = Events(id);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[0].polled);
  EXPECT_TRUE(events[1].polled);
  EXPECT_TRUE(events[1].applied);
  EXPECT_EQ(events[1].status, "Approved");
  EXPECT_EQ(events[1].webhook_type, "status.updated");
  // now - heal_clock_skew (5 min), later than the stored event + 1 here.
  EXPECT_EQ(events[1].timestamp, UnixSeconds(lookups_[0]) - 300);
  EXPECT_EQ(json::parse(events[1].body).value("source", ""), "polled");
  EXPECT_FALSE(events[1].decision.empty());
  EXPECT_EQ(catch_up->stats().stored, 1u);
  // Final now: never looked up again.
  Drive(*catch_up, minutes(30));
  EXPECT_EQ(lookups_.size(), 1u);
  // The polled event goes to --exec like a webhook.
  auto execd = RunExec();
  ASSERT_EQ(execd.size(), 2u);
  EXPECT_TRUE(execd[1].polled);
}

TEST_F(CatchUpTest, InProgressIsLookedUpAgainButStoredOnlyWhenItChanges) {
  StartSandbox();
  const std::string id = CreateSession("still-going");
  Advance(id, "In Progress");
  Deliver(id, "In Progress");
  auto catch_up = MakeCatchUp();
  Drive(*catch_up, minutes(11));
  EXPECT_EQ(lookups_.size(), 1u);
  Drive(*catch_up, minutes(8));  // 19 min: 9 since the look-up
  EXPECT_EQ(lookups_.size(), 1u) << "looked up again before `after` passed";
  Drive(*catch_up, minutes(2));
  EXPECT_EQ(lookups_.size(), 2u);
  EXPECT_EQ(catch_up->stats().unchanged, 2u);
  EXPECT_EQ(Events(id).size(), 1u) << "an unchanged status is not stored";
  Advance(id, "Declined");
  Drive(*catch_up, minutes(10));
  EXPECT_EQ(lookups_.size(), 3u);
  EXPECT_EQ(StatusOf(id), "Declined");
  EXPECT_EQ(Events(id).size(), 2u);
}

TEST_F(CatchUpTest, RealWebhookAfterThePollIsStoredButNotExecutedTwice) {
  StartSandbox();
  const std::string id = CreateSession("late-webhook");
  Advance(id, "In Progress");
  Deliver(id, "In Progress");
  Advance(id, "Approved");
  auto catch_up = MakeCatchUp();
  Drive(*catch_up, minutes(11));
  ASSERT_EQ(StatusOf(id), "Approved");
  const std::int64_t polled_seq = Events(id).back().seq;
  // Didit's delivery comes after all (a console replay): stored, with its
  // body, but the polled event already went to --exec.
  AcceptResult late = Deliver(id, "Approved");
  EXPECT_EQ(late.outcome, InboxOutcome::kStored);
  EXPECT_TRUE(late.applied) << "its later timestamp moves the session to Didit's own event";
  auto events = Events(id);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_FALSE(events[2].polled);
  EXPECT_EQ(events[2].poll_seq, polled_seq);
  // A retry of it is a plain duplicate.
  EXPECT_EQ(Deliver(id, "Approved").outcome, InboxOutcome::kDuplicate);
  int approved_execs = 0;
  for (const auto& e : RunExec()) approved_execs += e.status == "Approved";
  EXPECT_EQ(approved_execs, 1);
  // Nothing left over either.
  auto pending = inbox_->PendingTasks();
  ASSERT_TRUE(pending);
  for (const auto& t : *pending) EXPECT_NE(t.kind, "exec");
}

TEST_F(CatchUpTest, WebhookBeforeThePollMakesThePollANoOp) {
  StartSandbox();
  const std::string id = CreateSession("webhook-first");
  Advance(id, "In Progress");
  Deliver(id, "In Progress");
  auto catch_up = MakeCatchUp();
  clock_->Advance(minutes(11));
  Advance(id, "Approved");
  // The webhook lands while the session is already due: the look-up then
  // finds the status stored (and the session is final: not even looked up).
  Deliver(id, "Approved");
  Drive(*catch_up, minutes(30));
  EXPECT_TRUE(lookups_.empty());
  EXPECT_EQ(Events(id).size(), 2u);
  // The inbox itself refuses a poll of the status it has.
  PolledStatus same{id, "Approved", "", "", ""};
  auto r = inbox_->AcceptPolled(same);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, InboxOutcome::kDuplicate);
  // ... and one that would move it backwards is impossible by construction
  // (stored + 1), but a poll never moves a session to Not Started.
  PolledStatus back{id, "Not Started", "", "", ""};
  r = inbox_->AcceptPolled(back);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcome, InboxOutcome::kDuplicate);
  EXPECT_EQ(StatusOf(id), "Approved");
}

TEST_F(CatchUpTest, AQueuedSessionWhoseWebhookCameMeanwhileIsNotLookedUp) {
  StartSandbox();
  Deliver("first", "In Progress");
  Deliver("second", "In Progress");
  auto catch_up = MakeCatchUp(/*rate=*/1);
  clock_->Advance(minutes(10));
  Drive(*catch_up, seconds(1));  // "first" looked up; "second" queued for a minute later
  ASSERT_EQ(lookups_.size(), 1u);
  Deliver("second", "Approved");
  Drive(*catch_up, minutes(5));
  EXPECT_EQ(lookups_.size(), 1u);
}

TEST_F(CatchUpTest, LookUpsStayWithinTheRate) {
  StartSandbox();
  for (int i = 0; i < 60; ++i) Deliver("unknown-" + std::to_string(i), "In Progress");
  auto catch_up = MakeCatchUp(/*rate=*/10);
  clock_->Advance(minutes(10));
  Drive(*catch_up, minutes(3));
  // Every sliding minute holds at most 10 look-ups; the loop keeps the pace.
  for (std::size_t i = 0; i < lookups_.size(); ++i) {
    std::size_t in_window = 0;
    for (std::size_t j = i; j < lookups_.size() && lookups_[j] < lookups_[i] + minutes(1); ++j)
      ++in_window;
    EXPECT_LE(in_window, 10u) << "window starting at look-up " << i;
  }
  EXPECT_GE(lookups_.size(), 29u);
  EXPECT_LE(lookups_.size(), 31u);
  // Sessions unknown to Didit (404) fail and stay: nothing stored.
  EXPECT_EQ(catch_up->stats().stored, 0u);
}

TEST_F(CatchUpTest, A429PausesTheLookUps) {
  StartSandbox(/*rate_limit=*/3);
  for (int i = 0; i < 5; ++i) Deliver("s-" + std::to_string(i), "In Progress");
  auto catch_up = MakeCatchUp(/*rate=*/60);
  clock_->Advance(minutes(10));
  Drive(*catch_up, seconds(30));
  // Three answered, the fourth got 429 with Retry-After (the sandbox's
  // window: ~57 s): nothing more was asked meanwhile.
  EXPECT_EQ(catch_up->stats().rate_limited, 1u);
  ASSERT_EQ(lookups_.size(), 4u);
  Drive(*catch_up, seconds(60));
  ASSERT_GE(lookups_.size(), 5u);
  EXPECT_GE(lookups_[4] - lookups_[3], seconds(50));
  EXPECT_EQ(catch_up->stats().rate_limited, 1u);
}

TEST_F(CatchUpTest, AFailedLookUpIsRetriedAndLosesNothing) {
  StartSandbox();
  const std::string id = CreateSession("sandbox-down");
  Advance(id, "In Progress");
  Deliver(id, "In Progress");
  Advance(id, "Approved");
  const std::uint16_t port = sandbox_->port();
  sandbox_->Stop();
  auto catch_up = MakeCatchUp();
  Drive(*catch_up, minutes(11));
  EXPECT_EQ(lookups_.size(), 1u);
  EXPECT_EQ(catch_up->stats().failed, 1u);
  EXPECT_EQ(StatusOf(id), "In Progress");
  EXPECT_EQ(Events(id).size(), 1u);
  // Back (same port, same database): the next round finds it.
  sandbox_.reset();
  StartSandbox(0, port);
  Drive(*catch_up, minutes(11));
  EXPECT_EQ(lookups_.size(), 2u);
  EXPECT_EQ(StatusOf(id), "Approved");
}

// A journal written before the catch-up existed (webhook schema version 1:
// no polled / poll_seq columns) is migrated in place when opened: its events
// read as real webhooks and a poll is stored on top of them.
TEST_F(CatchUpTest, AnInboxFromBeforeTheCatchUpIsMigrated) {
  Deliver("old", "In Progress");
  inbox_.reset();
  {
    auto db = sqlite::Database::Open((dir_ / "inbox.db").string(), {});
    ASSERT_TRUE(db) << db.error().ToString();
    ASSERT_TRUE(
        (*db)->Exec("DROP INDEX webhook_sessions_by_updated;"
                    "ALTER TABLE webhook_events DROP COLUMN polled;"
                    "ALTER TABLE webhook_events DROP COLUMN poll_seq;"
                    "UPDATE idem_schema SET version = 1 WHERE component = 'webhook';"));
  }
  InboxOptions io;
  io.clock = clock_;
  auto inbox = WebhookInbox::Open((dir_ / "inbox.db").string(), io);
  ASSERT_TRUE(inbox) << inbox.error().ToString();
  inbox_ = std::move(*inbox);
  auto events = Events("old");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].polled);
  EXPECT_EQ(events[0].poll_seq, 0);
  auto r = inbox_->AcceptPolled({"old", "Declined", "", "", ""});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->outcome, InboxOutcome::kStored);
  EXPECT_EQ(StatusOf("old"), "Declined");
}

}  // namespace
}  // namespace idem
