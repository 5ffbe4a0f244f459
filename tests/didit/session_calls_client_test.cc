// The typed session PDF, batch delete and phone/email OTP calls against the
// real sandbox (issue 14): happy paths, Didit's refusals as DiditErrors, and
// ambiguous attempts (answers lost after the sandbox executed) settled as
// each kind's profile row says: batch delete and OTP checks sent again, an
// OTP send sent once more (Retry, same request_id) and then stopped for review.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "didit/sandbox_fixture.h"

namespace idem::didit {
namespace {

using testing::MakeHarness;
using testing::SessionFor;

std::int64_t NumberOf(DiditClient& didit, const std::string& session_id) {
  auto d = didit.GetDecision(session_id);
  EXPECT_TRUE(d) << d.error().ToString();
  return d ? d->session_number.value_or(-1) : -1;
}

TEST(SessionPdfClient, ReturnsThePdfAndRefusesIneligibleOrUnknown) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto session = h->didit->CreateSession(SessionFor("pdf-user"));
  ASSERT_TRUE(session) << session.error().ToString();
  auto early = GenerateSessionPdf(*h->didit, session->session_id);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().error.code(), ErrorCode::kRefused);  // 403 about the session
  ASSERT_TRUE(early.error().api);
  EXPECT_EQ(early.error().api->http_status, 403);
  h->Advance(session->session_id, "Approved");
  auto pdf = GenerateSessionPdf(*h->didit, session->session_id);
  ASSERT_TRUE(pdf) << pdf.error().ToString();
  EXPECT_TRUE(pdf->bytes.starts_with("%PDF"));
  EXPECT_EQ(pdf->content_type, "application/pdf");
  EXPECT_EQ(pdf->filename, "session_" + session->session_id + ".pdf");
  auto unknown = GenerateSessionPdf(*h->didit, "00000000-0000-4000-8000-000000000000");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().error.code(), ErrorCode::kRefused);
  EXPECT_EQ(unknown.error().api->http_status, 404);
  EXPECT_EQ(GenerateSessionPdf(*h->didit, "").error().error.code(), ErrorCode::kInvalidArgument);
  // A GET: nothing journaled, nothing executed.
  EXPECT_EQ(h->Stats()["executions_total"], 1);
}

// Keeps what a body sink is given.
class StringSink final : public BodySink {
 public:
  bool Begin() override {
    ++begins;
    text.clear();
    return true;
  }
  bool Write(std::string_view bytes) override {
    text.append(bytes);
    return true;
  }
  int begins = 0;
  std::string text;
};

// StreamSessionPdf hands the document to a sink as it arrives, so the
// transport's max_response_bytes (here 256 bytes, below the sandbox's PDF)
// does not apply; the whole-body call under the same cap refuses. An error
// answer is read as an error and never given to the sink.
TEST(SessionPdfClient, StreamsThePdfToASinkPastTheTransportsCap) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto session = h->didit->CreateSession(SessionFor("pdf-stream"));
  ASSERT_TRUE(session) << session.error().ToString();
  // A second client on the same sandbox whose transport keeps 256 bytes.
  TransportOptions small;
  small.connect_timeout = std::chrono::milliseconds(1000);
  small.total_timeout = std::chrono::milliseconds(2000);
  small.max_response_bytes = 256;  // room for an error body, not for the PDF
  DiditClientOptions options;
  options.client.base_url = h->sandbox->base_url();
  options.client.api_key = SandboxOptions{}.api_key;
  options.client.journal = h->journal;
  options.client.transport = MakeCurlTransport(small);
  auto capped = DiditClient::Create(options);
  ASSERT_TRUE(capped) << capped.error().ToString();
  DiditClient& didit = **capped;

  auto refused_sink = std::make_shared<StringSink>();
  auto early = StreamSessionPdf(didit, session->session_id, refused_sink);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().error.code(), ErrorCode::kRefused);
  EXPECT_EQ(refused_sink->begins, 0);

  h->Advance(session->session_id, "Approved");
  auto whole = GenerateSessionPdf(didit, session->session_id);
  ASSERT_FALSE(whole);
  EXPECT_EQ(whole.error().error.code(), ErrorCode::kCorruption) << whole.error().ToString();

  auto sink = std::make_shared<StringSink>();
  auto streamed = StreamSessionPdf(didit, session->session_id, sink);
  ASSERT_TRUE(streamed) << streamed.error().ToString();
  EXPECT_EQ(sink->begins, 1);
  EXPECT_TRUE(sink->text.starts_with("%PDF"));
  EXPECT_NE(sink->text.find("%%EOF"), std::string::npos);
  EXPECT_GT(sink->text.size(), 256u);
  EXPECT_EQ(streamed->size, sink->text.size());
  EXPECT_TRUE(streamed->bytes.empty());
  EXPECT_EQ(streamed->content_type, "application/pdf");
  EXPECT_EQ(streamed->filename, "session_" + session->session_id + ".pdf");
  EXPECT_EQ(StreamSessionPdf(didit, session->session_id, nullptr).error().error.code(),
            ErrorCode::kInvalidArgument);
}

