// `idem poa`, `idem face-search`, `idem age-estimation` and `idem
// database-validation` as real processes ($IDEM_BIN) against an in-process
// sandbox: the answer on stdout, one op per command, the exit codes and the
// one error shape (docs/cli.md), and an answer lost after the check ran:
// found by look-up when saved, stopped for review (exit 3) and never re-sent
// when not.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "didit/sandbox_fixture.h"

namespace idem::didit {
namespace {

struct Finished {
  int exit_code = -1;
  std::string out;
};

// Runs `argv` with `env` added to ours; stdout captured, stderr dropped.
Finished RunProcess(const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& env) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDERR_FILENO);
    close(fds[0]);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  Finished f;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) f.out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  f.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return f;
}

class ChecksProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("IDEM_BIN");
    ASSERT_NE(bin, nullptr) << "IDEM_BIN is not set (run through ctest)";
    bin_ = bin;
    dir_ = testing::TempDir("checks_proc");
    Write("bill.pdf", "%PDF-1.7 a utility bill");
    Write("face.jpg", std::string(2000, '\x33'));
    Write("tool.exe", "MZ");
  }
  void TearDown() override {
    if (sandbox_) sandbox_->Stop();
    std::filesystem::remove_all(dir_);
  }
  void StartSandbox(SandboxOptions options = {}) {
    options.port = 0;
    auto sandbox = Sandbox::Start(options);
    ASSERT_TRUE(sandbox) << sandbox.error().ToString();
    sandbox_ = std::move(*sandbox);
  }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << bytes;
  }
  std::string Path(const std::string& name) { return dir_ + "/" + name; }
  Finished Idem(std::vector<std::string> args) {
    args.insert(args.begin(), bin_);
    return RunProcess(args, {{"IDEM_BASE_URL", sandbox_->base_url()},
                             {"IDEM_API_KEY", "sandbox-key"},
                             {"IDEM_JOURNAL", dir_ + "/journal.db"}});
  }
  nlohmann::json Json(const Finished& f) {
    auto j = nlohmann::json::parse(f.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << f.out;
    return j;
  }
  nlohmann::json Stats() { return nlohmann::json::parse(sandbox_->StatsJson()); }

  std::string bin_;
  std::string dir_;
  std::unique_ptr<Sandbox> sandbox_;
};

TEST_F(ChecksProcessTest, EachCommandAnswersOnceAndTheSameCommandIsTheSameOp) {
  StartSandbox();
  const std::vector<std::pair<std::vector<std::string>, std::string>> commands = {
      {{"poa", "--document", Path("bill.pdf"), "--expected-first-name", "Sandbox",
        "--name-mismatch-action", "DECLINE", "--metadata", R"({"k":1})"},
       "poa"},
      {{"face-search", "--image", Path("face.jpg"), "--search-type", "most_similar"},
       "face_search"},
      {{"age-estimation", "--image", Path("face.jpg"), "--age-threshold", "0"}, "age_estimation"},
      {{"database-validation", "--issuing-state", "ESP", "--identification-number", "1234",
        "--service", "es_registry", "--consent", "true", "--field", "tax_number=T1"},
       "database_validation"},
  };
  for (const auto& [args, kind] : commands) {
    auto first = Idem(args);
    ASSERT_EQ(first.exit_code, 0) << kind << ": " << first.out;
    const nlohmann::json answer = Json(first);
    ASSERT_TRUE(answer.contains(kind)) << first.out;
    EXPECT_TRUE(answer["request_id"].is_string());
    // Run again: the same op, the stored answer, nothing charged.
    auto again = Idem(args);
    ASSERT_EQ(again.exit_code, 0) << again.out;
    EXPECT_EQ(Json(again)["request_id"], answer["request_id"]) << kind;
    EXPECT_EQ(Stats()["executions"][kind], 1) << kind;
  }
  auto poa = Json(Idem(commands[0].first));
  EXPECT_EQ(poa["metadata"]["k"], 1);
  auto dbv = Json(Idem(commands[3].first));
  EXPECT_EQ(dbv["database_validation"]["screened_data"]["tax_number"], "T1");
}

