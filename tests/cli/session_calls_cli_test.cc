// `idem session pdf`, `idem session delete-batch`, `idem session share`,
// `idem session import-shared`, `idem phone` and
// `idem email` as a user runs them: real processes ($IDEM_BIN) against the
// real sandbox on port 0 and a SQLite journal file; what they print, the
// file they write and their exit codes (0 done, 1 refused, 2 usage, 4 local).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "idem/sandbox.h"
#include "idem/transport.h"
#include "testing/child_process.h"
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

constexpr char kKey[] = "sk-cli-session-calls";

class SessionCallsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    SandboxOptions options;
    options.port = 0;
    options.api_key = kKey;
    auto sandbox = Sandbox::Start(options);
    ASSERT_TRUE(sandbox.has_value()) << sandbox.error().ToString();
    sandbox_ = std::move(*sandbox);
  }
  void TearDown() override { sandbox_.reset(); }

  Ran Run(std::vector<std::string> args) {
    args.insert(args.begin(), IdemBin());
    args.insert(args.end(), {"--journal", (dir_ / "journal.db").string(), "--base-url",
                             sandbox_->base_url(), "--api-key", kKey});
    return RunToEnd(args, dir_.string());
  }

  json Api(const std::string& method, const std::string& path, const std::string& body = "") {
    auto r = MakeCurlTransport({})->SendAndWait(
        {method,
         sandbox_->base_url() + path,
         {{"x-api-key", kKey}, {"Content-Type", "application/json"}},
         body});
    EXPECT_TRUE(r);
    return r ? json::parse(r->body, nullptr, false) : json();
  }

  std::string CreateSession(const std::string& vendor_data, const std::string& status) {
    json created = Api("POST", "/v3/session/",
                       R"({"workflow_id":"11111111-2222-4333-8444-555555555555","vendor_data":")" +
                           vendor_data + "\"}");
    const std::string id = created.value("session_id", "");
    if (!status.empty()) {
      auto r = MakeCurlTransport({})->SendAndWait(
          {"POST",
           sandbox_->base_url() + "/_sandbox/sessions/" + id + "/advance",
           {},
           R"({"status":")" + status + "\"}"});
      EXPECT_TRUE(r && r->status == 200);
    }
    return id;
  }

  json Stats() { return json::parse(sandbox_->StatsJson()); }

  testing::TempDir dir_{"idem-calls-cli"};
  std::unique_ptr<Sandbox> sandbox_;
};

TEST_F(SessionCallsCli, PdfIsWrittenWholeAndPrivate) {
  const std::string id = CreateSession("pdf-cli", "Approved");
  const std::string file = (dir_ / "report.pdf").string();
  Ran ran = Run({"session", "pdf", id, "--out", file});
  ASSERT_EQ(ran.code, 0) << ran.err;
  const json printed = json::parse(ran.out, nullptr, false);
  EXPECT_EQ(printed.value("session_id", ""), id) << ran.out;
  EXPECT_EQ(printed.value("filename", ""), "session_" + id + ".pdf");
  const std::string bytes = ReadWholeFile(file);
  EXPECT_EQ(bytes.substr(0, 5), "%PDF-");
  EXPECT_EQ(printed.value("bytes", 0u), bytes.size());
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temporary file left beside it.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    entries += e.path().filename().string().find(".tmp-") == std::string::npos ? 0 : 1;
  }
  EXPECT_EQ(entries, 0);
}

