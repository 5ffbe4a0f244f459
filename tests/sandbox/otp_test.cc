// Phone and e-mail verification in the sandbox (issue 14): Didit's OTP rules
// on a fake clock (5-min window, Retry with the same request_id, 3 attempts,
// 4 phone attempts per hour), the saved session, the counts and 400s.
#include <gtest/gtest.h>

#include <string>

#include "sandbox_harness.h"
#include "testing/fake_clock.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;
using std::chrono::minutes;

struct OtpHarness {
  std::shared_ptr<idem::testing::FakeClock> clock = std::make_shared<idem::testing::FakeClock>();
  std::unique_ptr<Harness> h;
  OtpHarness() {
    SandboxOptions options;
    options.clock = clock;
    h = std::make_unique<Harness>(options);
  }
  Result<HttpResponse> Phone(const char* action, json body) {
    return h->Post(std::string("/v3/phone/") + action + "/", body.dump());
  }
  Result<HttpResponse> Email(const char* action, json body) {
    return h->Post(std::string("/v3/email/") + action + "/", body.dump());
  }
};

constexpr char kNumber[] = "+34600000001";

TEST(PhoneOtp, SendThenCheckApprovesAndIsSaved) {
  OtpHarness t;
  auto sent = t.Phone("send", {{"phone_number", kNumber},
                               {"vendor_data", "user-p"},
                               {"metadata", {{"k", 1}}},
                               {"options", {{"code_size", 6}, {"preferred_channel", "sms"}}}});
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->status, 200) << sent->body;
  json s = Json(sent);
  EXPECT_EQ(s["status"], "Success");
  EXPECT_EQ(s["vendor_data"], "user-p");
  EXPECT_EQ(s["metadata"]["k"], 1);
  const std::string request_id = s["request_id"];
  auto checked = Json(t.Phone("check", {{"phone_number", kNumber}, {"code", "123456"}}));
  EXPECT_EQ(checked["status"], "Approved") << checked.dump();
  EXPECT_EQ(checked["request_id"], request_id);
  EXPECT_EQ(checked["phone"]["status"], "Approved");
  EXPECT_EQ(checked["vendor_data"], "user-p");
  // The verification is a saved API session, listed by api_service.
  auto decision = Json(t.h->Send("GET", "/v3/session/" + request_id + "/decision/"));
  EXPECT_EQ(decision["status"], "Approved");
  EXPECT_EQ(decision["features"], json::array({"PHONE"}));
  EXPECT_EQ(decision["phone_verifications"][0]["status"], "Approved");
  auto listed =
      Json(t.h->Send("GET", "/v3/sessions/?api_service=PHONE_VERIFICATION&vendor_data=user-p"));
  EXPECT_EQ(listed["count"], 1);
  // Counted with vendor_data: one send (billed) and one check.
  json stats = t.h->Stats();
  EXPECT_EQ(stats["executions"]["phone_send"], 1);
  EXPECT_EQ(stats["executions"]["phone_check"], 1);
  json executions = t.h->Executions()["executions"];
  ASSERT_EQ(executions.size(), 2u);
  EXPECT_EQ(executions[0]["kind"], "phone_send");
  EXPECT_EQ(executions[0]["vendor_data"], "user-p");
  EXPECT_EQ(executions[1]["kind"], "phone_check");
  EXPECT_EQ(executions[1]["vendor_data"], "user-p");
  // The repeat of the approving check (a lost answer re-sent): the same
  // answer, no execution.
  auto again = Json(t.Phone("check", {{"phone_number", kNumber}, {"code", "123456"}}));
  EXPECT_EQ(again["status"], "Approved");
  EXPECT_EQ(again["request_id"], request_id);
  EXPECT_EQ(t.h->Stats()["executions"]["phone_check"], 1);
}

TEST(PhoneOtp, SecondSendIsRetryWithTheSameRequestIdThirdStartsAnew) {
  OtpHarness t;
  const json send = {{"phone_number", kNumber}};
  const std::string first = Json(t.Phone("send", send))["request_id"];
  t.clock->Advance(minutes(1));
  json retry = Json(t.Phone("send", send));
  EXPECT_EQ(retry["status"], "Retry");
  EXPECT_EQ(retry["request_id"], first);
  json third = Json(t.Phone("send", send));
  EXPECT_EQ(third["status"], "Success");
  EXPECT_NE(third["request_id"], first);
  EXPECT_EQ(t.h->Stats()["executions"]["phone_send"], 2);  // Retry is no new verification
}

