// DiditClient::Get through the shared retry types: a scripted transport, a
// fake clock whose sleeper advances it, seeded jitter. Nothing sleeps.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "idem/didit/client.h"
#include "idem/journal.h"
#include "idem/retry.h"
#include "testing/fake_clock.h"
#include "testing/scripted_transport.h"

namespace idem::didit {
namespace {

using idem::testing::FakeClock;
using idem::testing::FakeSleeper;
using idem::testing::ScriptedTransport;
using std::chrono::milliseconds;
using Answer = ScriptedTransport::Answer;

constexpr std::uint64_t kSeed = 42;

// A retry policy that counts its clones: one per GET when Get clones the
// prototype, as a shared loop does.
class CountingRetryPolicy final : public RetryPolicy {
 public:
  CountingRetryPolicy(int max_attempts, std::shared_ptr<std::atomic<int>> clones)
      : max_attempts_(max_attempts), clones_(std::move(clones)) {}
  std::unique_ptr<RetryPolicy> Clone() const override {
    ++*clones_;
    return std::make_unique<CountingRetryPolicy>(max_attempts_, clones_);
  }
  bool OnFailure() override { return ++failures_ < max_attempts_; }
  bool IsExhausted() const override { return failures_ >= max_attempts_; }

 private:
  int max_attempts_;
  std::shared_ptr<std::atomic<int>> clones_;
  int failures_ = 0;
};

class GetRetryTest : public ::testing::Test {
 protected:
  void TearDown() override {
    didit_.reset();
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }

  // A client on `script`, with the fake clock, sleeper and seeded jitter;
  // `adjust` changes the options before Create.
  void Make(std::vector<Answer> script, Answer then,
            const std::function<void(DiditClientOptions&)>& adjust = {}) {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("idem_get_retry_" + std::to_string(::getpid()) + "_" + std::to_string(counter++)))
                .string();
    std::filesystem::create_directories(path_);
    auto journal = OpenSqliteJournal(path_ + "/journal.db");
    ASSERT_TRUE(journal) << journal.error().ToString();
    transport_ = std::make_shared<ScriptedTransport>(std::move(script), std::move(then));
    DiditClientOptions o;
    o.client.base_url = "http://didit.test";
    o.client.api_key = "key-1";
    o.client.journal = std::move(*journal);
    o.client.transport = transport_;
    o.client.clock = clock_;
    o.client.random = std::make_shared<SeededRandom>(kSeed);
    o.sleeper = sleeper_;
    if (adjust) adjust(o);
    auto didit = DiditClient::Create(std::move(o));
    ASSERT_TRUE(didit) << didit.error().ToString();
    didit_ = std::move(*didit);
  }

  std::string path_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::shared_ptr<FakeSleeper> sleeper_ = std::make_shared<FakeSleeper>(*clock_);
  std::shared_ptr<ScriptedTransport> transport_;
  std::unique_ptr<DiditClient> didit_;
};

TEST_F(GetRetryTest, A5xxAndA429AreRetriedWithTheSameRequestAndJitteredWaits) {
  Make({ScriptedTransport::Status(503), ScriptedTransport::Status(429)},
       ScriptedTransport::Status(200, {}, R"({"ok":true})"));
  auto r = didit_->Get("/v3/session/s-1/decision/");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->body, R"({"ok":true})");

  auto requests = transport_->requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.url, "http://didit.test/v3/session/s-1/decision/");
    EXPECT_EQ(FindHeader(request.headers, "x-api-key").value_or(""), "key-1");
    EXPECT_EQ(request.body, "");
  }
  // The default backoff, FullJitterBackoff(100 ms, 2 s) on the injected
  // randomness: the same seed draws the same waits.
  FullJitterBackoff expected_backoff(milliseconds(100), std::chrono::seconds(2),
                                     std::make_shared<SeededRandom>(kSeed));
  auto expected = expected_backoff.Clone();
  const milliseconds first = expected->OnCompletion();
  const milliseconds second = expected->OnCompletion();
  EXPECT_EQ(sleeper_->sleeps(), (std::vector<milliseconds>{first, second}));
  EXPECT_LE(first, milliseconds(100));
  EXPECT_LE(second, milliseconds(200));
}

