// The sandbox's transaction-monitoring events (POST /v3/events/ and
// /v3/events/batch/): the envelope, event_id replay, the batch's per-item
// outcomes (201 / 207), the ingest-write scope, and hostile bodies answered
// 400, never a crash.
#include <gtest/gtest.h>

#include <string>

#include "sandbox_harness.h"
#include "testing/fake_clock.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

json Event(const std::string& id, const std::string& vendor_data = "user-42") {
  return {{"event_id", id},
          {"event_category", "payment"},
          {"action_type", "deposit_completed"},
          {"occurred_at", "2026-10-17T09:16:40.000Z"},
          {"subject", {{"vendor_data", vendor_data}}},
          {"transaction_context", {{"amount", "100.00"}, {"currency", "EUR"}}},
          {"payload", {{"payment_method", "card"}}}};
}

TEST(MonitoringEvents, CreateThenReplayByEventId) {
  Harness h;
  auto made = h.Post("/v3/events/", Event("ev-1").dump());
  ASSERT_EQ(made->status, 201) << made->body;
  const json e = Json(made);
  EXPECT_EQ(e["event_id"], "ev-1");
  EXPECT_EQ(e["outcome"], "accepted");
  EXPECT_EQ(e["vendor_data"], "user-42");
  EXPECT_EQ(e["payload"]["payment_method"], "card");
  EXPECT_FALSE(e["uuid"].get<std::string>().empty());
  // The same event_id again stores nothing: the stored record, replayed.
  json changed = Event("ev-1", "someone-else");
  auto again = h.Post("/v3/events/", changed.dump());
  ASSERT_EQ(again->status, 200) << again->body;
  EXPECT_EQ(Json(again)["outcome"], "replayed");
  EXPECT_EQ(Json(again)["uuid"], e["uuid"]);
  EXPECT_EQ(Json(again)["vendor_data"], "user-42");
  EXPECT_EQ(h.Stats()["executions"]["create_event"], 1);
}

TEST(MonitoringEvents, BatchOutcomesPerItem) {
  Harness h;
  ASSERT_EQ(h.Post("/v3/events/", Event("old").dump())->status, 201);
  json bad = Event("bad");
  bad.erase("action_type");
  const json body = {{"events", {Event("b1"), Event("old"), bad, Event("b1"), 7}}};
  auto r = h.Post("/v3/events/batch/", body.dump());
  ASSERT_EQ(r->status, 207) << r->body;
  const json results = Json(r)["results"];
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0]["outcome"], "accepted");
  EXPECT_EQ(results[1]["outcome"], "replayed");
  EXPECT_EQ(results[2]["outcome"], "rejected");
  EXPECT_EQ(results[2]["errors"]["action_type"], json({"This field is required."}));
  EXPECT_EQ(results[3]["outcome"], "replayed");  // a repeat inside the batch
  EXPECT_EQ(results[3]["uuid"], results[0]["uuid"]);
  EXPECT_EQ(results[4]["outcome"], "rejected");
  for (std::size_t i = 0; i < results.size(); ++i) EXPECT_EQ(results[i]["index"], i);
  EXPECT_EQ(h.Stats()["executions"]["create_event_batch"], 1);

  // A bare array is accepted too; none rejected: 201.
  auto bare = h.Post("/v3/events/batch/", json::array({Event("b2")}).dump());
  ASSERT_EQ(bare->status, 201) << bare->body;
  EXPECT_EQ(Json(bare)["results"][0]["outcome"], "accepted");
  // The batch's event is the single route's, and the other way round.
  EXPECT_EQ(Json(h.Post("/v3/events/", Event("b2").dump()))["outcome"], "replayed");
  // Nothing new stored: no execution.
  auto replay_only = h.Post("/v3/events/batch/", json::array({Event("b1")}).dump());
  ASSERT_EQ(replay_only->status, 201);
  EXPECT_EQ(h.Stats()["executions"]["create_event_batch"], 2);
}

TEST(MonitoringEvents, RefusalsAndHostileBodies) {
  Harness h;
  auto refused = [&](const std::string& path, const std::string& body) {
    auto r = h.Post(path, body);
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, 400) << path << " " << body.substr(0, 80);
    return nlohmann::json::parse(r->body, nullptr, false);
  };
  json no_subject = Event("x");
  no_subject.erase("subject");
  EXPECT_EQ(refused("/v3/events/", no_subject.dump())["subject"],
            json({"This field is required."}));
  json no_vendor = Event("x");
  no_vendor["subject"] = json::object();
  EXPECT_TRUE(refused("/v3/events/", no_vendor.dump()).contains("subject"));
  EXPECT_TRUE(refused("/v3/events/", Event(std::string(129, 'x')).dump()).contains("event_id"));
  json bad_payload = Event("x");
  bad_payload["payload"] = "card";
  EXPECT_TRUE(refused("/v3/events/", bad_payload.dump()).contains("payload"));
  json bad_id = Event("x");
  bad_id["event_id"] = 12;
  EXPECT_TRUE(refused("/v3/events/", bad_id.dump()).contains("event_id"));
  // The batch: empty, over 500 items, not a list, no events.
  EXPECT_TRUE(refused("/v3/events/batch/", R"({"events":[]})").contains("events"));
  json many = json::array();
  for (int i = 0; i < 501; ++i) many.push_back(Event("m" + std::to_string(i)));
  EXPECT_TRUE(refused("/v3/events/batch/", many.dump()).contains("events"));
  EXPECT_TRUE(refused("/v3/events/batch/", R"({"events":{}})").contains("events"));
  EXPECT_TRUE(refused("/v3/events/batch/", R"({})").contains("events"));
  refused("/v3/events/batch/", "7");
  // Malformed, too deep, invalid UTF-8, for both routes.
  for (const char* path : {"/v3/events/", "/v3/events/batch/"}) {
    for (const std::string& body :
         {std::string("{"), std::string("[1"), std::string(3000, '['), std::string(3000, '{'),
          std::string("{\"event_id\":\"\xff\"}"), std::string("[{\"event_id\":\"\xc3\x28\"}]")}) {
      refused(path, body);
    }
  }
  refused("/v3/events/", "[1]");
  EXPECT_EQ(h.Stats()["executions"]["create_event"], 0);
  EXPECT_EQ(h.Stats()["executions"]["create_event_batch"], 0);
  EXPECT_EQ(h.Send("GET", "/v3/events/")->status, 405);
}

TEST(MonitoringEvents, IngestWriteScopeNotGenericWrite) {
  auto clock = std::make_shared<idem::testing::FakeClock>();
  SandboxOptions options;
  options.clock = clock;
  options.rate_scopes.ingest_write = 2;
  options.rate_scopes.generic_write = 1;
  Harness h(options);
  ASSERT_EQ(h.Post("/v3/events/", Event("r1").dump())->status, 201);
  ASSERT_EQ(h.Post("/v3/events/batch/", json::array({Event("r2")}).dump())->status, 201);
  auto third = h.Post("/v3/events/", Event("r3").dump());
  ASSERT_EQ(third->status, 429);
  EXPECT_FALSE(Header(third, "Retry-After").empty());
}

}  // namespace
}  // namespace idem::sandbox::testing
