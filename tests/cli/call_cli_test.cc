// `idem call`, `idem ops` and `idem resume` as a user runs them: real
// processes ($IDEM_BIN) against the real sandbox on port 0 and a real SQLite
// journal file. Checks the exit-code contract (0 done, 1 refused, 2 usage,
// 3 unknown), what is printed, and that the API key is never printed or
// journaled.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "idem/sandbox.h"
#include "idem/transport.h"
#include "testing/child_process.h"
#include "testing/free_port.h"
#include "testing/temp_dir.h"

namespace idem {
namespace {

using nlohmann::json;
using testing::IdemBin;
using testing::Ran;
using testing::ReadWholeFile;
using testing::RunToEnd;
using testing::SpawnChild;
using testing::WaitExit;

// Looks like a live key; the sandbox accepts only it.
constexpr char kSecret[] = "sk-live-7f3a9c2e5b1d4f60";

class CallCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SandboxOptions options;
    options.port = 0;
    options.api_key = kSecret;
    options.seed = 5;
    auto sandbox = Sandbox::Start(options);
    ASSERT_TRUE(sandbox.has_value()) << sandbox.error().ToString();
    sandbox_ = std::move(*sandbox);
  }
  void TearDown() override { sandbox_.reset(); }

  std::string Journal() const { return (dir_ / "journal.db").string(); }

  // `idem ARGS` with the journal; stdout and stderr captured.
  Ran Run(std::vector<std::string> args) {
    args.insert(args.begin(), IdemBin());
    args.insert(args.end(), {"--journal", Journal()});
    Ran ran = RunToEnd(args, dir_.string());
    EXPECT_EQ(ran.out.find(kSecret), std::string::npos) << "the key on stdout: " << ran.out;
    EXPECT_EQ(ran.err.find(kSecret), std::string::npos) << "the key on stderr: " << ran.err;
    return ran;
  }

  // `idem call` with fast retries against `base_url` (default: the sandbox).
  Ran Call(const std::string& method, const std::string& path, const std::string& body,
           const std::string& op_id, std::string base_url = "",
           const std::string& max_attempts = "5") {
    if (base_url.empty()) base_url = sandbox_->base_url();
    return Run({"call",       method,
                path,         "--data",
                body,         "--op-id",
                op_id,        "--kind",
                "aml",        "--base-url",
                base_url,     "--api-key",
                kSecret,      "--max-attempts",
                max_attempts, "--backoff-base-ms",
                "1",          "--backoff-cap-ms",
                "5",          "--timeout-ms",
                "3000"});
  }

  int Executions(const std::string& vendor_data) {
    const json all = json::parse(sandbox_->ExecutionsJson());
    int n = 0;
    for (const auto& e : all["executions"]) {
      if (e["vendor_data"] == vendor_data) ++n;
    }
    return n;
  }

  json OpsList(const std::string& state = "") {
    std::vector<std::string> args = {"ops", "list", "--json"};
    if (!state.empty()) args.insert(args.end(), {"--state", state});
    Ran ran = Run(args);
    EXPECT_EQ(ran.code, 0) << ran.err;
    auto list = json::parse(ran.out, nullptr, false);
    EXPECT_TRUE(list.is_array()) << ran.out;
    return list;
  }

  json OpsShow(const std::string& op_id) {
    Ran ran = Run({"ops", "show", op_id});
    EXPECT_EQ(ran.code, 0) << ran.err;
    auto op = json::parse(ran.out, nullptr, false);
    EXPECT_TRUE(op.is_object()) << ran.out;
    return op;
  }

  testing::TempDir dir_{"idem-call-cli"};
  std::unique_ptr<Sandbox> sandbox_;
};

