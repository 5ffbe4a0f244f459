// inbox_test.cc's suite against SQLite files, and what only a file has.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "idem/webhook_inbox.h"
#include "inbox_test_util.h"
#include "testing/temp_dir.h"

namespace idem {
namespace testing {

Result<std::string> InboxTargetUnderTest(const std::filesystem::path& dir) {
  return (dir / "journal.db").string();
}

}  // namespace testing

namespace {

TEST(SqliteInboxTest, OpenRefusesAFileThatIsNotADatabase) {
  testing::TempDir dir("idem-inbox-not-a-db");
  const std::string path = dir.File("not-a-db");
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(std::string(5000, 'x').c_str(), f);
    std::fclose(f);
  }
  EXPECT_FALSE(WebhookInbox::Open(path, InboxOptions{}));
}

}  // namespace
}  // namespace idem
