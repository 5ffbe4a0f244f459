// Monitoring events through the typed calls against the real sandbox: round
// trips, the batch's per-item outcomes, refusals, hostile answers, and an
// answer lost after the call executed, which stops `unknown` for a person
// (profile rows create_event, create_event_batch: no key, no look-up).
#include <gtest/gtest.h>

#include "idem/didit/endpoints.h"
#include "idem/didit/monitoring_events.h"
#include "sandbox_fixture.h"

namespace idem::didit {
namespace {

using testing::MakeHarness;

MonitoringEvent Ev(const std::string& id) {
  MonitoringEvent e;
  e.event_id = id;
  e.event_category = "payment";
  e.action_type = "deposit_completed";
  e.subject_vendor_data = "user-42";
  e.occurred_at = "2026-10-17T09:16:40.000Z";
  e.transaction_context = nlohmann::json{{"amount", "100.00"}, {"currency", "EUR"}};
  e.payload = nlohmann::json{{"payment_method", "card"}};
  return e;
}

TEST(MonitoringEventCalls, SingleAndBatchRoundTrip) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto sent = SendMonitoringEvent(*h->didit, Ev("ev-1"));
  ASSERT_TRUE(sent) << sent.error().ToString();
  EXPECT_EQ(sent->outcome, "accepted");
  EXPECT_EQ(sent->event_id, "ev-1");
  ASSERT_TRUE(sent->uuid);

  auto batch = SendMonitoringEventBatch(*h->didit, {Ev("ev-2"), Ev("ev-1")});
  ASSERT_TRUE(batch) << batch.error().ToString();
  EXPECT_EQ(batch->status, 201);
  ASSERT_EQ(batch->results.size(), 2u);
  EXPECT_EQ(batch->results[0].outcome, "accepted");
  EXPECT_EQ(batch->results[0].index, 0u);
  EXPECT_EQ(batch->results[1].outcome, "replayed");
  EXPECT_EQ(batch->results[1].uuid, sent->uuid);
  EXPECT_EQ(h->Stats()["executions"]["create_event"], 1);
  EXPECT_EQ(h->Stats()["executions"]["create_event_batch"], 1);

  // Refused locally, nothing sent.
  MonitoringEvent no_id = Ev("");
  EXPECT_EQ(SendMonitoringEvent(*h->didit, no_id).error().error.code(),
            ErrorCode::kInvalidArgument);
  MonitoringEvent bad_payload = Ev("x");
  bad_payload.payload = nlohmann::json("card");
  EXPECT_EQ(SendMonitoringEvent(*h->didit, bad_payload).error().error.code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(SendMonitoringEventBatch(*h->didit, {}).error().error.code(),
            ErrorCode::kInvalidArgument);
  std::vector<MonitoringEvent> many(kMaxEventBatch + 1, Ev("m"));
  EXPECT_EQ(SendMonitoringEventBatch(*h->didit, many).error().error.code(),
            ErrorCode::kInvalidArgument);
  // Didit's 400 (an event_id over 128 characters) is a refusal.
  auto refused = SendMonitoringEvent(*h->didit, Ev(std::string(129, 'x')));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().error.code(), ErrorCode::kRefused);
}

TEST(MonitoringEventCalls, ParsersRefuseHostileAnswers) {
  for (const std::string& body :
       {std::string("{"), std::string("[1]"), std::string(3000, '['), std::string(3000, '{'),
        std::string("{\"outcome\":\"\xff\"}"), std::string("{\"outcome\":7}"),
        std::string("{\"index\":-1}"), std::string("{\"uuid\":[]}")}) {
    EXPECT_FALSE(ParseMonitoringEventResult(body)) << body.substr(0, 40);
    EXPECT_FALSE(ParseMonitoringEventBatch(body)) << body.substr(0, 40);
  }
  EXPECT_FALSE(ParseMonitoringEventBatch(R"({"results":{}})"));
  EXPECT_FALSE(ParseMonitoringEventBatch(R"({"results":[7]})"));
  // Oversized but well-formed: parsed, no crash.
  nlohmann::json big = {{"results", nlohmann::json::array()}};
  for (int i = 0; i < 5000; ++i) big["results"].push_back({{"index", i}, {"outcome", "accepted"}});
  auto parsed = ParseMonitoringEventBatch(big.dump());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->results.size(), 5000u);
  auto ok = ParseMonitoringEventResult(R"({"outcome":"accepted","event_id":"a","uuid":"u"})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->outcome, "accepted");
}

TEST(MonitoringEventCalls, ProfileRows) {
  for (const char* kind : {"create_event", "create_event_batch"}) {
    const EndpointProfile* p = FindDiditEndpoint(kind);
    ASSERT_NE(p, nullptr) << kind;
    EXPECT_FALSE(p->honours_key);
    EXPECT_TRUE(p->unique_field.empty());
    EXPECT_EQ(p->rate_limit_scope, "ingest-write");
  }
  EXPECT_EQ(DiditEndpointFor("POST", "/v3/events/")->kind, "create_event");
  EXPECT_EQ(DiditEndpointFor("POST", "/v3/events/batch/")->kind, "create_event_batch");
}

class EventLostAnswerTest : public ::testing::TestWithParam<const char*> {};

// The answer is lost (or a 500) after the sandbox stored the event: nothing
// to look up, so the op stops `unknown`, needs review; resume sends nothing.
TEST_P(EventLostAnswerTest, StopsUnknownNeverReSent) {
  SandboxOptions sandbox;
  sandbox.faults = GetParam();
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  auto sent = SendMonitoringEvent(*h->didit, Ev("lost-1"), {.op_id = "ev-lost"});
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().error.code(), ErrorCode::kUnknownOutcome);
  auto op = h->didit->client().Get("ev-lost");
  EXPECT_EQ((*op)->state, OpState::kUnknown);
  EXPECT_TRUE((*op)->needs_review);
  auto batch = SendMonitoringEventBatch(*h->didit, {Ev("lost-2")}, {.op_id = "batch-lost"});
  ASSERT_FALSE(batch);
  EXPECT_EQ(batch.error().error.code(), ErrorCode::kUnknownOutcome);
  const int requests = h->Stats()["requests"].get<int>();
  ASSERT_TRUE(h->didit->client().Resume());
  EXPECT_EQ(h->Stats()["requests"], requests);
  EXPECT_EQ(h->Stats()["executions"]["create_event"], 1);
  EXPECT_EQ(h->Stats()["executions"]["create_event_batch"], 1);
}

INSTANTIATE_TEST_SUITE_P(Faults, EventLostAnswerTest,
                         ::testing::Values("drop_after=1@writes", "error_500_after=1@writes"));

}  // namespace
}  // namespace idem::didit
