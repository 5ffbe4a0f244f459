// The webhook sender's retry schedule through the shared retry types: a
// scripted transport (nothing on the network), backoff prototypes that wait
// 0 ms and record what they were asked, Didit's schedule as the sandbox's
// default. Nothing sleeps: WaitIdle returns as soon as the queue is empty.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "idem/retry.h"
#include "idem/webhook_sender.h"
#include "sandbox/webhook_dispatch.h"
#include "testing/scripted_transport.h"

namespace idem {
namespace {

using std::chrono::milliseconds;
using testing::ScriptedTransport;
using Answer = ScriptedTransport::Answer;

constexpr auto kWait = std::chrono::seconds(10);

// Waits 0 ms, and records per clone how many waits it was asked for: a clone
// per event means one counter per event.
class RecordingBackoff final : public BackoffPolicy {
 public:
  struct Log {
    std::mutex mu;
    std::vector<int> waits_per_clone;
  };
  explicit RecordingBackoff(std::shared_ptr<Log> log, int index = -1)
      : log_(std::move(log)), index_(index) {}
  std::unique_ptr<BackoffPolicy> Clone() const override {
    std::lock_guard<std::mutex> lock(log_->mu);
    log_->waits_per_clone.push_back(0);
    return std::make_unique<RecordingBackoff>(log_,
                                              static_cast<int>(log_->waits_per_clone.size()) - 1);
  }
  milliseconds OnCompletion() override {
    std::lock_guard<std::mutex> lock(log_->mu);
    ++log_->waits_per_clone.at(static_cast<std::size_t>(index_));
    return milliseconds(0);
  }