TEST_F(GetRetryTest, TheServersPushbackIsAFloorUnderTheBackoff) {
  const auto reset = std::chrono::duration_cast<std::chrono::seconds>(
                         clock_->Now().time_since_epoch() + std::chrono::seconds(12))
                         .count();
  Make({ScriptedTransport::Status(429, {{"Retry-After", "7"}}),
        ScriptedTransport::Status(503, {{"X-RateLimit-Reset", std::to_string(reset)}}),
        ScriptedTransport::Status(429, {{"Retry-After", "3600"}})},
       ScriptedTransport::Status(200), [](DiditClientOptions& o) { o.get_attempts = 4; });
  auto r = didit_->Get("/v3/sessions/");
  ASSERT_TRUE(r) << r.error().ToString();
  // 7 s; then the reset 12 s after the start, 7 s of which have passed;
  // then an hour capped at client.max_pushback (60 s).
  EXPECT_EQ(sleeper_->sleeps(), (std::vector<milliseconds>{milliseconds(7000), milliseconds(5000),
                                                           milliseconds(60000)}));
}

TEST_F(GetRetryTest, AttemptsExhaustedReturnTheLastError) {
  Make({}, ScriptedTransport::Status(503, {}, R"({"detail":"down"})"),
       [](DiditClientOptions& o) { o.get_attempts = 4; });
  auto r = didit_->Get("/v3/sessions/");
  ASSERT_FALSE(r);
  EXPECT_EQ(transport_->requests().size(), 4u);
  EXPECT_EQ(sleeper_->sleeps().size(), 3u);
  EXPECT_EQ(r.error().error.code(), ErrorCode::kUnavailable);
  ASSERT_TRUE(r.error().api);
  EXPECT_EQ(r.error().api->http_status, 503);
  EXPECT_NE(r.error().error.message().find("(retries exhausted)"), std::string::npos)
      << r.error().ToString();
}

TEST_F(GetRetryTest, ANonRetryable4xxReturnsAtOnce) {
  Make({ScriptedTransport::Status(404, {}, R"({"detail":"Not found."})"),
        ScriptedTransport::Status(403, {}, R"({"detail":"no"})")},
       ScriptedTransport::Status(200));
  auto missing = didit_->Get("/v3/session/nope/decision/");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().error.code(), ErrorCode::kRefused);
  auto denied = didit_->Get("/v3/session/nope/decision/");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().error.code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(transport_->requests().size(), 2u);
  EXPECT_TRUE(sleeper_->sleeps().empty());
}

TEST_F(GetRetryTest, TransportFailuresAreClassifiedAsTheOpsAre) {
  auto budget = std::make_shared<RetryBudget>();
  Make({ScriptedTransport::Failure(TransportFailure::kTimeout),
        ScriptedTransport::Failure(TransportFailure::kNotSent),
        ScriptedTransport::Failure(TransportFailure::kCancelled)},
       ScriptedTransport::Status(200), [&](DiditClientOptions& o) {
         o.client.budget = budget;
         o.get_attempts = 10;
       });
  auto r = didit_->Get("/v3/sessions/");
  ASSERT_FALSE(r);
  // Timeout and not-sent retried; cancelled (the transport shutting down) not.
  EXPECT_EQ(transport_->requests().size(), 3u);
  EXPECT_EQ(sleeper_->sleeps().size(), 2u);
  EXPECT_EQ(r.error().error.code(), ErrorCode::kUnavailable);
  // A retry after a timeout costs 10 tokens, after a failed connect 5.
  EXPECT_EQ(budget->available(), 500 - 10 - 5);
}

