#include "idem/uuid.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/fake_clock.h"

namespace idem {
namespace {

TEST(UuidTest, V4HasVersionVariantAndCanonicalForm) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuidV4();
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    EXPECT_EQ(id, [&] {
      std::string lower = id;
      for (char& c : lower) c = static_cast<char>(std::tolower(c));
      return lower;
    }());
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(UuidTest, V7EncodesTimeAndSortsByIt) {
  testing::FakeClock clock;
  std::string first = NewUuidV7(clock);
  clock.Advance(std::chrono::milliseconds(5));
  std::string second = NewUuidV7(clock);
  ASSERT_TRUE(IsUuid(first));
  EXPECT_EQ(first[14], '7');
  EXPECT_LT(first, second);
  // The first 48 bits are the Unix milliseconds.
  std::string hex = first.substr(0, 8) + first.substr(9, 4);
  EXPECT_EQ(
      std::stoull(hex, nullptr, 16),
      static_cast<unsigned long long>(ToUnixMillis(clock.Now() - std::chrono::milliseconds(5))));
}

TEST(UuidTest, IsUuidRejectsNearMisses) {
  EXPECT_TRUE(IsUuid("123e4567-e89b-12d3-a456-426614174000"));
  EXPECT_TRUE(IsUuid("123E4567-E89B-12D3-A456-426614174000"));
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("123e4567e89b12d3a456426614174000"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-42661417400g"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-4266141740000"));
}

TEST(FingerprintTest, CoversMethodPathAndExactBody) {
  std::string base = RequestFingerprint("POST", "/v3/session/", R"({"a":1})");
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(base, RequestFingerprint("POST", "/v3/session/", R"({"a":1})"));
  EXPECT_NE(base, RequestFingerprint("PATCH", "/v3/session/", R"({"a":1})"));
  EXPECT_NE(base, RequestFingerprint("POST", "/v3/aml/", R"({"a":1})"));
  EXPECT_NE(base, RequestFingerprint("POST", "/v3/session/", R"({"a": 1})"));
}

TEST(FingerprintTest, FieldBoundariesCannotBeShifted) {
  EXPECT_NE(RequestFingerprint("POST", "/ab", "c"), RequestFingerprint("POST", "/a", "bc"));
}

}  // namespace
}  // namespace idem
