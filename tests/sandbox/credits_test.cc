// SandboxOptions::credits: Didit's refusals for want of credits (fact sheet
// Correction 6, section 1, OAS): billed standalone checks 403 {"error"},
// session create 400 {"detail"}, phone send before the first top-up 403
// {"detail"}. Nothing executes, nothing is saved, no key is bound.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "sandbox_harness.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

constexpr char kCheckCredits[] = "You don't have enough credits to perform this request...";

std::unique_ptr<Harness> WithCredits(SandboxCredits credits) {
  SandboxOptions options;
  options.credits = credits;
  return std::make_unique<Harness>(options);
}

TEST(Credits, NamesRoundTrip) {
  for (SandboxCredits c :
       {SandboxCredits::kPlenty, SandboxCredits::kNone, SandboxCredits::kNoTopUp}) {
    auto parsed = ParseSandboxCredits(SandboxCreditsName(c));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, c);
  }
  EXPECT_FALSE(ParseSandboxCredits("some"));
}

TEST(Credits, NoneRefusesBilledCallsAndRunsNothing) {
  auto owned = WithCredits(SandboxCredits::kNone);
  Harness& h = *owned;
  auto create = h.Post("/v3/session/", CreateBody("cr-1"));
  ASSERT_TRUE(create);
  EXPECT_EQ(create->status, 400);
  EXPECT_EQ(Json(create)["detail"], "You don't have enough credits...");
  const std::pair<const char*, json> json_checks[] = {
      {"/v3/aml/", {{"full_name", "Ana Example"}, {"vendor_data", "cr-1"}}},
      {"/v3/database-validation/", {{"issuing_state", "ESP"}, {"vendor_data", "cr-1"}}},
      {"/v3/phone/send/", {{"phone_number", "+34600000009"}, {"vendor_data", "cr-1"}}},
      {"/v3/email/send/", {{"email", "a@example.com"}, {"vendor_data", "cr-1"}}},
  };
  for (const auto& [path, body] : json_checks) {
    auto r = h.Post(path, body.dump());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << path;
    EXPECT_EQ(Json(r), json({{"error", kCheckCredits}})) << path;
  }
  for (const char* path : {"/v3/passive-liveness/", "/v3/face-match/", "/v3/id-verification/",
                           "/v3/poa/", "/v3/face-search/", "/v3/age-estimation/"}) {
    auto r = SendForm(h, path, {{"user_image", "img"}, {"ref_image", "img2"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << path;
    EXPECT_EQ(Json(r)["error"], kCheckCredits) << path;
  }
  EXPECT_EQ(h.Stats()["executions_total"], 0);
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?session_type=ALL"))["count"], 0);
  // Free calls still run: reads, OTP checks.
  EXPECT_EQ(h.Send("GET", "/v3/sessions/")->status, 200);
  EXPECT_EQ(
      Json(h.Post("/v3/phone/check/",
                  json{{"phone_number", "+34600000009"}, {"code", "123456"}}.dump()))["status"],
      "Expired or Not Found");
}

TEST(Credits, AnAmlKeyIsNotBoundToTheRefusal) {
  auto owned = WithCredits(SandboxCredits::kNone);
  Harness& h = *owned;
  const std::string body = json{{"full_name", "Ana Example"}}.dump();
  EXPECT_EQ(h.Post("/v3/aml/", body, "credits-key")->status, 403);
  EXPECT_EQ(h.Post("/v3/aml/", body, "credits-key")->status, 403);
  EXPECT_EQ(h.Stats()["replays"], 0);
  EXPECT_EQ(h.Stats()["stored_keys"], 0);
}

TEST(Credits, NoTopUpDisablesPhoneVerification) {
  auto owned = WithCredits(SandboxCredits::kNoTopUp);
  Harness& h = *owned;
  auto r = h.Post("/v3/phone/send/", json{{"phone_number", "+34600000010"}}.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Json(r)["detail"],
            "To protect against abuse, phone verification is disabled until your first top-up.");
  EXPECT_EQ(h.Post("/v3/email/send/", json{{"email", "a@example.com"}}.dump())->status, 403);
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("cr-2"))->status, 400);
  EXPECT_EQ(h.Stats()["executions_total"], 0);
}

TEST(Credits, PlentyIsTheDefault) {
  Harness h;
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("cr-3"))->status, 201);
  EXPECT_EQ(h.Post("/v3/aml/", json{{"full_name", "Ana Example"}}.dump())->status, 200);
}

}  // namespace
}  // namespace idem::sandbox::testing
