// The SQLite store: a restarted sandbox with the same --db still replays
// stored keys, still has its sessions and its execution records.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "sandbox_harness.h"

namespace idem::sandbox::testing {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("idem-sandbox-store-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  SandboxOptions Options() {
    SandboxOptions options;
    options.db_path = (dir_ / "sandbox.db").string();
    return options;
  }
  std::filesystem::path dir_;
};

TEST_F(StoreTest, RestartKeepsKeysSessionsAndExecutions) {
  std::string created_body;
  std::string session_id;
  {
    Harness h(Options());
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
  Harness h(Options());
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
  // New sessions continue the numbering.
  auto next = Json(h.Post("/v3/session/", CreateBody("next")));
  EXPECT_EQ(next["session_number"], 2);
  auto stats = h.Stats();
  EXPECT_EQ(stats["sessions_total"], 2);
  EXPECT_EQ(stats["duplicate_executions"], 0);
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
