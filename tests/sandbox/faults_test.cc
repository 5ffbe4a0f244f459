// Every fault mode and the real rate limiter, through a real HTTP client.
#include <gtest/gtest.h>

#include <future>

#include "sandbox_harness.h"
#include "testing/fake_clock.h"

namespace idem::sandbox::testing {
namespace {

SandboxOptions WithFaults(const std::string& spec) {
  SandboxOptions options;
  options.faults = spec;
  return options;
}

TEST(Faults, BadSpecRefusesToStart) {
  SandboxOptions options;
  options.port = 0;
  options.faults = "drop_before=2";
  auto sb = Sandbox::Start(options);
  ASSERT_FALSE(sb);
  EXPECT_EQ(sb.error().code(), ErrorCode::kInvalidArgument);
}

TEST(Faults, DropBeforeClosesWithoutExecuting) {
  Harness h(Ideal(WithFaults("drop_before=1")));
  auto r = h.Post("/v3/session/", CreateBody("x"), "k");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kUnavailable);
  auto stats = h.Stats();
  EXPECT_EQ(stats["executions"]["create_session"], 0);
  EXPECT_EQ(stats["faults"]["drop_before"], 1);
  EXPECT_EQ(stats["stored_keys"], 0);
}

TEST(Faults, DropAfterExecutesCommitsThenCloses) {
  Harness h(Ideal(WithFaults("drop_after=1")));
  auto r = h.Post("/v3/session/", CreateBody("x"), "k");
  ASSERT_FALSE(r);
  auto stats = h.Stats();
  EXPECT_EQ(stats["executions"]["create_session"], 1);
  EXPECT_EQ(stats["stored_keys"], 1);
  EXPECT_EQ(stats["faults"]["drop_after"], 1);
}

TEST(Faults, DropAfterThenReplayReturnsTheCommittedResult) {
  // Seeded: with p = 0.5 some requests drop and some do not; a client retrying
  // with its key ends with exactly one execution.
  Harness h(Ideal(WithFaults("drop_after=0.5")));
  std::string body;
  for (int attempt = 0; attempt < 40; ++attempt) {
    auto r = h.Post("/v3/session/", CreateBody("retry"), "retry-key");
    if (r) {
      EXPECT_EQ(r->status, 201);
      body = r->body;
      break;
    }
  }
  ASSERT_FALSE(body.empty());
  EXPECT_EQ(h.Stats()["executions"]["create_session"], 1);
}

TEST(Faults, Error503WithoutExecutingSometimesWithRetryAfter) {
  Harness h(WithFaults("error_503=1,retry_after=1"));
  auto a = h.Post("/v3/session/", CreateBody("x"), "k");
  auto b = h.Post("/v3/session/", CreateBody("x"), "k");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->status, 503);
  EXPECT_EQ(b->status, 503);
  EXPECT_EQ(Header(a, "Retry-After"), "1");
  EXPECT_EQ(Header(b, "Retry-After"), "");
  EXPECT_EQ(h.Stats()["executions"]["create_session"], 0);
  EXPECT_EQ(h.Stats()["faults"]["error_503"], 2);
}

TEST(Faults, Error500AfterExecutesAndAReplayGetsThe201) {
  Harness h(Ideal(WithFaults("error_500_after=0.5")));
  int fives = 0;
  std::string created;
  for (int i = 0; i < 40 && created.empty(); ++i) {
    auto r = h.Post("/v3/session/", CreateBody("x"), "k500");
    ASSERT_TRUE(r);
    if (r->status == 500) {
      ++fives;
    } else {
      EXPECT_EQ(r->status, 201);
      created = r->body;
    }
  }
  EXPECT_FALSE(created.empty());
  EXPECT_EQ(h.Stats()["executions"]["create_session"], 1);
  EXPECT_EQ(h.Stats()["faults"]["error_500_after"], fives);
}

TEST(Faults, RateLimitFaultAnswers429WithHeaders) {
  Harness h(WithFaults("rate_limit=1,retry_after=2"));
  auto r = h.Send("GET", "/v3/sessions/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(Header(r, "Retry-After"), "2");
  EXPECT_EQ(Header(r, "X-RateLimit-Remaining"), "0");
  EXPECT_FALSE(Header(r, "X-RateLimit-Limit").empty());
  EXPECT_FALSE(Header(r, "X-RateLimit-Reset").empty());
}

TEST(Faults, SlowAnswersAfterTheDelay) {
  Harness h(WithFaults("slow=1:150"));
  const auto start = std::chrono::steady_clock::now();
  auto r = h.Post("/v3/session/", CreateBody("s"), "slow");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
}

TEST(Faults, NeverApplyToControlEndpoints) {
  Harness h(WithFaults("drop_before=1"));
  CurlClient raw;
  for (int i = 0; i < 5; ++i) {
    auto r = raw.Send("GET", h.url() + "/_sandbox/health");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

TEST(Faults, SameSeedSameFaultSequence) {
  auto run = [](std::uint64_t seed) {
    SandboxOptions options = WithFaults("error_503=0.5");
    options.seed = seed;
    Harness h(options);
    std::string pattern;
    for (int i = 0; i < 20; ++i)
      pattern += h.Send("GET", "/v3/sessions/")->status == 503 ? 'F' : '.';
    return pattern;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(RateLimit, SlidingWindowPerKey) {
  auto clock = std::make_shared<idem::testing::FakeClock>();
  SandboxOptions options;
  options.rate_limit = 3;
  options.clock = clock;
  Harness h(options);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h.Send("GET", "/v3/sessions/")->status, 200);
  auto limited = h.Send("GET", "/v3/sessions/");
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(Header(limited, "X-RateLimit-Limit"), "3");
  EXPECT_EQ(Header(limited, "Retry-After"), "60");
  clock->Advance(std::chrono::seconds(30));
  EXPECT_EQ(h.Send("GET", "/v3/sessions/")->status, 429);
  clock->Advance(std::chrono::seconds(30));  // the first three leave the window
  EXPECT_EQ(h.Send("GET", "/v3/sessions/")->status, 200);
  EXPECT_EQ(h.Stats()["rate_limited_429"], 2);
  CurlClient raw;  // control endpoints are not limited
  EXPECT_EQ(raw.Send("GET", h.url() + "/_sandbox/health")->status, 200);
}

}  // namespace
}  // namespace idem::sandbox::testing
