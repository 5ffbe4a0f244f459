// The progress line every long command shows on stderr (src/cli/progress.h),
// on a fake clock and into a memory stream: its text, how often it is shown
// on a terminal and elsewhere, and events between updates.
#include "cli/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace idem::cli {
namespace {

using std::chrono::milliseconds;
using Clock = ProgressLine::Clock;

class ProgressLineTest : public ::testing::Test {
 protected:
  void SetUp() override { out_ = open_memstream(&buffer_, &size_); }
  void TearDown() override {
    if (out_) std::fclose(out_);
    std::free(buffer_);
  }
  std::string Text() {
    std::fflush(out_);
    return std::string(buffer_, size_);
  }
  ProgressLine Make(bool tty) {
    ProgressLine::Options options;
    options.tty = tty;
    return ProgressLine(out_, "idem demo", "ops", options, [this] { return now_; });
  }
  static std::size_t Count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  std::FILE* out_ = nullptr;
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  Clock::time_point now_{std::chrono::seconds(1000)};
};

TEST_F(ProgressLineTest, TheLineSaysDoneTotalRateAndElapsed) {
  ProgressLine line = Make(false);
  EXPECT_EQ(line.Format(120, 600, "[idem] driving", now_ + milliseconds(2000)),
            "idem demo: 120/600 ops (20%), 60 ops/s, 2.0 s, [idem] driving");
  EXPECT_EQ(line.Format(7, -1, "", now_ + milliseconds(500)), "idem demo: 7 ops, 14 ops/s, 0.5 s");
  EXPECT_EQ(line.Format(0, 0, "", now_), "idem demo: 0/0 ops (100%), 0 ops/s, 0.0 s");
}

TEST_F(ProgressLineTest, ElsewhereALineEveryFiveSecondsAtMost) {
  ProgressLine line = Make(false);
  for (int i = 1; i <= 120; ++i) {  // 12 s of updates every 100 ms
    now_ += milliseconds(100);
    line.Update(i, 120);
  }
  const std::string text = Text();
  EXPECT_EQ(Count(text, "\n"), 2u) << text;  // at 5 s and at 10 s
  EXPECT_NE(text.find("idem demo: 50/120 ops (41%)"), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << "no terminal codes in a file";
  line.Finish();
  EXPECT_NE(Text().find("idem demo: 120/120 ops (100%)"), std::string::npos) << Text();
  line.Finish();  // once
  EXPECT_EQ(Count(Text(), "\n"), 3u);
}

TEST_F(ProgressLineTest, ARunTooShortForALineStaysQuiet) {
  ProgressLine line = Make(false);
  now_ += milliseconds(300);
  line.Update(5, 5);
  line.Finish();
  EXPECT_EQ(Text(), "");
}

TEST_F(ProgressLineTest, OnATerminalOneLineIsRedrawnInPlace) {
  ProgressLine line = Make(true);
  for (int i = 1; i <= 20; ++i) {  // 1 s of updates every 50 ms
    now_ += milliseconds(50);
    line.Update(i, 20, "driving");
  }
  std::string text = Text();
  EXPECT_EQ(Count(text, "\r\x1b[K"), 10u) << "at most one redraw per 100 ms";
  EXPECT_EQ(text.find('\n'), std::string::npos) << "one line, redrawn";
  line.Finish();
  text = Text();
  EXPECT_EQ(text.substr(text.size() - 1), "\n");
  EXPECT_NE(text.rfind("\r\x1b[Kidem demo: 20/20 ops (100%)"), std::string::npos) << text;
}

TEST_F(ProgressLineTest, AnEventIsALineOfItsOwnAndTheProgressComesBack) {
  ProgressLine line = Make(true);
  now_ += milliseconds(200);
  line.Update(3, 10);
  line.Note("SIGKILL worker 1");
  const std::string text = Text();
  // Cleared, the event on its own line, then the progress redrawn.
  EXPECT_NE(text.find("\r\x1b[Kidem demo: SIGKILL worker 1\n\r\x1b[Kidem demo: 3/10 ops"),
            std::string::npos)
      << text;

  ProgressLine plain = Make(false);
  plain.Note("seed 7");
  EXPECT_NE(Text().find("idem demo: seed 7\n"), std::string::npos);
}

}  // namespace
}  // namespace idem::cli
