// Standalone checks saved as sessions (Didit's documented default,
// `save_api_request`, in both profiles): the session, its decision and list
// row, its one execution and one event, `metadata`, and the bad inputs.
#include <gtest/gtest.h>

#include <mutex>

#include "sandbox/webhook_dispatch.h"
#include "sandbox_harness.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

class RecordingSink : public SandboxEventSink {
 public:
  void OnSessionEvent(const SandboxSessionEvent& e) override {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
  }
  std::mutex mu;
  std::vector<SandboxSessionEvent> events;
};

struct MultipartCheck {
  const char* path;
  std::vector<Part> parts;
  const char* api_service;
  const char* result_key;
  const char* feature;
  const char* decision_array;
  const char* node_id;
  const char* kind;
};

const std::vector<MultipartCheck>& MultipartChecks() {
  static const std::vector<MultipartCheck> checks = {
      {"/v3/passive-liveness/",
       {{"user_image", "face"}},
       "PASSIVE_LIVENESS",
       "liveness",
       "LIVENESS",
       "liveness_checks",
       "feature_liveness",
       "passive_liveness"},
      {"/v3/face-match/",
       {{"user_image", "face"}, {"ref_image", "face"}},
       "FACE_MATCH",
       "face_match",
       "FACE_MATCH",
       "face_matches",
       "feature_face_match",
       "face_match"},
      {"/v3/id-verification/",
       {{"front_image", "front"}},
       "ID_VERIFICATION",
       "id_verification",
       "ID_VERIFICATION",
       "id_verifications",
       "feature_id_verification",
       "id_verification"},
  };
  return checks;
}

