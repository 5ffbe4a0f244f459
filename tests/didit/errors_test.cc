// ApiError: every shape of Didit refusal, plus empty, non-JSON and hostile bodies.
#include "idem/didit/errors.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace idem::didit {
namespace {

TEST(ApiErrorTest, DetailAndCode) {
  ApiError e =
      ParseApiError(403, R"({"detail":"Billing suspended","code":"contract_billing_suspended"})");
  EXPECT_EQ(e.kind, ApiErrorKind::kBillingSuspended);
  EXPECT_EQ(e.detail, "Billing suspended");
  EXPECT_EQ(e.code, "contract_billing_suspended");
  EXPECT_EQ(e.Summary(), "403 billing_suspended (contract_billing_suspended): Billing suspended");
}

TEST(ApiErrorTest, KindsByStatus) {
  EXPECT_EQ(ParseApiError(401, R"({"detail":"Invalid API key"})").kind,
            ApiErrorKind::kUnauthorized);
  EXPECT_EQ(ParseApiError(402, R"({"detail":"Insufficient credits"})").kind,
            ApiErrorKind::kPaymentRequired);
  EXPECT_EQ(ParseApiError(403, R"({"detail":"IP not allowed"})").kind, ApiErrorKind::kForbidden);
  EXPECT_EQ(ParseApiError(404, R"({"detail":"Not found."})").kind, ApiErrorKind::kNotFound);
  EXPECT_EQ(ParseApiError(409, "").kind, ApiErrorKind::kConflict);
  EXPECT_EQ(ParseApiError(422, "").kind, ApiErrorKind::kUnprocessable);
  EXPECT_EQ(ParseApiError(429, "").kind, ApiErrorKind::kRateLimited);
  EXPECT_EQ(ParseApiError(500, "").kind, ApiErrorKind::kServerError);
  EXPECT_EQ(ParseApiError(503, "").kind, ApiErrorKind::kServerError);
  EXPECT_EQ(ParseApiError(418, "").kind, ApiErrorKind::kOther);
  EXPECT_EQ(ParseApiError(0, "").kind, ApiErrorKind::kOther);
}

TEST(ApiErrorTest, FieldErrorsOn400) {
  ApiError e =
      ParseApiError(400, R"({"workflow_id":["This field is required."],"vendor_data":"Too long.",
              "expected_details":{"date_of_birth":["Invalid date."]},"ignored":5})");
  EXPECT_EQ(e.kind, ApiErrorKind::kBadRequest);
  ASSERT_EQ(e.field_errors.size(), 3u);
  EXPECT_EQ(e.field_errors["workflow_id"][0], "This field is required.");
  EXPECT_EQ(e.field_errors["vendor_data"][0], "Too long.");
  EXPECT_EQ(e.field_errors["expected_details.date_of_birth"][0], "Invalid date.");
  EXPECT_NE(e.Summary().find("workflow_id: This field is required."), std::string::npos);
}

TEST(ApiErrorTest, TopLevelArrayIsNonFieldErrors) {
  ApiError e = ParseApiError(400, R"(["Invalid status transition"])");
  EXPECT_EQ(e.field_errors["non_field_errors"][0], "Invalid status transition");
}

TEST(ApiErrorTest, EmptyAndNonJsonBodiesKeepTheRawBody) {
  for (std::string body :
       {std::string(""), std::string("<html>502 Bad Gateway</html>"), std::string("{\"detail\":"),
        std::string("\xff\xfe\x00", 3), std::string("null"), std::string("[1,{}]")}) {
    ApiError e = ParseApiError(500, body);
    EXPECT_EQ(e.kind, ApiErrorKind::kServerError);
    EXPECT_EQ(e.raw_body, body);
    EXPECT_TRUE(e.detail.empty());
    EXPECT_TRUE(e.code.empty());
  }
}

TEST(ApiErrorTest, WrongTypesAreIgnoredNotThrown) {
  ApiError e = ParseApiError(400, R"({"detail":{"nested":1},"code":7,"field":[1,2,null]})");
  EXPECT_TRUE(e.detail.empty());
  EXPECT_TRUE(e.code.empty());
  EXPECT_TRUE(e.field_errors.empty());
}

TEST(ApiErrorTest, HugeDetailIsCappedButRawKept) {
  std::string huge(1u << 20, 'x');
  ApiError e = ParseApiError(400, R"({"detail":")" + huge + "\"}");
  EXPECT_LT(e.detail.size(), 5000u);
  EXPECT_EQ(e.raw_body.size(), huge.size() + 13);
}

TEST(ApiErrorTest, CapNeverSplitsUtf8) {
  std::string text;
  while (text.size() < 5000) text += "\xc3\xa9";  // é
  ApiError e = ParseApiError(400, std::string(R"({"detail":"x)") + text + "\"}");
  auto dumped = nlohmann::json(e.detail).dump();  // throws on invalid UTF-8
  EXPECT_FALSE(dumped.empty());
}

TEST(ApiErrorTest, DeepAndWideBodiesAreBounded) {
  std::string deep = std::string(50000, '[') + std::string(50000, ']');
  EXPECT_TRUE(ParseApiError(400, deep).field_errors.empty());
  std::string wide = "{";
  for (int i = 0; i < 5000; ++i) wide += "\"f" + std::to_string(i) + "\":[\"m\"],";
  wide += "\"z\":[\"m\"]}";
  EXPECT_LE(ParseApiError(400, wide).field_errors.size(), 256u);
}

TEST(ApiErrorTest, RetryAfterSecondsOnly) {
  EXPECT_EQ(ParseApiError(429, "", {{"Retry-After", "7"}}).retry_after, std::chrono::seconds(7));
  EXPECT_EQ(ParseApiError(429, "", {{"retry-after", " 12 "}}).retry_after,
            std::chrono::seconds(12));
  EXPECT_FALSE(ParseApiError(429, "", {{"Retry-After", "-1"}}).retry_after);
  EXPECT_FALSE(
      ParseApiError(429, "", {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}).retry_after);
  EXPECT_FALSE(ParseApiError(429, "", {{"Retry-After", "99999999999999999999"}}).retry_after);
}

TEST(DiditErrorTest, ToStringHasApiSummaryAndOp) {
  DiditError e{Error(ErrorCode::kRefused, "refused"), ParseApiError(402, R"({"detail":"pay"})"),
               "op-1"};
  EXPECT_EQ(e.ToString(), "refused: refused [402 payment_required: pay] (op op-1)");
}

}  // namespace
}  // namespace idem::didit
