// `idem chaos --json --report FILE`: a real run (sandbox and worker
// processes, kills, a sandbox restart, the naive client), then the HTML
// file is read back and every figure it shares with the JSON report must be
// equal: kill and restart markers, per-kind executions and ops, faults,
// attempts, the verdict and the seed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testing/child_process.h"
#include "testing/html_scan.h"
#include "testing/temp_dir.h"

namespace idem {
namespace {

using testing::CheckNesting;
using testing::ElementTags;
using testing::FindTags;
using testing::HtmlTag;

namespace fs = std::filesystem;

class ChaosReportProcess : public ::testing::Test {
 protected:
  // Runs `idem chaos ARGS`; stdout to a file, returns the exit code.
  int Run(std::vector<std::string> args, std::string* out) {
    std::vector<std::string> all = {testing::IdemBin(), "chaos"};
    all.insert(all.end(), args.begin(), args.end());
    const std::string out_path = (dir_ / "stdout").string();
    const int code = testing::WaitExit(testing::SpawnChild(all, out_path, ""));
    *out = testing::ReadWholeFile(out_path);
    return code;
  }
  testing::TempDir dir_{"idem-chaos-report"};
};

// A JSON scalar as the HTML writes it.
std::string Text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

TEST_F(ChaosReportProcess, TheHtmlReportMatchesTheJsonReport) {
  const std::string report = (dir_ / "chaos.html").string();
  std::string out;
  const int code = Run({"--json", "--report", report, "--ops", "42", "--concurrency", "2",
                        "--kills", "3", "--seed", "48", "--naive", "--deadline-s", "100"},
                       &out);
  auto json = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << out;
  SCOPED_TRACE(json.dump());
  EXPECT_EQ(code, json["passed"].get<bool>() ? 0 : 5);
  ASSERT_GT(json["kills"].get<int>(), 0) << "the run must have kills to check their markers";
  ASSERT_TRUE(fs::exists(report));
  const std::string html = testing::ReadWholeFile(report);

  // One document, nothing to fetch.
  std::string error;
  auto scanned = testing::ScanHtml(html, &error);
  ASSERT_TRUE(scanned.has_value()) << error;
  const std::vector<HtmlTag>& tags = *scanned;
  EXPECT_EQ(CheckNesting(tags), "");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(FindTags(tags, "html").size(), 1u);
  EXPECT_EQ(FindTags(tags, "body").size(), 1u);
  for (const char* banned : {"http://", "https://", "url(", "@import", "<script", "<link", "<img",
                             "<iframe", "<object", "<embed"}) {
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
  }

  // Verdict and seed.
  auto verdict = FindTags(tags, "div", "verdict");
  ASSERT_EQ(verdict.size(), 1u);
  EXPECT_EQ(verdict[0].Attr("data-passed"), Text(json["passed"]));
  EXPECT_EQ(verdict[0].Attr("data-seed"), Text(json["seed"]));
  EXPECT_NE(html.find("seed " + Text(json["seed"])), std::string::npos);
  EXPECT_NE(html.find(json["passed"].get<bool>() ? "PASSED" : "FAILED"), std::string::npos);

  // A kill marker per kill, at the JSON's times; the restart too.
  auto kills = FindTags(tags, "line", "kill");
  ASSERT_EQ(kills.size(), json["kills"].get<std::size_t>());
  ASSERT_EQ(kills.size(), json["timeline"]["kills"].size());
  for (std::size_t i = 0; i < kills.size(); ++i) {
    EXPECT_EQ(kills[i].Attr("data-t-ms"), Text(json["timeline"]["kills"][i]["t_ms"]));
    EXPECT_EQ(kills[i].Attr("data-settled"), Text(json["timeline"]["kills"][i]["settled"]));
  }
  auto restarts = FindTags(tags, "line", "restart");
  ASSERT_EQ(restarts.size(), json["sandbox_restarts"].get<std::size_t>());
  ASSERT_EQ(restarts.size(), 1u);
  EXPECT_EQ(restarts[0].Attr("data-t-ms"), Text(json["timeline"]["sandbox_restarts_ms"][0]));
  auto progress = FindTags(tags, "polyline", "progress");
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_GT(std::stoi(progress[0].Attr("data-points")), 2);
  EXPECT_EQ(progress[0].Attr("data-settled-at-end"), Text(json["ops"]))
      << "every op settled by the end (or stopped for review)";

  // Per kind: executions and ops (and the naive client's) as in the JSON.
  auto kinds = FindTags(tags, "g", "bars");
  ASSERT_EQ(kinds.size(), json["per_kind"].size());
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    const auto& k = json["per_kind"][i];
    const auto& n = json["naive"]["per_kind"][i];
    EXPECT_EQ(kinds[i].Attr("data-kind"), Text(k["kind"]));
    for (const char* field : {"ops", "executions", "duplicates", "lost", "unknown"}) {
      EXPECT_EQ(kinds[i].Attr(std::string("data-") + field), Text(k[field])) << field;
    }
    EXPECT_EQ(kinds[i].Attr("data-naive-executions"), Text(n["executions"]));
    EXPECT_EQ(kinds[i].Attr("data-naive-duplicates"), Text(n["duplicates"]));
    // Exactly once, drawn: for a passed run executions = ops - unknown.
    if (json["passed"].get<bool>()) {
      EXPECT_EQ(std::stoul(kinds[i].Attr("data-executions")),
                std::stoul(kinds[i].Attr("data-ops")) - std::stoul(kinds[i].Attr("data-unknown")));
    }
  }