TEST(SessionPdfClient, RetriesAFailedGet) {
  SandboxOptions sandbox;
  sandbox.faults = "error_503=0.5@reads,retry_after=0";
  sandbox.seed = 3;
  auto h = MakeHarness(sandbox, [](DiditClientOptions& o) { o.get_attempts = 20; });
  ASSERT_TRUE(h);
  auto session = h->didit->CreateSession(SessionFor("pdf-retry"));
  ASSERT_TRUE(session) << session.error().ToString();
  h->Advance(session->session_id, "Declined");
  for (int i = 0; i < 4; ++i) {
    auto pdf = GenerateSessionPdf(*h->didit, session->session_id);
    ASSERT_TRUE(pdf) << pdf.error().ToString();
  }
  EXPECT_GT(h->Stats()["faults"]["error_503"].get<int>(), 0);
}

TEST(BatchDeleteClient, DeletesAndRefusesBadInputBeforeSending) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  auto a = h->didit->CreateSession(SessionFor("batch-a"));
  auto b = h->didit->CreateSession(SessionFor("batch-b"));
  ASSERT_TRUE(a && b);
  BatchDeleteRequest request;
  request.session_numbers = {std::to_string(NumberOf(*h->didit, a->session_id)), "424242"};
  auto deleted = BatchDeleteSessions(*h->didit, request, {.op_id = "batch-1"});
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  EXPECT_EQ(deleted->http_status, 204);
  EXPECT_FALSE(h->didit->GetDecision(a->session_id));
  EXPECT_TRUE(h->didit->GetDecision(b->session_id));
  BatchDeleteRequest empty;
  EXPECT_EQ(BatchDeleteSessions(*h->didit, empty).error().error.code(),
            ErrorCode::kInvalidArgument);
  BatchDeleteRequest letters;
  letters.session_numbers = {"12a"};
  EXPECT_EQ(BatchDeleteSessions(*h->didit, letters).error().error.code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(h->Stats()["executions"]["batch_delete_sessions"], 1);
}

TEST(BatchDeleteClient, AmbiguousAttemptsAreSentAgain) {
  SandboxOptions sandbox;
  sandbox.faults = "drop_after=0.5@writes";
  sandbox.seed = 5;
  auto h = MakeHarness(sandbox, [](DiditClientOptions& o) {
    o.client.retry = std::make_shared<LimitedAttemptsRetryPolicy>(40, std::chrono::seconds(60));
    AddDiditReconcilers(o.client);
    SetAttemptTimeout(o.client, std::chrono::milliseconds(1000));
  });
  ASSERT_TRUE(h);
  int resent = 0;
  for (int i = 0; i < 6; ++i) {
    const std::string id = "bd-" + std::to_string(i);
    // The session, made exactly once under the same faults (its look-up).
    auto session = h->didit->CreateSession(SessionFor(id), {.op_id = "create-" + id});
    ASSERT_TRUE(session) << session.error().ToString();
    BatchDeleteRequest request;
    request.session_numbers = {std::to_string(NumberOf(*h->didit, session->session_id))};
    auto deleted = BatchDeleteSessions(*h->didit, request, {.op_id = id});
    ASSERT_TRUE(deleted) << id << ": " << deleted.error().ToString();
    auto op = h->didit->client().Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded);
    if ((*op)->attempts > 1) ++resent;
    EXPECT_FALSE(h->didit->GetDecision(session->session_id)) << id;
  }
  EXPECT_GT(resent, 0) << "the faults never hit a batch delete";
  const auto stats = h->Stats();
  EXPECT_EQ(stats["executions"]["batch_delete_sessions"], 6) << stats.dump();
  EXPECT_EQ(stats["duplicate_executions"], 0);
  EXPECT_EQ(stats["sessions_live"], 0);
}