TEST_F(CallCliTest, SuccessPrintsTheBodyAndARerunReturnsTheStoredAnswer) {
  const std::string body = R"({"full_name":"Ada Lovelace","vendor_data":"cli-ok"})";
  Ran first = Call("POST", "/v3/aml/", body, "cli-ok");
  ASSERT_EQ(first.code, 0) << first.err;
  auto answer = json::parse(first.out, nullptr, false);
  ASSERT_TRUE(answer.is_object()) << first.out;
  EXPECT_TRUE(answer["request_id"].is_string());

  // The same op again: the stored answer, nothing sent.
  Ran again = Call("POST", "/v3/aml/", body, "cli-ok");
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, first.out);
  EXPECT_EQ(Executions("cli-ok"), 1);

  json list = OpsList();
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["op_id"], "cli-ok");
  EXPECT_EQ(list[0]["state"], "succeeded");
  EXPECT_GE(list[0]["attempts"].get<int>(), 1);
  EXPECT_TRUE(list[0]["idem_key"].is_string());
  EXPECT_FALSE(list[0]["idem_key"].get<std::string>().empty());
  const json shown = OpsShow("cli-ok");
  EXPECT_EQ(shown["state"], "succeeded");
  EXPECT_EQ(shown["idem_key_from_caller"], false);  // idem made the key
}

// Issue 15, corner 8: `idem call` without --op-id made a new op every run.
TEST_F(CallCliTest, TheSameCallWithoutAnOpIdIsOneOpUnlessNewOpIsAsked) {
  const std::string body = R"({"full_name":"Ada Lovelace","vendor_data":"cli-derived"})";
  auto call = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"call", "POST",       "/v3/aml/",           "--data",
                                     body,   "--base-url", sandbox_->base_url(), "--api-key",
                                     kSecret};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args);
  };
  Ran first = call({});
  ASSERT_EQ(first.code, 0) << first.err;
  Ran again = call({});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, first.out);
  EXPECT_EQ(Executions("cli-derived"), 1);
  json list = OpsList();
  ASSERT_EQ(list.size(), 1u) << list.dump();
  // The derived id names the kind and the request (include/idem/op_id.h).
  EXPECT_EQ(list[0]["op_id"].get<std::string>().rfind("aml-", 0), 0u) << list[0]["op_id"];

  Ran fresh = call({"--new-op"});
  ASSERT_EQ(fresh.code, 0) << fresh.err;
  EXPECT_EQ(OpsList().size(), 2u);
  EXPECT_EQ(Executions("cli-derived"), 2);
}

TEST_F(CallCliTest, SameOpIdWithADifferentBodyIsRefusedLocally) {
  ASSERT_EQ(
      Call("POST", "/v3/aml/", R"({"full_name":"Ada","vendor_data":"cli-fp"})", "cli-fp").code, 0);
  const auto requests = json::parse(sandbox_->StatsJson())["requests"];
  Ran other = Call("POST", "/v3/aml/", R"({"full_name":"Grace","vendor_data":"cli-fp"})", "cli-fp");
  EXPECT_NE(other.code, 0);
  EXPECT_NE(other.err.find("cli-fp"), std::string::npos) << other.err;
  // Nothing was sent.
  EXPECT_EQ(json::parse(sandbox_->StatsJson())["requests"], requests);
  EXPECT_EQ(Executions("cli-fp"), 1);
}

TEST_F(CallCliTest, DefinitiveRefusalExitsOneWithTheServersAnswer) {
  // No full_name: the sandbox answers 400, which is final.
  Ran ran = Call("POST", "/v3/aml/", R"({"vendor_data":"cli-bad"})", "cli-bad");
  EXPECT_EQ(ran.code, 1) << ran.err;
  // Once, on stderr, the answer said once (not again in brackets).
  EXPECT_EQ(ran.out, "");
  EXPECT_EQ(ran.err.rfind("idem call: refused: 400 ", 0), 0u) << ran.err;
  EXPECT_NE(ran.err.find("full_name"), std::string::npos) << ran.err;
  EXPECT_EQ(ran.err.find("["), std::string::npos) << ran.err;
  EXPECT_EQ(OpsShow("cli-bad")["state"], "failed");
  EXPECT_EQ(Executions("cli-bad"), 0);

  // With --json: the answer's parts as fields; the same op, so nothing sent.
  Ran as_json =
      Run({"call", "POST", "/v3/aml/", "--data", R"({"vendor_data":"cli-bad"})", "--op-id",
           "cli-bad", "--base-url", sandbox_->base_url(), "--api-key", kSecret, "--json"});
  EXPECT_EQ(as_json.code, 1) << as_json.err;
  EXPECT_EQ(as_json.err, "");
  const json error = json::parse(as_json.out, nullptr, false);
  ASSERT_TRUE(error.is_object()) << as_json.out;
  EXPECT_EQ(error["error"], "refused");
  EXPECT_EQ(error["op_id"], "cli-bad");
  EXPECT_EQ(error["http_status"], 400);
  EXPECT_TRUE(error["field_errors"].contains("full_name")) << as_json.out;
  EXPECT_EQ(Executions("cli-bad"), 0);
}

