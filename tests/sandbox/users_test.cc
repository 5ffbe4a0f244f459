// The sandbox's users, businesses and session KYC data (issue 14): Didit's
// shapes, status codes and 400 bodies (OAS), what they count, the
// session-update-kyc scope, and hostile bodies answered 400, never a crash.
#include <gtest/gtest.h>

#include <string>

#include "sandbox_harness.h"
#include "testing/fake_clock.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

// Malformed, not an object, too deep, invalid UTF-8, oversized-ish.
const std::vector<std::string>& HostileBodies() {
  static const std::vector<std::string> bodies = {
      "{",
      "[1]",
      "null",
      std::string(3000, '['),
      std::string(3000, '{'),
      "{\"vendor_data\":\"\xff\xfe\"}",
      "{\"vendor_data\":" + std::string(200000, '1') + "}"};
  return bodies;
}

TEST(Users, CreateGetAndTheirShape) {
  Harness h;
  auto made = h.Post("/v3/users/create/",
                     R"({"vendor_data":"user-abc-456","full_name":"Jane Smith",
                         "display_name":"Jane S.","date_of_birth":"1990-05-15",
                         "metadata":{"tier":"premium"},"approved_emails":["jane@example.com"]})");
  ASSERT_EQ(made->status, 201) << made->body;
  const json u = Json(made);
  EXPECT_EQ(u["vendor_data"], "user-abc-456");
  EXPECT_EQ(u["effective_name"], "Jane S.");
  EXPECT_EQ(u["status"], "ACTIVE");
  EXPECT_EQ(u["metadata"], json({{"tier", "premium"}}));
  EXPECT_EQ(u["approved_emails"], json({"jane@example.com"}));
  EXPECT_EQ(u["issuing_states"], json::array());
  EXPECT_EQ(u["session_count"], 0);
  EXPECT_TRUE(u["didit_internal_id"].is_string());
  EXPECT_TRUE(u["comments"].is_array());
  // GET by vendor_data (percent-encoded in the path).
  EXPECT_EQ(Json(h.Send("GET", "/v3/users/user-abc-456/")), u);
  ASSERT_EQ(h.Post("/v3/users/create/", R"({"vendor_data":"a b/c"})")->status, 201);
  EXPECT_EQ(Json(h.Send("GET", "/v3/users/a%20b%2Fc/"))["vendor_data"], "a b/c");
  auto none = h.Send("GET", "/v3/users/nobody/");
  EXPECT_EQ(none->status, 404);
  EXPECT_EQ(Json(none)["detail"], "Not found.");
  // Not billed, but executions: one per record, with the vendor_data.
  EXPECT_EQ(h.Stats()["executions"]["create_user"], 2);
  bool seen = false;
  const json executions = h.Executions();  // the loop must not range over a temporary
  for (const json& e : executions["executions"]) {
    if (e["kind"] == "create_user" && e["resource_id"] == u["didit_internal_id"]) {
      seen = true;
      EXPECT_EQ(e["vendor_data"], "user-abc-456");
      EXPECT_EQ(e["endpoint"], "POST /v3/users/create/");
    }
  }
  EXPECT_TRUE(seen);
}

TEST(Users, EveryDocumentedRefusal) {
  Harness h;
  ASSERT_EQ(h.Post("/v3/users/create/", R"({"vendor_data":"dup"})")->status, 201);
  auto refused = [&](const std::string& body) {
    auto r = h.Post("/v3/users/create/", body);
    EXPECT_EQ(r->status, 400) << body;
    return Json(r);
  };
  EXPECT_EQ(refused(R"({"vendor_data":"dup","full_name":"Other"})")["vendor_data"],
            json({"A user with this vendor_data already exists."}));
  EXPECT_EQ(refused(R"({"full_name":"No Id"})")["vendor_data"], json({"This field is required."}));
  EXPECT_EQ(refused(R"({"vendor_data":"m","metadata":[1]})")["metadata"],
            json({"Metadata must be a JSON object."}));
  EXPECT_EQ(refused(R"({"vendor_data":"s","status":"GONE"})")["status"],
            json({"Invalid status. Valid options are: ACTIVE, FLAGGED, BLOCKED"}));
  EXPECT_TRUE(
      refused(R"({"vendor_data":"d","date_of_birth":"15/05/1990"})").contains("date_of_birth"));
  EXPECT_TRUE(refused(json{{"vendor_data", "n"}, {"full_name", std::string(513, 'x')}}.dump())
                  .contains("full_name"));
  EXPECT_TRUE(
      refused(R"({"vendor_data":"e","approved_emails":"x@y.z"})").contains("approved_emails"));
  EXPECT_TRUE(refused(R"({"vendor_data":7})").contains("vendor_data"));
  for (const std::string& body : HostileBodies()) {
    auto r = h.Post("/v3/users/create/", body);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 400 || r->status == 413) << r->status << " " << body.substr(0, 40);
  }
  EXPECT_EQ(h.Send("GET", "/v3/users/create/")->status, 405);
  EXPECT_EQ(h.Send("POST", "/v3/users/dup/", "{}")->status, 405);
  EXPECT_EQ(h.Send("GET", "/v3/users/%zz/")->status, 404);
  EXPECT_EQ(h.Stats()["executions"]["create_user"], 1);
}

