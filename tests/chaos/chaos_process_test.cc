// `idem chaos` end to end: real sandbox and worker processes, SIGKILLs, one
// sandbox restart; the verdict comes from the sandbox's execution records.
// Each run is bounded by --deadline-s and the test's TIMEOUT.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testing/child_process.h"
#include "testing/pg_cluster.h"

namespace idem {
namespace {

struct ChaosRun {
  int exit_code = -1;
  nlohmann::json report;
};

// Runs `$IDEM_BIN chaos ARGS --json`; stdout parsed as the report, stderr
// (progress, the seed) left in the test log.
ChaosRun RunChaos(std::vector<std::string> args) {
  std::string out = (std::filesystem::temp_directory_path() / "idem-chaos-test-XXXXXX").string();
  int fd = mkstemp(out.data());
  EXPECT_GE(fd, 0);
  close(fd);
  std::vector<std::string> all = {testing::IdemBin(), "chaos", "--json", "--deadline-s", "100"};
  all.insert(all.end(), args.begin(), args.end());
  ChaosRun run;
  run.exit_code = testing::WaitExit(testing::SpawnChild(all, out, ""));
  const std::string text = testing::ReadWholeFile(out);
  std::remove(out.c_str());
  run.report = nlohmann::json::parse(text, nullptr, false);
  EXPECT_FALSE(run.report.is_discarded()) << "not JSON: " << text;
  return run;
}

void ExpectPassed(const ChaosRun& run, std::size_t ops, int kills) {
  ASSERT_TRUE(run.report.is_object());
  const auto& r = run.report;
  SCOPED_TRACE(r.dump());
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(r["ops"], ops);
  EXPECT_EQ(r["duplicates"], 0);
  EXPECT_EQ(r["lost"], 0);
  EXPECT_EQ(r["failed"], 0);
  EXPECT_EQ(r["succeeded"], ops);
  EXPECT_EQ(r["executions"], ops) << "one execution per op, counted by the sandbox";
  EXPECT_EQ(r["duplicate_vendor_data"], 0);
  EXPECT_EQ(r["duplicate_executions"], 0);
  EXPECT_EQ(r["kills"], kills) << "every requested kill happened while work was left";
  EXPECT_EQ(r["sandbox_restarts"], 1);
  EXPECT_EQ(r["timed_out"], false);
  // The faults really fired (the sandbox's own count; retries vary with
  // timing, since a killed worker's unrecorded attempts are not counted).
  EXPECT_GT(r["faults_injected"].get<int>(), 0);
  EXPECT_TRUE(r.contains("seed"));
}

constexpr char kFaults[] =
    "drop_before=0.04,drop_after=0.04,error_503=0.04,error_500_after=0.04,rate_limit=0.03,"
    "slow=0.02:300,slow_exec=0.02:300,retry_after=1";

TEST(ChaosProcessTest, SessionsAndBilledChecksUnderKillsAndASandboxRestart) {
  ChaosRun run = RunChaos(
      {"--ops", "200", "--concurrency", "3", "--kills", "5", "--faults", kFaults, "--seed", "42"});
  ExpectPassed(run, 200, 5);
  EXPECT_GT(run.report["aml_ops"].get<int>(), 0);
  EXPECT_GT(run.report["session_ops"].get<int>(), 0);
}

TEST(ChaosProcessTest, WithoutServerKeysTheLookUpKeepsSessionsExactlyOnce) {
  ChaosRun run = RunChaos({"--ops", "100", "--concurrency", "3", "--kills", "5", "--faults",
                           kFaults, "--seed", "43", "--no-idempotency"});
  ExpectPassed(run, 100, 5);
  EXPECT_EQ(run.report["no_idempotency"], true);
  EXPECT_EQ(run.report["aml_ops"], 0) << "billed checks have no look-up: not driven keyless";
}

// The harness is not blind: billed checks have no look-up, so against a
// sandbox that ignores keys a lost response (drop_after, 500 after commit)
// makes the retry execute again, and chaos must say so and exit 5.
TEST(ChaosProcessTest, BilledChecksWithoutServerKeysAreCaughtAsDuplicates) {
  ChaosRun run = RunChaos({"--ops", "60", "--concurrency", "2", "--kills", "1", "--faults",
                           "drop_after=0.2,error_500_after=0.2", "--seed", "45", "--no-idempotency",
                           "--billed-without-keys"});
  ASSERT_TRUE(run.report.is_object());
  SCOPED_TRACE(run.report.dump());
  EXPECT_EQ(run.exit_code, 5);
  EXPECT_EQ(run.report["passed"], false);
  EXPECT_GT(run.report["aml_ops"].get<int>(), 0);
  EXPECT_GT(run.report["duplicates"].get<int>(), 0);
  EXPECT_GT(run.report["duplicate_executions"].get<int>(), 0);
  // A failed run keeps its work directory for diagnosis; this one failed on
  // purpose.
  if (run.report["work_dir"].is_string() && !run.report["work_dir"].get<std::string>().empty()) {
    std::error_code ec;
    std::filesystem::remove_all(run.report["work_dir"].get<std::string>(), ec);
  }
}

TEST(ChaosProcessTest, OnAPostgresJournal) {
  auto cluster = testing::PgCluster::Start();
  ASSERT_TRUE(cluster.has_value()) << cluster.error().ToString();
  ASSERT_TRUE((*cluster)->CreateDatabase("chaos"));
  ChaosRun run = RunChaos({"--ops", "100", "--concurrency", "3", "--kills", "3", "--faults",
                           kFaults, "--seed", "44", "--journal", (*cluster)->Url("chaos")});
  ExpectPassed(run, 100, 3);
  EXPECT_EQ(run.report["journal"], "postgres");
}

}  // namespace
}  // namespace idem
