// The sandbox's Proof of Address, face search, age estimation and database
// validation endpoints over HTTP: Didit's shapes, its 400s for bad input
// (none executes or is billed), each 200 one execution with its vendor_data,
// and a saved check listed by api_service and decided like Didit's.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "sandbox_harness.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

// A part with its own filename (the harness names every file "<name>.jpg").
struct NamedPart {
  std::string name;
  std::string data;
  std::string filename;  // empty: a text field
};

Result<HttpResponse> SendParts(Harness& h, const std::string& path,
                               const std::vector<NamedPart>& parts) {
  const std::string boundary = "b0undary";
  std::string body;
  for (const auto& p : parts) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) {
      body += "; filename=\"" + p.filename + "\"\r\nContent-Type: application/octet-stream";
    }
    body += "\r\n\r\n" + p.data + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  CurlClient raw;
  return raw.Send(
      "POST", h.url() + path,
      {{"x-api-key", "sandbox-key"}, {"Content-Type", "multipart/form-data; boundary=" + boundary}},
      body);
}

int Executions(Harness& h, const char* kind) { return h.Stats()["executions"][kind].get<int>(); }

// ------------------------------------------------------------ Proof of Address

TEST(StandaloneChecks, PoaShapeSavedListedAndCounted) {
  Harness h;
  auto r = SendParts(h, "/v3/poa/",
                     {{"document", "%PDF-bill", "bill.pdf"},
                      {"expected_first_name", "Sandbox", ""},
                      {"poa_document_age_months", "utility_bill:3,bank_statement:6", ""},
                      {"poa_languages_allowed", "en,es", ""},
                      {"metadata", R"({"tier":"gold"})", ""},
                      {"vendor_data", "poa-user", ""}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  const json& poa = j["poa"];
  for (const char* field :
       {"status", "issuing_state", "document_type", "document_subtype", "document_language",
        "issuer", "issue_date", "expiration_date", "poa_address", "poa_formatted_address",
        "poa_parsed_address", "expected_details_first_name", "name_on_document", "extra_fields",
        "detected_codes", "warnings"}) {
    EXPECT_TRUE(poa.contains(field)) << field << " " << poa.dump();
  }
  EXPECT_EQ(poa["document_type"], "UTILITY_BILL");
  EXPECT_EQ(poa["expected_details_first_name"], "Sandbox");
  EXPECT_TRUE(poa["warnings"].empty()) << poa.dump();
  EXPECT_EQ(j["vendor_data"], "poa-user");
  EXPECT_EQ(j["metadata"]["tier"], "gold");

  // One execution with its vendor_data; the saved check is a POA session.
  EXPECT_EQ(Executions(h, "poa"), 1);
  const json executions = h.Executions()["executions"];
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0]["kind"], "poa");
  EXPECT_EQ(executions[0]["vendor_data"], "poa-user");
  EXPECT_EQ(executions[0]["resource_id"], j["request_id"]);
  auto list = Json(h.Send("GET", "/v3/sessions/?vendor_data=poa-user&api_service=POA"));
  ASSERT_EQ(list["count"], 1) << list.dump();
  EXPECT_EQ(list["results"][0]["session_id"], j["request_id"]);
  EXPECT_EQ(list["results"][0]["features"][0]["feature"], "POA");
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?vendor_data=poa-user&api_service=AML"))["count"], 0);
  auto decision =
      Json(h.Send("GET", "/v3/session/" + j["request_id"].get<std::string>() + "/decision/"));
  ASSERT_TRUE(decision["poa_verifications"].is_array()) << decision.dump();
  EXPECT_EQ(decision["poa_verifications"][0]["node_id"], "feature_poa");
  EXPECT_EQ(decision["poa_verifications"][0]["document_type"], "UTILITY_BILL");
}