// A refused key is a configuration error (exit 4), never printed, and not
// the op's outcome: the same call with the right key goes through.
TEST_F(CallCliTest, AWrongKeyExitsFourAndTheSameCallWithTheRightKeyGoesThrough) {
  auto call = [&](const std::string& key) {
    return Run({"call", "POST", "/v3/aml/", "--data", R"({"full_name":"Ada","vendor_data":"k"})",
                "--op-id", "cli-401", "--base-url", sandbox_->base_url(), "--api-key", key,
                "--backoff-base-ms", "1"});
  };
  Ran ran = call(std::string(kSecret) + "-wrong");
  EXPECT_EQ(ran.code, 4) << ran.err;
  EXPECT_EQ(ran.err.find("-wrong"), std::string::npos) << ran.err;
  EXPECT_EQ(ran.err.rfind("idem call: permission_denied: 401 ", 0), 0u) << ran.err;
  EXPECT_NE(ran.err.find("nothing executed"), std::string::npos) << ran.err;
  EXPECT_EQ(OpsShow("cli-401")["state"], "unknown");
  EXPECT_EQ(Executions("k"), 0);
  Ran fixed = call(kSecret);
  EXPECT_EQ(fixed.code, 0) << fixed.err;
  EXPECT_EQ(OpsShow("cli-401")["state"], "succeeded");
  EXPECT_EQ(Executions("k"), 1);
}

// Configuration is checked before anything is journaled: no op is burned.
TEST_F(CallCliTest, ConfigurationMistakesStoreNothing) {
  Ran bad_url = Run({"call", "POST", "/v3/aml/", "--data", R"({"full_name":"Ada"})", "--op-id",
                     "cli-url", "--base-url", "127.0.0.1:8790", "--api-key", kSecret});
  EXPECT_EQ(bad_url.code, 4) << bad_url.err;
  EXPECT_NE(bad_url.err.find("base_url"), std::string::npos) << bad_url.err;
  Ran no_key = Run({"call", "POST", "/v3/aml/", "--data", R"({"full_name":"Ada"})", "--op-id",
                    "cli-nokey", "--base-url", sandbox_->base_url(), "--api-key", ""});
  EXPECT_EQ(no_key.code, 4) << no_key.err;
  EXPECT_TRUE(OpsList().empty());
  EXPECT_EQ(json::parse(sandbox_->StatsJson())["requests"], 0);
}

TEST_F(CallCliTest, UnknownOutcomeExitsThreeAndResumeSettlesIt) {
  const std::string body = R"({"full_name":"Alan Turing","vendor_data":"cli-unknown"})";
  const std::string down = "http://127.0.0.1:" + std::to_string(testing::UnusedLoopbackPort());
  Ran ran = Call("POST", "/v3/aml/", body, "cli-unknown", down, "2");
  EXPECT_EQ(ran.code, 3) << ran.err;
  EXPECT_NE(ran.err.find("idem resume"), std::string::npos) << ran.err;

  json unknown = OpsList("unknown");
  ASSERT_EQ(unknown.size(), 1u) << unknown.dump();
  EXPECT_EQ(unknown[0]["op_id"], "cli-unknown");
  EXPECT_EQ(unknown[0]["attempts"], 2);
  const std::string key = unknown[0]["idem_key"];
  EXPECT_TRUE(OpsList("succeeded").empty());

  // The server is back: resume sends the op once, with its original key.
  Ran resumed = Run({"resume", "--base-url", sandbox_->base_url(), "--api-key", kSecret,
                     "--backoff-base-ms", "1", "--backoff-cap-ms", "5"});
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  json op = OpsShow("cli-unknown");
  EXPECT_EQ(op["state"], "succeeded") << op.dump();
  EXPECT_EQ(op["idem_key"], key);
  EXPECT_EQ(Executions("cli-unknown"), 1);
}

