// GET /v3/sessions/: Didit's KYC row shape and the filters (status,
// workflow_id and session_type as comma lists, api_service, session_kind),
// their malformed values, and next/previous carrying every filter.
#include <gtest/gtest.h>

#include <set>

#include "sandbox_harness.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

constexpr char kOtherWorkflow[] = "99999999-8888-4777-8666-555555555555";

std::set<std::string> Keys(const json& object) {
  std::set<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key());
  return keys;
}

const std::set<std::string> kRowKeys = {
    "session_id",     "session_kind",  "session_number",    "session_url",
    "portrait_image", "document_type", "full_name",         "country",
    "status",         "vendor_data",   "didit_internal_id", "created_at",
    "features",       "phone_number",  "email_address",     "additional_details"};

json List(Harness& h, const std::string& query) {
  auto r = h.Send("GET", "/v3/sessions/?" + query);
  EXPECT_TRUE(r && r->status == 200) << query << (r ? ": " + r->body : "");
  return Json(r);
}

int Count(Harness& h, const std::string& query) {
  auto j = List(h, query);
  return j.is_object() ? j["count"].get<int>() : -1;
}

// 3 hosted sessions (two workflows) and 3 saved checks, vendor_data "v".
struct Fixture {
  explicit Fixture(SandboxOptions options = {})
      : h([&] {
          options.vendor_dedup = false;
          return options;
        }()) {
    hosted.push_back(Json(h.Post("/v3/session/", CreateBody("v")))["session_id"]);
    hosted.push_back(Json(h.Post("/v3/session/", CreateBody("v")))["session_id"]);
    hosted.push_back(
        Json(h.Post("/v3/session/", std::string(R"({"workflow_id":")") + kOtherWorkflow +
                                        R"(","vendor_data":"v"})"))["session_id"]);
    Advance(h, hosted[0], "Approved");
    Advance(h, hosted[1], "In Review");
    aml = Json(h.Post("/v3/aml/", R"({"full_name":"Jane Row","vendor_data":"v"})"))["request_id"];
    liveness = Json(SendForm(h, "/v3/passive-liveness/",
                             {{"user_image", "img"}, {"vendor_data", "v", false}}))["request_id"];
    id_check = Json(SendForm(h, "/v3/id-verification/",
                             {{"front_image", "f"}, {"vendor_data", "v", false}}))["request_id"];
  }
  Harness h;
  std::vector<std::string> hosted;
  std::string aml, liveness, id_check;
};

TEST(List, HostedRowShape) {
  Harness h;
  auto created = Json(
      h.Post("/v3/session/", std::string(R"({"workflow_id":")") + kWorkflow +
                                 R"(","vendor_data":"shape","metadata":{"m":1},"contact_details":)"
                                 R"({"email":"a@example.com","phone":"+34600000001"}})"));
  auto rows = List(h, "vendor_data=shape")["results"];
  ASSERT_EQ(rows.size(), 1u);
  const json& row = rows[0];
  EXPECT_EQ(Keys(row), kRowKeys);  // no workflow_id, session_token or metadata
  EXPECT_EQ(row["session_kind"], "user");
  EXPECT_EQ(row["session_url"], created["url"]);
  EXPECT_EQ(row["features"], json::array());
  EXPECT_EQ(row["status"], "Not Started");
  EXPECT_TRUE(row["full_name"].is_null());
  EXPECT_TRUE(row["portrait_image"].is_null());
  EXPECT_TRUE(row["didit_internal_id"].is_null());
  EXPECT_TRUE(row["additional_details"].is_null());
  EXPECT_EQ(row["email_address"], (json{{"email", "a@example.com"}, {"is_verified", false}}));
  EXPECT_EQ(row["phone_number"], (json{{"number", "+34600000001"}, {"is_verified", false}}));
  // A phone that is not E.164 is ignored, as Didit ignores it.
  h.Post("/v3/session/", std::string(R"({"workflow_id":")") + kWorkflow +
                             R"(","vendor_data":"shape2","contact_details":{"phone":"600 1"}})");
  EXPECT_TRUE(List(h, "vendor_data=shape2")["results"][0]["phone_number"].is_null());
}