TEST(StandaloneChecks, PoaNameMismatchDeclinesUnlessItsActionSaysNot) {
  Harness h;
  auto declined = Json(SendParts(
      h, "/v3/poa/", {{"document", "bill", "b.png"}, {"expected_last_name", "Other", ""}}));
  EXPECT_EQ(declined["poa"]["status"], "Declined") << declined.dump();
  EXPECT_EQ(declined["poa"]["warnings"][0]["risk"], "NAME_MISMATCH");
  auto kept = Json(SendParts(h, "/v3/poa/",
                             {{"document", "bill", "b.png"},
                              {"expected_last_name", "Other", ""},
                              {"poa_name_mismatch_action", "NO_ACTION", ""}}));
  EXPECT_EQ(kept["poa"]["warnings"][0]["log_type"], "warning") << kept.dump();
}

TEST(StandaloneChecks, PoaBadInputIsDiditsFourHundredAndNeverExecutes) {
  Harness h;  // the default body limit has room for a document over Didit's 15 MB
  auto expect_400 = [&](const std::vector<NamedPart>& parts, const char* field) {
    auto r = SendParts(h, "/v3/poa/", parts);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    const json j = Json(r);
    EXPECT_TRUE(j.contains(field)) << field << ": " << r->body;
  };
  expect_400({{"vendor_data", "v", ""}}, "document");
  expect_400({{"document", "", "a.pdf"}}, "document");
  expect_400({{"document", "bytes", "a.exe"}}, "document");
  expect_400({{"document", std::string((15u << 20) + 1, 'x'), "big.pdf"}}, "document");
  expect_400({{"document", "d", "a.pdf"}, {"poa_address_mismatch_action", "MAYBE", ""}},
             "poa_address_mismatch_action");
  expect_400({{"document", "d", "a.pdf"}, {"poa_document_age_months", "utility_bill", ""}},
             "poa_document_age_months");
  expect_400({{"document", "d", "a.pdf"}, {"poa_languages_allowed", "english", ""}},
             "poa_languages_allowed");
  expect_400({{"document", "d", "a.pdf"}, {"save_api_request", "yes", ""}}, "save_api_request");
  expect_400({{"document", "d", "a.pdf"}, {"metadata", "[1]", ""}}, "metadata");
  expect_400({{"document", "d", "a.pdf"}, {"metadata", "{not json", ""}}, "metadata");
  // Didit's extraction failure: 400 {"error": [...]}.
  auto unreadable = SendParts(h, "/v3/poa/", {{"document", "UNREADABLE scan", "a.pdf"}});
  ASSERT_TRUE(unreadable);
  EXPECT_EQ(unreadable->status, 400);
  EXPECT_EQ(Json(unreadable)["error"][0], "Error extracting POA information");
  // Not multipart, no boundary, a truncated body.
  EXPECT_EQ(h.Post("/v3/poa/", R"({"document":"x"})")->status, 400);
  CurlClient raw;
  auto truncated =
      raw.Send("POST", h.url() + "/v3/poa/",
               {{"x-api-key", "sandbox-key"}, {"Content-Type", "multipart/form-data; boundary=zz"}},
               "--zz\r\nContent-Disposition: form-data; name=\"document\"; "
               "filename=\"a.pdf\"\r\n\r\nbytes");
  ASSERT_TRUE(truncated);
  EXPECT_EQ(truncated->status, 400);
  EXPECT_TRUE(Json(truncated).contains("detail")) << truncated->body;
  auto no_boundary =
      raw.Send("POST", h.url() + "/v3/poa/",
               {{"x-api-key", "sandbox-key"}, {"Content-Type", "multipart/form-data"}}, "x");
  ASSERT_TRUE(no_boundary);
  EXPECT_EQ(no_boundary->status, 400);
  EXPECT_EQ(h.Send("GET", "/v3/poa/")->status, 405);
  EXPECT_EQ(Executions(h, "poa"), 0);
  EXPECT_EQ(h.Stats()["check_sessions"], 0);
}

