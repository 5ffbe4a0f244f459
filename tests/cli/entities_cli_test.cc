// `idem user ...`, `idem business ...`, `idem workflow ...`, `idem kyb ...`
// and `idem session update-data` (issue 14) as a user runs them: real processes
// ($IDEM_BIN) against the real sandbox on 127.0.0.1, port 0, and a SQLite
// journal file; what they print on stdout and stderr and their exit codes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
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
using testing::RunToEnd;

// What a command printed on stdout, as JSON (discarded when it is not).
json Json(const Ran& ran) { return json::parse(ran.out, nullptr, false); }

int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

constexpr char kKey[] = "sk-cli-entities";

class EntitiesCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("idem-entities-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    SandboxOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.api_key = kKey;
    auto sandbox = Sandbox::Start(options);
    ASSERT_TRUE(sandbox.has_value()) << sandbox.error().ToString();
    sandbox_ = std::move(*sandbox);
  }
  void TearDown() override {
    sandbox_.reset();
    std::filesystem::remove_all(dir_);
  }

  // `idem ARGS` with the client flags (the sandbox, its key, the journal,
  // fast retries).
  Ran Run(std::vector<std::string> args) {
    args.insert(args.begin(), IdemBin());
    args.insert(args.end(),
                {"--base-url", sandbox_->base_url(), "--api-key", kKey, "--backoff-base-ms", "1",
                 "--backoff-cap-ms", "5", "--journal", (dir_ / "journal.db").string()});
    return RunToEnd(args, dir_.string());
  }

  json Stats() { return json::parse(sandbox_->StatsJson()); }

  // A refusal by Didit: exit 1, printed once, as one line on stderr naming
  // `command`, or with --json one object on stdout and nothing on stderr.
  // Returns the JSON error.
  json ExpectRefusedOnce(std::vector<std::string> args, const std::string& command) {
    Ran text = Run(args);
    EXPECT_EQ(text.code, 1) << text.err;
    EXPECT_EQ(text.out, "");
    EXPECT_EQ(text.err.rfind(command + ": ", 0), 0u) << text.err;
    EXPECT_EQ(Lines(text.err), 1) << text.err;
    args.insert(args.end(), {"--new-op", "--json"});
    Ran as_json = Run(args);
    EXPECT_EQ(as_json.code, 1);
    EXPECT_EQ(as_json.err, "");
    EXPECT_EQ(Lines(as_json.out), 1) << as_json.out;
    const json error = Json(as_json);
    EXPECT_EQ(error.value("command", ""), command) << as_json.out;
    EXPECT_EQ(error.value("http_status", 0), 400) << as_json.out;
    return error;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Sandbox> sandbox_;
};