TEST_F(CallCliTest, TheKeyIsNotInTheJournalFile) {
  ASSERT_EQ(Call("POST", "/v3/aml/", R"({"full_name":"Ada","vendor_data":"cli-j"})", "cli-j").code,
            0);
  std::string bytes;
  for (const char* suffix : {"", "-wal"}) bytes += ReadWholeFile(Journal() + suffix);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(kSecret), std::string::npos);
}

TEST_F(CallCliTest, UsageErrorsExitTwoAndStoreNothing) {
  EXPECT_EQ(Run({"call", "POST", "v3/aml/", "--data", "{}"}).code, 2);
  EXPECT_EQ(Run({"call", "POST"}).code, 2);
  EXPECT_EQ(Run({"call", "POST", "/v3/aml/", "--data", "{}", "--data-file", "/dev/null"}).code, 2);
  EXPECT_EQ(Run({"ops", "list", "--state", "sideways"}).code, 2);
  EXPECT_EQ(json::parse(sandbox_->StatsJson())["requests"], 0);
}

// A billed call Didit cannot deduplicate and that cannot be looked up (an AML
// check with save_api_request=false, the server told to honour no key): its
// lost answer stops it for a person, exit 3, and nothing re-sends it; `idem
// ops resolve` settles it either way.
TEST_F(CallCliTest, AnUnprovableCallStopsForReviewAndOpsResolveSettlesIt) {
  SandboxOptions options;
  options.port = 0;
  options.api_key = kSecret;
  options.faults = "drop_after=1";  // executes, then the answer is lost
  auto faulty = Sandbox::Start(options);
  ASSERT_TRUE(faulty) << faulty.error().ToString();
  auto call = [&](const std::string& op_id) {
    return Run({"call", "POST", "/v3/aml/", "--data",
                R"({"full_name":"Ada","save_api_request":false,"vendor_data":")" + op_id + R"("})",
                "--op-id", op_id, "--keyed-kinds", "none", "--base-url", (*faulty)->base_url(),
                "--api-key", kSecret, "--backoff-base-ms", "1", "--backoff-cap-ms", "5"});
  };
  auto executions = [&](Sandbox& sandbox, const std::string& vendor_data) {
    const json all = json::parse(sandbox.ExecutionsJson());
    int n = 0;
    for (const auto& e : all["executions"]) {
      if (e["vendor_data"] == vendor_data) ++n;
    }
    return n;
  };
  for (const char* op_id : {"cli-rev-1", "cli-rev-2"}) {
    Ran ran = call(op_id);
    EXPECT_EQ(ran.code, 3) << ran.err;
    EXPECT_NE(ran.err.find("needs review"), std::string::npos) << ran.err;
    EXPECT_NE(ran.err.find(std::string("idem ops resolve ") + op_id), std::string::npos) << ran.err;
    EXPECT_EQ(executions(**faulty, op_id), 1);
  }
  // Listed for review; neither a re-run nor resume sends it again.
  Ran review = Run({"ops", "list", "--needs-review", "--json"});
  ASSERT_EQ(review.code, 0) << review.err;
  const json listed = json::parse(review.out, nullptr, false);
  ASSERT_TRUE(listed.is_array()) << review.out;
  ASSERT_EQ(listed.size(), 2u) << review.out;
  EXPECT_EQ(listed[0]["needs_review"], true);
  EXPECT_NE(listed[0]["last_error"].get<std::string>().find("not re-sent"), std::string::npos)
      << listed[0].dump();
  EXPECT_NE(Run({"ops", "list"}).out.find("unknown*"), std::string::npos);
  EXPECT_EQ(call("cli-rev-1").code, 3);
  Ran resumed = Run({"resume", "--base-url", sandbox_->base_url(), "--api-key", kSecret});
  EXPECT_EQ(resumed.code, 3) << "ops still wait for a person: " << resumed.err;
  EXPECT_EQ(json::parse(resumed.out)["claimed"], 0) << resumed.out;
  EXPECT_EQ(json::parse(resumed.out)["needs_review"], 2) << resumed.out;
  EXPECT_NE(resumed.err.find("idem ops resolve"), std::string::npos) << resumed.err;
  EXPECT_EQ(executions(**faulty, "cli-rev-1"), 1);

  // Usage: exactly one verdict; --resource-id only with --executed.
  EXPECT_EQ(Run({"ops", "resolve", "cli-rev-1"}).code, 2);
  EXPECT_EQ(Run({"ops", "resolve", "cli-rev-1", "--executed", "--not-executed"}).code, 2);
  EXPECT_EQ(Run({"ops", "resolve", "cli-rev-1", "--not-executed", "--resource-id", "x"}).code, 2);
  EXPECT_EQ(Run({"ops", "resolve", "cli-rev-1", "--executed", "--note", "two\nlines"}).code, 2);
  EXPECT_EQ(Run({"ops", "resolve", "no-such-op", "--executed"}).code, 1);

  // "It executed": succeeded, journaled with who and why.
  Ran executed = Run({"ops", "resolve", "cli-rev-1", "--executed", "--resource-id", "req-1", "--by",
                      "tester", "--note", "seen in the console"});
  ASSERT_EQ(executed.code, 0) << executed.err;
  const json settled = json::parse(executed.out, nullptr, false);
  EXPECT_EQ(settled["state"], "succeeded") << executed.out;
  EXPECT_EQ(settled["resource_id"], "req-1");
  EXPECT_NE(settled["audit"].get<std::string>().find("resolved by tester: executed"),
            std::string::npos)
      << executed.out;
  EXPECT_EQ(Run({"ops", "resolve", "cli-rev-1", "--executed"}).code, 1) << "not unknown now";

  // "It did not": a fresh key, sent by the next resume (here against a
  // healthy sandbox), once.
  const std::string old_key = OpsShow("cli-rev-2")["idem_key"];
  Ran not_executed = Run({"ops", "resolve", "cli-rev-2", "--not-executed", "--by", "tester"});
  ASSERT_EQ(not_executed.code, 0) << not_executed.err;
  EXPECT_NE(not_executed.err.find("idem resume"), std::string::npos) << not_executed.err;
  EXPECT_EQ(json::parse(not_executed.out)["state"], "in_flight");
  Ran sent = Run({"resume", "--base-url", sandbox_->base_url(), "--api-key", kSecret,
                  "--keyed-kinds", "none"});
  EXPECT_EQ(sent.code, 0) << sent.err << sent.out;
  const json op = OpsShow("cli-rev-2");
  EXPECT_EQ(op["state"], "succeeded") << op.dump();
  EXPECT_NE(op["idem_key"], old_key);
  EXPECT_EQ(Executions("cli-rev-2"), 1);
}

