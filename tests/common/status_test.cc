#include "idem/status.h"

#include <gtest/gtest.h>

namespace idem {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return MakeError(ErrorCode::kInvalidArgument, "odd");
  return x / 2;
}

TEST(StatusTest, ResultCarriesValueOrError) {
  EXPECT_EQ(Half(4).value(), 2);
  auto bad = Half(3);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().ToString(), "invalid_argument: odd");
}

}  // namespace
}  // namespace idem