TEST(List, CheckRowShape) {
  Fixture f;
  auto aml = List(f.h, "api_service=AML")["results"];
  ASSERT_EQ(aml.size(), 1u);
  EXPECT_EQ(Keys(aml[0]), kRowKeys);
  EXPECT_EQ(aml[0]["session_id"], f.aml);
  EXPECT_TRUE(aml[0]["session_url"].is_null());
  EXPECT_EQ(aml[0]["full_name"], "Jane Row");  // the AML screened name
  EXPECT_EQ(aml[0]["features"], json::array({{{"feature", "AML"}, {"status", "Approved"}}}));
  auto id = List(f.h, "api_service=ID_VERIFICATION")["results"][0];
  EXPECT_EQ(id["full_name"], "Sandbox User");  // the document's OCR name
  EXPECT_EQ(id["document_type"], "Identity Card");
  EXPECT_EQ(id["country"], "ESP");
  auto liveness = List(f.h, "api_service=PASSIVE_LIVENESS")["results"][0];
  EXPECT_TRUE(liveness["full_name"].is_null());
  EXPECT_EQ(liveness["features"][0]["feature"], "LIVENESS");
}

TEST(List, NewestFirstAcrossKinds) {
  Fixture f;
  auto rows = List(f.h, "vendor_data=v")["results"];
  ASSERT_EQ(rows.size(), 6u);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_GT(rows[i - 1]["session_number"], rows[i]["session_number"]);
  }
  EXPECT_EQ(rows[0]["session_id"], f.id_check);
  EXPECT_EQ(rows[5]["session_id"], f.hosted[0]);
}

TEST(List, StatusIsACommaSeparatedOrList) {
  Fixture f;
  EXPECT_EQ(Count(f.h, "status=Approved"), 4);  // one hosted, three checks
  EXPECT_EQ(Count(f.h, "status=In%20Review,Not%20Started"), 2);
  EXPECT_EQ(Count(f.h, "status=Approved,In+Review"), 5);
  EXPECT_EQ(Count(f.h, "status=approved"), 0);  // case-sensitive
  EXPECT_EQ(Count(f.h, "status=Bogus"), 0);     // unknown: nothing, no error
  EXPECT_EQ(Count(f.h, "status=Bogus,Approved"), 4);
  EXPECT_EQ(Count(f.h, "status="), 6);  // empty: no filter
}

TEST(List, WorkflowIdIsACommaListOfUuids) {
  Fixture f;
  EXPECT_EQ(Count(f.h, std::string("workflow_id=") + kWorkflow), 2);
  EXPECT_EQ(Count(f.h, std::string("workflow_id=") + kWorkflow + "," + kOtherWorkflow), 3);
  std::string upper = kOtherWorkflow;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(Count(f.h, "workflow_id=" + upper), 1);
  // Malformed entries are ignored; none valid: empty.
  EXPECT_EQ(Count(f.h, std::string("workflow_id=nope,") + kOtherWorkflow), 1);
  EXPECT_EQ(Count(f.h, "workflow_id=nope"), 0);
  EXPECT_EQ(Count(f.h, "workflow_id=nope,12345"), 0);
}

