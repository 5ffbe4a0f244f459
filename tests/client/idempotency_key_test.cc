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

// Found by fuzz/targets/idempotency_key_fuzz.cc: the client and the sandbox
// read some values differently. Now one reader: a bare key holds no
// backslash (the sandbox took it), and a quoted key of 255 escaped
// characters (512 bytes) is a valid key (the client refused it).
TEST(IdempotencyKey, ClientAndSandboxReadEveryValueAlike) {
  EXPECT_EQ(ParseIdempotencyKey("8e08e-40d5\\u-43e8"), std::nullopt);
  std::string escaped = "\"";
  for (int i = 0; i < 255; ++i) escaped += "\\\\";
  escaped += "\"";
  EXPECT_EQ(ParseIdempotencyKey(escaped), std::string(255, '\\'));
  escaped.insert(1, "\\\\");
  EXPECT_EQ(ParseIdempotencyKey(escaped), std::nullopt) << "256 characters";
}

// A caller's quoted key that is no bare token, resumed without its header,
// is sent quoted even in the bare format: sent bare it read back as another
// key ("quote " -> "quote") or was refused ("a b").
TEST(IdempotencyKey, TheBareFormatQuotesAKeyThatIsNoToken) {
  for (std::string key : {"quote ", "a b", "a\"b", "back\\slash", " lead"}) {
    const std::string header = FormatIdempotencyKey(key, KeyFormat::kBareToken);
    EXPECT_EQ(header.front(), '"') << key;
    EXPECT_EQ(ParseIdempotencyKey(header), key) << header;
  }
  EXPECT_EQ(FormatIdempotencyKey("order-1", KeyFormat::kBareToken), "order-1");
}

}  // namespace
}  // namespace idem