TEST_F(EntitiesCli, UserCreateGetAndRefusals) {
  const std::vector<std::string> create = {"user",
                                           "create",
                                           "--vendor-data",
                                           "user-1",
                                           "--full-name",
                                           "Maria Garcia",
                                           "--metadata",
                                           R"({"tier":"gold"})",
                                           "--approved-email",
                                           "a@example.com,b@example.com"};
  Ran made = Run(create);
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_EQ(Lines(made.out), 1) << made.out;
  const json user = Json(made);
  EXPECT_EQ(user.value("vendor_data", ""), "user-1") << made.out;
  EXPECT_EQ(user.value("full_name", ""), "Maria Garcia");
  EXPECT_FALSE(user.value("didit_internal_id", "").empty()) << made.out;
  EXPECT_EQ(user["approved_emails"], json({"a@example.com", "b@example.com"})) << made.out;
  // The same command again is the same op: its stored answer, nothing sent.
  EXPECT_EQ(Json(Run(create)), user);
  EXPECT_EQ(Stats()["executions"]["create_user"], 1);

  for (const bool as_json : {false, true}) {
    std::vector<std::string> get = {"user", "get", "user-1"};
    if (as_json) get.push_back("--json");
    Ran got = Run(get);
    ASSERT_EQ(got.code, 0) << got.err;
    EXPECT_EQ(Json(got).value("didit_internal_id", ""), user.value("didit_internal_id", ""))
        << got.out;
  }
  // None: Didit's 404, exit 1.
  Ran none = Run({"user", "get", "nobody", "--json"});
  EXPECT_EQ(none.code, 1) << none.err;
  EXPECT_EQ(Json(none).value("http_status", 0), 404) << none.out;

  // Another request with the vendor_data: Didit's 400, once.
  const json taken = ExpectRefusedOnce(
      {"user", "create", "--vendor-data", "user-1", "--full-name", "Someone Else"},
      "idem user create");
  EXPECT_EQ(taken["field_errors"]["vendor_data"][0], "A user with this vendor_data already exists.")
      << taken.dump();
  EXPECT_EQ(Stats()["executions"]["create_user"], 1);
  // Bad input: exit 2, nothing sent.
  const int requests = Stats()["requests"].get<int>();
  EXPECT_EQ(Run({"user", "create", "--vendor-data", "u2", "--status", "GONE"}).code, 2);
  EXPECT_EQ(Run({"user", "create", "--vendor-data", "u2", "--metadata", "[1]"}).code, 2);
  EXPECT_EQ(Run({"user", "create", "--vendor-data", "u2", "--date-of-birth", "1980/01/01"}).code,
            2);
  EXPECT_EQ(Stats()["requests"], requests);
}

TEST_F(EntitiesCli, BusinessCreateGetAndRefusals) {
  const std::vector<std::string> create = {"business",     "create",    "--vendor-data",  "acme-1",
                                           "--legal-name", "Acme S.L.", "--country-code", "ES"};
  Ran made = Run(create);
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_EQ(Lines(made.out), 1) << made.out;
  const json business = Json(made);
  EXPECT_EQ(business.value("legal_name", ""), "Acme S.L.") << made.out;
  EXPECT_EQ(Json(Run(create)), business);
  EXPECT_EQ(Stats()["executions"]["create_business"], 1);
  for (const bool as_json : {false, true}) {
    std::vector<std::string> get = {"business", "get", "acme-1"};
    if (as_json) get.push_back("--json");
    Ran got = Run(get);
    ASSERT_EQ(got.code, 0) << got.err;
    EXPECT_EQ(Json(got).value("didit_internal_id", ""), business.value("didit_internal_id", ""))
        << got.out;
  }
  const json taken = ExpectRefusedOnce(
      {"business", "create", "--vendor-data", "acme-1", "--legal-name", "Other S.A."},
      "idem business create");
  EXPECT_EQ(taken["field_errors"]["vendor_data"][0],
            "A business with this vendor_data already exists.")
      << taken.dump();
  EXPECT_EQ(Stats()["executions"]["create_business"], 1);
}