TEST(CheckSessions, AmlIsSavedAsAnApiSessionByDefault) {
  for (SandboxProfile profile : {SandboxProfile::kDidit, SandboxProfile::kIdeal}) {
    SandboxOptions options;
    options.profile = profile;
    Harness h(options);
    auto r = h.Post("/v3/aml/", R"({"full_name":"Viktor Sanctionov","vendor_data":"u-aml",)"
                                R"("metadata":{"flow":"onboarding"}})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    auto answer = Json(r);
    const std::string id = answer["request_id"];
    EXPECT_EQ(answer["metadata"], (json{{"flow", "onboarding"}}));
    EXPECT_EQ(answer["aml"]["status"], "In Review");
    auto decision = Json(h.Send("GET", "/v3/session/" + id + "/decision/"));
    EXPECT_EQ(decision["session_id"], id);
    EXPECT_EQ(decision["status"], "In Review");
    EXPECT_EQ(decision["vendor_data"], "u-aml");
    EXPECT_EQ(decision["metadata"], (json{{"flow", "onboarding"}}));
    EXPECT_TRUE(decision["session_url"].is_null());
    EXPECT_TRUE(decision["workflow_id"].is_null());
    EXPECT_EQ(decision["features"], json::array({"AML"}));
    ASSERT_EQ(decision["aml_screenings"].size(), 1u);
    json item = answer["aml"];
    item["node_id"] = "feature_aml";
    EXPECT_EQ(decision["aml_screenings"][0], item);  // the check's result, plus node_id
    for (const char* other : {"id_verifications", "liveness_checks", "face_matches"}) {
      EXPECT_TRUE(decision[other].is_null()) << other;
    }
    auto stats = h.Stats();
    EXPECT_EQ(stats["executions"]["aml"], 1);
    EXPECT_EQ(stats["executions_total"], 1);
    EXPECT_EQ(stats["check_sessions"], 1);
    EXPECT_EQ(stats["sessions_total"], 1);
    auto executions = h.Executions()["executions"];
    ASSERT_EQ(executions.size(), 1u);
    EXPECT_EQ(executions[0]["resource_id"], id);
    EXPECT_EQ(executions[0]["vendor_data"], "u-aml");
  }
}

TEST(CheckSessions, NotSavedStoresNothingButStillExecutes) {
  Harness h;
  auto r = h.Post("/v3/aml/", R"({"full_name":"Jane","vendor_data":"u","save_api_request":false})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string id = Json(r)["request_id"];
  EXPECT_EQ(id.size(), 36u);
  EXPECT_TRUE(Json(r)["metadata"].is_null());
  EXPECT_EQ(h.Send("GET", "/v3/session/" + id + "/decision/")->status, 404);
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?vendor_data=u"))["count"], 0);
  EXPECT_EQ(h.Stats()["sessions_total"], 0);
  EXPECT_EQ(h.Stats()["executions"]["aml"], 1);
  EXPECT_EQ(h.Executions()["executions"][0]["resource_id"], id);
}

TEST(CheckSessions, AmlBadOptionsAre400FieldErrors) {
  Harness h;
  const std::vector<std::pair<std::string, json>> cases = {
      {R"({"full_name":"J","save_api_request":"true"})",
       {{"save_api_request", {"Must be a valid boolean."}}}},
      {R"({"full_name":"J","save_api_request":1})",
       {{"save_api_request", {"Must be a valid boolean."}}}},
      {R"({"full_name":"J","save_api_request":null})",
       {{"save_api_request", {"This field may not be null."}}}},
      {R"({"full_name":"J","metadata":"x"})",
       {{"metadata", {"Expected a dictionary of items but got type \"str\"."}}}},
      {R"({"full_name":"J","metadata":[1]})",
       {{"metadata", {"Expected a dictionary of items but got type \"list\"."}}}},
      {R"({"full_name":"J","vendor_data":5})", {{"vendor_data", {"Not a valid string."}}}},
      {R"({"full_name":"J","include_ongoing_monitoring":"yes"})",
       {{"include_ongoing_monitoring", {"Must be a valid boolean."}}}},
      {R"({"full_name":"J","include_ongoing_monitoring":true,"save_api_request":false})",
       {{"error", {"Ongoing monitoring can only be enabled when the API request is saved."}}}},
  };
  for (const auto& [body, expected] : cases) {
    auto r = h.Post("/v3/aml/", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_EQ(Json(r), expected) << body << " -> " << r->body;
  }
  EXPECT_EQ(h.Stats()["executions"]["aml"], 0);
  EXPECT_EQ(h.Stats()["sessions_total"], 0);
  // Monitoring with the (default) save is fine.
  EXPECT_EQ(h.Post("/v3/aml/", R"({"full_name":"J","include_ongoing_monitoring":true})")->status,
            200);
}

TEST(CheckSessions, MultipartChecksAreSavedWithTheirFeature) {
  Harness h;
  for (const auto& c : MultipartChecks()) {
    std::vector<Part> parts = c.parts;
    parts.push_back({"vendor_data", "u-mp", false});
    parts.push_back({"metadata", R"({"step":2})", false});
    auto r = SendForm(h, c.path, parts);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << c.path << ": " << r->body;
    auto answer = Json(r);
    EXPECT_EQ(answer["metadata"], (json{{"step", 2}})) << c.path;
    const std::string id = answer["request_id"];
    auto decision = Json(h.Send("GET", "/v3/session/" + id + "/decision/"));
    EXPECT_EQ(decision["features"], json::array({c.feature})) << c.path;
    ASSERT_EQ(decision[c.decision_array].size(), 1u) << c.path;
    EXPECT_EQ(decision[c.decision_array][0]["node_id"], c.node_id);
    EXPECT_EQ(decision[c.decision_array][0]["status"], answer[c.result_key]["status"]);
    EXPECT_EQ(decision["status"], answer[c.result_key]["status"]);
    EXPECT_EQ(decision["metadata"], (json{{"step", 2}}));
    auto listed = Json(
        h.Send("GET", std::string("/v3/sessions/?vendor_data=u-mp&api_service=") + c.api_service));
    ASSERT_EQ(listed["count"], 1) << c.path;
    EXPECT_EQ(listed["results"][0]["session_id"], id);
    EXPECT_EQ(listed["results"][0]["features"],
              json::array({{{"feature", c.feature}, {"status", answer[c.result_key]["status"]}}}));
    EXPECT_EQ(h.Stats()["executions"][c.kind], 1) << c.path;
  }
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?vendor_data=u-mp"))["count"], 3);
}

TEST(CheckSessions, MultipartOptionsAreValidated) {
  Harness h;
  for (const auto& c : MultipartChecks()) {
    std::vector<Part> no_save = c.parts;
    no_save.push_back({"save_api_request", "false", false});
    auto r = SendForm(h, c.path, no_save);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << c.path;
    EXPECT_EQ(
        h.Send("GET", "/v3/session/" + Json(r)["request_id"].get<std::string>() + "/decision/")
            ->status,
        404)
        << c.path;
    const std::vector<std::pair<Part, json>> bad = {
        {{"save_api_request", "maybe", false},
         {{"save_api_request", {"Must be a valid boolean."}}}},
        {{"save_api_request", "", false}, {{"save_api_request", {"Must be a valid boolean."}}}},
        {{"metadata", "not json", false}, {{"metadata", {"Value must be valid JSON."}}}},
        {{"metadata", "[1,2]", false},
         {{"metadata", {"Expected a dictionary of items but got type \"list\"."}}}},
        {{"metadata", "\"text\"", false},
         {{"metadata", {"Expected a dictionary of items but got type \"str\"."}}}},
    };
    for (const auto& [part, expected] : bad) {
      std::vector<Part> parts = c.parts;
      parts.push_back(part);
      auto e = SendForm(h, c.path, parts);
      ASSERT_TRUE(e);
      EXPECT_EQ(e->status, 400) << c.path << " " << part.name << "=" << part.data;
      EXPECT_EQ(Json(e), expected) << c.path << " " << e->body;
    }
    EXPECT_EQ(h.Stats()["executions"][c.kind], 1) << c.path;  // only the unsaved one
  }
  EXPECT_EQ(h.Stats()["sessions_total"], 0);
}

TEST(CheckSessions, OneExecutionAndOneStatusEventPerSavedCheck) {
  auto sink = std::make_shared<RecordingSink>();
  SandboxOptions options;
  options.event_sink = sink;
  Harness h(options);
  auto r = Json(h.Post("/v3/aml/", R"({"full_name":"Jane","vendor_data":"ev"})"));
  auto unsaved = h.Post("/v3/aml/", R"({"full_name":"Jane","save_api_request":false})");
  ASSERT_EQ(unsaved->status, 200);
  std::lock_guard<std::mutex> lock(sink->mu);
  ASSERT_EQ(sink->events.size(), 1u);
  const auto& e = sink->events[0];
  EXPECT_EQ(e.kind, SandboxSessionEvent::Kind::kStatusChanged);
  EXPECT_EQ(e.previous_status, "");
  EXPECT_EQ(e.status, "Approved");
  EXPECT_EQ(e.session_id, r["request_id"]);
  EXPECT_EQ(e.workflow_id, "");
  EXPECT_EQ(e.vendor_data, "ev");
  // Its webhook names no workflow (Didit sends workflow_id only when set).
  auto payload = json::parse(BuildStatusUpdatedPayload(e, "evt-1", ""));
  EXPECT_TRUE(payload["workflow_id"].is_null());
  EXPECT_EQ(payload["status"], "Approved");
  EXPECT_EQ(payload["webhook_type"], "status.updated");
}

TEST(CheckSessions, ASavedCheckNeverStartsTheAutoCompleter) {
  SandboxOptions options;
  options.auto_complete = std::chrono::seconds(30);  // a step would stay pending
  Harness h(options);
  ASSERT_EQ(h.Post("/v3/aml/", R"({"full_name":"Jane"})")->status, 200);
  ASSERT_EQ(SendForm(h, "/v3/passive-liveness/", {{"user_image", "x"}})->status, 200);
  EXPECT_TRUE(h.sandbox().WaitWebhooksIdle(std::chrono::milliseconds(0)));
  // A hosted session does arm it (so the assertion above can fail).
  ASSERT_EQ(h.Post("/v3/session/", CreateBody("hosted"))->status, 201);
  EXPECT_FALSE(h.sandbox().WaitWebhooksIdle(std::chrono::milliseconds(0)));
}

TEST(CheckSessions, ChecksTakeNoPartInTheVendorDataDedup) {
  Harness h;
  const std::string check =
      Json(h.Post("/v3/aml/", R"({"full_name":"J","vendor_data":"same"})"))["request_id"];
  auto created = h.Post("/v3/session/", CreateBody("same"));
  ASSERT_EQ(created->status, 201);
  EXPECT_NE(Json(created)["session_id"], check);
  auto stats = h.Stats();
  EXPECT_EQ(stats["vendor_dedup_hits"], 0);
  EXPECT_EQ(stats["executions"]["create_session"], 1);
  EXPECT_EQ(stats["duplicate_vendor_data"], 0);  // a check beside a session is no duplicate
  // The next create does dedup onto the hosted session, not the check.
  EXPECT_EQ(Json(h.Post("/v3/session/", CreateBody("same")))["session_id"],
            Json(created)["session_id"]);
}

TEST(CheckSessions, ACheckSessionCanBeReviewedAndDeleted) {
  Harness h;
  const std::string id = Json(
      h.Post("/v3/aml/", R"({"full_name":"Maria Exposita","vendor_data":"rev"})"))["request_id"];
  auto r = h.Send("PATCH", "/v3/session/" + id + "/update-status/",
                  R"({"new_status":"Approved","comment":"false positive"})");
  ASSERT_EQ(r->status, 200) << r->body;
  auto decision = Json(h.Send("GET", "/v3/session/" + id + "/decision/"));
  EXPECT_EQ(decision["status"], "Approved");
  EXPECT_EQ(decision["aml_screenings"][0]["status"], "In Review");  // the feature's own
  EXPECT_EQ(decision["reviews"][0]["comment"], "false positive");
  auto row = Json(h.Send("GET", "/v3/sessions/?vendor_data=rev"))["results"][0];
  EXPECT_EQ(row["status"], "Approved");
  EXPECT_EQ(row["features"][0]["status"], "In Review");
  EXPECT_EQ(h.Send("DELETE", "/v3/session/" + id + "/delete/")->status, 204);
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?vendor_data=rev"))["count"], 0);
}

}  // namespace
}  // namespace idem::sandbox::testing
