// `idem webhook destinations ...`, `idem webhook config ...` and `idem
// transaction ...` (issue 14) as a user runs them: real processes
// ($IDEM_BIN) against the real sandbox on 127.0.0.1, port 0, and a SQLite
// journal file; what they print on stdout and stderr, where the secret
// appears and where it must not, and their exit codes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "idem/sandbox.h"
#include "testing/child_process.h"

namespace idem {
namespace {

using nlohmann::json;
using testing::IdemBin;
using testing::Ran;
using testing::ReadWholeFile;
using testing::RunToEnd;

// What a command printed on stdout, as JSON (discarded when it is not).
json Json(const Ran& ran) { return json::parse(ran.out, nullptr, false); }
using testing::SpawnChild;
using testing::WaitExit;

constexpr char kKey[] = "sk-cli-surface";

class SurfaceCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("idem-surface-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    sandbox_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartSandbox(const std::string& faults = "") {
    SandboxOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.api_key = kKey;
    options.faults = faults;
    auto sandbox = Sandbox::Start(options);
    ASSERT_TRUE(sandbox.has_value()) << sandbox.error().ToString();
    sandbox_ = std::move(*sandbox);
  }

  // `idem ARGS` with the client flags (the sandbox, its key, the journal,
  // fast retries).
  Ran Run(std::vector<std::string> args) {
    args.insert(args.end(), {"--base-url", sandbox_->base_url(), "--api-key", kKey,
                             "--backoff-base-ms", "1", "--backoff-cap-ms", "5"});
    return RunWithJournal(std::move(args));
  }

  // `idem ARGS --journal J`: for the commands that only read the journal.
  Ran RunWithJournal(std::vector<std::string> args) {
    args.insert(args.begin(), IdemBin());
    args.insert(args.end(), {"--journal", (dir_ / "journal.db").string()});
    return RunToEnd(args, dir_.string());
  }

  json Stats() { return json::parse(sandbox_->StatsJson()); }