TEST_F(EntitiesCli, WorkflowCreateListGetAndRefusals) {
  const std::vector<std::string> create = {
      "workflow",     "create",    "--label",    "Standard KYC",         "--feature",
      "OCR,LIVENESS", "--feature", "FACE_MATCH", "--max-retry-attempts", "2"};
  Ran made = Run(create);
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_EQ(Lines(made.out), 1) << made.out;
  const json w = Json(made);
  const std::string uuid = w.value("uuid", "");
  ASSERT_FALSE(uuid.empty()) << made.out;
  EXPECT_EQ(w.value("features", ""), "OCR + LIVENESS + FACE_MATCH");
  EXPECT_EQ(w.value("max_retry_attempts", 0), 2);
  EXPECT_EQ(Json(Run(create)), w) << "the same command is the same op";
  EXPECT_EQ(Stats()["executions"]["create_workflow"], 1);

  for (const bool as_json : {false, true}) {
    std::vector<std::string> get = {"workflow", "get", uuid};
    if (as_json) get.push_back("--json");
    Ran got = Run(get);
    ASSERT_EQ(got.code, 0) << got.err;
    EXPECT_EQ(Json(got).value("uuid", ""), uuid) << got.out;
  }
  // list: a table with a header, or a JSON array.
  Ran table = Run({"workflow", "list"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out, "UUID\tWORKFLOW_ID\tLABEL\tSTATUS\tDEFAULT\tFEATURES\n" + uuid + "\t" +
                           w.value("workflow_id", "") + "\tStandard KYC\tpublished\t" +
                           (w.value("is_default", false) ? "yes" : "no") +
                           "\tOCR + LIVENESS + FACE_MATCH\n");
  Ran listed = Run({"workflow", "list", "--json"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_EQ(Lines(listed.out), 1) << listed.out;
  ASSERT_TRUE(Json(listed).is_array()) << listed.out;
  ASSERT_EQ(Json(listed).size(), 1u);
  EXPECT_EQ(Json(listed)[0].value("uuid", ""), uuid);

  const json refused =
      ExpectRefusedOnce({"workflow", "create", "--feature", "FOO"}, "idem workflow create");
  EXPECT_NE(refused["field_errors"]["features"][0].get<std::string>().find("Invalid feature 'FOO'"),
            std::string::npos)
      << refused.dump();
  EXPECT_EQ(Stats()["executions"]["create_workflow"], 1);
  // Bad input: exit 2, nothing sent.
  const int requests = Stats()["requests"].get<int>();
  EXPECT_EQ(Run({"workflow", "create", "--label", "x"}).code, 2) << "no feature";
  EXPECT_EQ(Run({"workflow", "create", "--feature", "OCR", "--max-retry-attempts", "11"}).code, 2);
  EXPECT_EQ(Stats()["requests"], requests);
  Ran missing = Run({"workflow", "get", "nope", "--json"});
  EXPECT_EQ(missing.code, 1) << missing.err;
  EXPECT_EQ(Json(missing).value("http_status", 0), 404) << missing.out;
}

TEST_F(EntitiesCli, SessionUpdateDataCorrectsTheKycRecord) {
  // A session with an ID-document record: a standalone ID check (multipart).
  const std::string front = (dir_ / "front.jpg").string();
  std::ofstream(front) << "front";
  Ran id_check = RunToEnd({"/usr/bin/curl", "-s", "--max-time", "10", "-H",
                           std::string("x-api-key: ") + kKey, "-F", "front_image=@" + front, "-F",
                           "vendor_data=kyc-user", sandbox_->base_url() + "/v3/id-verification/"},
                          dir_.string());
  ASSERT_EQ(id_check.code, 0) << id_check.err;
  const std::string session_id = Json(id_check).value("request_id", "");
  ASSERT_FALSE(session_id.empty()) << id_check.out;

  const std::vector<std::string> update = {
      "session",         "update-data", session_id,       "--first-name",           "Carmen",
      "--issuing-state", "ESP",         "--extra-fields", R"({"blood_group":"O+"})"};
  Ran fixed = Run(update);
  ASSERT_EQ(fixed.code, 0) << fixed.err;
  EXPECT_EQ(Lines(fixed.out), 1) << fixed.out;
  const json kyc = Json(fixed);
  EXPECT_EQ(kyc.value("first_name", ""), "Carmen") << fixed.out;
  EXPECT_EQ(kyc.value("issuing_state", ""), "ESP");
  EXPECT_EQ(kyc["extra_fields"]["blood_group"], "O+");
  EXPECT_EQ(Json(Run(update)), kyc) << "the same command is the same op";
  EXPECT_EQ(Stats()["executions"]["update_session_data"], 1);

  // Didit's 400 (a value the CLI does not check itself), once.
  const json refused = ExpectRefusedOnce(
      {"session", "update-data", session_id, "--parsed-address", R"({"country":"ESP"})"},
      "idem session update-data");
  EXPECT_EQ(refused["field_errors"]["parsed_address.country"][0],
            "Invalid ISO 3166-1 alpha-2 country code.")
      << refused.dump();
  // An unknown session: Didit's 404, exit 1.
  Ran unknown = Run({"session", "update-data", "00000000-0000-4000-8000-000000000000",
                     "--first-name", "A", "--json"});
  EXPECT_EQ(unknown.code, 1) << unknown.err;
  EXPECT_EQ(Json(unknown).value("http_status", 0), 404) << unknown.out;
  // Bad input or nothing to change: exit 2, nothing sent.
  const int requests = Stats()["requests"].get<int>();
  EXPECT_EQ(Run({"session", "update-data", session_id}).code, 2) << "nothing to change";
  EXPECT_EQ(Run({"session", "update-data", session_id, "--gender", "X"}).code, 2);
  EXPECT_EQ(Run({"session", "update-data", session_id, "--more", "[1]"}).code, 2);
  EXPECT_EQ(Stats()["requests"], requests);
  EXPECT_EQ(Stats()["executions"]["update_session_data"], 1);
}

// `idem kyb search` (free, a new op per run) then `idem kyb select` (billed,
// once: the same command again prints the stored answer, no second
// execution); a bad request is exit 2 with nothing sent.
TEST_F(EntitiesCli, KybSearchThenSelectOnce) {
  Ran search = Run({"kyb", "search", "--country-code", "gb", "--name", "Tesco"});
  ASSERT_EQ(search.code, 0) << search.err;
  EXPECT_EQ(Lines(search.out), 1) << search.out;
  const json found = Json(search);
  ASSERT_EQ(found["kyb_registry"]["companies"].size(), 1u) << search.out;
  const std::string handle = found["kyb_registry"]["companies"][0]["kyb_response_id"];
  Ran again = Run({"kyb", "search", "--country-code", "GB", "--name", "Tesco"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(Json(again)["request_id"], found["request_id"]) << "each run is a new search";

  const std::vector<std::string> select = {"kyb",  "select",        "--kyb-response-id",
                                           handle, "--vendor-data", "company-cli"};
  Ran first = Run(select);
  ASSERT_EQ(first.code, 0) << first.err;
  const json company = Json(first);
  EXPECT_EQ(company["vendor_data"], "company-cli");
  EXPECT_EQ(company["kyb_registry"]["node_id"], "feature_kyb_registry");
  Ran second = Run(select);
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(Json(second), company) << "the stored answer";
  EXPECT_EQ(Stats()["executions"]["kyb_select"], 1);

  Ran bad = Run({"kyb", "search", "--country-code", "US", "--name", "Acme"});
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_EQ(bad.err.rfind("idem kyb search: ", 0), 0u) << bad.err;
  EXPECT_EQ(Stats()["executions"]["kyb_select"], 1);
}

// Didit's credit refusal (403, before anything runs) is exit 4 as every
// permission refusal (docs/cli.md: fix the account, then resume), printed
// once, nothing executed.
TEST_F(EntitiesCli, KybSelectWithoutCreditsIsRefusedOnce) {
  sandbox_.reset();
  SandboxOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.api_key = kKey;
  options.credits = SandboxCredits::kNone;
  auto sandbox = Sandbox::Start(options);
  ASSERT_TRUE(sandbox.has_value()) << sandbox.error().ToString();
  sandbox_ = std::move(*sandbox);
  Ran text = Run({"kyb", "select", "--kyb-response-id", "h", "--vendor-data", "v"});
  EXPECT_EQ(text.code, 4) << text.err;
  EXPECT_EQ(text.out, "");
  EXPECT_EQ(text.err.rfind("idem kyb select: ", 0), 0u) << text.err;
  EXPECT_EQ(Lines(text.err), 1) << text.err;
  Ran as_json =
      Run({"kyb", "select", "--kyb-response-id", "h", "--vendor-data", "v", "--new-op", "--json"});
  EXPECT_EQ(as_json.code, 4);
  EXPECT_EQ(as_json.err, "");
  EXPECT_EQ(Json(as_json).value("http_status", 0), 403) << as_json.out;
  EXPECT_EQ(Stats()["executions"]["kyb_select"], 0);
}

}  // namespace
}  // namespace idem
