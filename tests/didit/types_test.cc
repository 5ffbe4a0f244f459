// Pure parts of the typed Didit API: statuses, encoders and response parsers,
// including hostile, malformed and oversized input.
#include <gtest/gtest.h>

#include <string>

#include "idem/didit.h"

namespace idem::didit {
namespace {

using nlohmann::json;

TEST(SessionStatusTest, EveryDiditStringRoundTrips) {
  for (const char* text : {"Not Started", "In Progress", "Approved", "Declined", "In Review",
                           "Awaiting User", "Resubmitted", "Expired", "Abandoned", "Kyc Expired"}) {
    SessionStatusValue value = SessionStatusValue::FromString(text);
    EXPECT_NE(value.code, SessionStatus::kUnrecognised) << text;
    EXPECT_EQ(SessionStatusName(value.code), text);
    EXPECT_EQ(value.ToString(), text);
  }
}

TEST(SessionStatusTest, UnknownAndMiscasedKeepTheOriginalText) {
  for (const char* text : {"approved", "KYC Expired", "Archived", "", "In  Review"}) {
    SessionStatusValue value = SessionStatusValue::FromString(text);
    EXPECT_EQ(value.code, SessionStatus::kUnrecognised) << text;
    EXPECT_EQ(value.ToString(), text);
  }
  EXPECT_EQ(SessionStatusName(SessionStatus::kUnrecognised), "");
}

TEST(SessionStatusTest, UnfinishedMatchesDiditsDedupSet) {
  EXPECT_TRUE(IsUnfinished(SessionStatus::kNotStarted));
  EXPECT_TRUE(IsUnfinished(SessionStatus::kAwaitingUser));
  EXPECT_FALSE(IsUnfinished(SessionStatus::kApproved));
  EXPECT_FALSE(IsUnfinished(SessionStatus::kUnrecognised));
}

CreateSessionRequest FullCreate() {
  CreateSessionRequest r;
  r.workflow_id = "11111111-2222-3333-4444-555555555555";
  r.vendor_data = "user-123";
  r.callback = "https://example.com/done";
  r.callback_method = "both";
  r.metadata = json{{"plan", "gold"}, {"n", 3}};
  r.language = "es";
  r.contact_details = ContactDetails{"a@b.c", true, "en", "+34600000000"};
  ExpectedDetails e;
  e.first_name = "Ana";
  e.date_of_birth = "1990-01-02";
  e.expected_document_types = {"passport"};
  r.expected_details = e;
  return r;
}

TEST(EncodeTest, CreateSessionHasEveryDocumentedField) {
  auto body = Encode(FullCreate());
  ASSERT_TRUE(body) << body.error().ToString();
  EXPECT_EQ(body->content_type, "application/json");
  json j = json::parse(body->body);
  EXPECT_EQ(j["workflow_id"], "11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(j["vendor_data"], "user-123");
  EXPECT_EQ(j["callback_method"], "both");
  EXPECT_EQ(j["metadata"]["plan"], "gold");
  EXPECT_EQ(j["language"], "es");
  EXPECT_EQ(j["contact_details"]["send_notification_emails"], true);
  EXPECT_EQ(j["expected_details"]["expected_document_types"][0], "passport");
  EXPECT_FALSE(j["expected_details"].contains("last_name"));
}

TEST(EncodeTest, SameRequestSameBytes) {
  auto a = Encode(FullCreate());
  auto b = Encode(FullCreate());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body, b->body);
}

TEST(EncodeTest, CreateSessionRejectsBadInput) {
  CreateSessionRequest r = FullCreate();
  r.workflow_id.clear();
  EXPECT_EQ(Encode(r).error().code(), ErrorCode::kInvalidArgument);
  r = FullCreate();
  r.callback_method = "sometimes";
  EXPECT_EQ(Encode(r).error().code(), ErrorCode::kInvalidArgument);
  r = FullCreate();
  r.metadata = json::array({1, 2});
  EXPECT_EQ(Encode(r).error().code(), ErrorCode::kInvalidArgument);
  r = FullCreate();
  r.vendor_data = std::string("bad\xff\xfe utf8");
  EXPECT_EQ(Encode(r).error().code(), ErrorCode::kInvalidArgument);
}

TEST(EncodeTest, UpdateStatusOnlyTheSettableStatuses) {
  UpdateStatusRequest r;
  r.new_status = SessionStatus::kDeclined;
  r.comment = "fraud";
  auto body = Encode(r);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->body, R"({"comment":"fraud","new_status":"Declined"})");
  r.new_status = SessionStatus::kInReview;
  EXPECT_EQ(Encode(r).error().code(), ErrorCode::kInvalidArgument);
  r.new_status = SessionStatus::kUnrecognised;
  EXPECT_FALSE(Encode(r));
}

TEST(EncodeTest, AmlRequiresFullName) {
  AmlRequest r;
  EXPECT_EQ(Encode(r).error().code(), ErrorCode::kInvalidArgument);
  r.full_name = "John Doe";
  r.date_of_birth = "1970-01-01";
  r.include_adverse_media = false;
  auto body = Encode(r);
  ASSERT_TRUE(body);
  EXPECT_EQ(
      body->body,
      R"({"date_of_birth":"1970-01-01","full_name":"John Doe","include_adverse_media":false})");
}

TEST(ListSessionsPathTest, EncodesEveryFilter) {
  ListSessionsRequest r;
  EXPECT_EQ(ListSessionsPath(r), "/v3/sessions/");
  r.vendor_data = "a b&c=d/é";
  r.status = "In Review";
  r.limit = 10;
  r.offset = 20;
  r.workflow_id = "w";
  r.date_from = "2026-01-01";
  r.date_to = "2026-02-01";
  EXPECT_EQ(ListSessionsPath(r),
            "/v3/sessions/?limit=10&offset=20&vendor_data=a%20b%26c%3Dd%2F%C3%A9&status=In%20Review"
            "&workflow_id=w&date_from=2026-01-01&date_to=2026-02-01");
}

TEST(ParseSessionTest, TypedFieldsAndUnknownFieldsKept) {
  auto s = ParseSession(R"({"session_id":"abc","session_number":42,"session_token":"t",
      "url":"https://verify.didit.me/session/t","vendor_data":"u1","metadata":{"k":1},
      "status":"Not Started","callback":null,"workflow_id":"w","workflow_version":3,
      "brand_new_field":{"x":[1,2]}})");
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->session_id, "abc");
  EXPECT_EQ(s->session_number, 42);
  EXPECT_EQ(s->status->code, SessionStatus::kNotStarted);
  EXPECT_FALSE(s->callback.has_value());
  EXPECT_EQ((*s->workflow_version), 3);
  EXPECT_EQ(s->raw["brand_new_field"]["x"][1], 2);
}

