// PATCH /v3/session/{id}/update-status/ in both profiles: Didit's rules
// (OAS) in didit, the lenient ones in ideal, and the reviews both keep.
#include <gtest/gtest.h>

#include <mutex>

#include "sandbox_harness.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

constexpr char kWrongStatus[] =
    "Only sessions with status Approved, Declined, In Review, Kyc Expired, Abandoned, "
    "Resubmitted can be updated. Current status: ";

class RecordingSink : public SandboxEventSink {
 public:
  void OnSessionEvent(const SandboxSessionEvent& e) override {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return events.size();
  }
  std::mutex mu;
  std::vector<SandboxSessionEvent> events;
};

std::string NewSession(Harness& h, const std::string& status = "") {
  const std::string id = Json(h.Post("/v3/session/", CreateBody("upd")))["session_id"];
  if (!status.empty()) {
    EXPECT_EQ(Advance(h, id, status)->status, 200);
  }
  return id;
}

Result<HttpResponse> Update(Harness& h, const std::string& id, const std::string& body) {
  return h.Send("PATCH", "/v3/session/" + id + "/update-status/", body);
}

SandboxOptions NoDedup(SandboxOptions options = {}) {
  options.vendor_dedup = false;
  return options;
}

TEST(DiditUpdateStatus, UnknownOrDeletedSessionIs404) {
  Harness h(NoDedup());
  auto unknown = Update(h, "00000000-0000-4000-8000-000000000000", R"({"new_status":"Approved"})");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Json(unknown), (json{{"detail", "Session not found."}}));
  const std::string id = NewSession(h, "In Review");
  ASSERT_EQ(h.Send("DELETE", "/v3/session/" + id + "/delete/")->status, 204);
  // 404 comes first, whatever the body.
  EXPECT_EQ(Update(h, id, "not json")->status, 404);
}

TEST(DiditUpdateStatus, OnlyReviewableStatusesCanBeUpdatedCheckedBeforeTheBody) {
  Harness h(NoDedup());
  for (const std::string status : {"Not Started", "In Progress", "Awaiting User", "Expired"}) {
    const std::string id = NewSession(h, status == "Not Started" ? "" : status);
    for (const std::string& body :
         {std::string(R"({"new_status":"Approved"})"), std::string(R"({"new_status":5})"),
          std::string("not json"), std::string("[]")}) {
      auto r = Update(h, id, body);
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 400) << status << " " << body;
      EXPECT_EQ(Json(r), (json{{"detail", kWrongStatus + status}})) << status << " " << body;
    }
  }
  EXPECT_EQ(h.Stats()["executions"]["update_status"], 0);
}

TEST(DiditUpdateStatus, EveryReviewableStatusMovesToAnotherTarget) {
  auto sink = std::make_shared<RecordingSink>();
  SandboxOptions options = NoDedup();
  options.event_sink = sink;
  Harness h(options);
  int changes = 0;
  for (const std::string from :
       {"Approved", "Declined", "In Review", "Kyc Expired", "Abandoned", "Resubmitted"}) {
    const std::string to = from == "Approved" ? "Declined" : "Approved";
    const std::string id = NewSession(h, from);
    const std::size_t before = sink->size();
    auto r = Update(h, id, R"({"new_status":")" + to + "\"}");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << from << ": " << r->body;
    EXPECT_EQ(Json(r), (json{{"session_id", id}}));
    ++changes;
    EXPECT_EQ(Json(h.Send("GET", "/v3/session/" + id + "/decision/"))["status"], to);
    ASSERT_EQ(sink->size(), before + 1);
    std::lock_guard<std::mutex> lock(sink->mu);
    EXPECT_EQ(sink->events.back().kind, SandboxSessionEvent::Kind::kStatusChanged);
    EXPECT_EQ(sink->events.back().previous_status, from);
    EXPECT_EQ(sink->events.back().status, to);
  }
  EXPECT_EQ(h.Stats()["executions"]["update_status"], changes);
}

TEST(DiditUpdateStatus, TheSameStatusIs400BareArrayAndChangesNothing) {
  auto sink = std::make_shared<RecordingSink>();
  SandboxOptions options;
  options.event_sink = sink;
  Harness h(options);
  const std::string id = NewSession(h, "Declined");
  const std::size_t before = sink->size();
  auto same = Update(h, id, R"({"new_status":"Declined","comment":"again"})");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 400);
  EXPECT_EQ(Header(same, "Content-Type"), "application/json");
  EXPECT_EQ(same->body, R"(["The new status is the same as the current status."])");
  EXPECT_EQ(sink->size(), before);
  EXPECT_EQ(h.Stats()["executions"]["update_status"], 0);
  EXPECT_EQ(Json(h.Send("GET", "/v3/session/" + id + "/decision/"))["reviews"], json::array());
  // A double submission: the first changes, the second is the 400.
  EXPECT_EQ(Update(h, id, R"({"new_status":"Approved"})")->status, 200);
  EXPECT_EQ(Update(h, id, R"({"new_status":"Approved"})")->status, 400);
  EXPECT_EQ(h.Stats()["executions"]["update_status"], 1);
}