TEST_F(SessionCallsCli, PdfRefusalsLeaveNoFile) {
  const std::string id = CreateSession("pdf-early", "");
  const std::string file = (dir_ / "early.pdf").string();
  Ran early = Run({"session", "pdf", id, "--out", file, "--json"});
  EXPECT_EQ(early.code, 1) << early.err;
  EXPECT_EQ(json::parse(early.out, nullptr, false).value("http_status", 0), 403) << early.out;
  EXPECT_FALSE(std::filesystem::exists(file));
  Ran unknown = Run({"session", "pdf", "00000000-0000-4000-8000-000000000000", "--out", file});
  EXPECT_EQ(unknown.code, 1) << unknown.err;
  EXPECT_FALSE(std::filesystem::exists(file));
  // A directory as --out: refused before anything is fetched.
  Ran dir = Run({"session", "pdf", id, "--out", dir_.string()});
  EXPECT_EQ(dir.code, 4) << dir.err;
  Ran usage = Run({"session", "pdf", id});
  EXPECT_EQ(usage.code, 2) << usage.err;
}

TEST_F(SessionCallsCli, DeleteBatch) {
  const std::string a = CreateSession("batch-cli-a", "");
  const std::string b = CreateSession("batch-cli-b", "");
  const auto number = [&](const std::string& id) {
    return std::to_string(
        Api("GET", "/v3/session/" + id + "/decision/")["session_number"].get<int>());
  };
  const std::string numbers = number(a) + ",999999";
  Ran ran = Run({"session", "delete-batch", "--session-numbers", numbers});
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_EQ(json::parse(ran.out, nullptr, false).value("http_status", 0), 204) << ran.out;
  EXPECT_EQ(Api("GET", "/v3/session/" + a + "/decision/").value("detail", ""),
            "Session not found.");
  EXPECT_TRUE(Api("GET", "/v3/session/" + b + "/decision/").contains("session_id"));
  // The same command again is the same op: its stored answer, nothing sent.
  Ran again = Run({"session", "delete-batch", "--session-numbers", numbers});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out, nullptr, false), json::parse(ran.out, nullptr, false));
  EXPECT_EQ(Stats()["executions"]["batch_delete_sessions"], 1);
  EXPECT_EQ(Run({"session", "delete-batch"}).code, 2);
  EXPECT_EQ(Run({"session", "delete-batch", "--session-numbers", "12a"}).code, 2);
  EXPECT_EQ(Run({"session", "delete-batch", "--session-numbers", "1", "--all"}).code, 2);
  Ran all = Run({"session", "delete-batch", "--all"});
  EXPECT_EQ(all.code, 0) << all.err;
  EXPECT_EQ(Stats()["sessions_live"], 0);
}

// `idem session share` in the sandbox's own application, then `idem session
// import-shared` as its peer application (the sandbox's second key, another
// journal): the token reaches stdout of share only, the import reads it from
// a file, and a second import of the source is refused (exit 1).
TEST_F(SessionCallsCli, ShareAndImportShared) {
  const std::string id = CreateSession("share-cli", "Approved");
  Ran share = Run({"session", "share", id, "--for-application-id",
                   "a5f3bca2-46e2-411e-90ef-a580900a57ee", "--ttl", "600"});
  ASSERT_EQ(share.code, 0) << share.err;
  const json minted = json::parse(share.out, nullptr, false);
  const std::string token = minted.value("share_token", "");
  ASSERT_FALSE(token.empty()) << share.out;
  EXPECT_EQ(minted["for_application_id"], "a5f3bca2-46e2-411e-90ef-a580900a57ee");
  EXPECT_EQ(share.err.find(token), std::string::npos) << "the token is a secret";
  EXPECT_EQ(Run({"session", "share", id, "--for-application-id", "nope"}).code, 2);

  const std::string file = (dir_ / "token").string();
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs((token + "\n").c_str(), f);
    std::fclose(f);
  }
  auto as_peer = [&](std::vector<std::string> args) {
    args.insert(args.begin(), IdemBin());
    args.insert(args.end(), {"--journal", (dir_ / "peer.db").string(), "--base-url",
                             sandbox_->base_url(), "--api-key", "sandbox-peer-key"});
    return RunToEnd(args, dir_.string());
  };
  const std::vector<std::string> import = {"session",
                                           "import-shared",
                                           "--share-token-file",
                                           file,
                                           "--workflow-id",
                                           "9f9b1234-aaaa-4bbb-8ccc-1234567890ab",
                                           "--trust-review",
                                           "--vendor-data",
                                           "share-cli-peer"};
  Ran imported = as_peer(import);
  ASSERT_EQ(imported.code, 0) << imported.err;
  const json clone = json::parse(imported.out, nullptr, false);
  EXPECT_EQ(clone.value("status", ""), "Approved") << imported.out;
  EXPECT_EQ(clone.value("vendor_data", ""), "share-cli-peer");
  EXPECT_NE(clone.value("session_id", ""), id);
  EXPECT_EQ(imported.err.find(token), std::string::npos);
  // The same command again is the same op (its stored answer); a new op is
  // refused: one redeem per receiver.
  EXPECT_EQ(as_peer(import).code, 0);
  std::vector<std::string> fresh = import;
  fresh.push_back("--new-op");
  Ran refused = as_peer(fresh);
  EXPECT_EQ(refused.code, 1) << refused.err;
  EXPECT_NE(refused.err.find("already been shared"), std::string::npos) << refused.err;
  EXPECT_EQ(Stats()["executions"]["import_shared_session"], 1);
}

