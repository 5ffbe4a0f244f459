// RenderChaosReportHtml on hand-built reports: the markers, bars and
// figures carry the report's numbers, hostile text stays text, and an empty
// run still renders.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>

#include "chaos/chaos.h"
#include "testing/html_scan.h"

namespace idem {
namespace {

using testing::CheckNesting;
using testing::ElementTags;
using testing::FindTags;
using testing::HtmlTag;
using testing::ScanHtml;

constexpr char kHostile[] = "<script>alert('x')</script>&";

ChaosReport SampleReport() {
  ChaosReport r;
  r.seed = 42;
  r.profile = "didit";
  r.journal_kind = "sqlite";
  r.ops = 21;
  r.executions = 22;
  r.duplicates = 1;
  r.succeeded = 21;
  r.kills = 2;
  r.kills_requested = 2;
  r.sandbox_restarts = 1;
  r.attempts = 27;
  r.retries = 6;
  r.attempts_per_op = {0, 16, 4, 1};
  r.faults_injected = 9;
  r.faults_by_kind = {{"drop_after", 5}, {"error_503", 4}};
  r.work_dir = kHostile;
  r.per_kind = {{.kind = "aml", .ops = 11, .executions = 12, .duplicates = 1, .succeeded = 11},
                {.kind = "face_match", .ops = 10, .executions = 10, .succeeded = 10}};
  r.timeline.drive_started_ms = 50;
  r.timeline.progress = {{50, 0}, {150, 8}, {250, 15}, {900, 21}};
  r.timeline.kills = {{.t_ms = 160, .settled = 8, .worker = 1},
                      {.t_ms = 270, .settled = 15, .worker = 3}};
  r.timeline.sandbox_restarts_ms = {180};
  r.timeline.op_latency_ms = {3, 5, 8, 1200, 40};
  r.has_naive = true;
  r.naive_per_kind = {{.kind = "aml", .ops = 11, .executions = 14, .duplicates = 3},
                      {.kind = "face_match", .ops = 10, .executions = 12, .duplicates = 2}};
  r.naive_executions = 26;
  r.naive_duplicates = 5;
  return r;
}

std::vector<HtmlTag> Scan(const std::string& html) {
  std::string error;
  auto tags = ScanHtml(html, &error);
  EXPECT_TRUE(tags.has_value()) << error;
  if (!tags) return {};
  EXPECT_EQ(CheckNesting(*tags), "");
  return *tags;
}

std::string Figure(const std::vector<HtmlTag>& tags, const std::string& key) {
  for (const HtmlTag& tr : FindTags(tags, "tr")) {
    if (tr.Attr("data-key") == key) return tr.Attr("data-value");
  }
  ADD_FAILURE() << "no figure " << key;
  return "";
}

TEST(ChaosHtmlReport, MarkersBarsAndFiguresCarryTheReportsNumbers) {
  const ChaosReport r = SampleReport();
  const std::string html = RenderChaosReportHtml(r, ChaosOptions{});
  auto tags = Scan(html);

  auto verdict = FindTags(tags, "div", "verdict");
  ASSERT_EQ(verdict.size(), 1u);
  EXPECT_EQ(verdict[0].Attr("data-passed"), "false") << "a duplicate fails the run";
  EXPECT_EQ(verdict[0].Attr("data-seed"), "42");
  EXPECT_NE(html.find("FAILED: 1 duplicates"), std::string::npos);
  EXPECT_NE(html.find("idem chaos --seed 42 --ops 21"), std::string::npos) << "replay command";

  auto kills = FindTags(tags, "line", "kill");
  ASSERT_EQ(kills.size(), 2u);
  EXPECT_EQ(kills[0].Attr("data-t-ms"), "160");
  EXPECT_EQ(kills[0].Attr("data-worker"), "1");
  EXPECT_EQ(kills[1].Attr("data-t-ms"), "270");
  EXPECT_EQ(kills[1].Attr("data-settled"), "15");
  auto restarts = FindTags(tags, "line", "restart");
  ASSERT_EQ(restarts.size(), 1u);
  EXPECT_EQ(restarts[0].Attr("data-t-ms"), "180");
  auto progress = FindTags(tags, "polyline", "progress");
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0].Attr("data-points"), "4");
  EXPECT_EQ(progress[0].Attr("data-settled-at-end"), "21");

