// The SQLite store: a restarted sandbox with the same --db still replays
// stored keys, still has its sessions and its execution records.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/sqlite.h"
#include "idem/journal.h"
#include "idem/webhook_inbox.h"
#include "sandbox_harness.h"
#include "testing/temp_dir.h"

namespace idem::sandbox::testing {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  SandboxOptions Options() {
    SandboxOptions options;
    options.db_path = (dir_ / "sandbox.db").string();
    return options;
  }
  idem::testing::TempDir dir_{"idem-sandbox-store"};
};

TEST_F(StoreTest, RestartKeepsKeysSessionsAndExecutions) {
  std::string created_body;
  std::string session_id;
  {
    Harness h(Ideal(Options()));
    ASSERT_TRUE(h.ok());
    auto r = h.Post("/v3/session/", CreateBody("persist"), "persist-key");
    ASSERT_EQ(r->status, 201);
    created_body = r->body;
    session_id = Json(r)["session_id"];
    h.Send("PATCH", "/v3/session/" + session_id + "/update-status/",
           R"({"new_status":"Approved"})");
    h.Post("/v3/aml/", R"({"full_name":"Jane"})", "aml-key");
    h.sandbox().Stop();
  }
  Harness h(Ideal(Options()));
  ASSERT_TRUE(h.ok());
  auto replay = h.Post("/v3/session/", CreateBody("persist"), "persist-key");
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 201);
  EXPECT_EQ(replay->body, created_body);
  EXPECT_EQ(Header(replay, "Idempotent-Replayed"), "true");
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("other"), "persist-key")->status, 422);
  auto decision = Json(h.Send("GET", "/v3/session/" + session_id + "/decision/"));
  EXPECT_EQ(decision["status"], "Approved");
  auto ex = h.Executions();
  ASSERT_EQ(ex["count"], 3);
  EXPECT_EQ(ex["executions"][0]["idempotency_key"], "persist-key");
  EXPECT_EQ(ex["executions"][1]["kind"], "update_status");
  EXPECT_EQ(ex["executions"][2]["kind"], "aml");
  // New sessions continue the numbering (the saved AML check took number 2).
  auto next = Json(h.Post("/v3/session/", CreateBody("next")));
  EXPECT_EQ(next["session_number"], 3);
  auto stats = h.Stats();
  EXPECT_EQ(stats["sessions_total"], 3);
  EXPECT_EQ(stats["check_sessions"], 1);
  EXPECT_EQ(stats["duplicate_executions"], 0);
}

// Issue 16, item 3: every store idem creates holds personal data and is
// created owner-only: the journal, the webhook inbox and the sandbox store,
// with their -wal and -shm files (all through sqlite::Database::Open).
TEST_F(StoreTest, JournalInboxAndSandboxStoreFilesArePrivate) {
  const mode_t previous = ::umask(022);
  const std::string journal_path = (dir_ / "journal.db").string();
  const std::string inbox_path = (dir_ / "inbox.db").string();
  auto journal = OpenSqliteJournal(journal_path);
  ASSERT_TRUE(journal) << journal.error().ToString();
  auto inbox = WebhookInbox::Open(inbox_path, InboxOptions{});
  ASSERT_TRUE(inbox) << inbox.error().ToString();
  SandboxOptions options = Options();
  options.port = 0;
  auto sandbox = Sandbox::Start(options);
  ASSERT_TRUE(sandbox) << sandbox.error().ToString();
  for (const std::string& db : {journal_path, inbox_path, options.db_path}) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const std::string file = db + suffix;
      struct stat st {};
      ASSERT_EQ(::stat(file.c_str(), &st), 0) << file << " does not exist";
      EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
    }
  }
  (*sandbox)->Stop();
  ::umask(previous);
}

TEST_F(StoreTest, DeletedSessionsStayDeletedAcrossRestart) {
  std::string id;
  {
    Harness h(Options());
    id = Json(h.Post("/v3/session/", CreateBody("gone")))["session_id"];
    EXPECT_EQ(h.Send("DELETE", "/v3/session/" + id + "/delete/")->status, 204);
  }
  Harness h(Options());
  EXPECT_EQ(h.Send("GET", "/v3/session/" + id + "/decision/")->status, 404);
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/"))["count"], 0);
}