TEST(StandaloneChecks, UnsavedPoaIsBilledButNotListed) {
  Harness h;
  auto r = SendParts(h, "/v3/poa/",
                     {{"document", "d", "a.pdf"},
                      {"vendor_data", "u-unsaved", ""},
                      {"save_api_request", "false", ""}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Executions(h, "poa"), 1);
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?vendor_data=u-unsaved&api_service=POA"))["count"], 0);
}

// ------------------------------------------------------------- face search

TEST(StandaloneChecks, FaceSearchShapeBlocklistAndErrors) {
  Harness h;
  auto r = SendParts(h, "/v3/face-search/",
                     {{"user_image", "face", "f.jpg"},
                      {"search_type", "blocklisted_or_approved", ""},
                      {"rotate_image", "true", ""},
                      {"vendor_data", "fs-user", ""}});
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  for (const char* field : {"status", "total_matches", "matches", "user_image", "warnings"}) {
    EXPECT_TRUE(j["face_search"].contains(field)) << field;
  }
  EXPECT_EQ(j["face_search"]["status"], "Approved");
  EXPECT_TRUE(j["face_search"]["user_image"]["entities"][0].is_object()) << j.dump();
  auto hit = Json(SendParts(h, "/v3/face-search/", {{"user_image", "BLOCKLISTED face", "f.jpg"}}));
  EXPECT_EQ(hit["face_search"]["status"], "Declined");
  EXPECT_EQ(hit["face_search"]["matches"][0]["is_blocklisted"], true);
  EXPECT_EQ(
      Json(h.Send("GET", "/v3/sessions/?vendor_data=fs-user&api_service=FACE_SEARCH"))["count"], 1);
  EXPECT_EQ(Executions(h, "face_search"), 2);

  auto no_face = SendParts(h, "/v3/face-search/", {{"user_image", "NOFACE", "f.jpg"}});
  EXPECT_EQ(no_face->status, 400);
  EXPECT_EQ(Json(no_face)["error"], "No face detected in the image");
  EXPECT_EQ(SendParts(h, "/v3/face-search/", {{"search_type", "most_similar", ""}})->status, 400);
  EXPECT_EQ(SendParts(h, "/v3/face-search/", {{"user_image", "f", "f.pdf"}})->status, 400);
  auto bad_type = SendParts(h, "/v3/face-search/",
                            {{"user_image", "f", "f.jpg"}, {"search_type", "closest", ""}});
  EXPECT_EQ(bad_type->status, 400);
  EXPECT_EQ(Json(bad_type)["search_type"][0], "\"closest\" is not a valid choice.");
  EXPECT_EQ(
      SendParts(h, "/v3/face-search/", {{"user_image", "f", "f.jpg"}, {"rotate_image", "1", ""}})
          ->status,
      400);
  EXPECT_EQ(Executions(h, "face_search"), 2);
}

TEST(StandaloneChecks, FaceImageOverFiveMegabytesIsRefused) {
  Harness h;
  auto big = SendParts(h, "/v3/age-estimation/",
                       {{"user_image", std::string((5u << 20) + 1, 'x'), "big.jpg"}});
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 400);
  EXPECT_EQ(Json(big)["user_image"][0], "File size should not exceed 5 MB");
  EXPECT_EQ(Executions(h, "age_estimation"), 0);
}

// ----------------------------------------------------------- age estimation

