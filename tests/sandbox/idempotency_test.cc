// Server-side idempotency rules through a real HTTP client: the ideal
// profile's (IETF draft / Stripe, every mutating route) and the didit
// profile's (POST /v3/aml/ only, Didit's 409s).
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "sandbox_harness.h"
#include "testing/fake_clock.h"
#include "testing/wait.h"

namespace idem::sandbox::testing {
namespace {

SandboxOptions WithFaults(const std::string& faults) {
  SandboxOptions options;
  options.faults = faults;
  return options;
}

TEST(Idempotency, ReplayIsByteIdenticalAndMarked) {
  Harness h(Ideal());
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
  Harness h(Ideal());
  auto bare = h.Post("/v3/session/", CreateBody("q"), "abc");
  auto quoted = h.Post("/v3/session/", CreateBody("q"), "\"abc\"");
  ASSERT_TRUE(bare && quoted);
  EXPECT_EQ(quoted->body, bare->body);
  EXPECT_EQ(Header(quoted, "Idempotent-Replayed"), "true");
}

TEST(Idempotency, DifferentBodyIs422Problem) {
  Harness h(Ideal());
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
  Harness h(Ideal());
  auto a = Json(h.Post("/v3/session/", CreateBody("x1"), "k1"));
  auto b = Json(h.Post("/v3/session/", CreateBody("x2"), "k2"));
  EXPECT_NE(a["session_id"], b["session_id"]);
}

TEST(Idempotency, BadKeysAre400AndNothingExecutes) {
  Harness h(Ideal());
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
  Harness h(Ideal());
  auto invalid = h.Post("/v3/session/", "{}", "fix-me");
  EXPECT_EQ(invalid->status, 400);
  // The same key with a corrected body executes (no 422).
  auto fixed = h.Post("/v3/session/", CreateBody("fixed"), "fix-me");
  EXPECT_EQ(fixed->status, 201);
}

TEST(Idempotency, ConcurrentDuplicateIs409) {
  SandboxOptions options;
  options.faults = "slow_exec=1:400";
  Harness h(Ideal(options));
  auto first = std::async(std::launch::async, [&] {
    CurlClient own;
    return own.Send("POST", h.url() + "/v3/session/",
                    {{"x-api-key", "sandbox-key"}, {"Idempotency-Key", "race"}},
                    CreateBody("race"));
  });
  // Wait (bounded) until the first request holds its key.
  (void)idem::testing::WaitUntil(
      std::chrono::seconds(10), [&] { return h.Stats()["keys_in_progress"] != 0; },
      std::chrono::milliseconds(5));
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
  Harness h(Ideal(options));
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
  Harness h(Ideal());
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
  Harness h(Ideal(options));
  auto a = Json(h.Post("/v3/session/", CreateBody("n"), "same"));
  auto b = h.Post("/v3/session/", CreateBody("n"), "same");
  EXPECT_EQ(Header(b, "Idempotent-Replayed"), "");
  EXPECT_NE(Json(b)["session_id"], a["session_id"]);
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("n"), "\"\"")->status, 201);  // not even parsed
  EXPECT_EQ(h.Stats()["duplicate_executions"], 1);
}

// --- The didit profile (the default): keys on POST /v3/aml/ only. ---

constexpr char kAml[] = R"({"full_name":"Jane Keyed","vendor_data":"keyed"})";
constexpr char kReused[] = "Idempotency-Key reused with a different request body.";
constexpr char kInProgress[] =
    "A request with this Idempotency-Key is still being processed. Retry later.";

