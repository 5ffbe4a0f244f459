// The sandbox's session PDF and batch delete (issue 14): Didit's shapes,
// status codes and 400 bodies, and what they count.
#include <gtest/gtest.h>

#include <string>

#include "sandbox_harness.h"
#include "testing/fake_clock.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

std::string CreateId(Harness& h, const std::string& vendor_data) {
  return Json(h.Post("/v3/session/", CreateBody(vendor_data)))["session_id"].get<std::string>();
}

TEST(SessionPdf, AnEligibleSessionGetsAPdf) {
  Harness h;
  const std::string id = CreateId(h, "pdf-1");
  ASSERT_EQ(Advance(h, id, "Approved")->status, 200);
  auto r = h.Send("GET", "/v3/session/" + id + "/generate-pdf/");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Header(r, "Content-Type"), "application/pdf");
  EXPECT_EQ(Header(r, "Content-Disposition"), "attachment; filename=session_" + id + ".pdf");
  EXPECT_EQ(Header(r, "Content-Length"), std::to_string(r->body.size()));
  EXPECT_EQ(Header(r, "Transfer-Encoding"), "");
  EXPECT_EQ(r->body.substr(0, 8), "%PDF-1.7");
  EXPECT_NE(r->body.find(id), std::string::npos);
  EXPECT_NE(r->body.find("%%EOF"), std::string::npos);
  // Not cached: the bytes differ per call.
  auto again = h.Send("GET", "/v3/session/" + id + "/generate-pdf/");
  EXPECT_NE(again->body, r->body);
  // A read: nothing executed.
  EXPECT_EQ(h.Stats()["executions_total"], 1);  // the create
  for (const char* status : {"Declined", "In Review", "Kyc Expired"}) {
    ASSERT_EQ(Advance(h, id, status)->status, 200);
    EXPECT_EQ(h.Send("GET", "/v3/session/" + id + "/generate-pdf/")->status, 200) << status;
  }
}

TEST(SessionPdf, IneligibleUnknownAndMalformed) {
  Harness h;
  const std::string id = CreateId(h, "pdf-2");
  for (const char* status : {"Not Started", "In Progress", "Resubmitted", "Abandoned", "Expired"}) {
    ASSERT_EQ(Advance(h, id, status)->status, 200);
    auto r = h.Send("GET", "/v3/session/" + id + "/generate-pdf/");
    ASSERT_EQ(r->status, 403) << status;
    EXPECT_EQ(Json(r)["detail"],
              "You can only generate a PDF for sessions in review, declined, approved or kyc "
              "expired");
  }
  auto unknown = h.Send("GET", "/v3/session/00000000-0000-4000-8000-000000000000/generate-pdf/");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Json(unknown)["detail"], "Session not found.");
  ASSERT_EQ(Advance(h, id, "Approved")->status, 200);
  ASSERT_EQ(h.Send("DELETE", "/v3/session/" + id + "/delete/")->status, 204);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + id + "/generate-pdf/")->status, 404);
  // Not a lowercase UUID: Didit's router 404, HTML.
  for (std::string bad : {std::string("not-a-uuid"), std::string("../etc")}) {
    auto r = h.Send("GET", "/v3/session/" + bad + "/generate-pdf/");
    EXPECT_EQ(r->status, 404) << bad;
  }
  std::string upper = id;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto r = h.Send("GET", "/v3/session/" + upper + "/generate-pdf/");
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(Header(r, "Content-Type").find("text/html"), std::string::npos);
  EXPECT_EQ(h.Send("POST", "/v3/session/" + id + "/generate-pdf/", "{}")->status, 405);
}

// Didit: "Without trailing slash -> 301" (OAS generate-pdf), as Django's
// APPEND_SLASH does: only where the slash path exists (a lowercase UUID);
// the session itself is not looked at, and nothing runs.
TEST(SessionPdf, ThePathWithoutTheSlashRedirects) {
  Harness h;
  const std::string id = CreateId(h, "pdf-4");
  ASSERT_EQ(Advance(h, id, "Approved")->status, 200);
  const std::string bare = "/v3/session/" + id + "/generate-pdf";
  auto r = h.Send("GET", bare);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 301);
  EXPECT_EQ(Header(r, "Location"), bare + "/");
  auto with_query = h.Send("GET", bare + "?x=1");
  EXPECT_EQ(with_query->status, 301);
  EXPECT_EQ(Header(with_query, "Location"), bare + "/?x=1");
  // Following it gets the PDF.
  auto followed = h.Send("GET", Header(r, "Location"));
  EXPECT_EQ(followed->status, 200);
  // An unknown session redirects too (the view answers 404 after it).
  const std::string unknown = "/v3/session/00000000-0000-4000-8000-000000000000/generate-pdf";
  EXPECT_EQ(h.Send("GET", unknown)->status, 301);
  // Not a lowercase UUID: no route with the slash either, the router's HTML 404.
  auto bad = h.Send("GET", "/v3/session/not-a-uuid/generate-pdf");
  EXPECT_EQ(bad->status, 404);
  EXPECT_NE(Header(bad, "Content-Type").find("text/html"), std::string::npos);
  // A read: nothing executed.
  EXPECT_EQ(h.Stats()["executions_total"], 1);  // the create
}