TEST(Businesses, CreateGetRefusals) {
  Harness h;
  auto made =
      h.Post("/v3/businesses/create/",
             R"({"vendor_data":"company-456","legal_name":"New Corp Ltd","country_code":"US"})");
  ASSERT_EQ(made->status, 201) << made->body;
  const json b = Json(made);
  EXPECT_EQ(b["effective_name"], "New Corp Ltd");
  EXPECT_TRUE(b["registration_number"].is_null());
  EXPECT_EQ(b["metadata"], json::object());
  EXPECT_FALSE(b.contains("comments"));
  EXPECT_EQ(Json(h.Send("GET", "/v3/businesses/company-456/")), b);
  auto dup = h.Post("/v3/businesses/create/", R"({"vendor_data":"company-456"})");
  ASSERT_EQ(dup->status, 400);
  EXPECT_EQ(Json(dup)["vendor_data"], json({"A business with this vendor_data already exists."}));
  // No vendor_data: allowed (OAS), twice, never found by GET.
  ASSERT_EQ(h.Post("/v3/businesses/create/", R"({"legal_name":"Anon"})")->status, 201);
  ASSERT_EQ(h.Post("/v3/businesses/create/", R"({"legal_name":"Anon"})")->status, 201);
  EXPECT_EQ(h.Post("/v3/businesses/create/", R"({"status":"x"})")->status, 400);
  EXPECT_EQ(Json(h.Post("/v3/businesses/create/", R"({"metadata":"x"})"))["metadata"],
            json({"Metadata must be a JSON object."}));
  EXPECT_EQ(
      h.Post("/v3/businesses/create/", json{{"registration_number", std::string(101, '1')}}.dump())
          ->status,
      400);
  for (const std::string& body : HostileBodies()) {
    auto r = h.Post("/v3/businesses/create/", body);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 400 || r->status == 413) << r->status;
  }
  EXPECT_EQ(h.Send("GET", "/v3/businesses/nope/")->status, 404);
  EXPECT_EQ(h.Stats()["executions"]["create_business"], 3);
}

std::string IdCheckSession(Harness& h, const std::string& vendor_data = "kyc-user") {
  auto r = SendForm(h, "/v3/id-verification/",
                    {{"front_image", "front"}, {"vendor_data", vendor_data, false}});
  EXPECT_EQ(r->status, 200) << r->body;
  return Json(r)["request_id"];
}

TEST(SessionData, UpdatesTheKycRecord) {
  Harness h;
  const std::string id = IdCheckSession(h);
  const std::string path = "/v3/session/" + id + "/update-data/";
  auto r = h.Send("PATCH", path,
                  R"({"first_name":"Carmen","last_name":"Espanola","document_type":"Passport",
                      "issuing_state":"esp","extra_fields":{"blood_group":"O+"},
                      "parsed_address":{"street_1":"Avda de Madrid 34","city":"Madrid","country":"es"}})");
  ASSERT_EQ(r->status, 200) << r->body;
  const json k = Json(r);
  EXPECT_EQ(k["first_name"], "Carmen");
  EXPECT_EQ(k["document_type"], "P");
  EXPECT_EQ(k["issuing_state"], "ESP");
  EXPECT_EQ(k["extra_fields"]["blood_group"], "O+");
  EXPECT_EQ(k["parsed_address"]["country"], "ES");
  EXPECT_EQ(k["parsed_address"]["formatted_address"], "Avda de Madrid 34, Madrid, ES");
  EXPECT_TRUE(k.contains("marital_status"));
  // The decision shows it, full_name recomputed.
  const json d = Json(h.Send("GET", "/v3/session/" + id + "/decision/"));
  EXPECT_EQ(d["id_verifications"][0]["full_name"], "Carmen Espanola");
  EXPECT_EQ(d["id_verifications"][0]["first_name"], "Carmen");
  // Merge key by key; null removes.
  auto removed = h.Send("PATCH", path, R"({"extra_fields":{"blood_group":null,"x":"1"}})");
  ASSERT_EQ(removed->status, 200);
  EXPECT_EQ(Json(removed)["extra_fields"], json({{"x", "1"}}));
  // {}: the record, no execution.
  ASSERT_EQ(h.Send("PATCH", path, "{}")->status, 200);
  EXPECT_EQ(h.Stats()["executions"]["update_session_data"], 2);
}

