// The rate budget's parts alone: the spec, the grant rule, the grants in a
// SQLite journal shared by two Journal objects (two processes' views of one
// file), and the Client's gate on an injected clock and scheduler. Nothing
// sleeps: every time is given or advanced by hand.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "client/rate_book.h"
#include "client/rate_gate.h"
#include "common/rate_rule.h"
#include "idem/journal.h"
#include "idem/rate_limits.h"
#include "testing/fake_clock.h"

namespace idem {
namespace {

using std::chrono::milliseconds;

// ---- the spec ----

TEST(RateSpec, DiditThenOverridesAndSeconds) {
  auto l = ParseRateLimits("didit,writes=5/s,pdf=0/min");
  ASSERT_TRUE(l) << l.error().ToString();
  EXPECT_EQ(l->at("generic-write"), (RateLimit{5, 1000}));
  EXPECT_EQ(l->at("generic-get"), (RateLimit{600, 60000}));
  EXPECT_EQ(l->count("session-generate-pdf"), 0u);  // 0 removes
  auto plain = ParseRateLimits("writes=300/min,reads=600/min");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->size(), 2u);
  EXPECT_EQ(FormatRateLimits(*plain), "generic-get=600/min,generic-write=300/min");
  EXPECT_TRUE(ParseRateLimits("off")->empty());
  EXPECT_TRUE(ParseRateLimits("")->empty());
}

TEST(RateSpec, BadInputNamesTheEntry) {
  for (const auto& [spec, words] : std::vector<std::pair<std::string, std::string>>{
           {"writes=5/h", "N/min"},
           {"writes=-1/min", "integer"},
           {"bogus=1/s", "unknown scope"},
           {"writes", "expected SCOPE="},
           {"reads=1/s,reads=2/s", "twice"},
           {"reads=1/s,didit", "must come first"},
       }) {
    auto l = ParseRateLimits(spec);
    ASSERT_FALSE(l) << spec;
    EXPECT_EQ(l.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(l.error().message().find(words), std::string::npos) << l.error().message();
  }
}

TEST(RateSpec, DefaultsByBaseUrl) {
  EXPECT_EQ(internal::EffectiveRateLimits(std::nullopt, "https://verification.didit.me/"),
            DiditRateLimits());
  EXPECT_TRUE(internal::EffectiveRateLimits(std::nullopt, "http://127.0.0.1:8080").empty());
  const RateLimits mine{{"generic-write", {3, 1000}}};
  EXPECT_EQ(internal::EffectiveRateLimits(mine, "http://127.0.0.1:8080"), mine);
  EXPECT_TRUE(internal::EffectiveRateLimits(RateLimits{}, "https://verification.didit.me").empty());
}

TEST(RateSpec, ScopesOfARequest) {
  const RateLimits limits = DiditRateLimits();
  auto create = internal::ScopesOfRequest(limits, "POST", "session-v2-create");
  EXPECT_EQ(create.size(), 2u);
  EXPECT_EQ(create.count("generic-write"), 1u);
  EXPECT_EQ(create.count("session-v2-create"), 1u);
  auto get = internal::ScopesOfRequest(limits, "GET", "");
  ASSERT_EQ(get.size(), 1u);
  EXPECT_EQ(get.begin()->first, "generic-get");
  EXPECT_TRUE(
      internal::ScopesOfRequest(RateLimits{{"generic-get", {1, 1000}}}, "POST", "generic-write")
          .empty());
}

// Didit counts POST /v3/transactions/ and /v3/events/ in ingest-write only
// ("not counted in generic-write"), unlike a route scope such as
// session-v2-create, which applies in addition to generic-write.
TEST(RateSpec, IngestWriteIsNotAlsoGenericWrite) {
  const RateLimits limits = DiditRateLimits();
  auto ingest = internal::ScopesOfRequest(limits, "POST", "ingest-write");
  ASSERT_EQ(ingest.size(), 1u);
  EXPECT_EQ(ingest.begin()->first, "ingest-write");
  // Without an ingest-write limit configured, nothing counts it elsewhere.
  EXPECT_TRUE(
      internal::ScopesOfRequest(RateLimits{{"generic-write", {1, 1000}}}, "POST", "ingest-write")
          .empty());
}

// ---- the rule ----

TEST(RateRule, SlidingWindowAdmitsWhatTheServerAdmits) {
  rate::ScopeState s;
  s.limit = {3, 1000};
  s.grants = {1000, 1400, 1900};
  EXPECT_EQ(rate::GrantSpanMs(s.limit), 1100);  // the window and a 100 ms margin
  EXPECT_EQ(rate::GrantSpanMs({1, 60000}), 60500);
  auto d = rate::Decide({s}, 1950);
  EXPECT_FALSE(d.granted);
  EXPECT_EQ(d.retry_at_ms, 2100);  // when the grant at 1000 stops counting
  EXPECT_TRUE(rate::Decide({s}, 2100).granted);
  // A token bucket of 3 refilled at 3/s would admit a 4th at 2100 even with
  // 3 grants in (1000, 2100]: the log does not.
  s.grants = {1001, 1400, 1900};
  EXPECT_FALSE(rate::Decide({s}, 2100).granted);
  EXPECT_EQ(rate::Decide({s}, 2100).retry_at_ms, 2101);
}

TEST(RateRule, EveryScopeMustHaveRoomAndTheLastToFreeAnswers) {
  rate::ScopeState writes{{2, 1000}, {500, 900}, false, {}};
  rate::ScopeState create{{1, 5000}, {100}, false, {}};
  auto d = rate::Decide({writes, create}, 1000);
  EXPECT_FALSE(d.granted);
  EXPECT_EQ(d.retry_at_ms, 5600);  // 100 + 5000 + 500 margin
  writes.grants = {500};
  create.grants = {};
  d = rate::Decide({writes, create}, 1000);
  EXPECT_TRUE(d.granted);
  EXPECT_EQ(d.plan_remaining, 0);  // writes had one slot, create one: none left after
}

TEST(RateRule, ACapFromTheServerLowersThePlan) {
  rate::ScopeState s{{100, 60000}, {10, 20, 30}, true, {1, 25, 5000}};
  // One grant (at 30) since the cap was set at 25, allowance 1: wait for its end.
  auto d = rate::Decide({s}, 40);
  EXPECT_FALSE(d.granted);
  EXPECT_EQ(d.retry_at_ms, 5000);
  EXPECT_TRUE(rate::Decide({s}, 5000).granted);  // the cap ran out
}

// ---- grants in a shared SQLite journal ----

class SqliteRateBudget : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("idem-rate-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    a_ = Open();
    b_ = Open();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Journal> Open() {
    // A fake clock: the time a TakeRate waits for the lock adds to the time
    // it is given, and here it must add nothing.
    JournalOptions options;
    options.clock = journal_clock_;
    auto j = OpenSqliteJournal((dir_ / "journal.db").string(), options);
    EXPECT_TRUE(j) << j.error().ToString();
    return j ? std::move(*j) : nullptr;
  }
  std::filesystem::path dir_;
  std::shared_ptr<testing::FakeClock> journal_clock_ = std::make_shared<testing::FakeClock>();
  std::unique_ptr<Journal> a_;
  std::unique_ptr<Journal> b_;
};

// The journal's side of the budget (TakeRate, SetRateCap: two views of one
// store sharing it, a killed holder, caps) is in tests/journal/journal_test.cc,
// run on SQLite and on PostgreSQL.

// ---- the Client's gate ----

// Runs the gate's posts by hand; timers wait until the test moves the clock.
struct ManualScheduler {
  std::vector<std::function<void()>> now;
  std::vector<std::pair<milliseconds, std::function<void()>>> later;
  void RunNow() {
    while (!now.empty()) {
      auto task = std::move(now.front());
      now.erase(now.begin());
      task();
    }
  }
  internal::RateGate::Hooks Hooks() {
    return {
        [this](std::function<void()> t) { now.push_back(std::move(t)); },
        [this](milliseconds d, std::function<void()> t) { later.emplace_back(d, std::move(t)); }};
  }
};

TEST_F(SqliteRateBudget, GateGrantsInArrivalOrderAndWaitsOnATimer) {
  testing::FakeClock clock;
  ManualScheduler sched;
  internal::RateGate gate(internal::MakeJournalRateBook(*a_), clock, sched.Hooks());
  const RateLimits writes{{"generic-write", {1, 1000}}};
  std::vector<int> order;
  for (int i = 0; i < 3; ++i) {
    gate.Acquire(writes, [&order, i](bool granted, int) {
      if (granted) order.push_back(i);
    });
  }
  sched.RunNow();
  EXPECT_EQ(order, std::vector<int>{0});
  ASSERT_EQ(sched.later.size(), 1u);
  EXPECT_EQ(sched.later[0].first, milliseconds(1100));  // when a slot frees
  EXPECT_EQ(gate.waits(), 1u);
  clock.Advance(milliseconds(1100));
  auto timer = std::move(sched.later[0].second);
  sched.later.clear();
  timer();
  sched.RunNow();
  EXPECT_EQ(order, (std::vector<int>{0, 1}));
  // Stopping answers the waiter left with "not granted".
  bool stopped_answer = false;
  gate.Acquire(writes, [&](bool granted, int) { stopped_answer = !granted; });
  gate.Stop();
  sched.RunNow();
  for (auto& [d, t] : sched.later) t();
  sched.RunNow();
  EXPECT_TRUE(stopped_answer);
  EXPECT_EQ(order, (std::vector<int>{0, 1}));
}

TEST_F(SqliteRateBudget, GateAdaptsToTheServersHeaders) {
  testing::FakeClock clock;
  ManualScheduler sched;
  internal::RateGate gate(internal::MakeJournalRateBook(*a_), clock, sched.Hooks());
  const RateLimits writes{{"generic-write", {50, 1000}}};
  const std::int64_t now_ms = ToUnixMillis(clock.Now());
  // The plan says 49 left; the server says 1 until the next second.
  gate.OnResponse(
      writes, 201,
      {{"X-RateLimit-Remaining", "1"}, {"X-RateLimit-Reset", std::to_string(now_ms / 1000 + 1)}},
      49, milliseconds(60000));
  EXPECT_TRUE(b_->TakeRate(writes, now_ms)->granted);
  auto refused = b_->TakeRate(writes, now_ms + 1);
  EXPECT_FALSE(refused->granted);
  EXPECT_EQ(refused->retry_at_ms, (now_ms / 1000 + 1) * 1000);
  // A header that says more than the plan changes nothing.
  clock.Advance(milliseconds(5000));
  const std::int64_t later_ms = ToUnixMillis(clock.Now());
  gate.OnResponse(
      writes, 201,
      {{"X-RateLimit-Remaining", "40"}, {"X-RateLimit-Reset", std::to_string(later_ms / 1000 + 1)}},
      10, milliseconds(60000));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b_->TakeRate(writes, later_ms + i)->granted);
  // A 429's Retry-After stops the scope for that long, for every process.
  gate.OnResponse(writes, 429, {{"Retry-After", "2"}}, 30, milliseconds(60000));
  EXPECT_FALSE(b_->TakeRate(writes, later_ms + 1999)->granted);
  EXPECT_TRUE(b_->TakeRate(writes, later_ms + 2000)->granted);
}

// ---- a process's own budget (ClientOptions::share_rate_budget = false) ----

// The same rule as the journal's, in memory: two books are two budgets
// (what a fleet without the shared budget has), and a cap stops one only.
TEST(ProcessRateBook, EachBookIsItsOwnBudgetUnderTheSameRule) {
  auto a = internal::MakeProcessRateBook();
  auto b = internal::MakeProcessRateBook();
  const RateLimits writes{{"generic-write", {2, 1000}}};
  const std::int64_t t = 1'000'000;
  EXPECT_TRUE(a->Take(writes, t)->granted);
  EXPECT_TRUE(a->Take(writes, t + 1)->granted);
  auto refused = a->Take(writes, t + 2);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->granted);
  EXPECT_EQ(refused->retry_at_ms, t + 1100);  // the window plus its margin
  EXPECT_TRUE(a->Take(writes, t + 1100)->granted);
  // The other book has all its room: budgets are not shared.
  EXPECT_TRUE(b->Take(writes, t + 2)->granted);
  EXPECT_TRUE(b->Take(writes, t + 3)->granted);
  // A server's 429 (allowance 0 until t + 5000) stops the book that heard it.
  ASSERT_TRUE(b->Cap({"generic-write"}, 0, t + 4000, t + 5000));
  EXPECT_FALSE(b->Take(writes, t + 4500)->granted);
  EXPECT_TRUE(a->Take(writes, t + 4500)->granted);
  EXPECT_TRUE(b->Take(writes, t + 5000)->granted);
}

// The gate on a process book grants in order and waits on a timer, as on
// the journal's.
TEST(ProcessRateBook, GateWaitsForTheWindowLikeOnTheJournal) {
  testing::FakeClock clock;
  ManualScheduler sched;
  internal::RateGate gate(internal::MakeProcessRateBook(), clock, sched.Hooks());
  const RateLimits writes{{"generic-write", {1, 1000}}};
  std::vector<int> order;
  for (int i = 0; i < 2; ++i) {
    gate.Acquire(writes, [&order, i](bool granted, int) {
      if (granted) order.push_back(i);
    });
  }
  sched.RunNow();
  EXPECT_EQ(order, std::vector<int>{0});
  ASSERT_EQ(sched.later.size(), 1u);
  EXPECT_EQ(sched.later[0].first, milliseconds(1100));
  clock.Advance(milliseconds(1100));
  auto timer = std::move(sched.later[0].second);
  sched.later.clear();
  timer();
  sched.RunNow();
  EXPECT_EQ(order, (std::vector<int>{0, 1}));
  gate.Stop();
}

}  // namespace
}  // namespace idem
