// RenderDemoReportHtml on hand-built reports: charts and the figures table
// carry the report's numbers, hostile text stays text, a run without the
// naive client renders without its column.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "demo/demo.h"
#include "testing/html_scan.h"

namespace idem {
namespace {

using testing::CheckNesting;
using testing::ElementTags;
using testing::FindTags;
using testing::HtmlTag;
using testing::ScanHtml;

constexpr char kHostile[] = "<script>alert('x')</script>&";

DemoReport SampleReport() {
  DemoReport r;
  r.seed = 7;
  r.faults = "drop_after=0.1";
  r.webhook_faults = "duplicate=0.2";
  r.concurrency = 16;
  r.idem.ops = 10;
  r.idem.sessions = 6;
  r.idem.aml_checks = 4;
  r.idem.executions = 10;
  r.idem.session_executions = 6;
  r.idem.aml_executions = 4;
  r.idem.retries = 5;
  r.idem.replays = 3;
  r.idem.p50_ms = 12.25;
  r.idem.p99_ms = 987.5;
  r.idem.faults_by_kind = {{"drop_after", 4}};
  r.idem.faults_injected = 4;
  r.idem.attempts_per_op = {0, 7, 2, 1};
  r.idem.timeline.op_latency_ms = {5, 12.25, 30, 987.5};
  r.idem.timeline.op_done_ms = {10, 20, 30, 1000};
  r.idem.timeline.phases = {{"settling", 1001}, {"resuming", 1500}, {"counting", 1700}};
  r.has_naive = true;
  r.naive.ops = 10;
  r.naive.sessions = 6;
  r.naive.aml_checks = 4;
  r.naive.executions = 13;
  r.naive.session_executions = 7;
  r.naive.aml_executions = 6;
  r.naive.duplicates = 3;
  r.naive.duplicate_sessions = 1;
  r.naive.duplicate_aml = 2;
  r.naive.faults_by_kind = {{"drop_after", 5}, {"error_503", 1}};
  r.naive.attempts_per_op = {0, 6, 4};
  r.naive.timeline.op_done_ms = {1, 2, 3};
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

// The figures table's row of `key`.
std::optional<HtmlTag> Row(const std::vector<HtmlTag>& tags, const std::string& key) {
  for (const HtmlTag& tr : FindTags(ElementTags(tags, "table", "class", "figures"), "tr")) {
    if (tr.Attr("data-key") == key) return tr;
  }
  ADD_FAILURE() << "no figure " << key;
  return std::nullopt;
}

TEST(DemoHtmlReport, ChartsAndFiguresCarryTheReportsNumbers) {
  const std::string html = RenderDemoReportHtml(SampleReport());
  auto tags = Scan(html);
  auto verdict = FindTags(tags, "div", "verdict");
  ASSERT_EQ(verdict.size(), 1u);
  EXPECT_EQ(verdict[0].Attr("data-passed"), "true");
  EXPECT_EQ(verdict[0].Attr("data-seed"), "7");
  EXPECT_EQ(verdict[0].Attr("data-naive-duplicates"), "3");

  auto kinds = FindTags(tags, "g", "bars");
  ASSERT_EQ(kinds.size(), 4u);
  EXPECT_EQ(kinds[0].Attr("data-kind"), "create_session");
  EXPECT_EQ(kinds[0].Attr("data-ops"), "6");
  EXPECT_EQ(kinds[0].Attr("data-executions"), "6");
  EXPECT_EQ(kinds[0].Attr("data-naive-executions"), "7");
  EXPECT_EQ(kinds[1].Attr("data-kind"), "aml");
  EXPECT_EQ(kinds[1].Attr("data-naive-executions"), "6");
  EXPECT_EQ(kinds[1].Attr("data-naive-duplicates"), "2");

  auto phases = FindTags(tags, "line", "phase");
  ASSERT_EQ(phases.size(), 3u);
  EXPECT_EQ(phases[1].Attr("data-phase"), "resuming");
  EXPECT_EQ(phases[1].Attr("data-t-ms"), "1500");
  auto lines = FindTags(tags, "polyline", "progress");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].Attr("data-points"), "5") << "the origin and four ops";

  auto faults = FindTags(tags, "g", "fault");
  ASSERT_EQ(faults.size(), 2u) << "fault kinds of both runs";
  EXPECT_EQ(faults[1].Attr("data-fault"), "error_503");
  EXPECT_EQ(faults[1].Attr("data-idem"), "0");
  EXPECT_EQ(faults[1].Attr("data-naive"), "1");

  auto attempts = FindTags(tags, "g", "attempts");
  ASSERT_EQ(attempts.size(), 4u) << "0..3, the longer of the two";
  EXPECT_EQ(attempts[2].Attr("data-idem"), "2");
  EXPECT_EQ(attempts[2].Attr("data-naive"), "4");
  EXPECT_EQ(attempts[3].Attr("data-naive"), "0");

  auto p = FindTags(ElementTags(tags, "svg", "data-chart", "latency-idem"), "line", "percentile");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].Attr("data-ms"), "12.25");
  EXPECT_EQ(p[1].Attr("data-ms"), "987.5");

  auto p99 = Row(tags, "p99_ms");
  ASSERT_TRUE(p99.has_value());
  EXPECT_EQ(p99->Attr("data-idem"), "987.5");
  auto duplicates = Row(tags, "duplicates");
  ASSERT_TRUE(duplicates.has_value());
  EXPECT_EQ(duplicates->Attr("data-idem"), "0");
  EXPECT_EQ(duplicates->Attr("data-naive"), "3");
}

TEST(DemoHtmlReport, HostileTextStaysText) {
  DemoReport r = SampleReport();
  r.faults = kHostile;
  r.webhook_faults = std::string("\"><link rel=stylesheet href=\"https://example.com/x.css\">");
  r.idem.faults_by_kind[kHostile] = 1;
  const std::string html = RenderDemoReportHtml(r);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  auto tags = Scan(html);
  EXPECT_TRUE(FindTags(tags, "script").empty());
  EXPECT_TRUE(FindTags(tags, "link").empty());
  bool hostile_fault = false;
  for (const HtmlTag& g : FindTags(tags, "g", "fault"))
    hostile_fault |= g.Attr("data-fault") == kHostile;
  EXPECT_TRUE(hostile_fault);
}

TEST(DemoHtmlReport, WithoutTheNaiveRunThereIsNoNaiveColumn) {
  DemoReport r = SampleReport();
  r.has_naive = false;
  const std::string html = RenderDemoReportHtml(r);
  auto tags = Scan(html);
  EXPECT_EQ(FindTags(tags, "polyline", "progress").size(), 1u);
  EXPECT_TRUE(FindTags(tags, "g", "compare").empty());
  EXPECT_FALSE(FindTags(tags, "g", "bars")[0].attrs.count("data-naive-executions"));
  auto ops = Row(tags, "ops");
  ASSERT_TRUE(ops.has_value());
  EXPECT_FALSE(ops->attrs.count("data-naive"));
  EXPECT_NE(html.find("--no-naive"), std::string::npos);
}

}  // namespace
}  // namespace idem
