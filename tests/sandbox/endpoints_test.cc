// Every endpoint through a real HTTP client against an in-process sandbox.
#include <gtest/gtest.h>

#include "sandbox_harness.h"

namespace idem::sandbox::testing {
namespace {

TEST(Endpoints, HealthStatsAndExecutionsNeedNoAuth) {
  Harness h;
  ASSERT_TRUE(h.ok());
  CurlClient raw;
  auto health = raw.Send("GET", h.url() + "/_sandbox/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto stats = raw.Send("GET", h.url() + "/_sandbox/stats");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->status, 200);
  auto json = Json(stats);
  for (const char* field : {"profile", "executions", "sessions_total", "check_sessions", "replays",
                            "conflicts_409", "mismatches_422", "mismatches_409", "faults",
                            "duplicate_vendor_data", "duplicate_executions"}) {
    EXPECT_TRUE(json.contains(field)) << field;
  }
  for (const char* kind :
       {"create_session", "update_status", "delete_session", "aml", "passive_liveness"}) {
    EXPECT_EQ(json["executions"][kind], 0) << kind;
  }
  auto executions = raw.Send("GET", h.url() + "/_sandbox/executions");
  ASSERT_TRUE(executions);
  EXPECT_EQ(Json(executions)["count"], 0);
}

TEST(Endpoints, AnUnknownProfileRefusesToStart) {
  SandboxOptions options;
  options.port = 0;
  options.profile = static_cast<SandboxProfile>(7);
  auto sb = Sandbox::Start(options);
  ASSERT_FALSE(sb);
  EXPECT_EQ(sb.error().code(), ErrorCode::kInvalidArgument);
}

TEST(Endpoints, AuthMissingIs403WrongIs401) {
  Harness h;
  CurlClient raw;
  auto missing = raw.Send("GET", h.url() + "/v3/sessions/");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 403);
  EXPECT_TRUE(Json(missing).contains("detail"));
  auto wrong = raw.Send("GET", h.url() + "/v3/sessions/", {{"x-api-key", "nope"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_TRUE(Json(wrong).contains("detail"));
  EXPECT_EQ(h.Stats()["requests"], 2);
}

TEST(Endpoints, CreateSessionShape) {
  Harness h;
  auto r = h.Post("/v3/session/", std::string(R"({"workflow_id":")") + kWorkflow +
                                      R"(","vendor_data":"user-1","metadata":{"plan":"gold"},)"
                                      R"("callback":"https://example.test/cb","language":"en"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  auto j = Json(r);
  EXPECT_EQ(j["status"], "Not Started");
  EXPECT_EQ(j["vendor_data"], "user-1");
  EXPECT_EQ(j["metadata"]["plan"], "gold");
  EXPECT_EQ(j["workflow_id"], kWorkflow);
  EXPECT_EQ(j["callback"], "https://example.test/cb");
  EXPECT_TRUE(j["session_number"].is_number_integer());
  EXPECT_EQ(j["url"], "https://verify.didit.me/session/" + j["session_token"].get<std::string>());
  EXPECT_EQ(j["session_id"].get<std::string>().size(), 36u);
  EXPECT_EQ(h.Stats()["executions"]["create_session"], 1);
  auto ex = h.Executions();
  ASSERT_EQ(ex["count"], 1);
  EXPECT_EQ(ex["executions"][0]["kind"], "create_session");
  EXPECT_EQ(ex["executions"][0]["resource_id"], j["session_id"]);
  EXPECT_EQ(ex["executions"][0]["vendor_data"], "user-1");
  EXPECT_TRUE(ex["executions"][0]["idempotency_key"].is_null());
}

TEST(Endpoints, CreateSessionValidation) {
  Harness h;
  auto missing = h.Post("/v3/session/", "{}");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_TRUE(Json(missing).contains("workflow_id"));
  for (const std::string& body :
       {std::string(R"({"workflow_id":"not-a-uuid"})"), std::string(R"({"workflow_id":42})"),
        std::string(R"({"workflow_id":")") + kWorkflow + R"(","vendor_data":7})",
        std::string(R"({"workflow_id":")") + kWorkflow + R"(","metadata":"x"})",
        std::string(R"({"workflow_id":")") + kWorkflow + R"(","callback_method":"nope"})",
        std::string("[1,2]"), std::string("\"str\""), std::string("{\"workflow_id\":"),
        std::string(200, '[')}) {
    auto r = h.Post("/v3/session/", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
  }
  EXPECT_EQ(h.Stats()["executions"]["create_session"], 0);
}

TEST(Endpoints, DiditErrorBodiesAreDrfFieldErrors) {
  Harness h;
  auto missing = h.Post("/v3/session/", "{}");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(Json(missing), (nlohmann::json{{"workflow_id", {"This field is required."}}}));
  auto bad = h.Post("/v3/session/", R"({"workflow_id":"nope"})");
  EXPECT_EQ(Json(bad), (nlohmann::json{{"workflow_id", {"Must be a valid UUID."}}}));
  auto aml = h.Post("/v3/aml/", "{}");
  EXPECT_EQ(Json(aml), (nlohmann::json{{"full_name", {"This field is required."}}}));
  auto list = h.Send("GET", "/v3/sessions/?limit=0");
  EXPECT_FALSE(Json(list).contains("detail"));
  EXPECT_TRUE(Json(list).contains("limit"));
  // Other errors are {"detail": ...}.
  EXPECT_EQ(Json(h.Post("/v3/session/", "{not json")).size(), 1u);
  EXPECT_TRUE(Json(h.Post("/v3/session/", "{not json")).contains("detail"));
}

TEST(Endpoints, IdealErrorBodiesKeepTheDetail) {
  Harness h(Ideal());
  auto missing = h.Post("/v3/session/", "{}");
  EXPECT_EQ(Json(missing), (nlohmann::json{{"workflow_id", {"This field is required."}},
                                           {"detail", "workflow_id: This field is required."}}));
}

TEST(Endpoints, DecisionShapeOfAHostedSession) {
  Harness h;
  auto created = Json(h.Post("/v3/session/", std::string(R"({"workflow_id":")") + kWorkflow +
                                                 R"(","vendor_data":"d","metadata":{"a":1},)"
                                                 R"("expected_details":{"first_name":"Jo"}})"));
  auto d =
      Json(h.Send("GET", "/v3/session/" + created["session_id"].get<std::string>() + "/decision/"));
  EXPECT_EQ(d["session_kind"], "user");
  EXPECT_EQ(d["session_url"], created["url"]);
  EXPECT_EQ(d["workflow_id"], kWorkflow);
  EXPECT_EQ(d["features"], nlohmann::json::array());
  EXPECT_EQ(d["reviews"], nlohmann::json::array());
  EXPECT_EQ(d["created_at"].get<std::string>().size(), 24u);
  EXPECT_TRUE(d.contains("expires_at"));
  EXPECT_TRUE(d["expires_at"].is_null());
  EXPECT_EQ(d["environment"], "sandbox");
  EXPECT_EQ(d["metadata"], (nlohmann::json{{"a", 1}}));
  EXPECT_EQ(d["expected_details"], (nlohmann::json{{"first_name", "Jo"}}));
  EXPECT_TRUE(d["callback"].is_null());
  for (const char* array :
       {"id_verifications", "nfc_verifications", "liveness_checks", "face_matches",
        "phone_verifications", "email_verifications", "poa_verifications", "document_ai_documents",
        "questionnaire_responses", "aml_screenings", "ip_analyses", "database_validations"}) {
    EXPECT_TRUE(d.contains(array)) << array;
    EXPECT_TRUE(d[array].is_null()) << array;
  }
}

TEST(Endpoints, DiditLifecycle) {
  Harness h;
  const std::string id = Json(h.Post("/v3/session/", CreateBody("life")))["session_id"];
  const std::string update = "/v3/session/" + id + "/update-status/";
  EXPECT_EQ(h.Send("PATCH", update, R"({"new_status":"Approved"})")->status, 400);  // Not Started
  ASSERT_EQ(Advance(h, id, "In Progress")->status, 200);
  EXPECT_EQ(h.Send("PATCH", update, R"({"new_status":"Approved"})")->status, 400);
  ASSERT_EQ(Advance(h, id, "In Review")->status, 200);
  EXPECT_EQ(h.Send("PATCH", update, R"({"new_status":"Approved"})")->status, 200);
  EXPECT_EQ(h.Send("PATCH", update, R"({"new_status":"Approved"})")->status, 400);
  EXPECT_EQ(h.Send("PATCH", update, R"({"new_status":"Declined"})")->status, 200);
  EXPECT_EQ(h.Stats()["executions"]["update_status"], 2);
  EXPECT_EQ(h.Send("DELETE", "/v3/session/" + id + "/delete/")->status, 204);
  EXPECT_EQ(h.Send("DELETE", "/v3/session/" + id + "/delete/")->status, 404);
  EXPECT_EQ(h.Send("PATCH", update, R"({"new_status":"Approved"})")->status, 404);
}

TEST(Endpoints, DecisionUpdateDeleteLifecycle) {
  Harness h(Ideal());
  auto created = Json(h.Post("/v3/session/", CreateBody("life")));
  const std::string id = created["session_id"];
  auto decision = h.Send("GET", "/v3/session/" + id + "/decision/");
  ASSERT_TRUE(decision);
  ASSERT_EQ(decision->status, 200);
  auto d = Json(decision);
  EXPECT_EQ(d["session_id"], id);
  EXPECT_EQ(d["status"], "Not Started");
  EXPECT_TRUE(d["id_verifications"].is_null());
  EXPECT_TRUE(d["aml_screenings"].is_null());

  auto bad =
      h.Send("PATCH", "/v3/session/" + id + "/update-status/", R"({"new_status":"Expired"})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto wrong_type = h.Send("PATCH", "/v3/session/" + id + "/update-status/", R"({"new_status":1})");
  EXPECT_EQ(wrong_type->status, 400);
  auto approved = h.Send("PATCH", "/v3/session/" + id + "/update-status/",
                         R"({"new_status":"Approved","comment":"ok"})");
  ASSERT_TRUE(approved);
  EXPECT_EQ(approved->status, 200);
  EXPECT_EQ(Json(approved)["session_id"], id);
  auto again =
      h.Send("PATCH", "/v3/session/" + id + "/update-status/", R"({"new_status":"Approved"})");
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(h.Stats()["executions"]["update_status"], 1);  // the repeat changed nothing
  EXPECT_EQ(Json(h.Send("GET", "/v3/session/" + id + "/decision/"))["status"], "Approved");

  auto del = h.Send("DELETE", "/v3/session/" + id + "/delete/");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 204);
  EXPECT_TRUE(del->body.empty());
  EXPECT_EQ(h.Send("DELETE", "/v3/session/" + id + "/delete/")->status, 404);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + id + "/decision/")->status, 404);
  EXPECT_EQ(h.Send("PATCH", "/v3/session/" + id + "/update-status/", R"({"new_status":"Declined"})")
                ->status,
            404);
  EXPECT_EQ(h.Stats()["executions"]["delete_session"], 1);
}

TEST(Endpoints, ListFiltersAndPagination) {
  SandboxOptions options;
  options.vendor_dedup = false;
  Harness h(options);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(h.Post("/v3/session/", CreateBody("a"))->status, 201);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(h.Post("/v3/session/", CreateBody("b c"))->status, 201);
  auto all = Json(h.Send("GET", "/v3/sessions/"));
  EXPECT_EQ(all["count"], 8);
  EXPECT_EQ(all["results"].size(), 8u);
  EXPECT_TRUE(all["next"].is_null());
  EXPECT_TRUE(all["previous"].is_null());
  // Newest first.
  EXPECT_GT(all["results"][0]["session_number"], all["results"][7]["session_number"]);

  auto page = Json(h.Send("GET", "/v3/sessions/?vendor_data=a&limit=2&offset=2"));
  EXPECT_EQ(page["count"], 5);
  EXPECT_EQ(page["results"].size(), 2u);
  EXPECT_EQ(page["next"], h.url() + "/v3/sessions/?limit=2&offset=4&vendor_data=a");
  EXPECT_EQ(page["previous"], h.url() + "/v3/sessions/?limit=2&offset=0&vendor_data=a");
  auto spaced = Json(h.Send("GET", "/v3/sessions/?vendor_data=b%20c"));
  EXPECT_EQ(spaced["count"], 3);
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?status=Approved"))["count"], 0);
  EXPECT_EQ(Json(h.Send("GET", std::string("/v3/sessions/?workflow_id=") + kWorkflow))["count"], 8);
  EXPECT_EQ(h.Stats()["duplicate_vendor_data"], 2);
  for (const char* bad : {"limit=0", "limit=-1", "limit=x", "limit=1001", "offset=-3", "a=%zz"}) {
    EXPECT_EQ(h.Send("GET", std::string("/v3/sessions/?") + bad)->status, 400) << bad;
  }
  auto redirect = h.Send("GET", "/v3/sessions?limit=1");
  EXPECT_EQ(redirect->status, 301);
  EXPECT_EQ(Header(redirect, "Location"), "/v3/sessions/?limit=1");
}

TEST(Endpoints, VendorDataDedupReturnsTheUnfinishedSession) {
  Harness h(Ideal());
  auto first = Json(h.Post("/v3/session/", CreateBody("dedup")));
  auto second = h.Post("/v3/session/", std::string(R"({"workflow_id":")") + kWorkflow +
                                           R"(","vendor_data":"dedup","metadata":{"v":2}})");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 201);
  EXPECT_EQ(Json(second)["session_id"], first["session_id"]);
  EXPECT_EQ(Json(second)["metadata"]["v"], 2);  // metadata updated, as Didit does
  auto stats = h.Stats();
  EXPECT_EQ(stats["sessions_total"], 1);
  EXPECT_EQ(stats["vendor_dedup_hits"], 1);
  EXPECT_EQ(stats["executions"]["create_session"], 1);
  // A finished session is not reused.
  h.Send("PATCH", "/v3/session/" + first["session_id"].get<std::string>() + "/update-status/",
         R"({"new_status":"Declined"})");
  auto third = Json(h.Post("/v3/session/", CreateBody("dedup")));
  EXPECT_NE(third["session_id"], first["session_id"]);
}

TEST(Endpoints, VendorDedupCanBeTurnedOff) {
  SandboxOptions options;
  options.vendor_dedup = false;
  Harness h(options);
  auto a = Json(h.Post("/v3/session/", CreateBody("same")));
  auto b = Json(h.Post("/v3/session/", CreateBody("same")));
  EXPECT_NE(a["session_id"], b["session_id"]);
  auto stats = h.Stats();
  EXPECT_EQ(stats["duplicate_vendor_data"], 1);
  EXPECT_EQ(stats["duplicate_executions"], 1);  // the same request executed twice
}

TEST(Endpoints, AmlIsDeterministic) {
  Harness h;
  auto hit = h.Post("/v3/aml/", R"({"full_name":"Viktor Sanctionov","entity_type":"person"})");
  ASSERT_TRUE(hit);
  ASSERT_EQ(hit->status, 200) << hit->body;
  auto j = Json(hit);
  EXPECT_EQ(j["aml"]["status"], "In Review");
  EXPECT_EQ(j["aml"]["total_hits"], 1);
  auto clean = Json(h.Post("/v3/aml/", R"({"full_name":"Jane Ordinary"})"));
  EXPECT_EQ(clean["aml"]["status"], "Approved");
  EXPECT_EQ(clean["aml"]["total_hits"], 0);
  for (const char* bad : {"{}", R"({"full_name":""})", R"({"full_name":5})",
                          R"({"full_name":"x","include_adverse_media":"yes"})", "nope"}) {
    EXPECT_EQ(h.Post("/v3/aml/", bad)->status, 400) << bad;
  }
  EXPECT_EQ(h.Stats()["executions"]["aml"], 2);
}

std::string LivenessForm(const std::string& boundary, const std::string& image) {
  return "--" + boundary +
         "\r\nContent-Disposition: form-data; name=\"user_image\"; filename=\"f.jpg\"\r\n"
         "Content-Type: image/jpeg\r\n\r\n" +
         image + "\r\n--" + boundary + "--\r\n";
}

TEST(Endpoints, PassiveLivenessMultipart) {
  Harness h(Ideal());
  CurlClient raw;
  auto send = [&](const std::string& boundary, const std::string& body, const std::string& key) {
    Headers headers{{"x-api-key", "sandbox-key"},
                    {"Content-Type", "multipart/form-data; boundary=" + boundary}};
    if (!key.empty()) headers.push_back({"Idempotency-Key", key});
    return raw.Send("POST", h.url() + "/v3/passive-liveness/", headers, body);
  };
  auto ok = send("b1", LivenessForm("b1", "image-bytes"), "");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(Json(ok)["liveness"]["method"], "PASSIVE");
  const auto score = Json(ok)["liveness"]["score"];
  EXPECT_EQ(Json(send("b2", LivenessForm("b2", "image-bytes"), ""))["liveness"]["score"], score);
  EXPECT_EQ(
      send("b1", "--b1\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b1--", "")
          ->status,
      400);
  EXPECT_EQ(send("b1", LivenessForm("b1", ""), "")->status, 400);
  EXPECT_EQ(send("b1", LivenessForm("b1", "x").substr(0, 40), "")->status, 400);  // truncated
  EXPECT_EQ(h.Send("POST", "/v3/passive-liveness/", "{}")->status, 400);          // not multipart
  // The same parts under another boundary are the same request for idempotency.
  auto first = send("boundary-one", LivenessForm("boundary-one", "img"), "mp-key");
  auto again = send("boundary-two", LivenessForm("boundary-two", "img"), "mp-key");
  ASSERT_TRUE(first && again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(Header(again, "Idempotent-Replayed"), "true");
  EXPECT_EQ(again->body, first->body);
  auto changed = send("boundary-two", LivenessForm("boundary-two", "img2"), "mp-key");
  EXPECT_EQ(changed->status, 422);
  EXPECT_EQ(h.Stats()["executions"]["passive_liveness"], 3);
}

TEST(Endpoints, AdvanceMovesASessionAlong) {
  Harness h;
  const std::string id = Json(h.Post("/v3/session/", CreateBody("adv")))["session_id"];
  CurlClient raw;
  auto r = raw.Send("POST", h.url() + "/_sandbox/sessions/" + id + "/advance", {},
                    R"({"status":"In Progress"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Json(r)["previous_status"], "Not Started");
  EXPECT_EQ(Json(h.Send("GET", "/v3/session/" + id + "/decision/"))["status"], "In Progress");
  EXPECT_EQ(raw.Send("POST", h.url() + "/_sandbox/sessions/" + id + "/advance", {},
                     R"({"status":"Bogus"})")
                ->status,
            400);
  EXPECT_EQ(
      raw.Send("POST", h.url() + "/_sandbox/sessions/nope/advance", {}, R"({"status":"Approved"})")
          ->status,
      404);
}

TEST(Endpoints, UnknownPathIs404WrongMethodIs405) {
  Harness h;
  EXPECT_EQ(h.Send("GET", "/v3/nothing/")->status, 404);
  EXPECT_EQ(h.Send("GET", "/_sandbox/nothing")->status, 404);
  auto wrong = h.Send("GET", "/v3/session/");
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(Header(wrong, "Allow"), "POST");
  EXPECT_EQ(h.Send("PUT", "/v3/aml/", "{}")->status, 405);
  EXPECT_EQ(h.Send("DELETE", "/_sandbox/stats")->status, 405);
}

class RecordingSink : public SandboxEventSink {
 public:
  void OnSessionEvent(const SandboxSessionEvent& e) override {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
  }
  std::mutex mu;
  std::vector<SandboxSessionEvent> events;
};

TEST(Endpoints, EveryStatusChangeGoesThroughTheEventSink) {
  auto sink = std::make_shared<RecordingSink>();
  SandboxOptions options;
  options.event_sink = sink;
  Harness h(Ideal(options));
  const std::string id = Json(h.Post("/v3/session/", CreateBody("events")))["session_id"];
  h.Post("/v3/session/", CreateBody("events"));  // a dedup hit: no new session, no event
  CurlClient raw;
  ASSERT_TRUE(raw.Send("POST", h.url() + "/_sandbox/sessions/" + id + "/advance", {},
                       R"({"status":"In Progress"})"));
  h.Send("PATCH", "/v3/session/" + id + "/update-status/", R"({"new_status":"Approved"})");
  h.Send("PATCH", "/v3/session/" + id + "/update-status/", R"({"new_status":"Approved"})");
  h.Send("DELETE", "/v3/session/" + id + "/delete/");
  std::lock_guard<std::mutex> lock(sink->mu);
  ASSERT_EQ(sink->events.size(), 4u);
  EXPECT_EQ(sink->events[0].kind, SandboxSessionEvent::Kind::kCreated);
  EXPECT_EQ(sink->events[0].vendor_data, "events");
  EXPECT_EQ(sink->events[1].status, "In Progress");
  EXPECT_EQ(sink->events[2].status, "Approved");
  EXPECT_EQ(sink->events[2].previous_status, "In Progress");
  EXPECT_EQ(sink->events[3].kind, SandboxSessionEvent::Kind::kDeleted);
  EXPECT_EQ(sink->events[3].session_id, id);
}

// POST /_sandbox/sessions/{id}/data-updated: a data.updated event for the
// session as it is (kDataUpdated, status unchanged); nothing is executed or
// stored; 404 for an unknown or deleted session; 405 for another method.
TEST(Endpoints, DataUpdatedControlFiresAnEventAndChangesNothing) {
  auto sink = std::make_shared<RecordingSink>();
  SandboxOptions options;
  options.event_sink = sink;
  Harness h(options);
  const std::string id = Json(h.Post("/v3/session/", CreateBody("data")))["session_id"];
  const auto executions = h.Stats()["executions_total"];
  CurlClient raw;
  auto r = raw.Send("POST", h.url() + "/_sandbox/sessions/" + id + "/data-updated", {}, "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Json(r)["webhook_type"], "data.updated");
  EXPECT_EQ(Json(r)["status"], "Not Started");
  EXPECT_EQ(h.Stats()["executions_total"], executions);
  EXPECT_EQ(Json(h.Send("GET", "/v3/session/" + id + "/decision/"))["status"], "Not Started");
  EXPECT_EQ(raw.Send("POST", h.url() + "/_sandbox/sessions/nope/data-updated", {}, "")->status,
            404);
  EXPECT_EQ(raw.Send("GET", h.url() + "/_sandbox/sessions/" + id + "/data-updated", {}, "")->status,
            405);
  h.Send("DELETE", "/v3/session/" + id + "/delete/");
  EXPECT_EQ(
      raw.Send("POST", h.url() + "/_sandbox/sessions/" + id + "/data-updated", {}, "")->status,
      404);
  std::lock_guard<std::mutex> lock(sink->mu);
  ASSERT_EQ(sink->events.size(), 3u);  // created, data updated, deleted
  EXPECT_EQ(sink->events[1].kind, SandboxSessionEvent::Kind::kDataUpdated);
  EXPECT_EQ(sink->events[1].session_id, id);
  EXPECT_EQ(sink->events[1].status, "Not Started");
  EXPECT_EQ(sink->events[1].previous_status, "Not Started");
  EXPECT_EQ(sink->events[1].vendor_data, "data");
}

}  // namespace
}  // namespace idem::sandbox::testing