// `idem call` takes the Didit kind of the path: a raw POST /v3/aml/ is an
// aml op (its key facts and look-up apply, its natural key read from the
// body), not a generic `call`.
TEST_F(CallCliTest, ADiditPathGetsItsKind) {
  Ran ran = Run({"call", "POST", "/v3/aml/", "--data", R"({"full_name":"Ada","vendor_data":"k"})",
                 "--op-id", "cli-kind", "--base-url", sandbox_->base_url(), "--api-key", kSecret});
  ASSERT_EQ(ran.code, 0) << ran.err;
  const json op = OpsShow("cli-kind");
  EXPECT_EQ(op["kind"], "aml");
  EXPECT_EQ(op["natural_key"], "check:AML:k");
}

// Commands that only read or recover must not create a journal because of a
// typo: exit 4, and no file appears.
TEST_F(CallCliTest, ReadOnlyCommandsRefuseAJournalThatDoesNotExist) {
  const std::string missing = (dir_ / "tyop.db").string();
  for (std::vector<std::string> args :
       {std::vector<std::string>{"resume", "--api-key", kSecret, "--base-url",
                                 sandbox_->base_url()},
        {"ops", "list"},
        {"ops", "show", "x"},
        {"ops", "resolve", "x", "--executed"}}) {
    args.insert(args.end(), {"--journal", missing});
    args.insert(args.begin(), IdemBin());
    const std::string err = (dir_ / "err.txt").string();
    const int code = WaitExit(SpawnChild(args, (dir_ / "out.txt").string(), err));
    EXPECT_EQ(code, 4) << args[1];
    EXPECT_NE(ReadWholeFile(err).find("no journal at"), std::string::npos) << ReadWholeFile(err);
    EXPECT_FALSE(std::filesystem::exists(missing)) << args[1] << " created the journal";
  }
  const std::string err = (dir_ / "err.txt").string();
  EXPECT_EQ(WaitExit(SpawnChild({IdemBin(), "webhook", "events", "--journal", missing},
                                (dir_ / "out.txt").string(), err)),
            4);
  EXPECT_FALSE(std::filesystem::exists(missing));
}