TEST(DiditUpdateStatus, NewStatusErrorsAreDrfFieldErrors) {
  Harness h;
  const std::string id = NewSession(h, "In Review");
  const std::vector<std::pair<std::string, json>> cases = {
      {"{}", {{"new_status", {"This field is required."}}}},
      {R"({"new_status":null})", {{"new_status", {"This field may not be null."}}}},
      {R"({"new_status":"Bogus"})", {{"new_status", {"\"Bogus\" is not a valid choice."}}}},
      {R"({"new_status":"approved"})", {{"new_status", {"\"approved\" is not a valid choice."}}}},
      {R"({"new_status":5})", {{"new_status", {"\"5\" is not a valid choice."}}}},
      {R"({"new_status":["Approved"]})",
       {{"new_status", {"\"[\"Approved\"]\" is not a valid choice."}}}},
      {R"({"new_status":"Expired"})",
       {{"new_status",
         {"You can only update the status to 'Approved', 'Declined', or 'Resubmitted'."}}}},
      {R"({"new_status":"In Review"})",
       {{"new_status",
         {"You can only update the status to 'Approved', 'Declined', or 'Resubmitted'."}}}},
  };
  for (const auto& [body, expected] : cases) {
    auto r = Update(h, id, body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_EQ(Json(r), expected) << body;  // no "detail" key in the didit shape
  }
  EXPECT_EQ(Update(h, id, "not json")->status, 400);
  EXPECT_EQ(Update(h, id, "[1]")->status, 400);
  EXPECT_EQ(h.Stats()["executions"]["update_status"], 0);
}

TEST(DiditUpdateStatus, ExtraFieldsAreValidatedByType) {
  Harness h;
  const std::string id = NewSession(h, "In Review");
  const std::vector<std::pair<std::string, json>> cases = {
      {R"({"new_status":"Approved","comment":5})", {{"comment", {"Not a valid string."}}}},
      {R"({"new_status":"Approved","comment":{}})", {{"comment", {"Not a valid string."}}}},
      {R"({"new_status":"Approved","send_email":"yes"})",
       {{"send_email", {"Must be a valid boolean."}}}},
      {R"({"new_status":"Approved","send_email":1})",
       {{"send_email", {"Must be a valid boolean."}}}},
      {R"({"new_status":"Approved","send_email":null})",
       {{"send_email", {"This field may not be null."}}}},
      {R"({"new_status":"Approved","send_email":true})",
       {{"email_address", {"Email address is required when send_email is true."}}}},
      {R"({"new_status":"Approved","email_address":7})",
       {{"email_address", {"Not a valid string."}}}},
      {R"({"new_status":"Approved","email_address":"not-an-email"})",
       {{"email_address", {"Enter a valid email address."}}}},
      {R"({"new_status":"Approved","email_language":["en"]})",
       {{"email_language", {"Not a valid string."}}}},
      {R"({"new_status":"Approved","nodes_to_resubmit":"feature_ocr"})",
       {{"nodes_to_resubmit", {"Expected a list of items but got type \"str\"."}}}},
      {R"({"new_status":"Approved","nodes_to_resubmit":{"node_id":"a"}})",
       {{"nodes_to_resubmit", {"Expected a list of items but got type \"dict\"."}}}},
      {R"({"new_status":"Approved","nodes_to_resubmit":[5]})",
       {{"nodes_to_resubmit",
         {{{"non_field_errors", {"Invalid data. Expected a dictionary, but got int."}}}}}}},
      {R"({"new_status":"Approved","nodes_to_resubmit":[{"node_id":"n","feature":"OCR"},{}]})",
       {{"nodes_to_resubmit",
         {json::object(),
          {{"node_id", {"This field is required."}}, {"feature", {"This field is required."}}}}}}},
      {R"({"new_status":"Approved","nodes_to_resubmit":[{"node_id":1,"feature":"BOGUS"}]})",
       {{"nodes_to_resubmit",
         {{{"node_id", {"Not a valid string."}},
           {"feature",
            {"\"BOGUS\" is not a valid choice. Valid choices are: OCR, OCR_BACK, NFC, AML, "
             "FACE, LIVENESS, FACE_MATCH, IP_ANALYSIS, AGE_ESTIMATION, PROOF_OF_ADDRESS, "
             "PHONE_VERIFICATION, EMAIL_VERIFICATION, FACE_SEARCH, DATABASE_VALIDATION, "
             "QUESTIONNAIRE, KYB_REGISTRY, KYB_DOCUMENTS, KYB_KEY_PEOPLE, ID_VERIFICATION, POA, "
             "PHONE, EMAIL, KYB"}}}}}}},
      // Every bad field at once, as DRF reports them.
      {R"({"comment":1,"send_email":"no"})",
       {{"new_status", {"This field is required."}},
        {"comment", {"Not a valid string."}},
        {"send_email", {"Must be a valid boolean."}}}},
  };
  for (const auto& [body, expected] : cases) {
    auto r = Update(h, id, body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body;
    EXPECT_EQ(Json(r), expected) << body << " -> " << r->body;
  }
  EXPECT_EQ(h.Stats()["executions"]["update_status"], 0);
  // All of them valid.
  auto r = Update(h, id,
                  R"({"new_status":"Resubmitted","comment":"redo","send_email":true,)"
                  R"("email_address":"user@example.com","email_language":"es",)"
                  R"("nodes_to_resubmit":[{"node_id":"feature_ocr","feature":"OCR"}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST(DiditUpdateStatus, KybParentsCannotBeResubmitted) {
  Harness h;
  const std::string id = NewSession(h, "Declined");
  auto r = Update(h, id,
                  R"({"new_status":"Resubmitted","nodes_to_resubmit":)"
                  R"([{"node_id":"a","feature":"KYB_REGISTRY"},{"node_id":"b","feature":"KYB"}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Json(r), (json{{"nodes_to_resubmit",
                            "The following features cannot be resubmitted directly: "
                            "KYB_REGISTRY, KYB. Resubmit the relevant child KYC sessions "
                            "instead; the parent will recompute automatically."}}));
  // For Approved/Declined valid entries are ignored.
  EXPECT_EQ(Update(h, id,
                   R"({"new_status":"Approved","nodes_to_resubmit":)"
                   R"([{"node_id":"a","feature":"KYB_REGISTRY"}]})")
                ->status,
            200);
}

