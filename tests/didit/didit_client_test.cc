// Every DiditClient call against the real in-process sandbox, errors included.
#include <gtest/gtest.h>

#include <set>

#include "didit/sandbox_fixture.h"
#include "idem/natural_key.h"

namespace idem::didit {
namespace {

using testing::kWorkflow;
using testing::MakeHarness;
using testing::SessionFor;

TEST(DiditClientTest, CreateGetUpdateDeleteASession) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  CreateSessionRequest request = SessionFor("user-1");
  request.metadata = nlohmann::json{{"plan", "gold"}};
  request.callback = "https://example.com/cb";
  auto session = h->didit->CreateSession(request, {.op_id = "create-user-1"});
  ASSERT_TRUE(session) << session.error().ToString();
  EXPECT_FALSE(session->session_id.empty());
  EXPECT_EQ(session->vendor_data, "user-1");
  ASSERT_TRUE(session->status);
  EXPECT_EQ(session->status->code, SessionStatus::kNotStarted);

  auto op = h->didit->client().Get("create-user-1");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->kind, "create_session");
  EXPECT_EQ((*op)->state, OpState::kSucceeded);
  EXPECT_EQ((*op)->resource_id, session->session_id);
  EXPECT_EQ((*op)->natural_key, SessionNaturalKey(kWorkflow, "user-1"));

  // The same op id again: the stored outcome, nothing sent.
  auto again = h->didit->CreateSession(request, {.op_id = "create-user-1"});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->session_id, session->session_id);
  EXPECT_EQ(h->Stats()["sessions_total"], 1);
  // The same op id with another request: refused locally.
  auto other = h->didit->CreateSession(SessionFor("user-2"), {.op_id = "create-user-1"});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().error.code(), ErrorCode::kAlreadyExists);

  auto decision = h->didit->GetDecision(session->session_id);
  ASSERT_TRUE(decision) << decision.error().ToString();
  EXPECT_EQ(decision->session_id, session->session_id);
  EXPECT_EQ(decision->status->code, SessionStatus::kNotStarted);

  h->Advance(session->session_id, "In Review");
  auto updated = h->didit->UpdateStatus(session->session_id,
                                        testing::StatusUpdate(SessionStatus::kDeclined, "fraud"));
  ASSERT_TRUE(updated) << updated.error().ToString();
  EXPECT_EQ(updated->session_id, session->session_id);
  auto after = h->didit->GetDecision(session->session_id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status->code, SessionStatus::kDeclined);

  auto deleted = h->didit->DeleteSession(session->session_id);
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  EXPECT_FALSE(deleted->already_deleted);
  // A fresh delete of a deleted session (first attempt) is a refusal, not done.
  auto repeat = h->didit->DeleteSession(session->session_id);
  ASSERT_FALSE(repeat);
  EXPECT_EQ(repeat.error().error.code(), ErrorCode::kRefused);
  ASSERT_TRUE(repeat.error().api);
  EXPECT_EQ(repeat.error().api->kind, ApiErrorKind::kNotFound);
  auto gone = h->didit->GetDecision(session->session_id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().api->http_status, 404);
}

TEST(DiditClientTest, ListSessionsFiltersAndAllPages) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i) {
    auto s = h->didit->CreateSession(SessionFor("list-" + std::to_string(i)));
    ASSERT_TRUE(s) << s.error().ToString();
    created.insert(s->session_id);
  }
  ListSessionsRequest one;
  one.vendor_data = "list-3";
  auto page = h->didit->ListSessions(one);
  ASSERT_TRUE(page) << page.error().ToString();
  ASSERT_EQ(page->count, 1);
  EXPECT_EQ(page->results[0].vendor_data, "list-3");

  ListSessionsRequest all;
  all.limit = 2;
  all.workflow_id = kWorkflow;
  auto pages = h->didit->ListAllSessions(all);
  std::set<std::string> seen;
  int n = 0;
  while (auto p = pages.Next()) {
    ASSERT_TRUE(*p) << (*p).error().ToString();
    for (const Session& s : (*p)->results) seen.insert(s.session_id);
    ++n;
  }
  EXPECT_EQ(n, 3);
  EXPECT_EQ(seen, created);

  ListSessionsRequest bad;
  bad.limit = 0;
  auto refused = h->didit->ListSessions(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().api->kind, ApiErrorKind::kBadRequest);
  EXPECT_EQ(refused.error().api->field_errors.count("limit"), 1u);
}