// Issue 16: a mistyped postgres:// scheme was taken for a SQLite path (a
// directory "postgress:" appeared) and the error printed the password.
TEST_F(CallCliTest, AMistypedDatabaseUrlIsRefusedWithoutItsPassword) {
  const std::string url = "postgress://idem:s3cret-pw@127.0.0.1:5432/idem";
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"call", "POST", "/v3/aml/", "--data", R"({"full_name":"A"})",
                                 "--api-key", kSecret, "--base-url", sandbox_->base_url()},
        {"resume", "--api-key", kSecret, "--base-url", sandbox_->base_url()},
        {"ops", "list"}}) {
    args.insert(args.begin(), IdemBin());
    args.insert(args.end(), {"--journal", url});
    const std::string out = (dir_ / "out.txt").string();
    const std::string err = (dir_ / "err.txt").string();
    EXPECT_EQ(WaitExit(SpawnChild(args, out, err)), 4) << args[1];
    EXPECT_EQ(ReadWholeFile(err).find("s3cret-pw"), std::string::npos) << ReadWholeFile(err);
    EXPECT_EQ(ReadWholeFile(out).find("s3cret-pw"), std::string::npos) << ReadWholeFile(out);
    EXPECT_NE(ReadWholeFile(err).find("postgresql://"), std::string::npos) << ReadWholeFile(err);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "postgress:"));
  std::filesystem::current_path(cwd);
  EXPECT_EQ(json::parse(sandbox_->ExecutionsJson())["count"], 0) << "nothing was sent";
}

// Issue 16, item 7: the API key from a file (not argv, where `ps` shows it);
// an unreadable or wrong one is a configuration error that never prints it.
TEST_F(CallCliTest, TheApiKeyComesFromAFileAndIsNeverPrinted) {
  const std::string key_file = (dir_ / "api.key").string();
  std::ofstream(key_file) << kSecret << "\n";
  const std::string body = R"({"full_name":"Key File","vendor_data":"cli-key-file"})";
  Ran ok = Run({"call", "POST", "/v3/aml/", "--data", body, "--base-url", sandbox_->base_url(),
                "--api-key-file", key_file});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(Executions("cli-key-file"), 1);

  // Missing file: exit 4, the path named, nothing sent or stored.
  const std::string missing = (dir_ / "missing.key").string();
  Ran none = Run({"call", "POST", "/v3/aml/", "--data", R"({"full_name":"No Key"})", "--base-url",
                  sandbox_->base_url(), "--api-key-file", missing});
  EXPECT_EQ(none.code, 4) << none.err;
  EXPECT_NE(none.err.find(missing), std::string::npos) << none.err;

  // A wrong key from a file: refused by the server (exit 4), and the wrong
  // key appears in no output either (Run checks the right one everywhere).
  const std::string wrong_file = (dir_ / "wrong.key").string();
  const std::string wrong = "wrong-key-0123456789abcdef";
  std::ofstream(wrong_file) << wrong;
  Ran refused = Run({"call", "POST", "/v3/aml/", "--data", R"({"full_name":"Wrong Key"})",
                     "--base-url", sandbox_->base_url(), "--api-key-file", wrong_file});
  EXPECT_EQ(refused.code, 4) << refused.err;
  EXPECT_EQ(refused.out.find(wrong), std::string::npos) << refused.out;
  EXPECT_EQ(refused.err.find(wrong), std::string::npos) << refused.err;
  // --api-key and --api-key-file together: usage.
  EXPECT_EQ(
      Run({"call", "GET", "/v3/sessions/", "--api-key", "x", "--api-key-file", key_file}).code, 2);
}