TEST(List, ApiServiceFilter) {
  Fixture f;
  EXPECT_EQ(Count(f.h, "api_service=AML"), 1);
  EXPECT_EQ(Count(f.h, "api_service=PASSIVE_LIVENESS"), 1);
  EXPECT_EQ(Count(f.h, "api_service=ID_VERIFICATION&vendor_data=v"), 1);
  EXPECT_EQ(Count(f.h, "api_service=AML&vendor_data=other"), 0);
  EXPECT_EQ(Count(f.h, "api_service=POA"), 0);  // valid, none here
  for (const std::string bad : {"aml", "BOGUS", "AML,FACE_MATCH", "LIVENESS"}) {
    auto r = f.h.Send("GET", "/v3/sessions/?api_service=" + bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_EQ(Json(r), (json{{"api_service", {"\"" + bad + "\" is not a valid choice."}}})) << bad;
  }
}

TEST(List, SessionTypeFilter) {
  Fixture f;
  EXPECT_EQ(Count(f.h, "session_type=API"), 3);
  EXPECT_EQ(Count(f.h, "session_type=HOSTED"), 3);
  EXPECT_EQ(Count(f.h, "session_type=API,HOSTED"), 6);
  EXPECT_EQ(Count(f.h, "session_type=ALL"), 6);
  EXPECT_EQ(Count(f.h, "session_type=MIGRATED"), 0);
  EXPECT_EQ(Count(f.h, "session_type=FOO"), 0);  // unknown: nothing, no error
  EXPECT_EQ(Count(f.h, "session_type=HOSTED&api_service=AML"), 0);
}

TEST(List, SessionKindFilter) {
  Fixture f;
  EXPECT_EQ(Count(f.h, "session_kind=user"), 6);
  EXPECT_EQ(Count(f.h, "session_kind=USER"), 6);
  EXPECT_EQ(Count(f.h, "session_kind=all"), 6);
  EXPECT_EQ(Count(f.h, "session_kind=Business"), 0);  // the sandbox has no KYB sessions
  for (const std::string bad : {"kyb", "users", "1"}) {
    auto r = f.h.Send("GET", "/v3/sessions/?session_kind=" + bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_EQ(Json(r), (json{{"session_kind", {"\"" + bad + "\" is not a valid choice."}}}));
  }
}

TEST(List, NextAndPreviousCarryEveryFilter) {
  Fixture f;
  // hosted[0] (Approved) and hosted[1] (In Review) match; the page is the second.
  auto page = List(f.h, std::string("limit=1&offset=1&vendor_data=v&status=Approved,In%20Review&") +
                            "workflow_id=" + kWorkflow +
                            "&session_type=API,HOSTED&session_kind=user&date_from=2020-01-01&"
                            "date_to=2100-01-01");
  EXPECT_EQ(page["count"], 2);
  EXPECT_EQ(page["results"][0]["session_id"], f.hosted[0]);
  EXPECT_TRUE(page["next"].is_null());
  EXPECT_EQ(page["previous"], f.h.url() +
                                  "/v3/sessions/?limit=1&offset=0&vendor_data=v&status=Approved%"
                                  "2CIn%20Review&workflow_id=" +
                                  kWorkflow +
                                  "&date_from=2020-01-01&date_to=2100-01-01&session_type=API%"
                                  "2CHOSTED&session_kind=user");
  ASSERT_EQ(f.h.Post("/v3/aml/", R"({"full_name":"Second","vendor_data":"v"})")->status, 200);
  auto aml = List(f.h, "limit=1&vendor_data=v&api_service=AML");
  EXPECT_EQ(aml["count"], 2);
  EXPECT_EQ(aml["next"],
            f.h.url() + "/v3/sessions/?limit=1&offset=1&vendor_data=v&api_service=AML");
}

TEST(List, IdealProfileKeepsTheDetailInFieldErrors) {
  Harness h(Ideal());
  auto r = h.Send("GET", "/v3/sessions/?api_service=nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Json(r), (json{{"api_service", {"\"nope\" is not a valid choice."}},
                           {"detail", "api_service: \"nope\" is not a valid choice."}}));
  // The rows are the same shape in both profiles.
  h.Post("/v3/session/", CreateBody("ideal-row"));
  EXPECT_EQ(Keys(List(h, "vendor_data=ideal-row")["results"][0]), kRowKeys);
}

TEST(List, VendorDataLookUpsUseTheIndexAndStayExact) {
  SandboxOptions options;
  options.vendor_dedup = false;
  Harness h(options);
  for (int i = 0; i < 50; ++i) {
    h.Post("/v3/aml/", R"({"full_name":"N","vendor_data":"user-)" + std::to_string(i % 10) + "\"}");
  }
  h.Post("/v3/session/", R"({"workflow_id":")" + std::string(kWorkflow) + R"("})");  // none
  EXPECT_EQ(Count(h, "vendor_data=user-3&api_service=AML"), 5);
  EXPECT_EQ(Count(h, "vendor_data=user-3%20"), 0);  // exact match
  EXPECT_EQ(Count(h, "vendor_data=user"), 0);
  EXPECT_EQ(Count(h, "vendor_data="), 1);  // the session without vendor_data
  auto rows = List(h, "vendor_data=user-3")["results"];
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_GT(rows[i - 1]["session_number"], rows[i]["session_number"]);
  }
}

}  // namespace
}  // namespace idem::sandbox::testing