TEST(DiditClientTest, ServerFieldErrorsAreTyped) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  CreateSessionRequest r = SessionFor("bad-workflow");
  r.workflow_id = "not-a-uuid";
  auto s = h->didit->CreateSession(r, {.op_id = "bad-1"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().error.code(), ErrorCode::kRefused);
  EXPECT_EQ(s.error().op_id, "bad-1");
  ASSERT_TRUE(s.error().api);
  EXPECT_EQ(s.error().api->kind, ApiErrorKind::kBadRequest);
  EXPECT_EQ(s.error().api->field_errors.count("workflow_id"), 1u);
  EXPECT_FALSE(s.error().api->raw_body.empty());
  auto op = h->didit->client().Get("bad-1");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->state, OpState::kFailed);
}

TEST(DiditClientTest, WrongApiKeyIsUnauthorized) {
  auto h = MakeHarness({}, [](DiditClientOptions& o) { o.client.api_key = "wrong"; });
  ASSERT_TRUE(h);
  auto s = h->didit->CreateSession(SessionFor("u"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().api->kind, ApiErrorKind::kUnauthorized);
  EXPECT_EQ(s.error().error.code(), ErrorCode::kPermissionDenied);
  auto l = h->didit->ListSessions({});
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().api->http_status, 401);
  EXPECT_EQ(l.error().error.code(), ErrorCode::kPermissionDenied);
  // The key never appears in what we report.
  EXPECT_EQ(s.error().ToString().find("wrong"), std::string::npos);
}

TEST(DiditClientTest, AmlAndPassiveLiveness) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  AmlRequest aml;
  aml.full_name = "Jane Example";
  aml.date_of_birth = "1980-05-06";
  auto screened = h->didit->AmlScreening(aml, {.op_id = "aml-1"});
  ASSERT_TRUE(screened) << screened.error().ToString();
  EXPECT_TRUE(screened->request_id);
  EXPECT_TRUE(screened->raw.contains("aml"));
  auto op = h->didit->client().Get("aml-1");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->kind, "aml");

  PassiveLivenessRequest live;
  live.user_image = FilePart::FromBytes(std::string(2000, '\x7f'), "me.jpg", "image/jpeg");
  live.vendor_data = "user-9";
  auto checked = h->didit->PassiveLiveness(live, {.op_id = "live-1"});
  ASSERT_TRUE(checked) << checked.error().ToString();
  EXPECT_TRUE(checked->raw.contains("liveness"));
  auto live_op = h->didit->client().Get("live-1");
  ASSERT_TRUE(live_op && *live_op);
  EXPECT_EQ((*live_op)->kind, "passive_liveness");
  // The journaled body is what the encoder makes for this op id: a retry or
  // a re-run with the same op id is byte-identical.
  auto expected = Encode(live, "live-1");
  ASSERT_TRUE(expected);
  EXPECT_EQ((*live_op)->body, expected->body);
  EXPECT_EQ((*live_op)->content_type, expected->content_type);
  auto rerun = h->didit->PassiveLiveness(live, {.op_id = "live-1"});
  ASSERT_TRUE(rerun);
  EXPECT_EQ(rerun->request_id, checked->request_id);
  EXPECT_EQ(h->Stats()["executions"]["passive_liveness"], 1);
  EXPECT_EQ(h->Stats()["executions"]["aml"], 1);
}