  std::filesystem::path dir_;
  std::unique_ptr<Sandbox> sandbox_;
};

TEST_F(SurfaceCli, DestinationsRoundTripAndTheSecretOnlyWhereAsked) {
  StartSandbox();
  Ran made =
      Run({"webhook", "destinations", "create", "--url", "https://a.example.com/hook", "--label",
           "prod", "--event", "status.updated", "--event", "data.updated", "--op-id", "dest-a"});
  ASSERT_EQ(made.code, 0) << made.err;
  const json created = Json(made);
  const std::string uuid = created.value("uuid", "");
  const std::string secret = created.value("secret_shared_key", "");
  ASSERT_FALSE(uuid.empty()) << made.out;
  ASSERT_EQ(secret.size(), 43u) << made.out;
  EXPECT_EQ(created["subscribed_events"], json({"status.updated", "data.updated"}));
  EXPECT_EQ(std::count(made.out.begin(), made.out.end(), '\n'), 1) << made.out;
  EXPECT_EQ(made.err.find(secret), std::string::npos) << made.err;
  // The same command again is the same op: its stored answer, nothing sent.
  Ran again =
      Run({"webhook", "destinations", "create", "--url", "https://a.example.com/hook", "--label",
           "prod", "--event", "status.updated,data.updated", "--op-id", "dest-a", "--json"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(Json(again).value("uuid", ""), uuid) << again.out;
  EXPECT_EQ(Stats()["executions"]["create_webhook_destination"], 1);
  // The journal keeps the answer; `ops show` prints it with the secret redacted.
  Ran op = RunWithJournal({"ops", "show", "dest-a"});
  ASSERT_EQ(op.code, 0) << op.err;
  EXPECT_EQ(op.out.find(secret), std::string::npos) << op.out;
  EXPECT_EQ(Json(op)["response_json"].value("secret_shared_key", ""), "[redacted]") << op.out;
  EXPECT_EQ(Json(op)["response_json"].value("uuid", ""), uuid);

  // get: with the secret, in text mode and with --json alike.
  for (const bool as_json : {false, true}) {
    std::vector<std::string> args = {"webhook", "destinations", "get", uuid};
    if (as_json) args.push_back("--json");
    Ran got = Run(args);
    ASSERT_EQ(got.code, 0) << got.err;
    EXPECT_EQ(Json(got).value("secret_shared_key", ""), secret) << got.out;
    EXPECT_EQ(got.err.find(secret), std::string::npos) << got.err;
  }

  // list: a table with a header, or JSON; never the secret.
  Ran table = Run({"webhook", "destinations", "list"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out,
            "UUID\tLABEL\tURL\tENABLED\tEVENTS\n" + uuid +
                "\tprod\thttps://a.example.com/hook\tyes\tstatus.updated,data.updated\n");
  Ran listed = Run({"webhook", "destinations", "list", "--json"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  ASSERT_TRUE(Json(listed).is_array()) << listed.out;
  ASSERT_EQ(Json(listed).size(), 1u);
  EXPECT_EQ(Json(listed)[0].value("uuid", ""), uuid);
  for (const Ran* r : {&table, &listed}) {
    EXPECT_EQ(r->out.find(secret), std::string::npos) << r->out;
    EXPECT_EQ(r->err.find(secret), std::string::npos) << r->err;
  }

  // update: the fields changed, printed without the secret.
  Ran updated = Run({"webhook", "destinations", "update", uuid, "--disabled", "--event",
                     "transaction.created", "--label", "staging"});
  ASSERT_EQ(updated.code, 0) << updated.err;
  EXPECT_EQ(Json(updated).value("enabled", true), false) << updated.out;
  EXPECT_EQ(Json(updated).value("label", ""), "staging");
  EXPECT_EQ(Json(updated)["subscribed_events"], json({"transaction.created"}));
  EXPECT_FALSE(Json(updated).contains("secret_shared_key")) << updated.out;
  EXPECT_EQ(updated.out.find(secret), std::string::npos);
  EXPECT_EQ(updated.err.find(secret), std::string::npos);
  EXPECT_EQ(Run({"webhook", "destinations", "update", uuid}).code, 2) << "nothing to change";

  // delete: gone from the list, and a get is Didit's 404, a refusal.
  Ran deleted = Run({"webhook", "destinations", "delete", uuid});
  ASSERT_EQ(deleted.code, 0) << deleted.err;
  EXPECT_EQ(Json(deleted).value("deleted", false), true) << deleted.out;
  EXPECT_EQ(Run({"webhook", "destinations", "list"}).out, "UUID\tLABEL\tURL\tENABLED\tEVENTS\n");
  Ran gone = Run({"webhook", "destinations", "get", uuid, "--json"});
  EXPECT_EQ(gone.code, 1) << gone.err;
  EXPECT_EQ(Json(gone).value("http_status", 0), 404) << gone.out;
}

TEST_F(SurfaceCli, SecretOutWritesTheSecretPrivatelyInsteadOfPrintingIt) {
  StartSandbox();
  const std::string file = (dir_ / "dest.secret").string();
  Ran made = Run({"webhook", "destinations", "create", "--url", "https://b.example.com/hook",
                  "--label", "b", "--secret-out", file});
  ASSERT_EQ(made.code, 0) << made.err;
  const std::string written = ReadWholeFile(file);
  ASSERT_EQ(written.size(), 44u) << "43 characters and a newline";
  const std::string secret = written.substr(0, 43);
  EXPECT_FALSE(Json(made).contains("secret_shared_key")) << made.out;
  EXPECT_EQ(Json(made).value("secret_shared_key_file", ""), file);
  EXPECT_EQ(made.out.find(secret), std::string::npos);
  EXPECT_EQ(made.err.find(secret), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // get writes the same secret.
  const std::string again = (dir_ / "again.secret").string();
  Ran got =
      Run({"webhook", "destinations", "get", Json(made).value("uuid", ""), "--secret-out", again});
  ASSERT_EQ(got.code, 0) << got.err;
  EXPECT_EQ(ReadWholeFile(again), written);
  // A file that cannot be written is refused before anything is sent.
  const int requests = Stats()["requests"].get<int>();
  Ran bad = Run({"webhook", "destinations", "create", "--url", "https://c.example.com/hook",
                 "--label", "c", "--secret-out", dir_.string()});
  EXPECT_EQ(bad.code, 4) << bad.err;
  EXPECT_EQ(Stats()["requests"], requests);
}

TEST_F(SurfaceCli, DiditRefusalsReachTheUserOnceInTheErrorShape) {
  StartSandbox();
  // Not a public host: passes the local checks, Didit answers 400 on url.
  const std::vector<std::string> args = {
      "webhook", "destinations", "create", "--url", "https://127.0.0.1/hook", "--label", "local"};
  Ran text = Run(args);
  EXPECT_EQ(text.code, 1) << text.err;
  EXPECT_EQ(text.out, "");
  EXPECT_EQ(text.err.rfind("idem webhook destinations create: ", 0), 0u) << text.err;
  EXPECT_EQ(std::count(text.err.begin(), text.err.end(), '\n'), 1) << text.err;
  std::vector<std::string> with_json = args;
  with_json.insert(with_json.end(), {"--new-op", "--json"});
  Ran as_json = Run(with_json);
  EXPECT_EQ(as_json.code, 1);
  EXPECT_EQ(as_json.err, "");
  EXPECT_EQ(std::count(as_json.out.begin(), as_json.out.end(), '\n'), 1) << as_json.out;
  const json error = Json(as_json);
  EXPECT_EQ(error.value("command", ""), "idem webhook destinations create") << as_json.out;
  EXPECT_EQ(error.value("http_status", 0), 400);
  EXPECT_EQ(error["field_errors"]["url"][0], "The URL must use HTTPS and a public host.");
  // Refused locally (exit 2), nothing sent: an unknown event, http://.
  const int requests = Stats()["requests"].get<int>();
  EXPECT_EQ(Run({"webhook", "destinations", "create", "--url", "https://d.example.com/h", "--label",
                 "d", "--event", "no.such"})
                .code,
            2);
  EXPECT_EQ(
      Run({"webhook", "destinations", "create", "--url", "http://d.example.com/h", "--label", "d"})
          .code,
      2);
  EXPECT_EQ(Stats()["requests"], requests);
}

TEST_F(SurfaceCli, TheLegacyWebhookConfig) {
  StartSandbox();
  Ran got = Run({"webhook", "config", "get"});
  ASSERT_EQ(got.code, 0) << got.err;
  const std::string secret = Json(got).value("secret_shared_key", "");
  ASSERT_EQ(secret.size(), 43u) << got.out;
  EXPECT_TRUE(Json(got)["webhook_url"].is_null()) << got.out;

  Ran set = Run({"webhook", "config", "set", "--url", "https://e.example.com/hook"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(Json(set).value("webhook_url", ""), "https://e.example.com/hook") << set.out;
  EXPECT_FALSE(Json(set).contains("secret_shared_key")) << set.out;
  EXPECT_EQ(set.err.find(secret), std::string::npos);

  // A rotation prints the new secret, or writes it with --secret-out.
  Ran rotated = Run({"webhook", "config", "set", "--rotate-secret", "--json"});
  ASSERT_EQ(rotated.code, 0) << rotated.err;
  const std::string second = Json(rotated).value("secret_shared_key", "");
  EXPECT_EQ(second.size(), 43u) << rotated.out;
  EXPECT_NE(second, secret);
  const std::string file = (dir_ / "legacy.secret").string();
  Ran to_file = Run({"webhook", "config", "set", "--rotate-secret", "--secret-out", file});
  ASSERT_EQ(to_file.code, 0) << to_file.err;
  const std::string third = ReadWholeFile(file).substr(0, 43);
  EXPECT_NE(third, second) << "each run rotates";
  EXPECT_EQ(to_file.out.find(third), std::string::npos);
  EXPECT_EQ(Json(Run({"webhook", "config", "get"})).value("secret_shared_key", ""), third);

  Ran disabled = Run({"webhook", "config", "set", "--disable"});
  ASSERT_EQ(disabled.code, 0) << disabled.err;
  EXPECT_TRUE(Json(disabled)["webhook_url"].is_null()) << disabled.out;
  Ran refused = Run({"webhook", "config", "set", "--url", "https://localhost/x", "--json"});
  EXPECT_EQ(refused.code, 1) << refused.err;
  EXPECT_EQ(Json(refused).value("http_status", 0), 400) << refused.out;
  EXPECT_EQ(Run({"webhook", "config", "set"}).code, 2) << "nothing to change";
  EXPECT_EQ(Run({"webhook", "config", "set", "--secret-out", file}).code, 2)
      << "--secret-out needs --rotate-secret";
}

TEST_F(SurfaceCli, TransactionsCreateGetFind) {
  StartSandbox();
  const std::vector<std::string> create = {
      "transaction",   "create",         "--transaction-id",
      "order-1",       "--category",     "finance",
      "--direction",   "outbound",       "--amount",
      "1500.2500",     "--currency",     "EUR",
      "--vendor-data", "user-1",         "--full-name",
      "Maria Garcia",  "--counterparty", R"({"full_name":"Bob"})"};
  Ran made = Run(create);
  ASSERT_EQ(made.code, 0) << made.err;
  const json tx = Json(made);
  const std::string uuid = tx.value("uuid", "");
  ASSERT_FALSE(uuid.empty()) << made.out;
  EXPECT_EQ(tx.value("txn_id", ""), "order-1");
  EXPECT_EQ(tx.value("amount", ""), "1500.25");
  EXPECT_EQ(Json(Run(create)), tx) << "the same command is the same op";
  EXPECT_EQ(Stats()["executions"]["create_transaction"], 1);

  for (const bool as_json : {false, true}) {
    std::vector<std::string> get = {"transaction", "get", uuid};
    std::vector<std::string> find = {"transaction", "find", "--transaction-id", "order-1"};
    if (as_json) {
      get.push_back("--json");
      find.push_back("--json");
    }
    Ran got = Run(get);
    ASSERT_EQ(got.code, 0) << got.err;
    EXPECT_EQ(Json(got).value("uuid", ""), uuid) << got.out;
    Ran found = Run(find);
    ASSERT_EQ(found.code, 0) << found.err;
    EXPECT_EQ(Json(found).value("uuid", ""), uuid) << found.out;
  }
  Ran missing = Run({"transaction", "find", "--transaction-id", "nope", "--json"});
  EXPECT_EQ(missing.code, 1) << missing.err;
  EXPECT_EQ(Json(missing).value("error", ""), "not_found") << missing.out;

  // Another request with the id: Didit's 400, once, in the error shape.
  std::vector<std::string> other = create;
  other[9] = "99";  // the amount
  Ran taken = Run(other);
  EXPECT_EQ(taken.code, 1) << taken.err;
  EXPECT_EQ(taken.out, "");
  EXPECT_EQ(taken.err.rfind("idem transaction create: ", 0), 0u) << taken.err;
  EXPECT_EQ(std::count(taken.err.begin(), taken.err.end(), '\n'), 1) << taken.err;
  other.push_back("--json");
  other.push_back("--new-op");
  Ran taken_json = Run(other);
  EXPECT_EQ(taken_json.code, 1);
  EXPECT_EQ(taken_json.err, "");
  EXPECT_EQ(Json(taken_json).value("http_status", 0), 400) << taken_json.out;
  EXPECT_TRUE(Json(taken_json)["field_errors"].contains("transaction_id")) << taken_json.out;
  EXPECT_EQ(Stats()["executions"]["create_transaction"], 1);
  // Bad input: nothing sent.
  other.pop_back();
  other.pop_back();
  other[9] = "1e5";
  EXPECT_EQ(Run(other).code, 2);
  EXPECT_EQ(Run({"transaction", "create", "--transaction-id", "x", "--category", "finance",
                 "--direction", "out", "--amount", "1", "--currency", "EUR", "--vendor-data", "u",
                 "--full-name", "U", "--counterparty", "[1]"})
                .code,
            2);
  EXPECT_EQ(Stats()["executions"]["create_transaction"], 1);
}

// The answer to a create is lost after Didit executed it: the command
// finds the transaction by its id and ends succeeded, one execution.
TEST_F(SurfaceCli, ATransactionWhoseAnswerIsLostEndsSucceededWithOneExecution) {
  StartSandbox("drop_after=1@writes");
  Ran made = Run({"transaction", "create", "--transaction-id", "order-lost", "--category",
                  "finance", "--direction", "in", "--amount", "10.50", "--currency", "EUR",
                  "--vendor-data", "user-2", "--full-name", "Ada Lovelace", "--op-id", "tx-lost"});
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_EQ(Json(made).value("txn_id", ""), "order-lost") << made.out;
  EXPECT_NE(made.err.find("found by look-up"), std::string::npos) << made.err;
  EXPECT_EQ(Stats()["executions"]["create_transaction"], 1);
  Ran op = RunWithJournal({"ops", "show", "tx-lost"});
  ASSERT_EQ(op.code, 0) << op.err;
  EXPECT_EQ(Json(op).value("state", ""), "succeeded") << op.out;
}

}  // namespace
}  // namespace idem