TEST(StandaloneChecks, AgeEstimationShapeThresholdsAndErrors) {
  Harness h;
  auto r = SendParts(h, "/v3/age-estimation/",
                     {{"user_image", "face", "f.jpg"},
                      {"age_estimation_decline_threshold", "0", ""},
                      {"face_liveness_score_decline_threshold", "0", ""},
                      {"vendor_data", "age-user", ""}});
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  const json& age = j["age_estimation"];
  for (const char* field :
       {"status", "method", "score", "user_image", "age_estimation", "warnings"}) {
    EXPECT_TRUE(age.contains(field)) << field;
  }
  EXPECT_EQ(age["status"], "Approved") << age.dump();  // both checks disabled
  EXPECT_EQ(age["method"], "PASSIVE");
  // A minimum age above any estimate declines (Didit: any warning declines).
  auto minor = Json(SendParts(
      h, "/v3/age-estimation/",
      {{"user_image", "face", "f.jpg"}, {"age_estimation_decline_threshold", "150", ""}}));
  EXPECT_EQ(minor["age_estimation"]["status"], "Declined");
  EXPECT_EQ(minor["age_estimation"]["warnings"][0]["risk"], "AGE_BELOW_MINIMUM");
  // The decision shows it in liveness_checks, features AGE_ESTIMATION (OAS).
  auto decision =
      Json(h.Send("GET", "/v3/session/" + j["request_id"].get<std::string>() + "/decision/"));
  EXPECT_EQ(decision["features"][0], "AGE_ESTIMATION") << decision.dump();
  EXPECT_EQ(decision["liveness_checks"][0]["age_estimation"], age["age_estimation"]);
  EXPECT_EQ(Executions(h, "age_estimation"), 2);

  for (const char* bad : {"-1", "101", "abc", ""}) {
    auto refused = SendParts(
        h, "/v3/age-estimation/",
        {{"user_image", "f", "f.jpg"}, {"face_liveness_score_decline_threshold", bad, ""}});
    EXPECT_EQ(refused->status, 400) << bad;
    EXPECT_TRUE(Json(refused).contains("face_liveness_score_decline_threshold")) << bad;
  }
  EXPECT_EQ(SendParts(h, "/v3/age-estimation/", {{"vendor_data", "x", ""}})->status, 400);
  EXPECT_EQ(Executions(h, "age_estimation"), 2);
}

// ------------------------------------------------------ database validation

TEST(StandaloneChecks, DatabaseValidationJsonShapeAndMatchRules) {
  Harness h;
  auto r = h.Post("/v3/database-validation/", json{{"issuing_state", "ESP"},
                                                   {"services", {"es_registry"}},
                                                   {"consent", true},
                                                   {"identification_number", "12345678Z"},
                                                   {"first_name", "Ana"},
                                                   {"date_of_birth", "1990-02-03"},
                                                   {"vendor_data", "dbv-user"}}
                                                  .dump());
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  const json& dbv = j["database_validation"];
  for (const char* field :
       {"status", "issuing_state", "validation_type", "screened_data", "match_type", "validations",
        "warnings", "errors", "services_used", "match_score"}) {
    EXPECT_TRUE(dbv.contains(field)) << field;
  }
  EXPECT_EQ(dbv["match_type"], "full_match");
  EXPECT_EQ(dbv["status"], "Approved");
  EXPECT_EQ(dbv["services_used"][0], "es_registry");
  EXPECT_EQ(dbv["screened_data"]["first_name"], "Ana");
  // Without services, Didit's default runs and no match_score is given.
  auto none =
      Json(h.Post("/v3/database-validation/",
                  json{{"issuing_state", "ESP"}, {"identification_number", "NOMATCH1"}}.dump()));
  EXPECT_EQ(none["database_validation"]["match_type"], "no_match");
  EXPECT_EQ(none["database_validation"]["status"], "Declined");  // no_match_action DECLINE
  EXPECT_FALSE(none["database_validation"].contains("match_score"));
  auto partial = Json(h.Post("/v3/database-validation/", json{{"issuing_state", "ESP"},
                                                              {"identification_number", "PARTIAL1"},
                                                              {"partial_match_action", "DECLINE"}}
                                                             .dump()));
  EXPECT_EQ(partial["database_validation"]["status"], "Declined");
  EXPECT_EQ(Executions(h, "database_validation"), 3);
  EXPECT_EQ(
      Json(h.Send("GET",
                  "/v3/sessions/?vendor_data=dbv-user&api_service=DATABASE_VALIDATION"))["count"],
      1);
}