// Only a loop that draws from the Client's budget stops here: the bucket
// holds the cost of two retries, and the policy would allow nine.
TEST_F(GetRetryTest, TheClientsBudgetStopsTheRetries) {
  auto budget = std::make_shared<RetryBudget>(RetryBudgetOptions{.capacity = 10});
  Make({}, ScriptedTransport::Status(503), [&](DiditClientOptions& o) {
    o.client.budget = budget;
    o.get_attempts = 10;
  });
  auto r = didit_->Get("/v3/sessions/");
  ASSERT_FALSE(r);
  EXPECT_EQ(transport_->requests().size(), 3u);
  EXPECT_EQ(budget->available(), 0);
  EXPECT_NE(r.error().error.message().find("(retry budget empty)"), std::string::npos)
      << r.error().ToString();
  // Drained: the next GET is not retried at all.
  auto again = didit_->Get("/v3/sessions/");
  ASSERT_FALSE(again);
  EXPECT_EQ(transport_->requests().size(), 4u);
}

// With no budget of the caller's, the one Create makes is the Client's too:
// GETs that drain it leave an op nothing to retry with.
TEST_F(GetRetryTest, GetAndTheOpsShareOneBudgetByDefault) {
  Make({}, ScriptedTransport::Status(429), [](DiditClientOptions& o) {
    o.get_attempts = 1000;  // the budget, not the policy, must stop it
  });
  auto r = didit_->Get("/v3/sessions/");
  ASSERT_FALSE(r);
  // 500 tokens, 5 per retry: 100 retries after the first attempt.
  EXPECT_EQ(transport_->requests().size(), 101u);
  EXPECT_NE(r.error().error.message().find("(retry budget empty)"), std::string::npos);

  OpRequest op;
  op.op_id = "op-after-drain";
  op.method = "POST";
  op.path = "/v1/thing/";
  op.body = "{}";
  auto result = didit_->client().Call(op);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->state, OpState::kUnknown);
  EXPECT_EQ(result->attempts, 1);
  EXPECT_NE(result->last_error.find("(retry budget empty)"), std::string::npos)
      << result->last_error;
}

// Only a loop that clones the options' prototype passes: the policy allows
// two attempts although get_attempts says ten, and each GET gets its own
// clone (so its own count).
TEST_F(GetRetryTest, ACustomRetryPolicyPrototypeIsClonedPerGet) {
  auto clones = std::make_shared<std::atomic<int>>(0);
  Make({}, ScriptedTransport::Status(500), [&](DiditClientOptions& o) {
    o.get_attempts = 10;
    o.get_retry_policy = std::make_shared<CountingRetryPolicy>(2, clones);
    o.get_backoff_policy = std::make_shared<FixedScheduleBackoff>(
        std::vector<milliseconds>{milliseconds(250), milliseconds(750)});
  });
  ASSERT_FALSE(didit_->Get("/v3/sessions/"));
  ASSERT_FALSE(didit_->Get("/v3/sessions/"));
  EXPECT_EQ(clones->load(), 2);
  EXPECT_EQ(transport_->requests().size(), 4u);
  // A backoff clone per GET too: each starts its schedule afresh.
  EXPECT_EQ(sleeper_->sleeps(), (std::vector<milliseconds>{milliseconds(250), milliseconds(250)}));
}

TEST_F(GetRetryTest, TheElapsedLimitCountsFromTheStartOfEachGet) {
  Make({}, ScriptedTransport::Status(502), [&](DiditClientOptions& o) {
    o.get_retry_policy =
        std::make_shared<LimitedAttemptsRetryPolicy>(10, milliseconds(1000), clock_);
    o.get_backoff_policy =
        std::make_shared<FixedScheduleBackoff>(std::vector<milliseconds>{milliseconds(600)});
  });
  // 0 ms: fails, waits to 600; fails, waits to 1200; fails past the limit.
  ASSERT_FALSE(didit_->Get("/v3/sessions/"));
  EXPECT_EQ(transport_->requests().size(), 3u);
  // A new GET has its whole second again.
  ASSERT_FALSE(didit_->Get("/v3/sessions/"));
  EXPECT_EQ(transport_->requests().size(), 6u);
}

}  // namespace
}  // namespace idem::didit