TEST_F(SessionCallsCli, PhoneAndEmailVerification) {
  Ran sent = Run({"phone", "send", "--phone-number", "+34600000031", "--channel", "sms",
                  "--vendor-data", "cli-user"});
  ASSERT_EQ(sent.code, 0) << sent.err;
  const json s = json::parse(sent.out, nullptr, false);
  EXPECT_EQ(s.value("status", ""), "Success") << sent.out;
  // The same command again: the same op, its stored answer (no second code).
  Ran rerun = Run({"phone", "send", "--phone-number", "+34600000031", "--channel", "sms",
                   "--vendor-data", "cli-user"});
  EXPECT_EQ(rerun.code, 0) << rerun.err;
  EXPECT_EQ(json::parse(rerun.out, nullptr, false), s);
  EXPECT_EQ(Stats()["executions"]["phone_send"], 1);
  // --new-op sends again on purpose: Didit's Retry, the same request_id.
  Ran resend = Run({"phone", "send", "--phone-number", "+34600000031", "--new-op"});
  EXPECT_EQ(json::parse(resend.out, nullptr, false).value("status", ""), "Retry") << resend.out;
  Ran checked = Run({"phone", "check", "--phone-number", "+34600000031", "--code", "123456"});
  ASSERT_EQ(checked.code, 0) << checked.err;
  EXPECT_EQ(json::parse(checked.out, nullptr, false).value("status", ""), "Approved");
  EXPECT_EQ(json::parse(checked.out, nullptr, false).value("request_id", ""),
            s.value("request_id", "x"));
  // Bad input: refused before sending (2); Didit's 400: refused (1).
  EXPECT_EQ(Run({"phone", "send", "--phone-number", "600000031"}).code, 2);
  EXPECT_EQ(Run({"phone", "check", "--phone-number", "+34600000031", "--code", "1"}).code, 2);
  Ran channel =
      Run({"phone", "send", "--phone-number", "+34600000032", "--channel", "pigeon", "--json"});
  EXPECT_EQ(channel.code, 1) << channel.err;
  EXPECT_EQ(json::parse(channel.out, nullptr, false).value("http_status", 0), 400);

  ASSERT_EQ(Run({"email", "send", "--email", "ada@example.com"}).code, 0);
  Ran email = Run({"email", "check", "--email", "ada@example.com", "--code", "123456"});
  ASSERT_EQ(email.code, 0) << email.err;
  EXPECT_EQ(json::parse(email.out, nullptr, false).value("status", ""), "Approved");
  EXPECT_EQ(Stats()["executions"]["email_send"], 1);
  EXPECT_EQ(Stats()["executions"]["email_check"], 1);
}

}  // namespace
}  // namespace idem
