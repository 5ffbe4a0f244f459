// The PostgreSQL sandbox store: several sandboxes (here in-process, each with
// its own connection, exactly as separate processes would be) on one
// throwaway database share keys, sessions and executions.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "sandbox_harness.h"
#include "testing/child_process.h"
#include "testing/fake_clock.h"
#include "testing/pg_environment.h"
#include "testing/temp_dir.h"
#include "testing/wait.h"

namespace idem::sandbox::testing {
namespace {

using idem::testing::PgCluster;

std::string FreshDatabaseUrl() {
  auto url = idem::testing::FreshPgDatabaseUrl("sandbox_test_");
  if (!url) {
    ADD_FAILURE() << url.error().ToString();
    return "postgresql://nowhere.invalid/none";
  }
  return *url;
}

SandboxOptions On(const std::string& url, std::string faults = "") {
  SandboxOptions options;
  options.db_path = url;
  options.faults = std::move(faults);
  return options;
}

// The ideal profile: keys on session create, 422 for another body.
SandboxOptions IdealOn(const std::string& url, std::string faults = "") {
  return Ideal(On(url, std::move(faults)));
}

Result<HttpResponse> PostTo(const std::string& base_url, const std::string& path,
                            const std::string& body, const std::string& key) {
  CurlClient http;  // one per thread
  Headers headers{{"x-api-key", "sandbox-key"}, {"Content-Type", "application/json"}};
  if (!key.empty()) headers.push_back({"Idempotency-Key", key});
  return http.Send("POST", base_url + path, headers, body);
}

TEST(PgStore, OpensAndServesLikeTheOtherStores) {
  const std::string url = FreshDatabaseUrl();
  Harness a(IdealOn(url));
  ASSERT_TRUE(a.ok());
  auto created = a.Post("/v3/session/", CreateBody("solo"), "k-solo");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  const std::string id = Json(created)["session_id"];
  EXPECT_EQ(a.Send("GET", "/v3/session/" + id + "/decision/")->status, 200);
  EXPECT_EQ(Json(a.Send("GET", "/v3/sessions/?vendor_data=solo"))["count"], 1);
  auto again = a.Post("/v3/session/", CreateBody("solo"), "k-solo");
  EXPECT_EQ(Header(again, "Idempotent-Replayed"), "true");
  EXPECT_EQ(again->body, created->body);
  EXPECT_EQ(a.Post("/v3/session/", CreateBody("other"), "k-solo")->status, 422);
  // A 400 is not stored: the key may be used again with a corrected request.
  EXPECT_EQ(a.Post("/v3/session/", R"({"workflow_id":"bad"})", "k-fix")->status, 400);
  EXPECT_EQ(a.Post("/v3/session/", CreateBody("fixed"), "k-fix")->status, 201);
  auto stats = a.Stats();
  EXPECT_EQ(stats["executions"]["create_session"], 2);
  EXPECT_EQ(stats["stored_keys"], 2);
  EXPECT_EQ(stats["keys_in_progress"], 0);
}

TEST(PgStore, SameKeyOnTwoSandboxesWhileExecutingIs409ThenReplays) {
  const std::string url = FreshDatabaseUrl();
  // Every execution on `a` holds its key for 1.5 s before running.
  Harness a(IdealOn(url, "slow_exec=1:1500"));
  Harness b(IdealOn(url));
  ASSERT_TRUE(a.ok() && b.ok());
  std::thread first([&] {
    auto r = PostTo(a.url(), "/v3/session/", CreateBody("held"), "k-held");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 201) << r->body;
  });
  // Bounded wait until `a` claimed the key (in the shared database).
  (void)idem::testing::WaitUntil(std::chrono::seconds(10),
                                 [&] { return b.Stats()["keys_in_progress"] == 1; });
  ASSERT_EQ(b.Stats()["keys_in_progress"], 1);
  auto conflict = b.Post("/v3/session/", CreateBody("held"), "k-held");
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->status, 409) << conflict->body;
  first.join();
  auto replay = b.Post("/v3/session/", CreateBody("held"), "k-held");
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 201);
  EXPECT_EQ(Header(replay, "Idempotent-Replayed"), "true");
  EXPECT_EQ(b.Stats()["executions"]["create_session"], 1);
  EXPECT_EQ(a.Stats()["executions"]["create_session"], 1);
}