// Issue 18: `idem --version` exited 2 ("A subcommand is required"), an
// unknown command got the same misleading message, and usage lines printed
// the binary's full path.
TEST_F(CallCliTest, VersionUnknownCommandsAndUsageLinesSayWhatTheyMean) {
  const std::string out = (dir_ / "out.txt").string();
  const std::string err = (dir_ / "err.txt").string();
  EXPECT_EQ(WaitExit(SpawnChild({IdemBin(), "--version"}, out, err)), 0);
  EXPECT_EQ(ReadWholeFile(out).rfind("idem ", 0), 0u) << ReadWholeFile(out);
  EXPECT_EQ(WaitExit(SpawnChild({IdemBin(), "frobnicate"}, out, err)), 2);
  EXPECT_NE(ReadWholeFile(err).find("unknown command 'frobnicate'"), std::string::npos)
      << ReadWholeFile(err);
  EXPECT_EQ(WaitExit(SpawnChild({IdemBin(), "aml", "--help"}, out, err)), 0);
  EXPECT_NE(ReadWholeFile(out).find("Usage: idem aml"), std::string::npos) << ReadWholeFile(out);
  EXPECT_EQ(ReadWholeFile(out).find(IdemBin()), std::string::npos) << ReadWholeFile(out);
}

// `idem trigger` moves a sandbox session (the sandbox then sends its webhook).
TEST_F(CallCliTest, TriggerMovesASandboxSession) {
  auto transport = MakeCurlTransport({});
  auto created = transport->SendAndWait(
      {"POST",
       sandbox_->base_url() + "/v3/session/",
       {{"x-api-key", kSecret}, {"Content-Type", "application/json"}},
       R"({"workflow_id":"11111111-2222-4333-8444-555555555555","vendor_data":"t"})"});
  ASSERT_TRUE(created && created->status == 201);
  const std::string id = json::parse(created->body)["session_id"];
  auto trigger = [&](const std::string& session, const std::string& status,
                     const std::string& base_url) {
    const std::string out = (dir_ / "out.txt").string(), err = (dir_ / "err.txt").string();
    Ran ran;
    ran.code = WaitExit(
        SpawnChild({IdemBin(), "trigger", session, status, "--base-url", base_url}, out, err));
    ran.out = ReadWholeFile(out);
    ran.err = ReadWholeFile(err);
    return ran;
  };
  Ran moved = trigger(id, "Approved", sandbox_->base_url());
  EXPECT_EQ(moved.code, 0) << moved.err;
  EXPECT_EQ(json::parse(moved.out, nullptr, false).value("status", ""), "Approved") << moved.out;
  EXPECT_EQ(trigger("no-such-session", "Approved", sandbox_->base_url()).code, 1);
  Ran bad = trigger(id, "Sort Of", sandbox_->base_url());
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("not a Didit status"), std::string::npos) << bad.err;
  // Didit's API has no such control: refused before anything is sent.
  EXPECT_EQ(trigger(id, "Approved", "https://verification.didit.me").code, 2);
  // data.updated: the sandbox sends that event; the session keeps its status.
  Ran data = trigger(id, "data.updated", sandbox_->base_url());
  EXPECT_EQ(data.code, 0) << data.err;
  auto answer = json::parse(data.out, nullptr, false);
  EXPECT_EQ(answer.value("webhook_type", ""), "data.updated") << data.out;
  EXPECT_EQ(answer.value("status", ""), "Approved") << data.out;
  EXPECT_EQ(trigger("no-such-session", "data.updated", sandbox_->base_url()).code, 1);
}

}  // namespace
}  // namespace idem
