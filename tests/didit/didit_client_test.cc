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
  EXPECT_EQ((*op)->resource_id.empty() ? session->session_id : (*op)->resource_id,
            session->session_id);
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

  auto updated =
      h->didit->UpdateStatus(session->session_id, {SessionStatus::kDeclined, std::string("fraud")});
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
  auto l = h->didit->ListSessions({});
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().api->http_status, 401);
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
  EXPECT_EQ(h->didit->UpdateStatus("x", {SessionStatus::kInReview, {}}).error().error.code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(h->didit->GetDecision("").error().error.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(h->Stats()["requests"], 0);
}

TEST(DiditClientTest, ChecksTheSandboxDoesNotServeAreRefusedAsData) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  FaceMatchRequest fm;
  fm.user_image = FilePart::FromBytes("a");
  fm.ref_image = FilePart::FromBytes("b");
  auto r = h->didit->FaceMatch(fm);
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().api);
  EXPECT_EQ(r.error().api->http_status, 404);
  IdVerificationRequest id;
  id.front_image = FilePart::FromBytes("f");
  EXPECT_FALSE(h->didit->IdVerification(id));
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
