// Didit's documented failure answers, as the sandbox now gives them, through
// the typed client and its journal: what each op ends as, whether it was
// re-sent, and that Didit's own words reach the caller.
//   - database validation's 502 with validation_errors (no service answered,
//     not billed): failed at once, never retried or looked up (its profile
//     row's definite error; a look-up would find the `Not Finished` record);
//   - no credits: a billed check's 403 {"error"} and the phone send's 403
//     before the first top-up stop the op unknown (not for review) as every
//     401/403 does (docs/client.md "Configuration is not an outcome": never
//     executed, re-driven once the account is fixed), sent once; a session
//     create's 400 {"detail"} is a refusal: failed;
//   - phone `Blocked` and e-mail `Undeliverable`: answers (200), so the op
//     succeeded and the caller reads the status; nothing billed.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "didit/sandbox_fixture.h"
#include "idem/didit/otp.h"

namespace idem::didit {
namespace {

using testing::MakeHarness;

// drop_after=0.5@writes with this seed: the first write is dropped, the
// second is not.
constexpr std::uint64_t kLostFirstWriteSeed = 8;

Operation Stored(testing::Harness& h, const std::string& op_id) {
  auto op = h.didit->client().Get(op_id);
  EXPECT_TRUE(op && *op) << op_id;
  return op && *op ? **op : Operation{};
}

TEST(FailureAnswers, DatabaseValidationsFiveOhTwoIsFinalNotRetriedNorLookedUp) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  DatabaseValidationRequest r;
  r.issuing_state = "ESP";
  r.identification_number = "NOSERVICE-1";
  r.vendor_data = "dbv-502";
  auto answer = h->didit->DatabaseValidation(r, {.op_id = "dbv-502"});
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().error.code(), ErrorCode::kRefused) << answer.error().ToString();
  ASSERT_TRUE(answer.error().api);
  EXPECT_EQ(answer.error().api->http_status, 502);
  EXPECT_NE(answer.error().api->raw_body.find("validation_errors"), std::string::npos);
  const Operation op = Stored(*h, "dbv-502");
  EXPECT_EQ(op.state, OpState::kFailed);
  EXPECT_EQ(op.attempts, 1);
  EXPECT_FALSE(op.needs_review);
  const nlohmann::json stats = h->Stats();
  EXPECT_EQ(stats["requests"], 1) << "no retry, no look-up";
  EXPECT_EQ(stats["executions_total"], 0);
}

// The same 502 with its answer lost: the look-up finds the `Not Finished`
// record Didit saves beside it, which is no check result (nothing was
// billed). The op is sent again, and the second answer, the 502, ends it
// `failed`. Before, the look-up took that record for the check: `succeeded`
// with an empty result. The seed drops the first write and not the second
// (asserted, so a change in the sandbox's draws shows as such).
TEST(FailureAnswers, ALostFiveOhTwoIsNotTakenForTheCheck) {
  SandboxOptions sandbox;
  sandbox.faults = "drop_after=0.5@writes";
  sandbox.seed = kLostFirstWriteSeed;
  auto h = MakeHarness(sandbox, [](DiditClientOptions& o) {
    // The sandbox answers in milliseconds: a look-up that finds nothing is
    // trusted after 300 ms, not Didit's 30 s. SetAttemptTimeout adjusts the
    // registered profiles, so they are registered first.
    AddDiditReconcilers(o.client, o.reconciler);
    SetAttemptTimeout(o.client, std::chrono::milliseconds(300));
  });
  ASSERT_TRUE(h);
  DatabaseValidationRequest r;
  r.issuing_state = "ESP";
  r.identification_number = "NOSERVICE-2";
  r.vendor_data = "dbv-502-lost";
  auto answer = h->didit->DatabaseValidation(r, {.op_id = "dbv-502-lost"});
  const nlohmann::json stats = h->Stats();
  ASSERT_EQ(stats["faults"].value("drop_after", 0), 1) << stats.dump();
  ASSERT_FALSE(answer) << "a 502 taken for a check result";
  ASSERT_TRUE(answer.error().api) << answer.error().ToString();
  EXPECT_EQ(answer.error().api->http_status, 502);
  const Operation op = Stored(*h, "dbv-502-lost");
  EXPECT_EQ(op.state, OpState::kFailed);
  EXPECT_EQ(op.attempts, 2);
  EXPECT_EQ(stats["executions_total"], 0);
}