// Didit's 502 (OAS): no service returned a usable result. Not billed (no
// execution); saved, the check is still recorded as `Not Finished`. The
// trigger (an identification number starting with NOSERVICE) is the
// sandbox's.
TEST(StandaloneChecks, DatabaseValidationWithNoUsableServiceIsDiditsFiveOhTwo) {
  Harness h;
  auto r = h.Post("/v3/database-validation/", json{{"issuing_state", "ESP"},
                                                   {"services", {"es_registry", "es_census"}},
                                                   {"identification_number", "NOSERVICE1"},
                                                   {"vendor_data", "dbv-502"}}
                                                  .dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 502) << r->body;
  const json j = Json(r);
  EXPECT_TRUE(j["error"].is_string());
  ASSERT_EQ(j["validation_errors"].size(), 2u);
  EXPECT_EQ(j["validation_errors"][0]["service_id"], "es_registry");
  EXPECT_EQ(j["validation_errors"][0]["code"], "empty_provider_response");
  EXPECT_TRUE(j["validation_errors"][0]["message"].is_string());
  EXPECT_EQ(j["validation_errors"][1]["service_id"], "es_census");
  EXPECT_EQ(Executions(h, "database_validation"), 0);
  EXPECT_EQ(h.Stats()["executions_total"], 0);
  // Saved (the default): recorded, Not Finished, listed and decided.
  auto listed =
      Json(h.Send("GET", "/v3/sessions/?vendor_data=dbv-502&api_service=DATABASE_VALIDATION"));
  ASSERT_EQ(listed["count"], 1);
  EXPECT_EQ(listed["results"][0]["status"], "Not Finished");
  const std::string id = listed["results"][0]["session_id"];
  auto decision = Json(h.Send("GET", "/v3/session/" + id + "/decision/"));
  EXPECT_EQ(decision["status"], "Not Finished");
  EXPECT_EQ(decision["database_validations"][0]["errors"].size(), 2u);
  // Not saved: nothing recorded, the same 502.
  auto unsaved = h.Post("/v3/database-validation/", json{{"issuing_state", "ESP"},
                                                         {"document_number", "NOSERVICE2"},
                                                         {"vendor_data", "dbv-502-unsaved"},
                                                         {"save_api_request", false}}
                                                        .dump());
  ASSERT_EQ(unsaved->status, 502);
  EXPECT_EQ(Json(unsaved)["validation_errors"][0]["service_id"], "sandbox_registry");
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?vendor_data=dbv-502-unsaved"))["count"], 0);
  EXPECT_EQ(h.Stats()["executions_total"], 0);
}

TEST(StandaloneChecks, DatabaseValidationMultipartWithSelfie) {
  Harness h;
  auto r = SendParts(h, "/v3/database-validation/",
                     {{"selfie", "face", "me.jpg"},
                      {"issuing_state", "PRT", ""},
                      {"services", "pt_a", ""},
                      {"services", "pt_b", ""},
                      {"consent", "true", ""},
                      {"vendor_data", "dbv-form", ""}});
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  EXPECT_EQ(j["database_validation"]["issuing_state"], "PRT");
  EXPECT_EQ(j["database_validation"]["services_used"].size(), 2u);
  EXPECT_EQ(j["database_validation"]["validations"][0]["selfie_checked"], true);
  EXPECT_EQ(j["vendor_data"], "dbv-form");
  auto bad = SendParts(h, "/v3/database-validation/",
                       {{"selfie", "face", "me.gif"}, {"issuing_state", "PRT", ""}});
  EXPECT_EQ(bad->status, 400);
  EXPECT_TRUE(Json(bad).contains("selfie"));
  auto bad_consent = SendParts(h, "/v3/database-validation/",
                               {{"issuing_state", "PRT", ""}, {"consent", "si", ""}});
  EXPECT_EQ(bad_consent->status, 400);
  EXPECT_TRUE(Json(bad_consent).contains("consent"));
  EXPECT_EQ(Executions(h, "database_validation"), 1);
}

