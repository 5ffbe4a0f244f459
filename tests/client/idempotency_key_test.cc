#include "idem/idempotency_key.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace idem {
namespace {

TEST(IdempotencyKey, BareAndQuotedForms) {
  const std::string key = "8e03978e-40d5-43e8-bc93-6894a57f9324";
  EXPECT_EQ(FormatIdempotencyKey(key, KeyFormat::kBareToken), key);
  EXPECT_EQ(FormatIdempotencyKey(key, KeyFormat::kQuotedString), "\"" + key + "\"");
  EXPECT_EQ(FormatIdempotencyKey("a\"b\\c", KeyFormat::kQuotedString), R"("a\"b\\c")");
}

TEST(IdempotencyKey, ParsesWhatItFormats) {
  for (std::string key : {"8e03978e-40d5-43e8-bc93-6894a57f9324", "order-1", "a\"b\\c"}) {
    EXPECT_EQ(ParseIdempotencyKey(FormatIdempotencyKey(key, KeyFormat::kQuotedString)), key);
  }
  EXPECT_EQ(ParseIdempotencyKey("  order-1 "), "order-1");
}

TEST(IdempotencyKey, RejectsMalformedAndOversized) {
  for (const std::string& bad :
       std::vector<std::string>{"", "   ", "\"\"", "\"abc", "abc\"", "\"a\\x\"", "a b", "a\"b",
                                std::string("\"a\x01\""), std::string("a\0b", 3), "\xff"}) {
    EXPECT_EQ(ParseIdempotencyKey(bad), std::nullopt) << bad;
  }
  EXPECT_TRUE(ParseIdempotencyKey(std::string(255, 'k')).has_value());
  EXPECT_EQ(ParseIdempotencyKey(std::string(256, 'k')), std::nullopt);
  EXPECT_EQ(ParseIdempotencyKey(std::string(100000, 'k')), std::nullopt);
}

}  // namespace
}  // namespace idem
