// WriteFileAtomically and CheckCanWriteFile: the report file appears whole
// or not at all, and a path that cannot be written is an error value.
#include "report/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "testing/temp_dir.h"

namespace idem {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  std::string Read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::size_t Entries() {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_.path()), {}));
  }
  testing::TempDir dir_{"idem-atomic"};
};

TEST_F(AtomicFileTest, WritesAndReplacesLeavingNoTemporaryFile) {
  const fs::path path = dir_ / "report.html";
  ASSERT_TRUE(WriteFileAtomically(path.string(), "first"));
  EXPECT_EQ(Read(path), "first");
  ASSERT_TRUE(WriteFileAtomically(path.string(), std::string(100000, 'x')));
  EXPECT_EQ(Read(path), std::string(100000, 'x'));
  EXPECT_EQ(Entries(), 1u) << "no .tmp file left beside it";
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

// Piece by piece (a PDF as it arrives): nothing at the path until Commit;
// Truncate starts over (a GET retried mid-body); a writer dropped without
// Commit leaves the old file and no temporary.
TEST_F(AtomicFileTest, AWriterAppearsWholeOnCommitAndNotAtAllWithout) {
  const fs::path path = dir_ / "session.pdf";
  ASSERT_TRUE(WriteFileAtomically(path.string(), "old"));
  {
    auto writer = AtomicFileWriter::Open(path.string(), 0600);
    ASSERT_TRUE(writer) << writer.error().ToString();
    ASSERT_TRUE((*writer)->Append("half of a first attempt"));
    EXPECT_EQ(Read(path), "old");
  }
  EXPECT_EQ(Read(path), "old");
  EXPECT_EQ(Entries(), 1u) << "the uncommitted temporary is removed";

  auto writer = AtomicFileWriter::Open(path.string(), 0600);
  ASSERT_TRUE(writer) << writer.error().ToString();
  ASSERT_TRUE((*writer)->Append("half of a first attempt"));
  ASSERT_TRUE((*writer)->Truncate());
  ASSERT_TRUE((*writer)->Append("%PDF-"));
  ASSERT_TRUE((*writer)->Append("1.7 whole"));
  EXPECT_EQ((*writer)->size(), 14u);
  EXPECT_EQ(Read(path), "old");
  ASSERT_TRUE((*writer)->Commit());
  EXPECT_EQ(Read(path), "%PDF-1.7 whole");
  EXPECT_EQ(Entries(), 1u);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE((*writer)->Commit());
  EXPECT_FALSE((*writer)->Append("more"));
  EXPECT_FALSE(AtomicFileWriter::Open(dir_.path().string(), 0600)) << "a directory";
}

TEST_F(AtomicFileTest, AMissingDirectoryOrADirectoryIsAnIoError) {
  const std::string missing = (dir_ / "no-such-dir" / "r.html").string();
  auto st = WriteFileAtomically(missing, "x");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kIo);
  EXPECT_NE(st.error().message().find(missing), std::string::npos) << st.error().message();
  ASSERT_FALSE(CheckCanWriteFile(missing));
  EXPECT_EQ(CheckCanWriteFile(missing).error().code(), ErrorCode::kIo);

  auto dir = WriteFileAtomically(dir_.string(), "x");
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code(), ErrorCode::kIo);
  EXPECT_NE(dir.error().message().find("directory"), std::string::npos);
  EXPECT_FALSE(CheckCanWriteFile(dir_.string()));
  EXPECT_FALSE(CheckCanWriteFile(""));
  // A file where a directory should be: refused even for root.
  ASSERT_TRUE(WriteFileAtomically((dir_ / "plain").string(), "x"));
  EXPECT_FALSE(CheckCanWriteFile((dir_ / "plain" / "r.html").string()));
  EXPECT_FALSE(WriteFileAtomically((dir_ / "plain" / "r.html").string(), "x"));
  fs::remove(dir_ / "plain");
  EXPECT_EQ(Entries(), 0u);
}

TEST_F(AtomicFileTest, CheckCanWriteFileLeavesNothingBehind) {
  const fs::path path = dir_ / "r.html";
  EXPECT_TRUE(CheckCanWriteFile(path.string()));
  EXPECT_EQ(Entries(), 0u);
  EXPECT_FALSE(fs::exists(path));
}

// A directory nobody may create files in, root included (tests may run as
// root, which ignores a read-only mode bit): /proc.
TEST_F(AtomicFileTest, ADirectoryThatRefusesNewFilesIsRefused) {
  EXPECT_FALSE(CheckCanWriteFile("/proc/idem-report.html"));
  EXPECT_FALSE(WriteFileAtomically("/proc/idem-report.html", "x"));
  EXPECT_FALSE(fs::exists("/proc/idem-report.html"));
}

}  // namespace
}  // namespace idem
