// RunDemo in-process with a small workload and heavy faults: real sandboxes,
// a real webhook receiver, a real SQLite journal in a temp dir. The counts
// come from the sandbox's records, so these assertions could fail.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "demo/demo.h"
#include "testing/temp_dir.h"

namespace idem {
namespace {

DemoOptions Small() {
  DemoOptions o;
  o.sessions = 40;
  o.aml_checks = 40;
  o.poa_checks = 10;
  o.age_checks = 10;
  o.concurrency = 16;
  // Heavy on the faults that execute and then lose the answer: the naive
  // client must duplicate (P(no duplicate) ~ 0.6^40) and idem must not.
  o.faults =
      "drop_before=0.05,drop_after=0.2,error_503=0.05,error_500_after=0.15,"
      "rate_limit=0.05,slow=0.05:100,retry_after=1";
  o.tight_every = 2;  // half the creates get one attempt: heals must happen
  o.max_attempts = 8;
  o.auto_complete = std::chrono::milliseconds(100);
  o.progress_interval = std::chrono::milliseconds(50);
  return o;
}

TEST(RunDemo, ExactlyOnceWhileTheNaiveClientDuplicates) {
  std::atomic<int> idem_ticks{0};
  std::atomic<int> naive_ticks{0};
  auto report = RunDemo(Small(), [&](const DemoProgress& p) {
    (p.run == "idem" ? idem_ticks : naive_ticks)++;
    EXPECT_LE(p.done, p.total);
  });
  ASSERT_TRUE(report) << report.error().ToString();
  const DemoRunReport& r = report->idem;
  EXPECT_EQ(r.ops, 100);
  EXPECT_EQ(r.sessions, 40);
  EXPECT_EQ(r.aml_checks, 40);
  EXPECT_EQ(r.poa_checks, 10);
  EXPECT_EQ(r.age_checks, 10);
  // The billed checks without a key are counted like the others.
  EXPECT_EQ(r.poa_executions, 10) << DemoReportText(*report);
  EXPECT_EQ(r.age_executions, 10) << DemoReportText(*report);
  EXPECT_EQ(r.duplicates, 0) << DemoReportText(*report);
  EXPECT_EQ(r.lost, 0) << DemoReportText(*report);
  EXPECT_EQ(r.executions, r.ops) << DemoReportText(*report);
  EXPECT_GT(r.faults_injected, 0u);
  EXPECT_GT(r.retries, 0u);
  EXPECT_GT(r.replays, 0u) << "drop_after/500-after-commit retried with the key replay";
  EXPECT_GT(r.webhooks_received, 0u);
  EXPECT_GT(r.webhooks_deduped, 0u) << "duplicate=0.2 on ~120 events";
  EXPECT_GT(r.healed_by_webhook, 0u) << DemoReportText(*report);
  EXPECT_GT(r.p99_ms, 0);
  EXPECT_GE(r.p99_ms, r.p50_ms);
  ASSERT_TRUE(report->has_naive);
  EXPECT_EQ(report->naive.ops, 100);
  EXPECT_GT(report->naive.duplicates, 0) << DemoReportText(*report);
  EXPECT_EQ(report->naive.executions - report->naive.duplicates + report->naive.lost,
            report->naive.ops);
  EXPECT_GT(idem_ticks.load(), 0);
  EXPECT_GT(naive_ticks.load(), 0);
}

TEST(RunDemo, RemovesItsTemporaryDirectory) {
  // A private TMPDIR, so other tests' demo directories cannot interfere.
  namespace fs = std::filesystem;
  testing::TempDir private_tmp("idem-demo-test");
  const fs::path tmp = private_tmp.path();
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old ? old : "";
  setenv("TMPDIR", tmp.c_str(), 1);
  DemoOptions o;
  o.sessions = 3;
  o.aml_checks = 3;
  o.poa_checks = 1;
  o.age_checks = 1;
  o.faults = "";
  o.webhook_faults = "";
  o.naive = false;
  auto report = RunDemo(o);
  if (old) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_EQ(report->idem.executions, 8);
  EXPECT_EQ(report->idem.poa_executions, 1);
  EXPECT_EQ(report->idem.age_executions, 1);
  EXPECT_EQ(report->idem.lost, 0);
  EXPECT_EQ(report->idem.retries, 0u);
  EXPECT_FALSE(report->has_naive);
  EXPECT_TRUE(fs::is_empty(tmp)) << "the journal's directory is left behind";
}

TEST(RunDemo, RefusesBadOptions) {
  DemoOptions o;
  o.sessions = 0;
  o.aml_checks = 0;
  o.poa_checks = 0;
  o.age_checks = 0;
  auto r = RunDemo(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  o = DemoOptions{};
  o.faults = "drop_after=2";
  r = RunDemo(o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace idem