TEST(ParseSessionTest, UnrecognisedStatusIsKept) {
  auto s = ParseSession(R"({"session_id":"abc","status":"Quarantined"})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status->code, SessionStatus::kUnrecognised);
  EXPECT_EQ(s->status->text, "Quarantined");
}

TEST(ParseSessionTest, MalformedAndHostileInputIsAnErrorNotACrash) {
  for (std::string body :
       {std::string(""), std::string("not json"), std::string("{"), std::string("[]"),
        std::string("null"), std::string("\"str\""), std::string(R"({"session_id":1})"),
        std::string(R"({"session_id":""})"), std::string(R"({"session_number":1})"),
        std::string(R"({"session_id":"a","session_number":"42"})"),
        std::string(R"({"session_id":"a","session_number":1.5})"),
        std::string(R"({"session_id":"a","session_number":99999999999999999999})"),
        std::string(R"({"session_id":"a","status":7})"),
        std::string(R"({"session_id":"a","url":["x"]})"),
        std::string("{\"session_id\":\"\xff\xfe\"}"),
        std::string(R"({"session_id":"a"} trailing)")}) {
    auto s = ParseSession(body);
    EXPECT_FALSE(s) << body;
    if (!s) {
      EXPECT_EQ(s.error().code(), ErrorCode::kCorruption) << body;
    }
  }
}

TEST(ParseSessionTest, DeepNestingIsRefusedBeforeParsing) {
  std::string deep =
      R"({"session_id":"a","x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto s = ParseSession(deep);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("deeper"), std::string::npos);
  // Brackets inside strings do not count.
  auto ok = ParseSession(R"({"session_id":"a","x":")" + std::string(1000, '[') + "\"}");
  EXPECT_TRUE(ok);
}