TEST(PgStore, ConcurrentDuplicatesAcrossSandboxesExecuteOnce) {
  const std::string url = FreshDatabaseUrl();
  SandboxOptions no_dedup = IdealOn(url);
  no_dedup.vendor_dedup = false;  // only the key may prevent a second execution
  Harness a(no_dedup);
  Harness b(no_dedup);
  ASSERT_TRUE(a.ok() && b.ok());
  constexpr int kKeys = 10;
  constexpr int kSendsPerKey = 6;
  std::mutex mu;
  std::map<std::string, std::set<std::string>> bodies_by_key;  // 201 bodies
  std::atomic<int> conflicts{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kSendsPerKey; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kKeys; ++k) {
        const std::string key = "race-" + std::to_string(k);
        auto r = PostTo((t % 2 == 0 ? a : b).url(), "/v3/session/",
                        CreateBody("race-" + std::to_string(k)), key);
        if (!r) {
          ++other;
        } else if (r->status == 201) {
          std::lock_guard<std::mutex> lock(mu);
          bodies_by_key[key].insert(r->body);
        } else if (r->status == 409) {
          ++conflicts;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other, 0);
  for (const auto& [key, bodies] : bodies_by_key) {
    EXPECT_EQ(bodies.size(), 1u) << key << ": two different responses";
  }
  for (Harness* h : {&a, &b}) {
    auto stats = h->Stats();
    EXPECT_EQ(stats["executions"]["create_session"], kKeys) << stats.dump();
    EXPECT_EQ(stats["duplicate_executions"], 0);
    EXPECT_EQ(stats["sessions_total"], kKeys);
    EXPECT_EQ(stats["stored_keys"], kKeys);
  }
}

TEST(PgStore, VendorDataDedupAcrossSandboxes) {
  const std::string url = FreshDatabaseUrl();
  Harness a(On(url));
  Harness b(On(url));
  ASSERT_TRUE(a.ok() && b.ok());
  auto first = Json(a.Post("/v3/session/", CreateBody("shared-user")));
  auto second = Json(b.Post("/v3/session/", CreateBody("shared-user")));
  EXPECT_EQ(second["session_id"], first["session_id"]);
  // Concurrent creates without keys, half on each sandbox: one session.
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> ids;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto r = PostTo((t % 2 == 0 ? a : b).url(), "/v3/session/", CreateBody("burst"), "");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 201);
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(Json(r)["session_id"]);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ids.size(), 1u);
  auto stats = b.Stats();
  EXPECT_EQ(stats["sessions_total"], 2);
  EXPECT_EQ(stats["duplicate_vendor_data"], 0);
  EXPECT_EQ(stats["executions"]["create_session"], 2);
}

TEST(PgStore, ExecutionsStatsAndSessionsAreShared) {
  const std::string url = FreshDatabaseUrl();
  Harness a(IdealOn(url));
  Harness b(IdealOn(url));
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string id = Json(a.Post("/v3/session/", CreateBody("x1"), "k-x1"))["session_id"];
  ASSERT_EQ(b.Post("/v3/session/", CreateBody("x2"), "k-x2")->status, 201);
  // A session made on `a` is visible, updatable and deletable through `b`.
  EXPECT_EQ(b.Send("GET", "/v3/session/" + id + "/decision/")->status, 200);
  ASSERT_EQ(b.Send("PATCH", "/v3/session/" + id + "/update-status/", R"({"new_status":"Approved"})")
                ->status,
            200);
  EXPECT_EQ(Json(a.Send("GET", "/v3/session/" + id + "/decision/"))["status"], "Approved");
  CurlClient raw;
  auto advanced = raw.Send("POST", a.url() + "/_sandbox/sessions/" + id + "/advance", {},
                           R"({"status":"Declined"})");
  ASSERT_TRUE(advanced);
  EXPECT_EQ(advanced->status, 200) << advanced->body;
  EXPECT_EQ(Json(b.Send("GET", "/v3/session/" + id + "/decision/"))["status"], "Declined");
  auto executions = a.Executions();
  ASSERT_EQ(executions["count"], 3);
  EXPECT_EQ(executions["executions"][0]["idempotency_key"], "k-x1");
  EXPECT_EQ(executions["executions"][1]["idempotency_key"], "k-x2");
  EXPECT_EQ(executions["executions"][2]["kind"], "update_status");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(executions["executions"][i]["seq"], i + 1);
  EXPECT_EQ(b.Executions(), executions);
  EXPECT_EQ(Json(a.Send("GET", "/v3/sessions/"))["count"], 2);
}

TEST(PgStore, RestartKeepsKeysAndSessions) {
  const std::string url = FreshDatabaseUrl();
  std::string body;
  std::string id;
  {
    Harness a(IdealOn(url));
    auto created = a.Post("/v3/session/", CreateBody("durable"), "k-durable");
    ASSERT_TRUE(created);
    body = created->body;
    id = Json(created)["session_id"];
  }
  Harness again(IdealOn(url));
  ASSERT_TRUE(again.ok());
  auto replay = again.Post("/v3/session/", CreateBody("durable"), "k-durable");
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->body, body);
  EXPECT_EQ(Header(replay, "Idempotent-Replayed"), "true");
  EXPECT_EQ(again.Send("GET", "/v3/session/" + id + "/decision/")->status, 200);
  // Session numbers continue after the stored ones.
  auto next = Json(again.Post("/v3/session/", CreateBody("after")));
  EXPECT_EQ(next["session_number"], 2);
  EXPECT_EQ(again.Stats()["executions"]["create_session"], 2);
}