TEST(PhoneOtp, TheWindowIsFiveMinutesFromTheFirstSend) {
  OtpHarness t;
  const json send = {{"phone_number", kNumber}};
  t.Phone("send", send);
  t.clock->Advance(minutes(4));
  EXPECT_EQ(Json(t.Phone("send", send))["status"], "Retry");  // does not extend the window
  t.clock->Advance(minutes(1));
  auto late = Json(t.Phone("check", {{"phone_number", kNumber}, {"code", "123456"}}));
  EXPECT_EQ(late["status"], "Expired or Not Found");
  EXPECT_FALSE(late.contains("phone"));
  auto none = Json(t.Phone("check", {{"phone_number", "+34600000009"}, {"code", "123456"}}));
  EXPECT_EQ(none["status"], "Expired or Not Found");
  EXPECT_EQ(t.h->Stats()["executions"]["phone_check"], 0);
}

TEST(EmailOtp, ThreeWrongCodesDecline) {
  OtpHarness t;
  const std::string id = Json(
      t.Email("send", {{"email", "Ada@Example.com"}, {"vendor_data", "user-e"}}))["request_id"];
  for (int left = 2; left >= 1; --left) {
    json failed = Json(t.Email("check", {{"email", "ada@example.com"}, {"code", "000000"}}));
    EXPECT_EQ(failed["status"], "Failed");
    EXPECT_NE(failed["request_id"], id);  // throwaway
    EXPECT_TRUE(failed["email"].is_null());
    EXPECT_NE(failed["message"].get<std::string>().find(std::to_string(left) + " attempt"),
              std::string::npos);
  }
  json declined = Json(t.Email("check", {{"email", "ada@example.com"}, {"code", "000000"}}));
  EXPECT_EQ(declined["status"], "Declined");
  EXPECT_EQ(declined["request_id"], id);
  EXPECT_EQ(declined["email"]["warnings"][0], "EMAIL_CODE_ATTEMPTS_EXCEEDED");
  // The right code is too late now.
  EXPECT_EQ(Json(t.Email("check", {{"email", "ada@example.com"}, {"code", "123456"}}))["status"],
            "Expired or Not Found");
  EXPECT_EQ(Json(t.h->Send("GET", "/v3/session/" + id + "/decision/"))["status"], "Declined");
  EXPECT_EQ(t.h->Stats()["executions"]["email_check"], 3);
  EXPECT_EQ(t.h->Stats()["executions"]["email_send"], 1);
}

TEST(PhoneOtp, FourAttemptsPerNumberPerHour) {
  OtpHarness t;
  const json send = {{"phone_number", kNumber}};
  const json wrong = {{"phone_number", kNumber}, {"code", "0000"}};
  EXPECT_EQ(t.Phone("send", send)->status, 200);
  EXPECT_EQ(t.Phone("check", wrong)->status, 200);
  EXPECT_EQ(t.Phone("check", wrong)->status, 200);
  EXPECT_EQ(t.Phone("send", send)->status, 200);
  auto limited = t.Phone("check", wrong);
  ASSERT_EQ(limited->status, 429);
  EXPECT_NE(Json(limited)["detail"].get<std::string>().find("Only 4 authentication attempts"),
            std::string::npos);
  EXPECT_EQ(Header(limited, "X-RateLimit-Limit"), "");
  // Another number is not limited; an hour later this one is free again.
  EXPECT_EQ(t.Phone("send", {{"phone_number", "+34600000002"}})->status, 200);
  t.clock->Advance(minutes(60));
  EXPECT_EQ(t.Phone("send", send)->status, 200);
}