TEST(StandaloneChecks, DatabaseValidationBadInputListsEveryBadField) {
  Harness h;
  auto expect_fields = [&](const std::string& body, std::vector<const char*> fields) {
    auto r = h.Post("/v3/database-validation/", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    const json j = Json(r);
    for (const char* f : fields) EXPECT_TRUE(j.contains(f)) << f << ": " << r->body;
  };
  expect_fields("{}", {"issuing_state"});
  expect_fields(R"({"issuing_state": null})", {"issuing_state"});
  expect_fields(R"({"issuing_state": 724})", {"issuing_state"});
  expect_fields(R"({"issuing_state": "ES"})", {"issuing_state"});  // alpha-2: refused
  expect_fields(R"({"issuing_state": "esp"})", {"issuing_state"});
  expect_fields(R"({"issuing_state":"ESP","services":"es_registry","consent":"yes","first_name":7,)"
                R"("date_of_birth":"03/02/1990","no_match_action":"IGNORE"})",
                {"services", "consent", "first_name", "date_of_birth", "no_match_action"});
  expect_fields(R"({"issuing_state":"ESP","services":[1]})", {"services"});
  expect_fields(R"({"issuing_state":"ESP","metadata":"x"})", {"metadata"});
  expect_fields(R"({"issuing_state":"ESP","save_api_request":"no"})", {"save_api_request"});
  expect_fields(R"({"issuing_state":"ESP","vendor_data":5})", {"vendor_data"});
  EXPECT_EQ(h.Post("/v3/database-validation/", "[1,2]")->status, 400);
  EXPECT_EQ(h.Post("/v3/database-validation/", "{not json")->status, 400);
  EXPECT_EQ(Executions(h, "database_validation"), 0);
}

TEST(StandaloneChecks, EveryNewCheckNeedsTheApiKey) {
  Harness h;
  CurlClient raw;
  for (const char* path :
       {"/v3/poa/", "/v3/face-search/", "/v3/age-estimation/", "/v3/database-validation/"}) {
    auto r = raw.Send("POST", h.url() + path, {{"Content-Type", "application/json"}}, "{}");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << path;
  }
  const json stats = h.Stats();
  EXPECT_EQ(stats["executions_total"], 0);
  for (const char* kind : {"poa", "face_search", "age_estimation", "database_validation"}) {
    EXPECT_EQ(stats["executions"][kind], 0) << kind;
  }
}

// A saved check of each new kind survives a restart on the SQLite store:
// listed by its api_service, decided in its own array, its execution kept.
TEST(StandaloneChecks, SavedChecksComeBackFromTheStore) {
  const std::string db =
      ::testing::TempDir() + "standalone_checks_" + std::to_string(::getpid()) + ".db";
  std::remove(db.c_str());
  SandboxOptions options;
  options.db_path = db;
  std::string poa_id;
  {
    Harness h(options);
    auto poa = SendParts(h, "/v3/poa/", {{"document", "d", "a.pdf"}, {"vendor_data", "st", ""}});
    ASSERT_EQ(poa->status, 200) << poa->body;
    poa_id = Json(poa)["request_id"];
    ASSERT_EQ(
        SendParts(h, "/v3/face-search/", {{"user_image", "f", "f.jpg"}, {"vendor_data", "st", ""}})
            ->status,
        200);
    ASSERT_EQ(SendParts(h, "/v3/age-estimation/",
                        {{"user_image", "f", "f.jpg"}, {"vendor_data", "st", ""}})
                  ->status,
              200);
    ASSERT_EQ(
        h.Post("/v3/database-validation/", R"({"issuing_state":"ESP","vendor_data":"st"})")->status,
        200);
    h.sandbox().Stop();
  }
  Harness h(options);
  for (const char* service : {"POA", "FACE_SEARCH", "AGE_ESTIMATION", "DATABASE_VALIDATION"}) {
    auto list =
        Json(h.Send("GET", std::string("/v3/sessions/?vendor_data=st&api_service=") + service));
    EXPECT_EQ(list["count"], 1) << service << " " << list.dump();
  }
  auto decision = Json(h.Send("GET", "/v3/session/" + poa_id + "/decision/"));
  EXPECT_EQ(decision["poa_verifications"][0]["document_type"], "UTILITY_BILL") << decision.dump();
  const json stats = h.Stats();
  for (const char* kind : {"poa", "face_search", "age_estimation", "database_validation"}) {
    EXPECT_EQ(stats["executions"][kind], 1) << kind;
  }
  std::remove(db.c_str());
  std::remove((db + "-wal").c_str());
  std::remove((db + "-shm").c_str());
}

}  // namespace
}  // namespace idem::sandbox::testing
