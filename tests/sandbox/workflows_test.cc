// The sandbox's workflows (issue 14): create, list, get, the OAS 400s, 415,
// hostile bodies answered 400, never a crash.
#include <gtest/gtest.h>

#include <string>

#include "sandbox_harness.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

TEST(Workflows, CreateListGet) {
  Harness h;
  auto made = h.Post("/v3/workflows/",
                     R"({"workflow_label":"Standard KYC","features":[{"feature":"OCR"},
                         {"feature":"LIVENESS"},{"feature":"FACE_MATCH"}],"max_retry_attempts":2})");
  ASSERT_EQ(made->status, 201) << made->body;
  const json w = Json(made);
  EXPECT_EQ(w["workflow_id"], w["uuid"]);
  EXPECT_EQ(w["features"], "OCR + LIVENESS + FACE_MATCH");
  EXPECT_EQ(w["status"], "published");
  EXPECT_EQ(w["version"], 1);
  EXPECT_EQ(w["max_retry_attempts"], 2);
  EXPECT_EQ(w["retry_window_days"], 7);
  EXPECT_EQ(w["workflow_graph"]["start_node"], "ocr");
  EXPECT_FALSE(w["published_at"].is_null());
  const std::string uuid = w["uuid"];
  EXPECT_EQ(Json(h.Send("GET", "/v3/workflows/" + uuid + "/")), w);
  auto draft = h.Post("/v3/workflows/", R"({"status":"draft","features":[{"feature":"OCR"}]})");
  ASSERT_EQ(draft->status, 201);
  EXPECT_EQ(Json(draft)["workflow_label"], "ID Verification");
  EXPECT_TRUE(Json(draft)["published_at"].is_null());
  const json list = Json(h.Send("GET", "/v3/workflows/?limit=1"));
  EXPECT_EQ(list["count"], 2);
  ASSERT_EQ(list["results"].size(), 1u);
  EXPECT_EQ(list["results"][0]["workflow_label"], "ID Verification");  // newest first
  EXPECT_EQ(list["results"][0]["has_draft"], true);
  EXPECT_FALSE(list["results"][0].contains("created_at"));  // as the OAS's list rows
  EXPECT_TRUE(list["next"].is_string());
  auto none = h.Send("GET", "/v3/workflows/nope/");
  EXPECT_EQ(none->status, 404);
  EXPECT_EQ(Json(none)["detail"], "Not found.");
  EXPECT_EQ(h.Stats()["executions"]["create_workflow"], 2);
}

TEST(Workflows, EveryDocumentedRefusal) {
  Harness h;
  auto refused = [&](const std::string& body) {
    auto r = h.Post("/v3/workflows/", body);
    EXPECT_EQ(r->status, 400) << body << " " << r->body;
    return Json(r);
  };
  EXPECT_EQ(refused(R"({"features":[]})")["features"], json({"At least one feature is required."}));
  EXPECT_EQ(refused(R"({"workflow_label":"x"})")["features"],
            json({"At least one feature is required."}));
  EXPECT_NE(refused(R"({"workflow_type":"kyc","features":[{"feature":"OCR"}]})")["workflow_type"][0]
                .get<std::string>()
                .find("only accepts"),
            std::string::npos);
  EXPECT_EQ(refused(R"({"features":[{"feature":"FOO"}]})")["features"][0],
            "Invalid feature 'FOO'. Allowed values: AGE_ESTIMATION, AML, DATABASE_VALIDATION, "
            "EMAIL_VERIFICATION, FACE_MATCH, IP_ANALYSIS, KYB_DOCUMENTS, KYB_KEY_PEOPLE, "
            "KYB_REGISTRY, LIVENESS, NFC, OCR, PHONE_VERIFICATION, PROOF_OF_ADDRESS, "
            "QUESTIONNAIRE.");
  EXPECT_EQ(refused(R"({"features":[{"feature":"FACE_MATCH"},{"feature":"OCR"}]})")["features"],
            json({"Feature 'FACE_MATCH' must appear after one of: OCR."}));
  EXPECT_TRUE(refused(R"({"features":[{"feature":"AML"}]})").contains("features"));
  EXPECT_TRUE(refused(R"({"features":[{"feature":"OCR"},{"feature":"QUESTIONNAIRE",
                           "config":{"questionnaire_uuid":"q"}}]})")["features"]
                  .is_string());
  EXPECT_TRUE(refused(R"({"features":[{"feature":"OCR"}],"max_retry_attempts":11})")
                  .contains("max_retry_attempts"));
  EXPECT_TRUE(refused(R"({"features":[{"feature":"OCR"}],"session_expiration_time":60})")
                  .contains("session_expiration_time"));
  EXPECT_TRUE(
      refused(json{{"features", {{{"feature", "OCR"}}}}, {"workflow_label", std::string(51, 'x')}}
                  .dump())
          .contains("workflow_label"));
  for (const std::string& body :
       {std::string("{"), std::string("[1]"), std::string(3000, '['),
        std::string("{\"workflow_label\":\"\xff\"}"), std::string(3000, '{')}) {
    auto r = h.Post("/v3/workflows/", body);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 400 || r->status == 413) << r->status;
  }
  // (The harness adds application/json to a non-empty body, so none here.)
  auto form = h.Send("POST", "/v3/workflows/", "", "", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(form->status, 415);
  EXPECT_EQ(h.Send("DELETE", "/v3/workflows/")->status, 405);
  EXPECT_EQ(h.Send("GET", "/v3/workflows/?limit=x")->status, 400);
  EXPECT_EQ(h.Stats()["executions"]["create_workflow"], 0);
}

TEST(Workflows, AtMostFiftyPerApplication) {
  Harness h;
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(h.Post("/v3/workflows/", R"({"features":[{"feature":"OCR"}]})")->status, 201) << i;
  }
  auto over = h.Post("/v3/workflows/", R"({"features":[{"feature":"OCR"}]})");
  EXPECT_EQ(over->status, 400);
  EXPECT_EQ(h.Stats()["executions"]["create_workflow"], 50);
}

}  // namespace
}  // namespace idem::sandbox::testing