TEST(PgStore, AStaleClaimIsTakenOverAndTheLateCommitIsFenced) {
  const std::string url = FreshDatabaseUrl();
  auto clock = std::make_shared<idem::testing::FakeClock>();
  SandboxOptions slow = On(url, "slow_exec=1:1500");
  slow.clock = clock;
  slow.key_claim_timeout = std::chrono::milliseconds(1000);
  SandboxOptions fast = On(url);
  fast.clock = clock;
  fast.key_claim_timeout = std::chrono::milliseconds(1000);
  Harness a(slow);  // stands for a process that stalls (or died) mid-execution
  Harness b(fast);
  ASSERT_TRUE(a.ok() && b.ok());
  Result<HttpResponse> late = MakeError(ErrorCode::kInternal, "not run");
  std::thread first([&] { late = PostTo(a.url(), "/v3/aml/", R"({"full_name":"Jo"})", "k-aml"); });
  (void)idem::testing::WaitUntil(std::chrono::seconds(10),
                                 [&] { return b.Stats()["keys_in_progress"] == 1; });
  ASSERT_EQ(b.Stats()["keys_in_progress"], 1);
  EXPECT_EQ(b.Post("/v3/aml/", R"({"full_name":"Jo"})", "k-aml")->status, 409);  // still fresh
  clock->Advance(std::chrono::milliseconds(1001));
  auto taken = b.Post("/v3/aml/", R"({"full_name":"Jo"})", "k-aml");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->status, 200) << taken->body;
  first.join();
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 409) << late->body;  // its claim was lost: nothing committed
  EXPECT_EQ(b.Stats()["executions"]["aml"], 1);
  auto replay = a.Post("/v3/aml/", R"({"full_name":"Jo"})", "k-aml");
  EXPECT_EQ(replay->body, taken->body);
}

// A real `idem sandbox` process ($IDEM_BIN) on the shared database dies
// (SIGKILL) while it executes a request: its connection closes, its backend
// exits, and the key it claimed is taken over by the next request at once,
// not after the claim timeout (30 s by default, kept here).
TEST(PgStore, AClaimOfADeadProcessIsTakenOverAtOnce) {
  const std::string url = FreshDatabaseUrl();
  idem::testing::TempDir dir("idem-pg-claim");
  const std::string out = dir.File("sandbox.out");
  // Every execution there stalls for a minute after claiming its key.
  idem::testing::SpawnOptions options;
  options.stdout_path = out;
  idem::testing::ChildProcess sandbox = idem::testing::ChildProcess::Spawn(
      {idem::testing::IdemBin(), "sandbox", "--listen", "127.0.0.1:0", "--db", url, "--faults",
       "slow_exec=1:60000"},
      options);
  ASSERT_TRUE(sandbox.started());
  std::string base_url;
  const std::string prefix = "listening on ";
  (void)idem::testing::WaitUntil(
      std::chrono::seconds(20),
      [&] {
        const std::string text = idem::testing::ReadWholeFile(out);
        if (auto at = text.find(prefix);
            at != std::string::npos && text.find('\n', at) != std::string::npos) {
          base_url = text.substr(at + prefix.size(), text.find('\n', at) - at - prefix.size());
        }
        return !base_url.empty();
      },
      std::chrono::milliseconds(20));
  ASSERT_FALSE(base_url.empty()) << "the sandbox process did not start";
  Harness b(On(url));
  ASSERT_TRUE(b.ok());
  std::thread doomed(
      [&] { (void)PostTo(base_url, "/v3/aml/", R"({"full_name":"Jo"})", "k-dead"); });
  (void)idem::testing::WaitUntil(std::chrono::seconds(10),
                                 [&] { return b.Stats()["keys_in_progress"] == 1; });
  ASSERT_EQ(b.Stats()["keys_in_progress"], 1);
  EXPECT_EQ(b.Post("/v3/aml/", R"({"full_name":"Jo"})", "k-dead")->status, 409);  // alive: held
  EXPECT_EQ(sandbox.Kill(SIGKILL).signal, SIGKILL);
  doomed.join();
  // Its backend exits once it sees the closed connection: bounded wait.
  Result<HttpResponse> taken = MakeError(ErrorCode::kInternal, "not sent");
  (void)idem::testing::WaitUntil(
      std::chrono::seconds(10),
      [&] {
        taken = b.Post("/v3/aml/", R"({"full_name":"Jo"})", "k-dead");
        return !taken || taken->status != 409;
      },
      std::chrono::milliseconds(20));
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->status, 200) << taken->body;
  EXPECT_EQ(b.Stats()["executions"]["aml"], 1);  // the dead process committed nothing
}