TEST(FailureAnswers, NoCreditsStopsEveryBilledCallAfterOneSendWithDiditsWords) {
  SandboxOptions options;
  options.credits = SandboxCredits::kNone;
  auto h = MakeHarness(options);
  ASSERT_TRUE(h);
  AmlRequest aml;
  aml.full_name = "Ana Example";
  aml.vendor_data = "cr-aml";
  auto screened = h->didit->AmlScreening(aml, {.op_id = "cr-aml"});
  ASSERT_FALSE(screened);
  EXPECT_EQ(screened.error().error.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(screened.error().ToString().find("You don't have enough credits"), std::string::npos)
      << screened.error().ToString();
  Operation op = Stored(*h, "cr-aml");
  EXPECT_EQ(op.state, OpState::kUnknown);
  EXPECT_FALSE(op.needs_review) << "nothing executed: no one needs to look";
  EXPECT_EQ(op.attempts, 1);
  EXPECT_EQ(op.first_sent_ms, 0) << "stored as never sent";

  auto created = h->didit->CreateSession(testing::SessionFor("cr-create"), {.op_id = "cr-create"});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().error.code(), ErrorCode::kRefused);
  EXPECT_NE(created.error().ToString().find("You don't have enough credits"), std::string::npos)
      << created.error().ToString();
  op = Stored(*h, "cr-create");
  EXPECT_EQ(op.state, OpState::kFailed);
  EXPECT_EQ(op.attempts, 1);

  const nlohmann::json stats = h->Stats();
  EXPECT_EQ(stats["requests"], 2) << "each sent once, nothing looked up";
  EXPECT_EQ(stats["executions_total"], 0);
}

TEST(FailureAnswers, PhoneBeforeTheFirstTopUpIsRefusedOnce) {
  SandboxOptions options;
  options.credits = SandboxCredits::kNoTopUp;
  auto h = MakeHarness(options);
  ASSERT_TRUE(h);
  PhoneSendRequest send;
  send.phone_number = "+34600000011";
  auto sent = SendPhoneCode(*h->didit, send, {.op_id = "cr-phone"});
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().error.code(), ErrorCode::kPermissionDenied);
  EXPECT_NE(sent.error().ToString().find("disabled until your first top-up"), std::string::npos)
      << sent.error().ToString();
  const Operation op = Stored(*h, "cr-phone");
  EXPECT_EQ(op.state, OpState::kUnknown);
  EXPECT_EQ(op.attempts, 1);
  EXPECT_EQ(h->Stats()["requests"], 1);
  EXPECT_EQ(h->Stats()["executions_total"], 0);
}

TEST(FailureAnswers, BlockedAndUndeliverableSendsAreAnswersNotBilled) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  PhoneSendRequest phone;
  phone.phone_number = "+99912345678";
  auto blocked = SendPhoneCode(*h->didit, phone, {.op_id = "blocked"});
  ASSERT_TRUE(blocked) << blocked.error().ToString();
  EXPECT_EQ(blocked->status, "Blocked");
  EmailSendRequest email;
  email.email = "someone@undeliverable.example";
  auto undeliverable = SendEmailCode(*h->didit, email, {.op_id = "undeliverable"});
  ASSERT_TRUE(undeliverable) << undeliverable.error().ToString();
  EXPECT_EQ(undeliverable->status, "Undeliverable");
  EXPECT_EQ(Stored(*h, "blocked").state, OpState::kSucceeded);
  EXPECT_EQ(h->Stats()["executions_total"], 0);
}

}  // namespace
}  // namespace idem::didit
