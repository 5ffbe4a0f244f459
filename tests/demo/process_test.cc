// `$IDEM_BIN demo` as a real process: the JSON report must show exactly once
// for idem and duplicates for the naive client, so the demo cannot silently
// stop exercising faults. Counts come from the sandbox's records.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

namespace {

struct Ran {
  int exit_code = -1;
  std::string out;
};

// Runs the CLI with stdout captured (a pipe: not a terminal), stderr dropped.
Ran RunIdem(const std::string& args) {
  const char* bin = std::getenv("IDEM_BIN");
  EXPECT_NE(bin, nullptr) << "IDEM_BIN must name the idem CLI";
  Ran ran;
  if (!bin) return ran;
  std::string cmd = std::string(bin) + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  if (!p) return ran;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) ran.out.append(buf, n);
  int status = pclose(p);
  ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

TEST(DemoProcess, JsonReportShowsExactlyOnceAndNaiveDuplicates) {
  // 100 sessions + 100 AML checks with the default faults: drop_after and
  // 500-after-commit hit ~10 % of requests, so the naive run duplicates
  // (P(none over 100 AML ops) ~ 3e-5).
  Ran ran = RunIdem("demo --json --ops 200 --seed 3");
  ASSERT_EQ(ran.exit_code, 0) << ran.out;
  auto j = nlohmann::json::parse(ran.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << "stdout must be only the JSON: " << ran.out;
  EXPECT_EQ(j["ops"], 200);
  EXPECT_EQ(j["duplicates"], 0) << ran.out;
  EXPECT_EQ(j["lost"], 0) << ran.out;
  EXPECT_EQ(j["executions"], j["ops"]) << ran.out;
  EXPECT_GT(j["faults_injected"].get<int>(), 0);
  EXPECT_GT(j["retries"].get<int>(), 0);
  EXPECT_GT(j["webhooks_received"].get<int>(), 0) << ran.out;
  EXPECT_EQ(j["seed"], 3);
  ASSERT_TRUE(j.contains("naive"));
  EXPECT_EQ(j["naive"]["ops"], 200);
  EXPECT_GT(j["naive"]["duplicates"].get<int>(), 0) << ran.out;
}

// Progress goes to stderr (tests/cli/convention_test.cc checks it there):
// stdout is the report alone.
TEST(DemoProcess, StdoutIsTheReportWithoutProgress) {
  Ran ran = RunIdem("demo --ops 20 --no-naive");
  ASSERT_EQ(ran.exit_code, 0) << ran.out;
  EXPECT_EQ(ran.out.find('\r'), std::string::npos) << ran.out;
  EXPECT_EQ(ran.out.find("[idem]"), std::string::npos) << ran.out;
  EXPECT_EQ(ran.out.find("ops (100%)"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("idem: exactly once. 20 ops, 20 executions"), std::string::npos)
      << ran.out;
  EXPECT_NE(ran.out.find("executions on the server"), std::string::npos) << ran.out;
}

TEST(DemoProcess, BadFlagsExitWithUsage) {
  EXPECT_EQ(RunIdem("demo --ops 0").exit_code, 2);
  EXPECT_EQ(RunIdem("demo --faults drop_after=7").exit_code, 2);
}

}  // namespace