TEST(OtpClient, PhoneAndEmailHappyPaths) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  PhoneSendRequest send;
  send.phone_number = "+34600000011";
  send.vendor_data = "otp-user";
  send.preferred_channel = "sms";
  auto sent = SendPhoneCode(*h->didit, send, {.op_id = "p-send"});
  ASSERT_TRUE(sent) << sent.error().ToString();
  EXPECT_EQ(sent->status, "Success");
  PhoneCheckRequest wrong;
  wrong.phone_number = send.phone_number;
  wrong.code = "0000";
  auto failed = CheckPhoneCode(*h->didit, wrong, {.op_id = "p-wrong"});
  ASSERT_TRUE(failed) << failed.error().ToString();
  EXPECT_EQ(failed->status, "Failed");
  PhoneCheckRequest right = wrong;
  right.code = "123456";
  auto approved = CheckPhoneCode(*h->didit, right, {.op_id = "p-right"});
  ASSERT_TRUE(approved) << approved.error().ToString();
  EXPECT_EQ(approved->status, "Approved");
  EXPECT_EQ(approved->request_id, sent->request_id);
  auto op = h->didit->client().Get("p-send");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->resource_id, *sent->request_id);

  EmailSendRequest email;
  email.email = "ada@example.com";
  auto esent = SendEmailCode(*h->didit, email);
  ASSERT_TRUE(esent) << esent.error().ToString();
  EmailCheckRequest echeck;
  echeck.email = email.email;
  echeck.code = "123456";
  auto eok = CheckEmailCode(*h->didit, echeck);
  ASSERT_TRUE(eok) << eok.error().ToString();
  EXPECT_EQ(eok->status, "Approved");
  const auto stats = h->Stats();
  EXPECT_EQ(stats["executions"]["phone_send"], 1);
  EXPECT_EQ(stats["executions"]["phone_check"], 2);
  EXPECT_EQ(stats["executions"]["email_send"], 1);
  EXPECT_EQ(stats["executions"]["email_check"], 1);
}

TEST(OtpClient, BadInputIsRefusedBeforeSendingAndDiditsRefusalsAreKept) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  PhoneSendRequest bad_number;
  bad_number.phone_number = "600000011";
  EXPECT_EQ(SendPhoneCode(*h->didit, bad_number).error().error.code(), ErrorCode::kInvalidArgument);
  PhoneCheckRequest bad_code;
  bad_code.phone_number = "+34600000011";
  bad_code.code = "12";
  EXPECT_EQ(CheckPhoneCode(*h->didit, bad_code).error().error.code(), ErrorCode::kInvalidArgument);
  EmailSendRequest bad_email;
  bad_email.email = "nobody";
  EXPECT_EQ(SendEmailCode(*h->didit, bad_email).error().error.code(), ErrorCode::kInvalidArgument);
  // Didit's own 400 (a channel it does not have) reaches the caller as data.
  PhoneSendRequest channel;
  channel.phone_number = "+34600000012";
  channel.preferred_channel = "pigeon";
  auto refused = SendPhoneCode(*h->didit, channel);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().error.code(), ErrorCode::kRefused);
  ASSERT_TRUE(refused.error().api);
  EXPECT_EQ(refused.error().api->http_status, 400);
  EXPECT_FALSE(refused.error().api->field_errors.empty());
  EXPECT_EQ(h->Stats()["executions_total"], 0);
}