  // Faults by kind.
  auto faults = FindTags(tags, "g", "fault");
  ASSERT_EQ(faults.size(), json["faults_by_kind"].size());
  for (const HtmlTag& f : faults) {
    EXPECT_EQ(f.Attr("data-count"), Text(json["faults_by_kind"][f.Attr("data-fault")]));
  }

  // Attempts per op: a bin per count, as in the JSON.
  std::vector<std::string> bins;
  for (const HtmlTag& bin : FindTags(ElementTags(tags, "svg", "data-chart", "attempts"), "rect")) {
    if (bin.HasClass("bin")) bins.push_back(bin.Attr("data-count"));
  }
  std::vector<std::string> expected;
  for (const auto& n : json["attempts_per_op"]) expected.push_back(Text(n));
  EXPECT_EQ(bins, expected);
  EXPECT_FALSE(FindTags(ElementTags(tags, "svg", "data-chart", "latency"), "rect").empty());

  // Every figure of the table equals the JSON's (naive.* from the naive object).
  std::size_t figures = 0;
  for (const HtmlTag& tr : FindTags(ElementTags(tags, "table", "class", "figures"), "tr")) {
    const std::string key = tr.Attr("data-key");
    ++figures;
    const nlohmann::json& value =
        key.rfind("naive.", 0) == 0 ? json["naive"][key.substr(6)] : json[key];
    ASSERT_FALSE(value.is_null()) << key << " is not in the JSON";
    EXPECT_EQ(tr.Attr("data-value"), Text(value)) << key;
  }
  EXPECT_GE(figures, 30u);
}

TEST_F(ChaosReportProcess, AReportThatCannotBeWrittenIsRefusedBeforeTheRun) {
  std::string out;
  const std::string report = (dir_ / "no-such-dir" / "chaos.html").string();
  const int code = Run({"--json", "--report", report, "--ops", "7", "--kills", "0"}, &out);
  EXPECT_EQ(code, 4);
  // The error, as --json asks, is the only output: no run, no report.
  EXPECT_EQ(out.rfind("{\"command\":\"idem chaos\",\"error\":", 0), 0u) << out;
  EXPECT_NE(out.find("--report"), std::string::npos) << out;
  EXPECT_EQ(out.find("\"passed\""), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(report));
}

}  // namespace
}  // namespace idem