TEST(DiditIdempotency, KeysAreIgnoredOutsideAml) {
  SandboxOptions options;
  options.vendor_dedup = false;  // only a key could stop the second create
  Harness h(options);
  auto a = h.Post("/v3/session/", CreateBody("k"), "same");
  auto b = h.Post("/v3/session/", CreateBody("k"), "same");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(b->status, 201);
  EXPECT_NE(Json(a)["session_id"], Json(b)["session_id"]);
  EXPECT_EQ(Header(b, "Idempotent-Replayed"), "");
  // Another body with the same key is no conflict either.
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("other"), "same")->status, 201);
  // A malformed key is not even parsed (an unknown header).
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("k"), "\"unterminated")->status, 201);
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("k"), std::string(300, 'k'))->status, 201);
  const std::string id = Json(a)["session_id"];
  EXPECT_EQ(Advance(h, id, "In Review")->status, 200);
  EXPECT_EQ(h.Send("PATCH", "/v3/session/" + id + "/update-status/", R"({"new_status":"Approved"})",
                   "patch-key")
                ->status,
            200);
  EXPECT_EQ(h.Send("PATCH", "/v3/session/" + id + "/update-status/", R"({"new_status":"Approved"})",
                   "patch-key")
                ->status,
            400);  // the same status again: no replay of the 200
  EXPECT_EQ(h.Send("DELETE", "/v3/session/" + id + "/delete/", "", "del-key")->status, 204);
  EXPECT_EQ(h.Send("DELETE", "/v3/session/" + id + "/delete/", "", "del-key")->status, 404);
  for (const char* path : {"/v3/passive-liveness/", "/v3/face-match/", "/v3/id-verification/"}) {
    const std::vector<Part> parts = {{"user_image", "u"}, {"ref_image", "r"}, {"front_image", "f"}};
    auto first = SendForm(h, path, parts, "check-key");
    auto second = SendForm(h, path, parts, "check-key");
    ASSERT_TRUE(first && second);
    EXPECT_EQ(second->status, 200) << path;
    EXPECT_NE(Json(first)["request_id"], Json(second)["request_id"]) << path;
  }
  auto stats = h.Stats();
  EXPECT_EQ(stats["executions"]["create_session"], 5);
  EXPECT_EQ(stats["executions"]["passive_liveness"], 2);
  EXPECT_EQ(stats["executions"]["face_match"], 2);
  EXPECT_EQ(stats["executions"]["id_verification"], 2);
  EXPECT_EQ(stats["stored_keys"], 0);
  EXPECT_EQ(stats["bad_keys_400"], 0);
  EXPECT_EQ(stats["replays"], 0);
  const auto executions = h.Executions();
  ASSERT_EQ(executions["count"], 13);  // 5 creates, 1 update, 1 delete, 6 checks
  for (const auto& e : executions["executions"]) EXPECT_TRUE(e["idempotency_key"].is_null());
}

TEST(DiditIdempotency, AmlReplayIsByteIdenticalWithoutAMarker) {
  Harness h;
  auto first = h.Post("/v3/aml/", kAml, "aml-1");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  auto again = h.Post("/v3/aml/", kAml, "\"aml-1\"");  // the quoted spelling is the same key
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(again->body, first->body);
  EXPECT_EQ(Header(again, "Idempotent-Replayed"), "");
  EXPECT_EQ(Header(again, "Content-Type"), "application/json");
  auto stats = h.Stats();
  EXPECT_EQ(stats["replays"], 1);
  EXPECT_EQ(stats["executions"]["aml"], 1);
  EXPECT_EQ(stats["stored_keys"], 1);
  EXPECT_EQ(stats["check_sessions"], 1);  // the saved check, once
  EXPECT_EQ(h.Executions()["executions"][0]["idempotency_key"], "aml-1");
}

TEST(DiditIdempotency, ReplayHeaderIsASwitch) {
  SandboxOptions options;
  options.replay_header = true;
  Harness h(options);
  ASSERT_EQ(h.Post("/v3/aml/", kAml, "aml-h")->status, 200);
  auto again = h.Post("/v3/aml/", kAml, "aml-h");
  EXPECT_EQ(Header(again, "Idempotent-Replayed"), "true");
  // Still only on AML: elsewhere the key is ignored, so nothing is replayed.
  SandboxOptions off_dedup = options;
  off_dedup.vendor_dedup = false;
  Harness other(off_dedup);
  other.Post("/v3/session/", CreateBody("x"), "k");
  EXPECT_EQ(Header(other.Post("/v3/session/", CreateBody("x"), "k"), "Idempotent-Replayed"), "");
}

TEST(DiditIdempotency, KeyReusedWithAnotherBodyIs409Detail) {
  Harness h;
  ASSERT_EQ(h.Post("/v3/aml/", kAml, "aml-2")->status, 200);
  auto reused = h.Post("/v3/aml/", R"({"full_name":"Someone Else"})", "aml-2");
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->status, 409);
  EXPECT_EQ(Header(reused, "Content-Type"), "application/json");
  EXPECT_EQ(Header(reused, "Retry-After"), "");  // final: nothing to wait for
  EXPECT_EQ(Json(reused), (nlohmann::json{{"detail", kReused}}));
  auto stats = h.Stats();
  EXPECT_EQ(stats["mismatches_409"], 1);
  EXPECT_EQ(stats["mismatches_422"], 0);
  EXPECT_EQ(stats["conflicts_409"], 0);
  EXPECT_EQ(stats["executions"]["aml"], 1);
}

