// Server-side idempotency rules through a real HTTP client.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "sandbox_harness.h"
#include "testing/fake_clock.h"

namespace idem::sandbox::testing {
namespace {

TEST(Idempotency, ReplayIsByteIdenticalAndMarked) {
  Harness h;
  auto first = h.Post("/v3/session/", CreateBody("u1"), "key-1");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 201);
  EXPECT_EQ(Header(first, "Idempotent-Replayed"), "");
  auto again = h.Post("/v3/session/", CreateBody("u1"), "key-1");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 201);
  EXPECT_EQ(again->body, first->body);
  EXPECT_EQ(Header(again, "Idempotent-Replayed"), "true");
  EXPECT_EQ(Header(again, "Content-Type"), "application/json");
  auto stats = h.Stats();
  EXPECT_EQ(stats["replays"], 1);
  EXPECT_EQ(stats["executions"]["create_session"], 1);
  EXPECT_EQ(stats["duplicate_executions"], 0);
  EXPECT_EQ(h.Executions()["executions"][0]["idempotency_key"], "key-1");
}

TEST(Idempotency, QuotedKeyIsTheSameKeyAsBare) {
  Harness h;
  auto bare = h.Post("/v3/session/", CreateBody("q"), "abc");
  auto quoted = h.Post("/v3/session/", CreateBody("q"), "\"abc\"");
  ASSERT_TRUE(bare && quoted);
  EXPECT_EQ(quoted->body, bare->body);
  EXPECT_EQ(Header(quoted, "Idempotent-Replayed"), "true");
}

TEST(Idempotency, DifferentBodyIs422Problem) {
  Harness h;
  ASSERT_EQ(h.Post("/v3/session/", CreateBody("a"), "k")->status, 201);
  auto mismatch = h.Post("/v3/session/", CreateBody("b"), "k");
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->status, 422);
  EXPECT_EQ(Header(mismatch, "Content-Type"), "application/problem+json");
  EXPECT_EQ(Json(mismatch)["status"], 422);
  // A different path with the same key is a different request too.
  EXPECT_EQ(h.Post("/v3/aml/", R"({"full_name":"x"})", "k")->status, 422);
  EXPECT_EQ(h.Stats()["mismatches_422"], 2);
}

TEST(Idempotency, KeysAreScopedPerRequestNotShared) {
  Harness h;
  auto a = Json(h.Post("/v3/session/", CreateBody("x1"), "k1"));
  auto b = Json(h.Post("/v3/session/", CreateBody("x2"), "k2"));
  EXPECT_NE(a["session_id"], b["session_id"]);
}

TEST(Idempotency, BadKeysAre400AndNothingExecutes) {
  Harness h;
  for (const std::string& key :
       {std::string("\"\""), std::string(256, 'k'), std::string("\"unterminated"),
        std::string("two words"), std::string("\"bad\\x\"")}) {
    auto r = h.Post("/v3/session/", CreateBody("bad"), key);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << key;
    EXPECT_EQ(Header(r, "Content-Type"), "application/problem+json");
  }
  // An empty header value (curl sends "Idempotency-Key:" for "Idempotency-Key;").
  auto empty = h.Send("POST", "/v3/session/", CreateBody("bad"), "", {{"Idempotency-Key", ""}});
  EXPECT_EQ(empty->status, 400);
  EXPECT_EQ(h.Stats()["executions"]["create_session"], 0);
  EXPECT_EQ(h.Stats()["bad_keys_400"], 6);
}

TEST(Idempotency, ValidationFailuresAreNotStored) {
  Harness h;
  auto invalid = h.Post("/v3/session/", "{}", "fix-me");
  EXPECT_EQ(invalid->status, 400);
  // The same key with a corrected body executes (no 422).
  auto fixed = h.Post("/v3/session/", CreateBody("fixed"), "fix-me");
  EXPECT_EQ(fixed->status, 201);
}

TEST(Idempotency, ConcurrentDuplicateIs409) {
  SandboxOptions options;
  options.faults = "slow_exec=1:400";
  Harness h(options);
  auto first = std::async(std::launch::async, [&] {
    CurlClient own;
    return own.Send("POST", h.url() + "/v3/session/",
                    {{"x-api-key", "sandbox-key"}, {"Idempotency-Key", "race"}},
                    CreateBody("race"));
  });
  // Wait (bounded) until the first request holds its key.
  for (int i = 0; i < 200 && h.Stats()["keys_in_progress"] == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(h.Stats()["keys_in_progress"], 1);
  auto second = h.Post("/v3/session/", CreateBody("race"), "race");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409);
  EXPECT_EQ(Header(second, "Content-Type"), "application/problem+json");
  auto original = first.get();
  ASSERT_TRUE(original);
  EXPECT_EQ(original->status, 201);
  auto after = h.Post("/v3/session/", CreateBody("race"), "race");
  EXPECT_EQ(after->status, 201);
  EXPECT_EQ(after->body, original->body);
  auto stats = h.Stats();
  EXPECT_EQ(stats["conflicts_409"], 1);
  EXPECT_EQ(stats["executions"]["create_session"], 1);
}

TEST(Idempotency, KeysExpireAfterTheTtl) {
  auto clock = std::make_shared<idem::testing::FakeClock>();
  SandboxOptions options;
  options.clock = clock;
  options.key_ttl = std::chrono::seconds(60);
  options.vendor_dedup = false;
  Harness h(options);
  auto first = Json(h.Post("/v3/session/", CreateBody("ttl"), "ttl-key"));
  clock->Advance(std::chrono::seconds(59));
  EXPECT_EQ(Json(h.Post("/v3/session/", CreateBody("ttl"), "ttl-key"))["session_id"],
            first["session_id"]);
  clock->Advance(std::chrono::seconds(1));
  auto fresh = h.Post("/v3/session/", CreateBody("ttl"), "ttl-key");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(Header(fresh, "Idempotent-Replayed"), "");
  EXPECT_NE(Json(fresh)["session_id"], first["session_id"]);
  // An expired key may even come back with another body.
  clock->Advance(std::chrono::seconds(61));
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("other"), "ttl-key")->status, 201);
}

TEST(Idempotency, DeleteAndPatchAreIdempotentWithAKey) {
  Harness h;
  const std::string id = Json(h.Post("/v3/session/", CreateBody("d")))["session_id"];
  auto del = h.Send("DELETE", "/v3/session/" + id + "/delete/", "", "del-key");
  EXPECT_EQ(del->status, 204);
  auto replay = h.Send("DELETE", "/v3/session/" + id + "/delete/", "", "del-key");
  EXPECT_EQ(replay->status, 204);
  EXPECT_EQ(Header(replay, "Idempotent-Replayed"), "true");
  EXPECT_EQ(h.Send("DELETE", "/v3/session/" + id + "/delete/", "", "other-key")->status, 404);
  EXPECT_EQ(h.Stats()["executions"]["delete_session"], 1);
}

TEST(Idempotency, NoIdempotencyIgnoresTheHeader) {
  SandboxOptions options;
  options.idempotency = false;
  options.vendor_dedup = false;
  Harness h(options);
  auto a = Json(h.Post("/v3/session/", CreateBody("n"), "same"));
  auto b = h.Post("/v3/session/", CreateBody("n"), "same");
  EXPECT_EQ(Header(b, "Idempotent-Replayed"), "");
  EXPECT_NE(Json(b)["session_id"], a["session_id"]);
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("n"), "\"\"")->status, 201);  // not even parsed
  EXPECT_EQ(h.Stats()["duplicate_executions"], 1);
}

}  // namespace
}  // namespace idem::sandbox::testing