TEST(SessionPdf, HasItsOwnRateScope) {
  SandboxOptions options;
  options.clock = std::make_shared<idem::testing::FakeClock>();
  options.rate_scopes.session_pdf = 2;
  Harness h(options);
  const std::string id = CreateId(h, "pdf-3");
  ASSERT_EQ(Advance(h, id, "Approved")->status, 200);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + id + "/generate-pdf/")->status, 200);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + id + "/generate-pdf/")->status, 200);
  auto limited = h.Send("GET", "/v3/session/" + id + "/generate-pdf/");
  ASSERT_EQ(limited->status, 429);
  EXPECT_EQ(Json(limited)["detail"],
            "Session PDF generation rate limit exceeded. You can make up to 2 requests per "
            "minute.");
  EXPECT_EQ(h.Stats()["rate_limited"]["session-generate-pdf"], 1);
  // Other reads are not in that scope.
  EXPECT_EQ(h.Send("GET", "/v3/session/" + id + "/decision/")->status, 200);
}

TEST(BatchDelete, DeletesByNumberSkipsUnknownAndIsIdempotent) {
  Harness h;
  const std::string a = CreateId(h, "b-1");
  const std::string b = CreateId(h, "b-2");
  const std::string c = CreateId(h, "b-3");
  const auto number = [&](const std::string& id) {
    return Json(h.Send("GET", "/v3/session/" + id + "/decision/"))["session_number"].get<int>();
  };
  const json body = {{"session_numbers", {std::to_string(number(a)), number(b), "999999"}}};
  auto r = h.Post("/v3/sessions/delete/", body.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(h.Send("GET", "/v3/session/" + a + "/decision/")->status, 404);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + b + "/decision/")->status, 404);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + c + "/decision/")->status, 200);
  EXPECT_EQ(h.Stats()["executions"]["batch_delete_sessions"], 1);
  // The repeat: 204, nothing more deleted, no second execution.
  EXPECT_EQ(h.Post("/v3/sessions/delete/", body.dump())->status, 204);
  EXPECT_EQ(h.Stats()["executions"]["batch_delete_sessions"], 1);
  EXPECT_EQ(h.Stats()["duplicate_executions"], 0);
  EXPECT_EQ(h.Stats()["sessions_live"], 1);
  auto executions = h.Executions()["executions"];
  EXPECT_EQ(executions.back()["kind"], "batch_delete_sessions");
  EXPECT_EQ(executions.back()["resource_id"],
            std::to_string(number(c) - 2) + "," + std::to_string(number(c) - 1));
}

TEST(BatchDelete, DeleteAll) {
  Harness h;
  CreateId(h, "all-1");
  CreateId(h, "all-2");
  EXPECT_EQ(h.Post("/v3/sessions/delete/", R"({"delete_all":true})")->status, 204);
  EXPECT_EQ(h.Stats()["sessions_live"], 0);
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/"))["count"], 0);
  EXPECT_EQ(h.Post("/v3/sessions/delete/", R"({"delete_all":true,"session_numbers":[]})")->status,
            204);
  EXPECT_EQ(h.Stats()["executions"]["batch_delete_sessions"], 1);
}

TEST(BatchDelete, DiditsBadRequests) {
  Harness h;
  CreateId(h, "keep");
  const std::pair<const char*, const char*> cases[] = {
      {R"({})", "This field is required unless delete_all is true."},
      {R"({"delete_all":false})", "This field is required unless delete_all is true."},
      {R"({"session_numbers":null})", "This field is required unless delete_all is true."},
      {R"({"session_numbers":[]})", "This list may not be empty."},
      {R"({"session_numbers":["12a"]})", "All session_numbers must be numeric."},
      {R"({"session_numbers":[-1]})", "All session_numbers must be numeric."},
      {R"({"session_numbers":[1.5]})", "All session_numbers must be numeric."},
      {R"({"session_numbers":[""]})", "All session_numbers must be numeric."},
      {R"({"session_numbers":[null]})", "All session_numbers must be numeric."},
      {R"({"session_numbers":"1"})", "Expected a list of items but got type \"str\"."},
  };
  for (const auto& [body, message] : cases) {
    auto r = h.Post("/v3/sessions/delete/", body);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 400) << body;
    EXPECT_EQ(Json(r)["session_numbers"][0], message) << body;
  }
  auto bad_flag = h.Post("/v3/sessions/delete/", R"({"delete_all":"yes"})");
  EXPECT_EQ(bad_flag->status, 400);
  EXPECT_TRUE(Json(bad_flag).contains("delete_all"));
  EXPECT_EQ(h.Post("/v3/sessions/delete/", "not json")->status, 400);
  EXPECT_EQ(h.Post("/v3/sessions/delete/", "[1,2]")->status, 400);
  EXPECT_EQ(h.Send("DELETE", "/v3/sessions/delete/")->status, 405);
  EXPECT_EQ(h.Stats()["sessions_live"], 1);
  EXPECT_EQ(h.Stats()["executions"]["batch_delete_sessions"], 0);
}

}  // namespace
}  // namespace idem::sandbox::testing