TEST(DiditIdempotency, InProgressIs409WithRetryAfter) {
  SandboxOptions options;
  options.faults = "slow_exec=1:400";
  Harness h(options);
  auto first = std::async(std::launch::async, [&] {
    CurlClient own;
    return own.Send("POST", h.url() + "/v3/aml/",
                    {{"x-api-key", "sandbox-key"},
                     {"Content-Type", "application/json"},
                     {"Idempotency-Key", "aml-race"}},
                    kAml);
  });
  (void)idem::testing::WaitUntil(
      std::chrono::seconds(10), [&] { return h.Stats()["keys_in_progress"] != 0; },
      std::chrono::milliseconds(5));
  ASSERT_EQ(h.Stats()["keys_in_progress"], 1);
  auto second = h.Post("/v3/aml/", kAml, "aml-race");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409);
  EXPECT_EQ(Header(second, "Retry-After"), "1");
  EXPECT_EQ(Header(second, "Content-Type"), "application/json");
  EXPECT_EQ(Json(second), (nlohmann::json{{"detail", kInProgress}}));
  auto original = first.get();
  ASSERT_TRUE(original);
  EXPECT_EQ(original->status, 200);
  auto stats = h.Stats();
  EXPECT_EQ(stats["conflicts_409"], 1);
  EXPECT_EQ(stats["mismatches_409"], 0);
  EXPECT_EQ(stats["executions"]["aml"], 1);
}

TEST(DiditIdempotency, MalformedKeyOnAmlIs400Detail) {
  Harness h;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\"\"", "the key is empty"},
      {std::string(256, 'k'), "longer than 255 characters"},
      {"\"unterminated", "an unterminated quoted string"},
      {"two words", "a bare key may hold only visible ASCII without '\"' or '\\'"},
      {"back\\slash", "a bare key may hold only visible ASCII without '\"' or '\\'"},
      {"\"bad\\x\"", "only \\\" and \\\\ may be escaped in a quoted key"}};
  for (const auto& [key, why] : cases) {
    auto r = h.Post("/v3/aml/", kAml, key);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << key;
    EXPECT_EQ(Header(r, "Content-Type"), "application/json");
    EXPECT_EQ(Json(r), (nlohmann::json{{"detail", "Invalid Idempotency-Key: " + why}})) << key;
  }
  EXPECT_EQ(h.Stats()["executions"]["aml"], 0);
  EXPECT_EQ(h.Stats()["bad_keys_400"], 6);
}

TEST(DiditIdempotency, ValidationFailuresAreNotStored) {
  Harness h;
  EXPECT_EQ(h.Post("/v3/aml/", "{}", "fix-aml")->status, 400);
  EXPECT_EQ(h.Post("/v3/aml/", kAml, "fix-aml")->status, 200);  // no 409
}

TEST(DiditIdempotency, DropAfterThenRetryWithTheKeyExecutesOnce) {
  Harness h(WithFaults("drop_after=0.5"));
  std::string body;
  for (int attempt = 0; attempt < 40 && body.empty(); ++attempt) {
    if (auto r = h.Post("/v3/aml/", kAml, "aml-drop")) {
      EXPECT_EQ(r->status, 200);
      body = r->body;
    }
  }
  ASSERT_FALSE(body.empty());
  EXPECT_EQ(h.Stats()["executions"]["aml"], 1);
  EXPECT_EQ(h.Stats()["check_sessions"], 1);
}

TEST(DiditIdempotency, KeysExpireAfterTheTtl) {
  auto clock = std::make_shared<idem::testing::FakeClock>();
  SandboxOptions options;
  options.clock = clock;
  options.key_ttl = std::chrono::seconds(60);
  Harness h(options);
  auto first = Json(h.Post("/v3/aml/", kAml, "ttl"));
  clock->Advance(std::chrono::seconds(59));
  EXPECT_EQ(Json(h.Post("/v3/aml/", kAml, "ttl"))["request_id"], first["request_id"]);
  clock->Advance(std::chrono::seconds(1));
  EXPECT_NE(Json(h.Post("/v3/aml/", kAml, "ttl"))["request_id"], first["request_id"]);
}

TEST(DiditIdempotency, NoIdempotencyIgnoresTheAmlKeyToo) {
  SandboxOptions options;
  options.idempotency = false;
  Harness h(options);
  auto a = Json(h.Post("/v3/aml/", kAml, "same"));
  auto b = Json(h.Post("/v3/aml/", kAml, "same"));
  EXPECT_NE(a["request_id"], b["request_id"]);
  EXPECT_EQ(h.Post("/v3/aml/", kAml, "\"\"")->status, 200);  // not even parsed
  EXPECT_EQ(h.Stats()["executions"]["aml"], 3);
  EXPECT_EQ(h.Stats()["stored_keys"], 0);
}

TEST(Idempotency, IdealStatsNameTheProfile) {
  Harness ideal(Ideal());
  EXPECT_EQ(ideal.Stats()["profile"], "ideal");
  Harness didit;
  EXPECT_EQ(didit.Stats()["profile"], "didit");
  EXPECT_EQ(didit.Stats()["mismatches_409"], 0);
}

}  // namespace
}  // namespace idem::sandbox::testing
