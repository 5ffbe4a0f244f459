#include "common/json_depth.h"

#include <gtest/gtest.h>

#include <string>

namespace idem {
namespace {

TEST(JsonNestingWithinTest, CountsBracketsOutsideStringsOnly) {
  EXPECT_TRUE(JsonNestingWithin(R"({"a":[1,{"b":2}]})", 3));
  EXPECT_FALSE(JsonNestingWithin(R"({"a":[1,{"b":2}]})", 2));
  // Brackets inside strings, escaped quotes included, do not count.
  EXPECT_TRUE(JsonNestingWithin(R"({"a":"[[[[\"{{{{"})", 1));
}

TEST(JsonNestingWithinTest, RefusesHostileDepthWithoutRecursing) {
  std::string hostile(1'000'000, '[');
  EXPECT_FALSE(JsonNestingWithin(hostile, 64));
  EXPECT_TRUE(JsonNestingWithin(std::string(64, '['), 64));
}

}  // namespace
}  // namespace idem