TEST(ParseSessionTest, HugeStringsAreKept) {
  std::string huge(4u << 20, 'v');
  auto s = ParseSession(R"({"session_id":"a","vendor_data":")" + huge + "\"}");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->vendor_data->size(), huge.size());
}

TEST(ParseDecisionTest, FeatureArraysNullUntilRun) {
  auto d = ParseDecision(R"({"session_id":"s","status":"Approved","features":["ID_VERIFICATION"],
      "id_verifications":[{"node_id":"n1","status":"Approved","document_type":"Passport"}],
      "liveness_checks":null,"aml_screenings":[],"session_url":"u","future_feature":[1]})");
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->status->code, SessionStatus::kApproved);
  ASSERT_EQ(d->features.size(), 1u);
  ASSERT_TRUE(d->id_verifications);
  EXPECT_EQ((*d->id_verifications)[0].node_id, "n1");
  EXPECT_EQ((*d->id_verifications)[0].raw["document_type"], "Passport");
  EXPECT_FALSE(d->liveness_checks);
  EXPECT_FALSE(d->face_matches);
  ASSERT_TRUE(d->aml_screenings);
  EXPECT_TRUE(d->aml_screenings->empty());
  EXPECT_EQ(d->raw["future_feature"][0], 1);
}

TEST(ParseDecisionTest, WrongShapesAreErrors) {
  EXPECT_FALSE(ParseDecision(R"({"session_id":"s","features":"ID"})"));
  EXPECT_FALSE(ParseDecision(R"({"session_id":"s","features":[1]})"));
  EXPECT_FALSE(ParseDecision(R"({"session_id":"s","face_matches":{"a":1}})"));
  EXPECT_FALSE(ParseDecision(R"({"session_id":"s","face_matches":[1]})"));
  EXPECT_FALSE(ParseDecision(R"({"session_id":"s","face_matches":[{"status":false}]})"));
  EXPECT_FALSE(ParseDecision(R"({"status":"Approved"})"));
}

TEST(ParseSessionListTest, PagesAndResults) {
  auto l = ParseSessionList(R"({"count":3,"next":"http://h/v3/sessions/?limit=2&offset=2",
      "previous":null,"results":[{"session_id":"a","status":"Approved"},{"session_id":"b"}]})");
  ASSERT_TRUE(l) << l.error().ToString();
  EXPECT_EQ(l->count, 3);
  EXPECT_EQ(l->next, "http://h/v3/sessions/?limit=2&offset=2");
  EXPECT_FALSE(l->previous);
  ASSERT_EQ(l->results.size(), 2u);
  EXPECT_EQ(l->results[1].session_id, "b");
  EXPECT_FALSE(ParseSessionList(R"({"count":1})"));
  EXPECT_FALSE(ParseSessionList(R"({"count":"1","results":[]})"));
  EXPECT_FALSE(ParseSessionList(R"({"count":1,"results":[{"id":"x"}]})"));
  EXPECT_FALSE(ParseSessionList(R"({"count":1,"results":[],"next":5})"));
}

TEST(ParseCheckResultTest, KeepsTheWholeBody) {
  auto r = ParseCheckResult(R"({"request_id":"r1","aml":{"total_hits":0},"status":"Approved"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->request_id, "r1");
  EXPECT_EQ(r->raw["aml"]["total_hits"], 0);
  EXPECT_FALSE(ParseCheckResult("[1]"));
  auto u = ParseUpdateStatusResult(R"({"session_id":"s"})");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->session_id, "s");
}

}  // namespace
}  // namespace idem::didit