TEST(DiditClientTest, LocalValidationSendsNothing) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  EXPECT_EQ(h->didit->AmlScreening({}).error().error.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(h->didit->PassiveLiveness({}).error().error.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(h->didit->UpdateStatus("x", testing::StatusUpdate(SessionStatus::kInReview))
                .error()
                .error.code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(h->didit->GetDecision("").error().error.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(h->Stats()["requests"], 0);
}

TEST(DiditClientTest, FaceMatchExactlyOnceAndErrors) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  FaceMatchRequest fm;
  fm.user_image = FilePart::FromBytes(std::string(500, '\x11'), "me.jpg", "image/jpeg");
  fm.ref_image = FilePart::FromBytes(std::string(500, '\x11'), "ref.jpg", "image/jpeg");
  fm.vendor_data = "user-fm";
  auto matched = h->didit->FaceMatch(fm, {.op_id = "fm-1"});
  ASSERT_TRUE(matched) << matched.error().ToString();
  ASSERT_TRUE(matched->request_id);
  EXPECT_EQ(matched->raw["face_match"]["score"], 100);
  EXPECT_EQ(matched->raw["vendor_data"], "user-fm");
  auto op = h->didit->client().Get("fm-1");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->kind, "face_match");
  EXPECT_EQ((*op)->resource_id, *matched->request_id);
  auto rerun = h->didit->FaceMatch(fm, {.op_id = "fm-1"});
  ASSERT_TRUE(rerun);
  EXPECT_EQ(rerun->request_id, matched->request_id);
  EXPECT_EQ(h->Stats()["executions"]["face_match"], 1);

  // Refused locally (nothing sent) and by the server (typed 400).
  FaceMatchRequest no_ref;
  no_ref.user_image = FilePart::FromBytes("a");
  EXPECT_EQ(h->didit->FaceMatch(no_ref).error().error.code(), ErrorCode::kInvalidArgument);
  FaceMatchRequest other = fm;
  other.ref_image = FilePart::FromBytes("another face");
  auto reused = h->didit->FaceMatch(other, {.op_id = "fm-1"});  // op id taken by another request
  ASSERT_FALSE(reused);
  EXPECT_EQ(reused.error().error.code(), ErrorCode::kAlreadyExists);
  // A different pair: a second billed execution with a lower score.
  auto different = h->didit->FaceMatch(other, {.op_id = "fm-2"});
  ASSERT_TRUE(different) << different.error().ToString();
  EXPECT_LT(different->raw["face_match"]["score"].get<int>(), 100);
  EXPECT_EQ(h->Stats()["executions"]["face_match"], 2);
}

TEST(DiditClientTest, IdVerificationExactlyOnceAndErrors) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  IdVerificationRequest id;
  id.front_image = FilePart::FromBytes("front-bytes", "front.jpg", "image/jpeg");
  id.back_image = FilePart::FromBytes("back-bytes", "back.jpg", "image/jpeg");
  id.perform_document_liveness = true;
  id.vendor_data = "user-id";
  auto verified = h->didit->IdVerification(id, {.op_id = "id-1"});
  ASSERT_TRUE(verified) << verified.error().ToString();
  ASSERT_TRUE(verified->request_id);
  EXPECT_EQ(verified->raw["id_verification"]["document_liveness"], "Approved");
  EXPECT_TRUE(verified->raw["id_verification"]["document_number"].is_string());
  auto op = h->didit->client().Get("id-1");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->kind, "id_verification");
  EXPECT_EQ((*op)->resource_id, *verified->request_id);
  auto expected = Encode(id, "id-1");
  ASSERT_TRUE(expected);
  EXPECT_EQ((*op)->body, expected->body);  // journaled byte for byte
  EXPECT_EQ(h->didit->IdVerification(id, {.op_id = "id-1"})->request_id, verified->request_id);
  EXPECT_EQ(h->Stats()["executions"]["id_verification"], 1);

  EXPECT_EQ(h->didit->IdVerification({}).error().error.code(), ErrorCode::kInvalidArgument);
  // A back image the server finds empty: a typed 400 with the field named.
  IdVerificationRequest empty_back;
  empty_back.front_image = FilePart::FromBytes("front");
  empty_back.back_image = FilePart::FromBytes("");
  auto refused = h->didit->IdVerification(empty_back, {.op_id = "id-bad"});
  ASSERT_FALSE(refused);
  ASSERT_TRUE(refused.error().api) << refused.error().ToString();
  EXPECT_EQ(refused.error().api->kind, ApiErrorKind::kBadRequest);
  EXPECT_EQ(refused.error().api->field_errors.count("back_image"), 1u);
  EXPECT_EQ(h->Stats()["executions"]["id_verification"], 1);
}

TEST(DiditClientTest, TwoHundredsFillResourceIdPerKind) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto session = h->didit->CreateSession(SessionFor("rid"), {.op_id = "rid-create"});
  ASSERT_TRUE(session) << session.error().ToString();
  h->Advance(session->session_id, "In Review");
  ASSERT_TRUE(h->didit->UpdateStatus(session->session_id,
                                     testing::StatusUpdate(SessionStatus::kApproved),
                                     {.op_id = "rid-update"}));
  ASSERT_TRUE(h->didit->DeleteSession(session->session_id, {.op_id = "rid-delete"}));
  for (const char* op_id : {"rid-create", "rid-update", "rid-delete"}) {
    auto op = h->didit->client().Get(op_id);
    ASSERT_TRUE(op && *op) << op_id;
    EXPECT_EQ((*op)->resource_id, session->session_id) << op_id;
  }
  AmlRequest aml;
  aml.full_name = "Jane Ordinary";
  auto screened = h->didit->AmlScreening(aml, {.op_id = "rid-aml"});
  ASSERT_TRUE(screened && screened->request_id);
  EXPECT_EQ((*h->didit->client().Get("rid-aml"))->resource_id, *screened->request_id);
}

TEST(DiditClientTest, ForeignNextLinksAreNotFollowed) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto r = h->didit->Get("http://203.0.113.9/v3/sessions/?offset=2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error.code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace idem::didit
