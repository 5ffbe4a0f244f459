// DemoReportText / DemoReportJson / DemoProgressLine on a hand-built report,
// and the tally that turns the sandbox's records into the report's numbers.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "demo/demo.h"
#include "demo/server_tally.h"
#include "demo/workload.h"

namespace idem {
namespace {

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
  r.idem.retries = 5;
  r.idem.replays = 3;
  r.idem.conflicts_409 = 1;
  r.idem.mismatches_422 = 0;
  r.idem.lookups = 4;
  r.idem.lookups_reconciled = 2;
  r.idem.healed_by_webhook = 2;
  r.idem.webhooks_received = 40;
  r.idem.webhooks_deduped = 8;
  r.idem.p50_ms = 12.4;
  r.idem.p99_ms = 987.6;
  r.idem.ops_per_s = 123.4;
  r.has_naive = true;
  r.naive.ops = 10;
  r.naive.executions = 13;
  r.naive.duplicates = 3;
  r.naive.duplicate_sessions = 1;
  r.naive.duplicate_aml = 2;
  return r;
}

TEST(DemoReport, JsonHasTheFieldsTestsAndScriptsRelyOn) {
  auto j = nlohmann::json::parse(DemoReportJson(SampleReport()));
  EXPECT_EQ(j["ops"], 10);
  EXPECT_EQ(j["executions"], 10);
  EXPECT_EQ(j["duplicates"], 0);
  EXPECT_EQ(j["lost"], 0);
  EXPECT_EQ(j["replays"], 3);
  EXPECT_EQ(j["conflicts_409"], 1);
  EXPECT_EQ(j["lookups_reconciled"], 2);
  EXPECT_EQ(j["healed_by_webhook"], 2);
  EXPECT_EQ(j["webhooks_received"], 40);
  EXPECT_EQ(j["webhooks_deduped"], 8);
  EXPECT_EQ(j["seed"], 7);
  EXPECT_DOUBLE_EQ(j["p99_ms"].get<double>(), 987.6);
  ASSERT_TRUE(j.contains("naive"));
  EXPECT_EQ(j["naive"]["duplicates"], 3);
  EXPECT_EQ(j["naive"]["executions"], 13);
  EXPECT_EQ(j["naive"]["duplicate_aml"], 2);
}

TEST(DemoReport, JsonHasWhatTheHtmlReportDraws) {
  DemoReport r = SampleReport();
  r.idem.session_executions = 6;
  r.idem.aml_executions = 4;
  r.idem.faults_by_kind = {{"drop_after", 3}};
  r.idem.attempts_per_op = {0, 8, 2};
  r.idem.timeline.op_latency_ms = {1, 2, 3};  // the HTML's, not the JSON's
  auto j = nlohmann::json::parse(DemoReportJson(r));
  EXPECT_EQ(j["session_executions"], 6);
  EXPECT_EQ(j["aml_executions"], 4);
  EXPECT_EQ(j["faults_by_kind"]["drop_after"], 3);
  EXPECT_EQ(j["attempts_per_op"], nlohmann::json::array({0, 8, 2}));
  EXPECT_FALSE(j.contains("timeline"));
  EXPECT_EQ(j["naive"]["session_executions"], 0);
}

TEST(DemoReport, JsonWithoutNaiveRunHasNoNaiveObject) {
  DemoReport r = SampleReport();
  r.has_naive = false;
  auto j = nlohmann::json::parse(DemoReportJson(r));
  EXPECT_FALSE(j.contains("naive"));
}

TEST(DemoReport, TextShowsBothColumnsAndTheVerdict) {
  std::string text = DemoReportText(SampleReport());
  EXPECT_NE(text.find("naive client"), std::string::npos);
  EXPECT_NE(text.find("idem: exactly once. 10 ops, 10 executions"), std::string::npos) << text;
  EXPECT_NE(text.find("3 (1/2/0/0)"), std::string::npos) << text;  // naive duplicates split
  EXPECT_NE(text.find("12 / 988"), std::string::npos) << text;     // p50 / p99 rounded
  EXPECT_NE(text.find("2 of 4"), std::string::npos) << text;       // look-ups reconciled
  EXPECT_NE(text.find("naive: 3 duplicate executions"), std::string::npos) << text;
}

TEST(DemoReport, TextNamesTheSeedWhenExactlyOnceFailed) {
  DemoReport r = SampleReport();
  r.idem.duplicates = 1;
  std::string text = DemoReportText(r);
  EXPECT_NE(text.find("NOT exactly once"), std::string::npos) << text;
  EXPECT_NE(text.find("seed 7"), std::string::npos) << text;
}

TEST(DemoReport, ProgressLineHasCountsAndRate) {
  DemoProgress p{"idem", "driving", 120, 600, 300, 45, 2.0, 60.0};
  std::string line = DemoProgressLine(p);
  EXPECT_NE(line.find("[idem]"), std::string::npos);
  EXPECT_NE(line.find("120/600"), std::string::npos) << line;
  EXPECT_NE(line.find("45 retries"), std::string::npos) << line;
  EXPECT_NE(line.find("60 ops/s"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

std::vector<demo::WorkItem> TwoOfEach() {
  return {{"create_session", "/v3/session/", "application/json", "{}", "u0", "k0", false},
          {"create_session", "/v3/session/", "application/json", "{}", "u1", "k1", false},
          {"aml", "/v3/aml/", "application/json", "{}", "a0", "", false},
          {"aml", "/v3/aml/", "application/json", "{}", "a1", "", false}};
}

TEST(DemoTally, CountsDuplicatesAndNeverExecutedByVendorData) {
  nlohmann::json ex = {{"count", 7},
                       {"executions",
                        {{{"kind", "create_session"}, {"vendor_data", "u0"}},
                         {{"kind", "create_session"}, {"vendor_data", "u0"}},
                         {{"kind", "aml"}, {"vendor_data", "a0"}},
                         {{"kind", "aml"}, {"vendor_data", "a0"}},
                         {{"kind", "aml"}, {"vendor_data", "a0"}},
                         {{"kind", "aml"}, {"vendor_data", "a1"}},
                         // Not a logical op of the workload: ignored.
                         {{"kind", "update_status"}, {"vendor_data", "u0"}}}}};
  auto t = demo::TallyExecutions(ex.dump(), TwoOfEach());
  ASSERT_TRUE(t) << t.error().ToString();
  EXPECT_EQ(t->executions, 6);
  EXPECT_EQ(t->session_executions, 2);
  EXPECT_EQ(t->aml_executions, 4);
  EXPECT_EQ(t->duplicate_sessions, 1);
  EXPECT_EQ(t->duplicate_aml, 2);
  EXPECT_EQ(t->never_executed, 1);  // u1
  EXPECT_EQ(t->executed, (std::vector<bool>{true, false, true, true}));
}

TEST(DemoTally, SameVendorDataOfAnotherKindIsNotAMatch) {
  nlohmann::json ex = {{"executions", {{{"kind", "aml"}, {"vendor_data", "u0"}}}}};
  auto t = demo::TallyExecutions(ex.dump(), TwoOfEach());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->never_executed, 4);
}

TEST(DemoTally, RejectsWhatIsNotAnExecutionsDocument) {
  EXPECT_FALSE(demo::TallyExecutions("not json", TwoOfEach()));
  EXPECT_FALSE(demo::TallyExecutions("{\"count\":0}", TwoOfEach()));
}

TEST(DemoTally, StatsFillTheServerCounters) {
  nlohmann::json stats = {{"requests", 900},
                          {"replays", 40},
                          {"conflicts_409", 2},
                          {"mismatches_422", 0},
                          {"rate_limited_429", 30},
                          {"vendor_dedup_hits", 5},
                          {"faults", {{"drop_after", 10}, {"error_503", 7}, {"rate_limit", 4}}}};
  DemoRunReport run;
  ASSERT_TRUE(demo::ApplyStats(stats.dump(), run));
  EXPECT_EQ(run.requests, 900u);
  EXPECT_EQ(run.replays, 40u);
  EXPECT_EQ(run.conflicts_409, 2u);
  EXPECT_EQ(run.rate_limited_429, 34u);  // the limiter's 30 + 4 injected
  EXPECT_EQ(run.vendor_dedup_hits, 5u);
  EXPECT_EQ(run.faults_injected, 21u);
  EXPECT_EQ(run.faults_by_kind, (std::map<std::string, std::uint64_t>{
                                    {"drop_after", 10}, {"error_503", 7}, {"rate_limit", 4}}));
  EXPECT_FALSE(demo::ApplyStats("[", run));
}

TEST(DemoWorkload, InterleavesUniqueOpsAndMarksEveryNthCreateTight) {
  DemoOptions o;
  o.sessions = 4;
  o.aml_checks = 2;
  o.poa_checks = 1;
  o.age_checks = 1;
  o.tight_every = 2;
  auto items = demo::MakeWorkload(o, "t");
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 8u);
  EXPECT_EQ((*items)[0].kind, "create_session");
  EXPECT_EQ((*items)[1].kind, "aml");
  EXPECT_EQ((*items)[2].kind, "poa");
  EXPECT_EQ((*items)[2].path, "/v3/poa/");
  EXPECT_EQ((*items)[2].natural_key, "check:POA:" + (*items)[2].vendor_data);
  EXPECT_EQ((*items)[3].kind, "age_estimation");
  EXPECT_TRUE((*items)[3].content_type.starts_with("multipart/form-data"));
  std::set<std::string> bodies;
  int tight = 0;
  for (const auto& i : *items) {
    bodies.insert(i.body);
    EXPECT_NE(i.body.find(i.vendor_data), std::string::npos);
    tight += i.tight ? 1 : 0;
  }
  EXPECT_EQ(bodies.size(), 8u);
  EXPECT_EQ(tight, 2);
}

TEST(DemoWorkload, PercentileIsNearestRank) {
  std::vector<double> v = {5, 1, 4, 2, 3};
  EXPECT_EQ(demo::Percentile(v, 50), 3);
  EXPECT_EQ(demo::Percentile(v, 99), 5);
  std::vector<double> empty;
  EXPECT_EQ(demo::Percentile(empty, 50), 0);
}

}  // namespace
}  // namespace idem