// Every send's answer is lost after the sandbox executed it: the first
// ambiguous send is sent once more (Didit answers Retry, nothing new
// starts), the second stops for review: one verification, never a third send.
TEST(OtpClient, ASendLostTwiceIsSentOnceMoreThenStoppedForReview) {
  SandboxOptions sandbox;
  sandbox.faults = "drop_after=1@writes";
  auto h = MakeHarness(sandbox, [](DiditClientOptions& o) {
    AddDiditReconcilers(o.client);
    SetAttemptTimeout(o.client, std::chrono::milliseconds(1000));
  });
  ASSERT_TRUE(h);
  PhoneSendRequest send;
  send.phone_number = "+34600000021";
  send.vendor_data = "lost-twice";
  auto sent = SendPhoneCode(*h->didit, send, {.op_id = "lost-send"});
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().error.code(), ErrorCode::kUnknownOutcome) << sent.error().ToString();
  auto op = h->didit->client().Get("lost-send");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->state, OpState::kUnknown);
  EXPECT_TRUE((*op)->needs_review);
  EXPECT_EQ((*op)->attempts, 2);
  const auto stats = h->Stats();
  EXPECT_EQ(stats["executions"]["phone_send"], 1) << stats.dump();
  EXPECT_EQ(stats["sessions_total"], 1);
}

// Answers lost at random after execution: every send and check op still
// settles with one verification and one approving check per address. (E-mail:
// on a phone number each lost answer also costs one of the 4 attempts per
// hour that Didit's anti-abuse allows, so a run this lossy would end in 429s.)
TEST(OtpClient, AmbiguousSendsAndChecksSettleWithOneExecutionEach) {
  SandboxOptions sandbox;
  sandbox.faults = "drop_after=0.3@writes";
  sandbox.seed = 7;
  auto h = MakeHarness(sandbox, [](DiditClientOptions& o) {
    o.client.retry = std::make_shared<LimitedAttemptsRetryPolicy>(40, std::chrono::seconds(60));
    AddDiditReconcilers(o.client);
    SetAttemptTimeout(o.client, std::chrono::milliseconds(1000));
  });
  ASSERT_TRUE(h);
  int resent = 0;
  int reviewed = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string n = std::to_string(i);
    EmailSendRequest send;
    send.email = "user" + n + "@example.com";
    send.vendor_data = "amb-" + n;
    auto sent = SendEmailCode(*h->didit, send, {.op_id = "send-" + n});
    auto send_op = h->didit->client().Get("send-" + n);
    ASSERT_TRUE(send_op && *send_op);
    if (!sent) {
      // Both sends lost: the profile's answer is a person's review.
      EXPECT_TRUE((*send_op)->needs_review) << sent.error().ToString();
      ++reviewed;
    } else {
      EXPECT_TRUE(sent->status == "Success" || sent->status == "Retry") << *sent->status;
      if ((*send_op)->attempts > 1) ++resent;
    }
    EmailCheckRequest check;
    check.email = send.email;
    check.code = "123456";
    auto checked = CheckEmailCode(*h->didit, check, {.op_id = "check-" + n});
    ASSERT_TRUE(checked) << checked.error().ToString();
    EXPECT_EQ(checked->status, "Approved");
  }
  EXPECT_GT(resent + reviewed, 0) << "the faults never hit a send";
  std::map<std::string, int> sends;
  std::map<std::string, int> checks;
  const auto executions = nlohmann::json::parse(h->sandbox->ExecutionsJson());
  for (const auto& e : executions["executions"]) {
    if (e["kind"] == "email_send") ++sends[e["vendor_data"].get<std::string>()];
    if (e["kind"] == "email_check") ++checks[e["vendor_data"].get<std::string>()];
  }
  for (int i = 0; i < 8; ++i) {
    const std::string v = "amb-" + std::to_string(i);
    EXPECT_EQ(sends[v], 1) << v;
    EXPECT_EQ(checks[v], 1) << v;
  }
  EXPECT_EQ(h->Stats()["duplicate_executions"], 0);
}

}  // namespace
}  // namespace idem::didit