  auto kinds = FindTags(tags, "g", "bars");
  ASSERT_EQ(kinds.size(), 2u);
  EXPECT_EQ(kinds[0].Attr("data-kind"), "aml");
  EXPECT_EQ(kinds[0].Attr("data-ops"), "11");
  EXPECT_EQ(kinds[0].Attr("data-executions"), "12");
  EXPECT_EQ(kinds[0].Attr("data-duplicates"), "1");
  EXPECT_EQ(kinds[0].Attr("data-naive-executions"), "14");
  EXPECT_EQ(kinds[1].Attr("data-naive-duplicates"), "2");

  auto faults = FindTags(tags, "g", "fault");
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_EQ(faults[0].Attr("data-fault"), "drop_after");
  EXPECT_EQ(faults[0].Attr("data-count"), "5");

  std::vector<std::string> attempt_counts;
  for (const HtmlTag& bin : FindTags(ElementTags(tags, "svg", "data-chart", "attempts"), "rect")) {
    if (bin.HasClass("bin"))
      attempt_counts.push_back(bin.Attr("data-lo") + ":" + bin.Attr("data-count"));
  }
  EXPECT_EQ(attempt_counts, (std::vector<std::string>{"0:0", "1:16", "2:4", "3:1"}));
  auto percentiles = FindTags(tags, "line", "percentile");
  ASSERT_EQ(percentiles.size(), 2u);
  EXPECT_EQ(percentiles[0].Attr("data-ms"), "8") << "nearest-rank p50 of 3 5 8 40 1200";
  EXPECT_EQ(percentiles[1].Attr("data-ms"), "1200");

  EXPECT_EQ(Figure(tags, "duplicates"), "1");
  EXPECT_EQ(Figure(tags, "retries"), "6");
  EXPECT_EQ(Figure(tags, "passed"), "false");
  EXPECT_EQ(Figure(tags, "naive.duplicates"), "5");
  EXPECT_EQ(Figure(tags, "work_dir"), kHostile);
  EXPECT_EQ(FindTags(tags, "g", "naive-bars").size(), 2u);
}

TEST(ChaosHtmlReport, HostileTextStaysText) {
  ChaosReport r = SampleReport();
  r.profile = kHostile;
  r.per_kind[0].kind = kHostile;
  r.faults_by_kind[kHostile] = 1;
  ChaosOptions o;
  o.faults = std::string("drop_after=0.1\"><img src=\"https://example.com/x.png\">") + kHostile;
  const std::string html = RenderChaosReportHtml(r, o);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  auto tags = Scan(html);
  EXPECT_TRUE(FindTags(tags, "script").empty());
  EXPECT_TRUE(FindTags(tags, "img").empty());
  EXPECT_EQ(FindTags(tags, "g", "bars")[0].Attr("data-kind"), kHostile);
  EXPECT_EQ(Figure(tags, "faults"), o.faults);
  EXPECT_EQ(Figure(tags, "profile"), kHostile);
}

// True when `text` holds "nan" or "inf" as a whole word: a NaN or an
// infinity printed where a number belongs. (A hand scan, not std::regex:
// GCC 12 under ASan warns inside libstdc++'s regex compiler.)
bool HasNonFiniteWord(const std::string& text) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (std::string_view w : {"nan", "inf"}) {
    for (std::size_t at = text.find(w); at != std::string::npos; at = text.find(w, at + 1)) {
      const std::size_t end = at + w.size();
      if ((at == 0 || !word(text[at - 1])) && (end == text.size() || !word(text[end]))) return true;
    }
  }
  return false;
}

TEST(ChaosHtmlReport, NonFiniteWordsAreFound) {
  EXPECT_TRUE(HasNonFiniteWord("x=nan"));
  EXPECT_TRUE(HasNonFiniteWord("<text>-inf</text>"));
  EXPECT_FALSE(HasNonFiniteWord("infinite banana info"));
}

TEST(ChaosHtmlReport, AnEmptyRunStillRenders) {
  ChaosReport r;
  const std::string html = RenderChaosReportHtml(r, ChaosOptions{});
  auto tags = Scan(html);
  EXPECT_EQ(FindTags(tags, "div", "verdict")[0].Attr("data-passed"), "true");
  EXPECT_TRUE(FindTags(tags, "line", "kill").empty());
  EXPECT_GE(FindTags(tags, "text", "no-data").size(), 3u) << "progress, faults, latency";
  EXPECT_FALSE(HasNonFiniteWord(html)) << "no NaN drawn";
}

}  // namespace
}  // namespace idem