TEST(SessionData, EveryDocumentedRefusal) {
  Harness h;
  const std::string id = IdCheckSession(h);
  const std::string path = "/v3/session/" + id + "/update-data/";
  auto field = [&](const std::string& body) {
    auto r = h.Send("PATCH", path, body);
    EXPECT_EQ(r->status, 400) << body << " " << r->body;
    return Json(r);
  };
  EXPECT_EQ(field(R"({"gender":"X"})")["gender"], json({"\"X\" is not a valid choice."}));
  EXPECT_EQ(field(R"({"document_type":"PASSPORT"})")["document_type"],
            json({"\"PASSPORT\" is not a valid choice."}));
  EXPECT_EQ(field(R"({"issuing_state":"ES"})")["issuing_state"],
            json({"Invalid ISO 3166-1 alpha-3 country code for issuing_state."}));
  EXPECT_EQ(field(R"({"marital_status":"ENGAGED"})")["marital_status"],
            json({"\"ENGAGED\" is not a valid choice."}));
  EXPECT_EQ(field(R"({"date_of_birth":"1980/01/01"})")["date_of_birth"],
            json({"Date has wrong format. Use one of these formats instead: YYYY-MM-DD."}));
  // The same date rule as user create (one IsIsoDate): no month 13.
  EXPECT_TRUE(field(R"({"date_of_birth":"2024-13-45"})").contains("date_of_birth"));
  EXPECT_EQ(field(R"({"parsed_address":{"zipcode":"1"}})")["parsed_address"]["zipcode"],
            "Unsupported key. Allowed keys: address_type, city, region, street_1, street_2, "
            "postal_code, country");
  EXPECT_EQ(field(R"({"parsed_address":{"country":"ESP"}})")["parsed_address"]["country"],
            "Invalid ISO 3166-1 alpha-2 country code.");
  EXPECT_EQ(field(R"({"extra_fields":[1]})")["extra_fields"],
            json({"This field must be a JSON object."}));
  for (const std::string& body : HostileBodies()) {
    auto r = h.Send("PATCH", path, body);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 400 || r->status == 413) << r->status;
  }
  // The three 404s.
  auto unknown = h.Send("PATCH", "/v3/session/00000000-0000-4000-8000-000000000000/update-data/",
                        R"({"first_name":"A"})");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Json(unknown)["detail"], "Not found.");
  auto hosted = h.Post("/v3/session/", CreateBody("h"));
  ASSERT_EQ(hosted->status, 201) << hosted->body;
  const std::string hosted_id = Json(hosted)["session_id"];
  auto not_done = h.Send("PATCH", "/v3/session/" + hosted_id + "/update-data/", "{}");
  EXPECT_EQ(Json(not_done)["detail"], "No Session matches the given query.");
  ASSERT_EQ(Advance(h, hosted_id, "Approved")->status, 200);
  auto no_kyc = h.Send("PATCH", "/v3/session/" + hosted_id + "/update-data/", "{}");
  EXPECT_EQ(no_kyc->status, 404);
  EXPECT_EQ(Json(no_kyc)["detail"], "The session does not have a KYC.");
  EXPECT_EQ(h.Send("POST", path, "{}")->status, 405);
  EXPECT_EQ(h.Stats()["executions"]["update_session_data"], 0);
}

TEST(SessionData, SessionUpdateKycScope) {
  auto clock = std::make_shared<idem::testing::FakeClock>();
  SandboxOptions options;
  options.clock = clock;
  options.rate_scopes.session_update_kyc = 2;
  Harness h(options);
  const std::string id = IdCheckSession(h);
  const std::string path = "/v3/session/" + id + "/update-data/";
  ASSERT_EQ(h.Send("PATCH", path, R"({"first_name":"A"})")->status, 200);
  auto second = h.Send("PATCH", path, R"({"gender":"X"})");  // refused ones count too
  EXPECT_EQ(second->status, 400);
  auto third = h.Send("PATCH", path, R"({"first_name":"B"})");
  ASSERT_EQ(third->status, 429);
  EXPECT_EQ(Json(third)["detail"],
            "Session KYC data update rate limit exceeded. You can make up to 2 requests per "
            "minute.");
  EXPECT_FALSE(Header(third, "Retry-After").empty());
  // Other writes are not in that scope.
  EXPECT_EQ(h.Post("/v3/users/create/", R"({"vendor_data":"free"})")->status, 201);
  EXPECT_EQ(h.Stats()["executions"]["update_session_data"], 1);
}

}  // namespace
}  // namespace idem::sandbox::testing