// --- The didit profile (the default) on the shared store. ---

TEST(PgStore, DiditAmlKeyIsSharedAcrossSandboxes) {
  const std::string url = FreshDatabaseUrl();
  Harness a(On(url));
  Harness b(On(url));
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string aml = R"({"full_name":"Jo","vendor_data":"pg-aml"})";
  auto first = a.Post("/v3/aml/", aml, "k-pg-aml");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  auto replay = b.Post("/v3/aml/", aml, "k-pg-aml");
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 200);
  EXPECT_EQ(replay->body, first->body);
  EXPECT_EQ(Header(replay, "Idempotent-Replayed"), "");
  auto reused = b.Post("/v3/aml/", R"({"full_name":"Other"})", "k-pg-aml");
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->status, 409);
  EXPECT_EQ(Json(reused)["detail"], "Idempotency-Key reused with a different request body.");
  EXPECT_EQ(b.Stats()["mismatches_409"], 1);
  EXPECT_EQ(a.Stats()["executions"]["aml"], 1);
  EXPECT_EQ(a.Stats()["check_sessions"], 1);
  // Keys on session create are ignored in didit: two sessions (no dedup: other vendor_data).
  EXPECT_EQ(a.Post("/v3/session/", CreateBody("pg-1"), "k-create")->status, 201);
  EXPECT_EQ(b.Post("/v3/session/", CreateBody("pg-2"), "k-create")->status, 201);
  EXPECT_EQ(b.Stats()["executions"]["create_session"], 2);
}

TEST(PgStore, CheckSessionsAndReviewsAreSharedAndDurable) {
  const std::string url = FreshDatabaseUrl();
  std::string id;
  std::string decision;
  {
    Harness a(On(url));
    Harness b(On(url));
    ASSERT_TRUE(a.ok() && b.ok());
    auto r = a.Post("/v3/aml/",
                    R"({"full_name":"Maria Exposita","vendor_data":"pg-c","metadata":{"x":1}})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    id = Json(r)["request_id"];
    auto listed = Json(b.Send("GET", "/v3/sessions/?vendor_data=pg-c&api_service=AML"));
    ASSERT_EQ(listed["count"], 1);
    EXPECT_EQ(listed["results"][0]["session_id"], id);
    EXPECT_TRUE(listed["results"][0]["session_url"].is_null());
    ASSERT_EQ(b.Send("PATCH", "/v3/session/" + id + "/update-status/",
                     R"({"new_status":"Declined","comment":"match"})")
                  ->status,
              200);
    decision = a.Send("GET", "/v3/session/" + id + "/decision/")->body;
    auto d = nlohmann::json::parse(decision);
    EXPECT_EQ(d["status"], "Declined");
    EXPECT_EQ(d["reviews"][0]["comment"], "match");
    EXPECT_EQ(d["features"], nlohmann::json::array({"AML"}));
    EXPECT_EQ(d["metadata"], (nlohmann::json{{"x", 1}}));
    EXPECT_EQ(b.Send("GET", "/v3/session/" + id + "/decision/")->body, decision);
  }
  Harness again(On(url));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.Send("GET", "/v3/session/" + id + "/decision/")->body, decision);
  EXPECT_EQ(Json(again.Send("GET", "/v3/sessions/?session_type=API"))["count"], 1);
}

TEST(PgStore, ListIsNewestFirstWhateverTheMergeOrder) {
  const std::string url = FreshDatabaseUrl();
  SandboxOptions options = On(url);
  options.vendor_dedup = false;
  Harness a(options);
  Harness b(options);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(Json((i % 2 == 0 ? a : b).Post("/v3/session/", CreateBody("ord")))["session_id"]);
  }
  // Change the oldest on b: a merges it after the newer ones.
  ASSERT_EQ(Advance(b, ids[0], "In Progress")->status, 200);
  for (Harness* h : {&a, &b}) {
    auto rows = Json(h->Send("GET", "/v3/sessions/?vendor_data=ord"))["results"];
    ASSERT_EQ(rows.size(), 6u);
    for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i]["session_id"], ids[5 - i]);
  }
}

TEST(PgStore, AnUnreachableDatabaseFailsStart) {
  SandboxOptions options = On("postgresql://postgres:s3cret-pw@127.0.0.1:1/none?connect_timeout=2");
  options.port = 0;
  auto sandbox = Sandbox::Start(options);
  ASSERT_FALSE(sandbox);
  // The URL may hold a password: it is not echoed.
  EXPECT_EQ(sandbox.error().message().find("s3cret-pw"), std::string::npos);
}

}  // namespace
}  // namespace idem::sandbox::testing