 private:
  std::shared_ptr<Log> log_;
  int index_;
};

struct SenderRun {
  WebhookSenderStats stats;
  std::vector<int> waits_per_clone;
  std::size_t requests = 0;
};

// Sends `events` events through one sender on `script`, one after the other
// (each waited for, so the script's answers go to the events in order);
// `adjust` sets options.
SenderRun Send(int events, std::vector<Answer> script, Answer then,
               const std::function<void(WebhookSenderOptions&)>& adjust = {}) {
  auto transport = std::make_shared<ScriptedTransport>(std::move(script), std::move(then));
  auto log = std::make_shared<RecordingBackoff::Log>();
  WebhookSenderOptions o;
  o.url = "http://receiver.test/webhooks/didit";
  o.secret = "s3cret";
  o.transport = transport;
  o.backoff = std::make_shared<RecordingBackoff>(log);
  if (adjust) adjust(o);
  auto sender = WebhookSender::Create(o);
  EXPECT_TRUE(sender) << sender.error().ToString();
  if (!sender) return {};
  for (int i = 0; i < events; ++i) {
    EXPECT_TRUE((*sender)->Enqueue("{\"event\":" + std::to_string(i) + "}"));
    EXPECT_TRUE((*sender)->WaitIdle(kWait));
  }
  SenderRun run;
  run.stats = (*sender)->stats();
  (*sender)->Shutdown();
  std::lock_guard<std::mutex> lock(log->mu);
  run.waits_per_clone = log->waits_per_clone;
  run.requests = transport->requests().size();
  return run;
}

TEST(WebhookSenderScheduleTest, EachEventClonesTheBackoffAndStartsAfresh) {
  // Event 0 fails twice, event 1 once, then every attempt is acknowledged.
  SenderRun run = Send(2,
                       {ScriptedTransport::Status(503), ScriptedTransport::Status(503),
                        ScriptedTransport::Status(200), ScriptedTransport::Status(500)},
                       ScriptedTransport::Status(200));
  EXPECT_EQ(run.waits_per_clone, (std::vector<int>{2, 1}));
  EXPECT_EQ(run.stats.acknowledged, 2u);
  EXPECT_EQ(run.stats.retries, 3u);
  EXPECT_EQ(run.requests, 5u);
}

// Only a sender that clones the options' retry prototype per event passes:
// the policy allows two attempts although max_attempts says thirty.
TEST(WebhookSenderScheduleTest, ACustomRetryPolicyBoundsEachEvent) {
  SenderRun run = Send(3, {}, ScriptedTransport::Status(503), [](WebhookSenderOptions& o) {
    o.retry = std::make_shared<LimitedAttemptsRetryPolicy>(2, kNoElapsedLimit);
  });
  EXPECT_EQ(run.requests, 6u);
  EXPECT_EQ(run.stats.given_up, 3u);
  EXPECT_EQ(run.waits_per_clone, (std::vector<int>{1, 1, 1}));
}

TEST(WebhookSenderScheduleTest, MaxAttemptsIsTheDefaultPolicysLimit) {
  SenderRun run = Send(1, {}, ScriptedTransport::Failure(TransportFailure::kNotSent),
                       [](WebhookSenderOptions& o) { o.max_attempts = 4; });
  EXPECT_EQ(run.requests, 4u);
  EXPECT_EQ(run.stats.failed_attempts, 4u);
  EXPECT_EQ(run.stats.given_up, 1u);
}

// A budget across events, when one is set: two retries' worth of tokens, then
// events are given up after their first failure.
TEST(WebhookSenderScheduleTest, ABudgetStopsRetriesAcrossEvents) {
  auto budget = std::make_shared<RetryBudget>(RetryBudgetOptions{.capacity = 10});
  SenderRun run = Send(3, {}, ScriptedTransport::Status(503),
                       [&](WebhookSenderOptions& o) { o.budget = budget; });
  // Event 0: three attempts (two paid retries); events 1 and 2: one each.
  EXPECT_EQ(run.requests, 5u);
  EXPECT_EQ(run.stats.given_up, 3u);
  EXPECT_EQ(budget->available(), 0);
}

TEST(WebhookSenderScheduleTest, NoBudgetByDefault) {
  // Thirty attempts each for five events: far more retries than a default
  // RetryBudget (100) would pay for.
  SenderRun run = Send(5, {}, ScriptedTransport::Status(503));
  EXPECT_EQ(run.requests, 150u);
  EXPECT_EQ(run.stats.given_up, 5u);
}

struct ClassifyCase {
  Answer answer;
  bool retried;
};

TEST(WebhookSenderScheduleTest, WhatIsRetried) {
  const ClassifyCase cases[] = {
      {ScriptedTransport::Status(500), true},
      {ScriptedTransport::Status(503), true},
      // Didit retries 404: the receiver's route may not be deployed yet.
      {ScriptedTransport::Status(404), true},
      {ScriptedTransport::Status(408), true},
      {ScriptedTransport::Status(429), true},
      {ScriptedTransport::Status(400), false},
      {ScriptedTransport::Status(401), false},
      {ScriptedTransport::Status(410), false},
      // An Idempotency-Key's "in progress" elsewhere; a webhook has no key.
      {ScriptedTransport::Status(409), false},
      {ScriptedTransport::Status(425), false},
      {ScriptedTransport::Status(302), false},
      {ScriptedTransport::Failure(TransportFailure::kTimeout), true},
      {ScriptedTransport::Failure(TransportFailure::kNotSent), true},
      {ScriptedTransport::Failure(TransportFailure::kConnectionLost), true},
      {ScriptedTransport::Failure(TransportFailure::kInternal), false},
  };
  for (const auto& c : cases) {
    SenderRun run = Send(1, {c.answer}, ScriptedTransport::Status(200));
    const std::string what = c.answer.failure ? "failure" : std::to_string(c.answer.status);
    EXPECT_EQ(run.requests, c.retried ? 2u : 1u) << what;
    EXPECT_EQ(run.stats.acknowledged, c.retried ? 1u : 0u) << what;
  }
}

TEST(WebhookSenderScheduleTest, DiditsScheduleIsOneMinuteThenFour) {
  auto schedule = DiditWebhookBackoff()->Clone();
  EXPECT_EQ(schedule->OnCompletion(), std::chrono::minutes(1));
  EXPECT_EQ(schedule->OnCompletion(), std::chrono::minutes(4));
  EXPECT_EQ(kDiditWebhookAttempts, 3);
}

// The sandbox stands in for Didit: unless told otherwise it sends with
// Didit's schedule (three attempts, 1 min then 4 min, 5 s each).
TEST(WebhookSenderScheduleTest, SandboxDefaultsToDiditsSchedule) {
  SandboxOptions defaults;
  EXPECT_EQ(defaults.webhook_max_attempts, kDiditWebhookAttempts);
  EXPECT_EQ(defaults.webhook_backoff, nullptr);

  sandbox::WebhookDispatchConfig config;
  config.url = "http://receiver.test/webhooks/didit";
  config.secret = "s3cret";
  config.max_attempts = defaults.webhook_max_attempts;
  config.backoff = defaults.webhook_backoff;
  WebhookSenderOptions o = sandbox::SenderOptionsFor(config);
  EXPECT_EQ(o.max_attempts, 3);
  EXPECT_EQ(o.attempt_timeout, std::chrono::seconds(5));
  ASSERT_TRUE(o.backoff);
  auto schedule = o.backoff->Clone();
  EXPECT_EQ(schedule->OnCompletion(), std::chrono::minutes(1));
  EXPECT_EQ(schedule->OnCompletion(), std::chrono::minutes(4));

  // A test's shorter schedule replaces it.
  config.backoff =
      std::make_shared<FixedScheduleBackoff>(std::vector<milliseconds>{milliseconds(5)});
  EXPECT_EQ(sandbox::SenderOptionsFor(config).backoff->Clone()->OnCompletion(), milliseconds(5));
}

// Didit's three attempts through the sender itself (the waits replaced by a
// recording 0 ms backoff): the third failure drops the event.
TEST(WebhookSenderScheduleTest, DiditsAttemptsThenDropped) {
  SenderRun run = Send(1, {}, ScriptedTransport::Status(502),
                       [](WebhookSenderOptions& o) { o.max_attempts = kDiditWebhookAttempts; });
  EXPECT_EQ(run.requests, 3u);
  EXPECT_EQ(run.waits_per_clone, (std::vector<int>{2}));
  EXPECT_EQ(run.stats.given_up, 1u);
}

}  // namespace
}  // namespace idem
