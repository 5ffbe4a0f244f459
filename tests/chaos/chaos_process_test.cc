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
#include "testing/temp_dir.h"

namespace idem {
namespace {

struct ChaosRun {
  int exit_code = -1;
  nlohmann::json report;
};

// Runs `$IDEM_BIN chaos ARGS --json`; stdout parsed as the report, stderr
// (progress, the seed) left in the test log.
ChaosRun RunChaos(std::vector<std::string> args) {
  testing::TempDir dir("idem-chaos-test");
  const std::string out = dir.File("report.json");
  std::vector<std::string> all = {testing::IdemBin(), "chaos", "--json", "--deadline-s", "100"};
  all.insert(all.end(), args.begin(), args.end());
  ChaosRun run;
  run.exit_code = testing::WaitExit(testing::SpawnChild(all, out, ""));
  const std::string text = testing::ReadWholeFile(out);
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
  EXPECT_EQ(r["succeeded"].get<std::size_t>() + r["unknown"].get<std::size_t>(), ops);
  EXPECT_LE(r["executions"].get<std::size_t>(), ops) << "at most one execution per op";
  EXPECT_GE(r["executions"].get<std::size_t>(), r["succeeded"].get<std::size_t>());
  EXPECT_EQ(r["duplicate_vendor_data"], 0);
  EXPECT_EQ(r["duplicate_executions"], 0);
  EXPECT_EQ(r["kills"], kills) << "every requested kill happened while work was left";
  EXPECT_EQ(r["sandbox_restarts"], 1);
  EXPECT_EQ(r["timed_out"], false);
  // The faults really fired (the sandbox's own count; retries vary with
  // timing, since a killed worker's unrecorded attempts are not counted).
  EXPECT_GT(r["faults_injected"].get<int>(), 0);
  EXPECT_TRUE(r.contains("seed"));
  // Per kind as in total: each of its ops executed once, none lost.
  std::size_t kind_ops = 0;
  for (const auto& k : r["per_kind"]) {
    SCOPED_TRACE(k.dump());
    EXPECT_EQ(k["duplicates"], 0);
    EXPECT_EQ(k["lost"], 0);
    EXPECT_EQ(k["executions"].get<std::size_t>(),
              k["ops"].get<std::size_t>() - k["unknown"].get<std::size_t>())
        << "an op stopped for review may or may not have executed; every other exactly once";
    kind_ops += k["ops"].get<std::size_t>();
  }
  EXPECT_EQ(kind_ops, ops);
}

std::vector<std::string> Kinds(const nlohmann::json& report) {
  std::vector<std::string> kinds;
  for (const auto& k : report["per_kind"]) kinds.push_back(k["kind"]);
  return kinds;
}

const nlohmann::json& KindOf(const nlohmann::json& per_kind, const std::string& kind) {
  for (const auto& k : per_kind) {
    if (k["kind"] == kind) return k;
  }
  static const nlohmann::json none = nlohmann::json::object();
  ADD_FAILURE() << "no kind " << kind;
  return none;
}

constexpr char kFaults[] =
    "drop_before=0.04,drop_after=0.04,error_503=0.04,error_500_after=0.04,rate_limit=0.03,"
    "slow=0.02:300,slow_exec=0.02:300,retry_after=1";

// Every kind on the default (didit) profile: keys on AML only, so sessions,
// status updates, deletes and the liveness, face-match, ID, PoA, face-search,
// age and database-validation checks are settled by look-ups after lost
// responses and kills.
TEST(ChaosProcessTest, EveryKindUnderKillsAndASandboxRestart) {
  ChaosRun run = RunChaos(
      {"--ops", "330", "--concurrency", "3", "--kills", "5", "--faults", kFaults, "--seed", "42"});
  ExpectPassed(run, 330, 5);
  EXPECT_EQ(run.report["profile"], "didit");
  EXPECT_EQ(Kinds(run.report),
            (std::vector<std::string>{"create_session", "update_status", "delete_session", "aml",
                                      "passive_liveness", "face_match", "id_verification", "poa",
                                      "face_search", "age_estimation", "database_validation"}));
  for (const auto& k : run.report["per_kind"]) EXPECT_EQ(k["ops"], 30) << k.dump();
}

// On the ideal profile every kind is replayed by its key: nothing may end
// unknown.
// Chaos's verdict counts executions per op; a kind idem sends again by design
// (an OTP send or check, the batch delete) is refused before anything runs.
TEST(ChaosProcessTest, KindsSentAgainByDesignAreRefusedBeforeTheRun) {
  for (const char* kind : {"phone_send", "email_check", "batch_delete_sessions", "no_such_kind"}) {
    ChaosRun run = RunChaos({"--ops", "5", "--kinds", kind});
    EXPECT_EQ(run.exit_code, 2) << kind;
    ASSERT_TRUE(run.report.is_object()) << kind;
    EXPECT_NE(run.report.value("message", "").find(kind), std::string::npos) << run.report.dump();
  }
}

TEST(ChaosProcessTest, OnTheIdealProfileNothingEndsUnknown) {
  ChaosRun run = RunChaos({"--ops", "70", "--concurrency", "2", "--kills", "2", "--faults", kFaults,
                           "--seed", "46", "--profile", "ideal"});
  ExpectPassed(run, 70, 2);
  EXPECT_EQ(run.report["profile"], "ideal");
  EXPECT_EQ(run.report["unknown"], 0);
}

// The same workload, faults and seed through a naive client (no key, no
// journal, no look-up): billed checks Didit does not deduplicate execute
// twice after lost responses, while idem's run has none.
TEST(ChaosProcessTest, TheNaiveClientDuplicatesWhatIdemDoesNot) {
  ChaosRun run = RunChaos({"--ops", "70", "--concurrency", "2", "--kills", "2", "--faults",
                           "drop_after=0.3", "--seed", "47", "--kinds",
                           "passive_liveness,face_match,update_status,delete_session", "--naive"});
  ExpectPassed(run, 70, 2);
  ASSERT_TRUE(run.report.contains("naive")) << run.report.dump();
  const auto& naive = run.report["naive"];
  EXPECT_GT(naive["duplicates"].get<int>(), 0) << naive.dump();
  const std::size_t billed_duplicates =
      KindOf(naive["per_kind"], "passive_liveness")["duplicates"].get<std::size_t>() +
      KindOf(naive["per_kind"], "face_match")["duplicates"].get<std::size_t>();
  EXPECT_GT(billed_duplicates, 0u) << naive.dump();
  // A lost answer to a delete or status update: the naive re-send is refused
  // (404, or 400 same status), so it reports a failure for what executed.
  const std::size_t wrongly_failed =
      KindOf(naive["per_kind"], "delete_session")["failed"].get<std::size_t>() +
      KindOf(naive["per_kind"], "update_status")["failed"].get<std::size_t>();
  EXPECT_GT(wrongly_failed, 0u) << naive.dump();
}

TEST(ChaosProcessTest, WithoutServerKeysTheLookUpKeepsSessionsExactlyOnce) {
  ChaosRun run = RunChaos({"--ops", "102", "--concurrency", "3", "--kills", "5", "--faults",
                           kFaults, "--seed", "43", "--no-idempotency"});
  ExpectPassed(run, 102, 5);
  EXPECT_EQ(run.report["no_idempotency"], true);
  EXPECT_EQ(run.report["aml_ops"], 0) << "AML is replayed by its key: not driven keyless";
  EXPECT_EQ(Kinds(run.report).size(), 10u) << "every other kind is looked up";
}

// The harness is not blind: AML is replayed by its key (Didit honours it),
// so against a sandbox that ignores even that key a lost response
// (drop_after, 500 after commit) makes the replay execute again, and chaos
// must say so and exit 5.
TEST(ChaosProcessTest, BilledChecksWithoutServerKeysAreCaughtAsDuplicates) {
  ChaosRun run = RunChaos({"--ops", "60", "--concurrency", "2", "--kills", "1", "--faults",
                           "drop_after=0.2,error_500_after=0.2", "--seed", "45", "--no-idempotency",
                           "--billed-without-keys", "--kinds", "aml"});
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
  ChaosRun run = RunChaos({"--ops", "105", "--concurrency", "3", "--kills", "3", "--faults",
                           kFaults, "--seed", "44", "--journal", (*cluster)->Url("chaos")});
  ExpectPassed(run, 105, 3);
  EXPECT_EQ(run.report["journal"], "postgres");
}

}  // namespace
}  // namespace idem