TEST_F(ChecksProcessTest, BadInputIsUsageAndRefusalsHaveTheOneErrorShape) {
  StartSandbox();
  // Usage: nothing sent.
  EXPECT_EQ(Idem({"poa"}).exit_code, 2);
  EXPECT_EQ(Idem({"poa", "--document", Path("missing.pdf")}).exit_code, 2);
  EXPECT_EQ(Idem({"face-search", "--image", Path("face.jpg"), "--search-type", "x"}).exit_code, 2);
  EXPECT_EQ(Idem({"age-estimation", "--image", Path("face.jpg"), "--metadata", "[1]"}).exit_code,
            2);
  EXPECT_EQ(Idem({"age-estimation", "--image", Path("face.jpg"), "--age-threshold", "x"}).exit_code,
            2);
  EXPECT_EQ(Idem({"database-validation"}).exit_code, 2);
  auto bad_field =
      Idem({"database-validation", "--issuing-state", "ESP", "--field", "novalue", "--json"});
  EXPECT_EQ(bad_field.exit_code, 2);
  EXPECT_EQ(Json(bad_field)["error"], "invalid_argument") << bad_field.out;
  EXPECT_EQ(Stats()["requests"], 0);

  // Didit's 400s: exit 1, the field errors parsed, nothing billed.
  auto alpha2 = Idem({"database-validation", "--issuing-state", "ES", "--json"});
  EXPECT_EQ(alpha2.exit_code, 1) << alpha2.out;
  const nlohmann::json refused = Json(alpha2);
  EXPECT_EQ(refused["command"], "idem database-validation");
  EXPECT_EQ(refused["error"], "refused");
  EXPECT_EQ(refused["http_status"], 400);
  EXPECT_TRUE(refused["field_errors"].contains("issuing_state")) << alpha2.out;
  auto exe = Idem({"poa", "--document", Path("tool.exe"), "--json"});
  EXPECT_EQ(exe.exit_code, 1) << exe.out;
  EXPECT_TRUE(Json(exe)["field_errors"].contains("document")) << exe.out;
  EXPECT_EQ(Stats()["executions_total"], 0);
}

TEST_F(ChecksProcessTest, ALostAnswerIsFoundWhenSavedAndStopsForReviewWhenNot) {
  SandboxOptions options;
  options.faults = "drop_after=1@writes";  // every check runs, every answer is lost
  StartSandbox(options);
  auto saved = Idem({"age-estimation", "--image", Path("face.jpg"), "--vendor-data", "user-1",
                     "--timeout-ms", "3000"});
  ASSERT_EQ(saved.exit_code, 0) << saved.out;
  EXPECT_EQ(Json(saved)["vendor_data"], "user-1");
  EXPECT_TRUE(Json(saved)["age_estimation"].is_object()) << saved.out;

  auto unsaved =
      Idem({"poa", "--document", Path("bill.pdf"), "--no-save", "--json", "--timeout-ms", "3000"});
  EXPECT_EQ(unsaved.exit_code, 3) << unsaved.out;
  EXPECT_NE(Json(unsaved)["message"].get<std::string>().find("needs review"), std::string::npos)
      << unsaved.out;
  const int requests = Stats()["requests"].get<int>();
  auto again =
      Idem({"poa", "--document", Path("bill.pdf"), "--no-save", "--json", "--timeout-ms", "3000"});
  EXPECT_EQ(again.exit_code, 3) << again.out;
  EXPECT_EQ(Stats()["requests"], requests) << "never re-sent";
  EXPECT_EQ(Stats()["executions"]["poa"], 1);
  EXPECT_EQ(Stats()["executions"]["age_estimation"], 1);
}

}  // namespace
}  // namespace idem::didit
