// Runs `idem bench`'s library with tiny budgets against real parts (sandbox
// on port 0, SQLite journal and inbox, curl) and checks the report's shape:
// counts are positive, nothing failed, the table and JSON carry every row.
#include "perf/bench.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace idem {
namespace {

TEST(PerfBench, ClientVsCurlCountsEveryOp) {
  ClientBenchOptions o;
  o.concurrency = 4;
  o.ops_per_run = 60;
  o.rounds = 1;
  auto r = RunClientVsCurl(o);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->concurrency, 4);
  EXPECT_EQ(r->ops_per_run, 60u);
  EXPECT_GT(r->bare_ops_per_second, 0);
  EXPECT_GT(r->client_ops_per_second, 0);
  EXPECT_GT(r->ratio, 0);
  EXPECT_EQ(r->bare_failures, 0u);
  EXPECT_EQ(r->client_failures, 0u);
}

TEST(PerfBench, QueuedOpsAllSucceedAndRssIsRead) {
  QueuedBenchOptions o;
  o.ops = 300;
  o.concurrency = 8;
  auto r = RunQueuedClientBench(o);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->ops, 300u);
  EXPECT_EQ(r->succeeded, 300u);
  EXPECT_GT(r->seconds, 0);
  EXPECT_GT(r->rss_before_kb, 0);
  EXPECT_GE(r->peak_rss_kb, r->rss_before_kb);
}

TEST(PerfBench, WholeReportIsWellFormed) {
  BenchOptions o;
  o.seconds = 3;  // 0.3 s per phase
  o.concurrency = 4;
  auto r = RunBench(o);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_GT(r->client.ops_per_run, 0u);
  EXPECT_GT(r->client.client_ops_per_second, 0);
  EXPECT_GT(r->sandbox_replays_per_second, 0);
  EXPECT_GT(r->sandbox_creates_per_second, 0);
  EXPECT_GT(r->webhook.events, 0u);
  EXPECT_EQ(r->webhook.failures, 0u);
  EXPECT_EQ(r->webhook_in_flight, 4);

  const std::string table = FormatBenchTable(*r);
  for (const char* row : {"bare libcurl loop", "journaled client", "client / bare",
                          "sandbox replays", "sandbox creates", "webhooks verified+stored"}) {
    EXPECT_NE(table.find(row), std::string::npos) << row << " missing from\n" << table;
  }
  auto json = nlohmann::json::parse(BenchReportJson(*r));
  EXPECT_GT(json["client_vs_curl"]["client_ops_per_second"].get<double>(), 0);
  EXPECT_GT(json["client_vs_curl"]["bare_ops_per_second"].get<double>(), 0);
  EXPECT_GT(json["sandbox"]["creates_per_second"].get<double>(), 0);
  EXPECT_GT(json["webhook"]["events"].get<std::uint64_t>(), 0u);
}

}  // namespace
}  // namespace idem
