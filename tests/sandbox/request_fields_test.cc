// The optional fields Didit documents on create (expected_details,
// contact_details, portrait_image) and on AML (thresholds, weights,
// include_ongoing_monitoring): accepted when valid, refused with Didit's 400
// shape when not, and never executed when refused.
#include <gtest/gtest.h>

#include <string>

#include "common/crypto.h"
#include "sandbox_harness.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

std::string Create(const json& extra) {
  json body = extra;
  body["workflow_id"] = kWorkflow;
  return body.dump();
}

TEST(RequestFields, CreateAcceptsEveryDocumentedDetail) {
  Harness h;
  const json body = {{"vendor_data", "u-fields"},
                     {"expected_details",
                      {{"first_name", "Ada"},
                       {"gender", "F"},
                       {"country", "ESP"},
                       {"poa_country", "ESP"},
                       {"address", "Calle 1, Madrid"},
                       {"identification_number", "X123"},
                       {"ip_address", "2001:db8::1"},
                       {"expected_document_types", {"p", "ID"}}}},
                     {"contact_details",
                      {{"email", "ada@example.com"},
                       {"send_notification_emails", true},
                       {"email_lang", "es"},
                       {"phone", "+34600000000"}}},
                     {"portrait_image", crypto::Base64Encode("jpeg bytes")}};
  auto r = h.Post("/v3/session/", Create(body));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  auto decision =
      Json(h.Send("GET", "/v3/session/" + Json(r)["session_id"].get<std::string>() + "/decision/"));
  EXPECT_EQ(decision["expected_details"]["gender"], "F");
  EXPECT_EQ(decision["contact_details"]["email"], "ada@example.com");
  EXPECT_EQ(h.Stats()["executions"]["create_session"], 1);
}

TEST(RequestFields, CreateRefusesBadDetailsWithNestedFieldErrors) {
  Harness h;
  struct Case {
    json extra;
    const char* object;  // "" = top level
    const char* field;
    const char* message;  // a substring
  };
  const Case cases[] = {
      {{{"expected_details", {{"gender", "X"}}}},
       "expected_details",
       "gender",
       "not a valid choice"},
      {{{"expected_details", {{"nationality", "ES"}}}},
       "expected_details",
       "nationality",
       "alpha-3"},
      {{{"expected_details", {{"ip_address", "999.1.1.1"}}}},
       "expected_details",
       "ip_address",
       "IPv4"},
      {{{"expected_details", {{"address", "Somewhere"}}}},
       "expected_details",
       "country",
       "required"},
      {{{"expected_details", {{"expected_document_types", {"XX"}}}}},
       "expected_details",
       "expected_document_types",
       "not a valid choice"},
      {{{"expected_details", {{"first_name", 7}}}},
       "expected_details",
       "first_name",
       "valid string"},
      {{{"contact_details", {{"email", "not-an-email"}}}},
       "contact_details",
       "email",
       "valid email"},
      {{{"contact_details", {{"send_notification_emails", "yes"}}}},
       "contact_details",
       "send_notification_emails",
       "boolean"},
      {{{"portrait_image", "%%% not base64"}}, "", "portrait_image", "base64"},
      {{{"portrait_image", 12}}, "", "portrait_image", "valid string"},
  };
  for (const Case& c : cases) {
    auto r = h.Post("/v3/session/", Create(c.extra));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 400) << c.extra.dump().substr(0, 200);
    json errors = Json(r);
    if (*c.object) errors = errors[c.object];
    ASSERT_TRUE(errors.contains(c.field)) << r->body.substr(0, 300);
    EXPECT_NE(errors[c.field][0].get<std::string>().find(c.message), std::string::npos)
        << r->body.substr(0, 300);
  }
  EXPECT_EQ(h.Stats()["executions"]["create_session"], 0);
  EXPECT_EQ(h.Stats()["sessions_total"], 0);
}

// Didit's portrait limit is 2 MB decoded (~2.7 MB of base64), well within
// the sandbox's default 16 MiB body limit.
TEST(RequestFields, APortraitOverTwoMegabytesIsRefused) {
  Harness h;
  auto big = h.Post(
      "/v3/session/",
      Create({{"portrait_image", crypto::Base64Encode(std::string(2 * 1024 * 1024 + 1, 'x'))}}));
  ASSERT_TRUE(big);
  ASSERT_EQ(big->status, 400);
  EXPECT_EQ(Json(big)["portrait_image"][0], "Image size exceeds 2MB.");
  auto fits =
      h.Post("/v3/session/",
             Create({{"portrait_image", crypto::Base64Encode(std::string(2 * 1024 * 1024, 'x'))}}));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 201);
  EXPECT_EQ(h.Stats()["executions"]["create_session"], 1);
}

TEST(RequestFields, AmlThresholdsDecideTheStatus) {
  Harness h;
  // A watch-list name: a hit with a match score of 100 (aml_watchlist.cc).
  auto declined = Json(h.Post(
      "/v3/aml/",
      R"({"full_name":"Viktor Sanctionov","aml_score_approve_threshold":50,"aml_score_review_threshold":90})"));
  EXPECT_EQ(declined["aml"]["status"], "Declined") << declined.dump();
  auto review = Json(
      h.Post("/v3/aml/", R"({"full_name":"Viktor Sanctionov","aml_score_approve_threshold":50})"));
  EXPECT_EQ(review["aml"]["status"], "In Review");
  auto weights = h.Post(
      "/v3/aml/",
      R"({"full_name":"Ada","aml_name_weight":50,"aml_dob_weight":30,"aml_country_weight":20,"aml_match_score_threshold":90})");
  ASSERT_TRUE(weights);
  EXPECT_EQ(weights->status, 200) << weights->body;
  EXPECT_EQ(h.Stats()["executions"]["aml"], 3);
}

TEST(RequestFields, AmlRefusesBadThresholdsWeightsAndUnsavedMonitoring) {
  Harness h;
  const std::pair<const char*, const char*> cases[] = {
      {R"({"full_name":"Ada","aml_name_weight":70})", "non_field_errors"},  // 70+25+15
      {R"({"full_name":"Ada","aml_name_weight":50,"aml_dob_weight":25,"aml_country_weight":15})",
       "non_field_errors"},
      {R"({"full_name":"Ada","aml_score_approve_threshold":101})", "aml_score_approve_threshold"},
      {R"({"full_name":"Ada","aml_match_score_threshold":-1})", "aml_match_score_threshold"},
      {R"({"full_name":"Ada","aml_dob_weight":"25"})", "aml_dob_weight"},
      {R"({"full_name":"Ada","aml_score_review_threshold":9.5})", "aml_score_review_threshold"},
      {R"({"full_name":"Ada","include_ongoing_monitoring":"yes"})", "include_ongoing_monitoring"},
      {R"({"full_name":"Ada","include_ongoing_monitoring":true,"save_api_request":false})",
       "error"},
  };
  for (const auto& [body, field] : cases) {
    auto r = h.Post("/v3/aml/", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_TRUE(Json(r).contains(field)) << body << " -> " << r->body;
  }
  auto monitored = h.Post("/v3/aml/", R"({"full_name":"Ada","include_ongoing_monitoring":true})");
  ASSERT_TRUE(monitored);
  EXPECT_EQ(monitored->status, 200) << monitored->body;
  EXPECT_EQ(h.Stats()["executions"]["aml"], 1);
}

}  // namespace
}  // namespace idem::sandbox::testing