TEST(UpdateStatusReviews, EachChangeAppendsAReviewInBothProfiles) {
  for (SandboxProfile profile : {SandboxProfile::kDidit, SandboxProfile::kIdeal}) {
    SandboxOptions options;
    options.profile = profile;
    Harness h(options);
    const std::string id = NewSession(h, "In Review");
    ASSERT_EQ(Update(h, id, R"({"new_status":"Declined","comment":"blurry"})")->status, 200);
    ASSERT_EQ(Update(h, id, R"({"new_status":"Approved"})")->status, 200);
    auto reviews = Json(h.Send("GET", "/v3/session/" + id + "/decision/"))["reviews"];
    ASSERT_EQ(reviews.size(), 2u) << SandboxProfileName(profile);
    EXPECT_EQ(reviews[0]["user"], "API Client");
    EXPECT_EQ(reviews[0]["new_status"], "Declined");
    EXPECT_EQ(reviews[0]["comment"], "blurry");
    EXPECT_EQ(reviews[0]["created_at"].get<std::string>().size(), 24u);  // ISO, ms, Z
    EXPECT_EQ(reviews[1]["new_status"], "Approved");
    EXPECT_TRUE(reviews[1]["comment"].is_null());
  }
}

TEST(IdealUpdateStatus, AnyStatusAndTheSameStatusIs200NothingHappens) {
  auto sink = std::make_shared<RecordingSink>();
  SandboxOptions options;
  options.event_sink = sink;
  Harness h(Ideal(options));
  const std::string id = NewSession(h);  // Not Started
  ASSERT_EQ(Update(h, id, R"({"new_status":"Approved"})")->status, 200);
  const std::size_t before = sink->size();
  auto same = Update(h, id, R"({"new_status":"Approved"})");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 200);
  EXPECT_EQ(Json(same), (json{{"session_id", id}}));
  EXPECT_EQ(sink->size(), before);
  EXPECT_EQ(h.Stats()["executions"]["update_status"], 1);
  EXPECT_EQ(Json(h.Send("GET", "/v3/session/" + id + "/decision/"))["reviews"].size(), 1u);
  // Field errors keep the ideal shape: the DRF body plus "detail".
  auto bad = Update(h, id, R"({"new_status":"Bogus"})");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Json(bad), (json{{"new_status", {"\"Bogus\" is not a valid choice."}},
                             {"detail", "new_status: \"Bogus\" is not a valid choice."}}));
}

}  // namespace
}  // namespace idem::sandbox::testing