// Didit: phone send `Blocked` is free; e-mail send is billed on `Success`
// only. The triggers (+999..., @undeliverable.example) are the sandbox's.
TEST(Otp, BlockedAndUndeliverableSendsAreFreeAndStartNothing) {
  OtpHarness t;
  auto blocked = t.Phone("send", {{"phone_number", "+99912345678"}, {"vendor_data", "user-b"}});
  ASSERT_TRUE(blocked);
  ASSERT_EQ(blocked->status, 200) << blocked->body;
  json b = Json(blocked);
  EXPECT_EQ(b["status"], "Blocked");
  EXPECT_TRUE(b["reason"].is_string());
  EXPECT_EQ(b["vendor_data"], "user-b");
  auto undeliverable =
      t.Email("send", {{"email", "Someone@Undeliverable.Example"}, {"vendor_data", "user-u"}});
  ASSERT_EQ(undeliverable->status, 200) << undeliverable->body;
  json u = Json(undeliverable);
  EXPECT_EQ(u["status"], "Undeliverable");
  EXPECT_TRUE(u["reason"].is_string());
  // Nothing executed, nothing saved, nothing to check.
  EXPECT_EQ(t.h->Stats()["executions_total"], 0);
  EXPECT_EQ(Json(t.h->Send("GET", "/v3/sessions/?vendor_data=user-b"))["count"], 0);
  EXPECT_EQ(Json(t.h->Send("GET", "/v3/sessions/?vendor_data=user-u"))["count"], 0);
  EXPECT_EQ(
      Json(t.Phone("check", {{"phone_number", "+99912345678"}, {"code", "123456"}}))["status"],
      "Expired or Not Found");
  // A second send is the same refusal, not a Retry.
  EXPECT_EQ(Json(t.Phone("send", {{"phone_number", "+99912345678"}}))["status"], "Blocked");
  // Other numbers and addresses are untouched.
  EXPECT_EQ(Json(t.Phone("send", {{"phone_number", "+34699999999"}}))["status"], "Success");
  EXPECT_EQ(Json(t.Email("send", {{"email", "a@deliverable.example"}}))["status"], "Success");
  EXPECT_EQ(t.h->Stats()["executions_total"], 2);
}

TEST(Otp, BadBodiesAre400AndConsumeNothing) {
  OtpHarness t;
  const std::pair<const char*, json> phone_sends[] = {
      {"phone_number", json::object()},
      {"phone_number", {{"phone_number", "600000001"}}},
      {"phone_number", {{"phone_number", 34600000001}}},
      {"options", {{"phone_number", kNumber}, {"options", {{"code_size", 12}}}}},
      {"options", {{"phone_number", kNumber}, {"options", {{"preferred_channel", "pigeon"}}}}},
      {"options", {{"phone_number", kNumber}, {"options", "sms"}}},
      {"metadata", {{"phone_number", kNumber}, {"metadata", "x"}}},
      {"signals", {{"phone_number", kNumber}, {"signals", 3}}},
      {"vendor_data", {{"phone_number", kNumber}, {"vendor_data", 3}}},
  };
  for (const auto& [field, body] : phone_sends) {
    auto r = t.Phone("send", body);
    ASSERT_EQ(r->status, 400) << body.dump();
    EXPECT_TRUE(Json(r).contains(field)) << r->body;
  }
  const std::pair<const char*, json> phone_checks[] = {
      {"code", {{"phone_number", kNumber}}},
      {"code", {{"phone_number", kNumber}, {"code", "12"}}},
      {"code", {{"phone_number", kNumber}, {"code", "12ab56"}}},
      {"code", {{"phone_number", kNumber}, {"code", 123456}}},
      {"voip_number_action",
       {{"phone_number", kNumber}, {"code", "1234"}, {"voip_number_action", "X"}}},
  };
  for (const auto& [field, body] : phone_checks) {
    auto r = t.Phone("check", body);
    ASSERT_EQ(r->status, 400) << body.dump();
    EXPECT_TRUE(Json(r).contains(field)) << r->body;
  }
  EXPECT_EQ(t.Email("send", {{"email", "nobody"}})->status, 400);
  EXPECT_EQ(t.Email("check", {{"email", "a@b.co"}, {"code", "123456789"}})->status, 400);
  EXPECT_EQ(t.h->Post("/v3/phone/send/", "{not json")->status, 400);
  EXPECT_EQ(t.h->Post("/v3/email/check/", "[]")->status, 400);
  EXPECT_EQ(t.h->Send("GET", "/v3/phone/send/")->status, 405);
  // Nothing counted against the number: four attempts still pass.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(t.Phone("send", {{"phone_number", kNumber}})->status, 200);
    EXPECT_EQ(t.Phone("check", {{"phone_number", kNumber}, {"code", "0000"}})->status, 200);
  }
  EXPECT_EQ(t.h->Stats()["executions"]["phone_send"], 1);  // the second send is a Retry
  EXPECT_EQ(t.h->Stats()["executions"]["phone_check"], 2);
  EXPECT_EQ(t.h->Stats()["sessions_total"], 1);
}

}  // namespace
}  // namespace idem::sandbox::testing