TEST_F(StoreTest, CheckSessionsAndReviewsSurviveARestart) {
  std::string aml, liveness, hosted;
  std::string aml_decision, liveness_decision, hosted_decision, rows;
  {
    Harness h(Options());
    ASSERT_TRUE(h.ok());
    aml = Json(h.Post(
        "/v3/aml/",
        R"({"full_name":"Maria Exposita","vendor_data":"p","metadata":{"k":[1]}})"))["request_id"];
    liveness = Json(SendForm(h, "/v3/passive-liveness/",
                             {{"user_image", "img"}, {"vendor_data", "p", false}}))["request_id"];
    hosted = Json(h.Post("/v3/session/", CreateBody("p")))["session_id"];
    ASSERT_EQ(h.Send("PATCH", "/v3/session/" + aml + "/update-status/",
                     R"({"new_status":"Approved","comment":"cleared"})")
                  ->status,
              200);
    aml_decision = h.Send("GET", "/v3/session/" + aml + "/decision/")->body;
    liveness_decision = h.Send("GET", "/v3/session/" + liveness + "/decision/")->body;
    hosted_decision = h.Send("GET", "/v3/session/" + hosted + "/decision/")->body;
    rows = h.Send("GET", "/v3/sessions/?vendor_data=p")->body;
  }
  Harness h(Options());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h.Send("GET", "/v3/session/" + aml + "/decision/")->body, aml_decision);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + liveness + "/decision/")->body, liveness_decision);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + hosted + "/decision/")->body, hosted_decision);
  EXPECT_EQ(h.Send("GET", "/v3/sessions/?vendor_data=p")->body, rows);
  auto decision = Json(h.Send("GET", "/v3/session/" + aml + "/decision/"));
  EXPECT_EQ(decision["reviews"][0]["comment"], "cleared");
  EXPECT_EQ(decision["metadata"], (nlohmann::json{{"k", {1}}}));
  EXPECT_EQ(decision["aml_screenings"][0]["status"], "In Review");
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?session_type=API"))["count"], 2);
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?api_service=AML&vendor_data=p"))["count"], 1);
  EXPECT_EQ(Json(h.Send("GET", "/v3/sessions/?session_type=HOSTED"))["count"], 1);
  EXPECT_EQ(h.Stats()["check_sessions"], 2);
  // The check takes no part in the dedup after a restart either.
  EXPECT_EQ(Json(h.Post("/v3/session/", CreateBody("p")))["session_id"], hosted);
}

TEST_F(StoreTest, RowsWrittenBeforeProfilesLoadAsHostedSessions) {
  std::string id;
  {
    Harness h(Options());
    id =
        Json(h.Post("/v3/session/", std::string(R"({"workflow_id":")") + kWorkflow +
                                        R"(","vendor_data":"old","language":"es"})"))["session_id"];
  }
  {
    // What an older sandbox wrote: details without the new keys.
    auto db = sqlite::Database::Open(Options().db_path, {});
    ASSERT_TRUE(db) << db.error().ToString();
    auto stmt = (*db)->Prepare("UPDATE sandbox_sessions SET details_json = ? WHERE session_id = ?");
    ASSERT_TRUE(stmt);
    stmt->Bind(1, std::string(R"({"language":"es"})")).Bind(2, id);
    ASSERT_TRUE(stmt->Run());
  }
  Harness h(Options());
  auto rows = Json(h.Send("GET", "/v3/sessions/?session_type=HOSTED&vendor_data=old"));
  ASSERT_EQ(rows["count"], 1);
  EXPECT_EQ(
      rows["results"][0]["session_url"].get<std::string>().rfind("https://verify.didit.me/", 0),
      0u);
  auto decision = Json(h.Send("GET", "/v3/session/" + id + "/decision/"));
  EXPECT_EQ(decision["reviews"], nlohmann::json::array());
  EXPECT_EQ(decision["features"], nlohmann::json::array());
  EXPECT_EQ(h.Stats()["check_sessions"], 0);
}

TEST_F(StoreTest, NotADatabaseFailsToStart) {
  const auto path = dir_ / "junk.db";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not an sqlite database, just junk bytes .........................", f);
    std::fclose(f);
  }
  SandboxOptions options;
  options.port = 0;
  options.db_path = path.string();
  auto sb = Sandbox::Start(options);
  EXPECT_FALSE(sb);
}

}  // namespace
}  // namespace idem::sandbox::testing
