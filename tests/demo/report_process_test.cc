// `idem demo --json --report FILE` as a real process: the HTML file is one
// document with nothing to fetch, and every figure it shares with the JSON
// report is equal (executions and ops per kind, duplicates, faults,
// attempts, latency percentiles, the verdict and the seed).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
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

class DemoReportProcess : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args, std::string* out) {
    std::vector<std::string> all = {testing::IdemBin(), "demo"};
    all.insert(all.end(), args.begin(), args.end());
    const std::string out_path = (dir_ / "stdout").string();
    const int code = testing::WaitExit(testing::SpawnChild(all, out_path, ""));
    *out = testing::ReadWholeFile(out_path);
    return code;
  }
  testing::TempDir dir_{"idem-demo-report"};
};

// An attribute holding a JSON number equals it (integers as written,
// doubles read back exactly).
void ExpectNumber(const std::string& attr, const nlohmann::json& value, const std::string& what) {
  ASSERT_TRUE(value.is_number()) << what << ": " << value.dump();
  if (value.is_number_integer()) {
    EXPECT_EQ(attr, value.dump()) << what;
  } else {
    EXPECT_EQ(std::stod(attr), value.get<double>()) << what;
  }
}

TEST_F(DemoReportProcess, TheHtmlReportMatchesTheJsonReport) {
  const std::string report = (dir_ / "demo.html").string();
  std::string out;
  const int code = Run({"--json", "--ops", "60", "--seed", "5", "--report", report}, &out);
  auto json = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << out;
  SCOPED_TRACE(json.dump());
  EXPECT_EQ(code, 0);
  ASSERT_TRUE(json.contains("naive"));
  const std::string html = testing::ReadWholeFile(report);
  ASSERT_FALSE(html.empty());

  std::string error;
  auto scanned = testing::ScanHtml(html, &error);
  ASSERT_TRUE(scanned.has_value()) << error;
  const std::vector<HtmlTag>& tags = *scanned;
  EXPECT_EQ(CheckNesting(tags), "");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(FindTags(tags, "html").size(), 1u);
  for (const char* banned : {"http://", "https://", "url(", "@import", "<script", "<link", "<img",
                             "<iframe", "<object", "<embed"}) {
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
  }

  auto verdict = FindTags(tags, "div", "verdict");
  ASSERT_EQ(verdict.size(), 1u);
  EXPECT_EQ(verdict[0].Attr("data-passed"), "true");
  EXPECT_EQ(verdict[0].Attr("data-seed"), json["seed"].dump());
  EXPECT_NE(html.find("seed 5"), std::string::npos);
  EXPECT_EQ(verdict[0].Attr("data-naive-duplicates"), json["naive"]["duplicates"].dump());

  // Executions vs ops per kind, idem and naive.
  auto kinds = FindTags(tags, "g", "bars");
  ASSERT_EQ(kinds.size(), 4u);
  EXPECT_EQ(kinds[0].Attr("data-kind"), "create_session");
  EXPECT_EQ(kinds[0].Attr("data-ops"), json["sessions"].dump());
  EXPECT_EQ(kinds[0].Attr("data-executions"), json["session_executions"].dump());
  EXPECT_EQ(kinds[0].Attr("data-naive-executions"), json["naive"]["session_executions"].dump());
  EXPECT_EQ(kinds[1].Attr("data-kind"), "aml");
  EXPECT_EQ(kinds[1].Attr("data-ops"), json["aml_checks"].dump());
  EXPECT_EQ(kinds[1].Attr("data-executions"), json["aml_executions"].dump());
  EXPECT_EQ(kinds[1].Attr("data-naive-executions"), json["naive"]["aml_executions"].dump());
  EXPECT_EQ(kinds[1].Attr("data-naive-duplicates"), json["naive"]["duplicate_aml"].dump());
  // Exactly once, drawn.
  EXPECT_EQ(kinds[0].Attr("data-executions"), kinds[0].Attr("data-ops"));
  EXPECT_EQ(kinds[1].Attr("data-executions"), kinds[1].Attr("data-ops"));
  EXPECT_EQ(kinds[2].Attr("data-kind"), "poa");
  EXPECT_EQ(kinds[2].Attr("data-ops"), json["poa_checks"].dump());
  EXPECT_EQ(kinds[2].Attr("data-executions"), kinds[2].Attr("data-ops"));
  EXPECT_EQ(kinds[3].Attr("data-kind"), "age_estimation");
  EXPECT_EQ(kinds[3].Attr("data-ops"), json["age_checks"].dump());
  EXPECT_EQ(kinds[3].Attr("data-executions"), kinds[3].Attr("data-ops"));
  EXPECT_GT(json["poa_checks"].get<int>(), 0);
  EXPECT_GT(json["age_checks"].get<int>(), 0);
  EXPECT_EQ(json["session_executions"].get<int>() + json["aml_executions"].get<int>() +
                json["poa_executions"].get<int>() + json["age_executions"].get<int>(),
            json["executions"].get<int>());

  // Faults by kind for both sandboxes.
  auto faults = FindTags(tags, "g", "fault");
  EXPECT_FALSE(faults.empty());
  for (const HtmlTag& f : faults) {
    const std::string kind = f.Attr("data-fault");
    EXPECT_EQ(f.Attr("data-idem"), json["faults_by_kind"].value(kind, nlohmann::json(0)).dump())
        << kind;
    EXPECT_EQ(f.Attr("data-naive"),
              json["naive"]["faults_by_kind"].value(kind, nlohmann::json(0)).dump())
        << kind;
  }

  // Attempts per op.
  auto attempts = FindTags(tags, "g", "attempts");
  ASSERT_EQ(attempts.size(),
            std::max(json["attempts_per_op"].size(), json["naive"]["attempts_per_op"].size()));
  for (std::size_t a = 0; a < attempts.size(); ++a) {
    const auto& idem = json["attempts_per_op"];
    const auto& naive = json["naive"]["attempts_per_op"];
    EXPECT_EQ(attempts[a].Attr("data-idem"), a < idem.size() ? idem[a].dump() : "0");
    EXPECT_EQ(attempts[a].Attr("data-naive"), a < naive.size() ? naive[a].dump() : "0");
  }

  // Latency percentiles on the histograms.
  for (const char* run : {"idem", "naive"}) {
    const auto& r = std::string(run) == "idem" ? json : json["naive"];
    auto p = FindTags(ElementTags(tags, "svg", "data-chart", std::string("latency-") + run), "line",
                      "percentile");
    ASSERT_EQ(p.size(), 2u) << run;
    ExpectNumber(p[0].Attr("data-ms"), r["p50_ms"], std::string(run) + " p50");
    ExpectNumber(p[1].Attr("data-ms"), r["p99_ms"], std::string(run) + " p99");
  }
  auto progress = FindTags(tags, "polyline", "progress");
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_EQ(progress[0].Attr("data-points"), std::to_string(json["ops"].get<int>() + 1));

  // Every row of the figures table equals the JSON (idem at top level, naive
  // in its object).
  auto rows = FindTags(ElementTags(tags, "table", "class", "figures"), "tr");
  std::size_t checked = 0;
  for (const HtmlTag& tr : rows) {
    const std::string key = tr.Attr("data-key");
    if (key.empty()) continue;
    ASSERT_TRUE(json.contains(key)) << key;
    ExpectNumber(tr.Attr("data-idem"), json[key], key);
    ExpectNumber(tr.Attr("data-naive"), json["naive"][key], "naive." + key);
    ++checked;
  }
  EXPECT_GE(checked, 28u);
}

TEST_F(DemoReportProcess, AReportThatCannotBeWrittenIsRefusedBeforeTheRun) {
  std::string out;
  const int code = Run({"--json", "--ops", "4", "--report", dir_.string()}, &out);
  EXPECT_EQ(code, 4) << "a directory is not a file";
  // The error, as --json asks, is the only output: no run.
  EXPECT_EQ(out.rfind("{\"command\":\"idem demo\",\"error\":", 0), 0u) << out;
  EXPECT_NE(out.find("--report"), std::string::npos) << out;
}

}  // namespace
}  // namespace idem
