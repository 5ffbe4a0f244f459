// Didit's rate-limit scopes in the sandbox (docs/sandbox.md, "Rate-limit
// scopes"; didit-api-v3-details.md section 2): the spec parser, the limiter
// on its own, and a real sandbox on port 0 with a fake clock (no test sleeps).
#include "sandbox/rate_scopes.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "sandbox_harness.h"
#include "testing/fake_clock.h"

namespace idem::sandbox::testing {
namespace {

using idem::testing::FakeClock;
using std::chrono::seconds;

constexpr std::int64_t kT0 = 1'800'000'000;  // FakeClock's start, epoch seconds

// ---- the spec ----

TEST(RateScopeSpec, OffByDefaultAndForEmptyOrOff) {
  EXPECT_FALSE(SandboxOptions{}.rate_scopes.enabled());
  for (const char* off : {"", "off", "  off "}) {
    auto s = ParseSandboxRateScopes(off);
    ASSERT_TRUE(s) << off;
    EXPECT_FALSE(s->enabled()) << off;
  }
}

TEST(RateScopeSpec, DiditIsTheFactSheetsNumbers) {
  auto s = ParseSandboxRateScopes("didit");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->generic_get, 600);
  EXPECT_EQ(s->generic_write, 300);
  EXPECT_EQ(s->session_create, 600);
  EXPECT_EQ(s->session_decision, 100);
  EXPECT_EQ(s->session_pdf, 50);
  EXPECT_EQ(s->ingest_write, 600);
  EXPECT_EQ(*s, SandboxRateScopes::Didit());
}

TEST(RateScopeSpec, EntriesAndOverrides) {
  auto s = ParseSandboxRateScopes("writes=30/min, reads=60/min,decision=10/min");
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->generic_write, 30);
  EXPECT_EQ(s->generic_get, 60);
  EXPECT_EQ(s->session_decision, 10);
  EXPECT_EQ(s->session_create, 0);  // not named: off
  auto o = ParseSandboxRateScopes("didit,create=5/min,generic-get=0/min");
  ASSERT_TRUE(o) << o.error().ToString();
  EXPECT_EQ(o->session_create, 5);
  EXPECT_EQ(o->generic_get, 0);
  EXPECT_EQ(o->generic_write, 300);
  auto l = ParseSandboxRateScopes("session-v2-create=7/min,session-decision=8/min");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->session_create, 7);
  EXPECT_EQ(l->session_decision, 8);
}

TEST(RateScopeSpec, PerSecondWindowsForShortTests) {
  auto s = ParseSandboxRateScopes("writes=5/s,reads=10/s");
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->generic_write, 5);
  EXPECT_EQ(s->generic_get, 10);
  EXPECT_EQ(s->window_ms, 1000);
  EXPECT_EQ(ParseSandboxRateScopes("writes=5/min")->window_ms, 60000);
  // One window for every scope; "didit" is per minute.
  for (const char* spec : {"writes=5/s,reads=10/min", "didit,writes=5/s"}) {
    auto bad = ParseSandboxRateScopes(spec);
    ASSERT_FALSE(bad) << spec;
    EXPECT_NE(bad.error().message().find("/min"), std::string::npos) << bad.error().message();
  }
}

TEST(RateScopeSpec, MalformedSpecsSayWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"writes", "expected SCOPE=N/min"},
      {"writes=30", "N/min"},
      {"writes=30/h", "N/min"},
      {"writes=x/min", "integer"},
      {"writes=-1/min", "integer"},
      {"writes=/min", "integer"},
      {"writes=2000000/min", "integer"},
      {"bogus=1/min", "unknown scope"},
      {"writes=1/min,writes=2/min", "twice"},
      {"writes=1/min,,reads=1/min", "empty entry"},
      {"writes=1/min,didit", "must come first"},
      {"session-add-images=5/min", "not emulated"},
      {"Didit", "expected SCOPE=N/min"},
  };
  for (const auto& [spec, words] : cases) {
    auto s = ParseSandboxRateScopes(spec);
    ASSERT_FALSE(s) << spec;
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << spec;
    EXPECT_NE(s.error().message().find(words), std::string::npos)
        << spec << ": " << s.error().message();
  }
}

TEST(RateScopeSpec, NegativeLimitsAreRefusedByStart) {
  SandboxOptions options;
  options.port = 0;
  options.rate_scopes.generic_get = -1;
  auto sb = Sandbox::Start(options);
  ASSERT_FALSE(sb);
  EXPECT_EQ(sb.error().code(), ErrorCode::kInvalidArgument);
}

// ---- the limiter alone ----

TEST(ScopeLimiter, ScopesPerRoute) {
  using V = std::vector<RateScope>;
  EXPECT_EQ(RateScopesFor("POST", Endpoint::kCreateSession),
            (V{RateScope::kSessionCreate, RateScope::kGenericWrite}));
  EXPECT_EQ(RateScopesFor("GET", Endpoint::kDecision),
            (V{RateScope::kSessionDecision, RateScope::kGenericGet}));
  EXPECT_EQ(RateScopesFor("GET", Endpoint::kListSessions), (V{RateScope::kGenericGet}));
  EXPECT_EQ(RateScopesFor("PATCH", Endpoint::kUpdateStatus), (V{RateScope::kGenericWrite}));
  EXPECT_EQ(RateScopesFor("DELETE", Endpoint::kDeleteSession), (V{RateScope::kGenericWrite}));
  EXPECT_EQ(RateScopesFor("POST", Endpoint::kAml), (V{RateScope::kGenericWrite}));
}

TEST(ScopeLimiter, IdentifierIsKeyElseFirstForwardedHopElsePeer) {
  EXPECT_EQ(RateIdentifier({{"x-api-key", "k1"}, {"X-Forwarded-For", "1.2.3.4"}}, "9.9.9.9"),
            "key:k1");
  EXPECT_EQ(RateIdentifier({{"X-Forwarded-For", " 1.2.3.4 , 5.6.7.8"}}, "9.9.9.9"), "ip:1.2.3.4");
  EXPECT_EQ(RateIdentifier({}, "9.9.9.9"), "ip:9.9.9.9");
}

TEST(ScopeLimiter, DiditBodies) {
  EXPECT_EQ(RateScopeDetail(RateScope::kGenericGet, 600),
            "GET request rate limit exceeded. You can make up to 600 requests per minute.");
  EXPECT_EQ(RateScopeDetail(RateScope::kGenericWrite, 300),
            "Write request rate limit exceeded. You can make up to 300 requests per minute.");
  EXPECT_EQ(RateScopeDetail(RateScope::kSessionCreate, 600),
            "Session creation rate limit exceeded. You can make up to 600 requests per minute.");
}

TEST(ScopeLimiter, AOneSecondWindow) {
  SandboxRateScopes limits;
  limits.generic_write = 2;
  limits.window_ms = 1000;
  ScopeLimiter limiter(limits);
  const std::int64_t t = kT0 * 1000;
  ASSERT_TRUE(limiter.Admit("a", "POST", Endpoint::kAml, t)->admitted);
  ASSERT_TRUE(limiter.Admit("a", "POST", Endpoint::kAml, t + 500)->admitted);
  auto full = limiter.Admit("a", "POST", Endpoint::kAml, t + 999);
  ASSERT_FALSE(full->admitted);
  EXPECT_EQ(full->retry_after, 1);
  EXPECT_TRUE(limiter.Admit("a", "POST", Endpoint::kAml, t + 1000)->admitted);
  EXPECT_FALSE(limiter.Admit("a", "POST", Endpoint::kAml, t + 1001)->admitted);
}

TEST(ScopeLimiter, RefusedTakesNoSlotAndLongestWaitAnswers) {
  SandboxRateScopes limits;
  limits.generic_write = 3;
  limits.session_create = 2;
  ScopeLimiter limiter(limits);
  const std::int64_t t = kT0 * 1000;
  // Two creates fill session-v2-create; a write at t+10 s takes generic-write's last slot.
  ASSERT_TRUE(limiter.Admit("a", "POST", Endpoint::kCreateSession, t)->admitted);
  ASSERT_TRUE(limiter.Admit("a", "POST", Endpoint::kCreateSession, t)->admitted);
  auto aml = limiter.Admit("a", "POST", Endpoint::kAml, t + 10'000);
  ASSERT_TRUE(aml->admitted);
  EXPECT_EQ(aml->remaining, 0);
  // A create now meets two full scopes: generic-write's slot frees at t+60 s
  // as does create's; on a tie the route's own scope answers.
  auto both = limiter.Admit("a", "POST", Endpoint::kCreateSession, t + 20'000);
  ASSERT_FALSE(both->admitted);
  EXPECT_EQ(both->scope, RateScope::kSessionCreate);
  EXPECT_EQ(both->retry_after, 40);
  // At t+60 s both free one slot (the creates at t leave): admitted.
  auto later = limiter.Admit("a", "POST", Endpoint::kCreateSession, t + 60'000);
  ASSERT_TRUE(later->admitted);
  // generic-write now holds the AML (t+10) and this create: room for one
  // more; create's window holds one: the verdict names the tighter scope.
  EXPECT_EQ(later->scope, RateScope::kSessionCreate);
  EXPECT_EQ(later->remaining, 1);
  EXPECT_EQ(limiter.refused_total(), 1u);
}

// ---- a real sandbox on port 0 ----

struct Scoped {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  std::unique_ptr<Harness> h;
  explicit Scoped(const std::string& spec) {
    SandboxOptions options;
    options.clock = clock;
    options.rate_scopes = *ParseSandboxRateScopes(spec);
    h = std::make_unique<Harness>(options);
  }
};

std::string Detail(const Result<HttpResponse>& r) {
  auto j = Json(r);
  return j.is_object() && j.contains("detail") ? j["detail"].get<std::string>() : "";
}

std::string CreateSession(Harness& h, const std::string& vendor) {
  auto r = h.Post("/v3/session/", CreateBody(vendor));
  if (!r || r->status != 201) return "";
  return Json(r)["session_id"].get<std::string>();
}

TEST(RateScopes, OffByDefaultNoHeadersNoLimit) {
  Harness h;
  for (int i = 0; i < 50; ++i) {
    auto r = h.Send("GET", "/v3/sessions/");
    ASSERT_EQ(r->status, 200);
    EXPECT_EQ(Header(r, "X-RateLimit-Limit"), "");
  }
  EXPECT_TRUE(h.Stats()["rate_limited"].empty());
  EXPECT_TRUE(h.Stats()["rate_scopes"].empty());
}

TEST(RateScopes, GenericGetLimitAnswersDiditsGet429) {
  Scoped s("reads=3/min");
  Harness& h = *s.h;
  for (int i = 0; i < 3; ++i) {
    auto r = h.Send("GET", "/v3/sessions/");
    ASSERT_EQ(r->status, 200);
    EXPECT_EQ(Header(r, "X-RateLimit-Limit"), "3");
    EXPECT_EQ(Header(r, "X-RateLimit-Remaining"), std::to_string(2 - i));
    EXPECT_EQ(Header(r, "X-RateLimit-Reset"), std::to_string(kT0 + 60));
  }
  s.clock->Advance(seconds(15));
  auto limited = h.Send("GET", "/v3/sessions/");
  ASSERT_EQ(limited->status, 429);
  EXPECT_EQ(Detail(limited),
            "GET request rate limit exceeded. You can make up to 3 requests per minute.");
  EXPECT_EQ(Header(limited, "Retry-After"), "45");
  EXPECT_EQ(Header(limited, "X-RateLimit-Limit"), "3");
  EXPECT_EQ(Header(limited, "X-RateLimit-Remaining"), "0");
  EXPECT_EQ(Header(limited, "X-RateLimit-Reset"), std::to_string(kT0 + 60));
  // Writes are another scope (off here).
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("w"))->status, 201);
}

TEST(RateScopes, SlidingWindowFreesOneSlotAtATime) {
  Scoped s("reads=2/min");
  Harness& h = *s.h;
  EXPECT_EQ(h.Send("GET", "/v3/sessions/")->status, 200);  // t0
  s.clock->Advance(seconds(20));
  EXPECT_EQ(h.Send("GET", "/v3/sessions/")->status, 200);  // t0+20
  s.clock->Advance(std::chrono::milliseconds(39'500));     // t0+59.5
  auto limited = h.Send("GET", "/v3/sessions/");
  ASSERT_EQ(limited->status, 429);
  EXPECT_EQ(Header(limited, "Retry-After"), "1");    // 0.5 s, rounded up to >= 1
  s.clock->Advance(std::chrono::milliseconds(500));  // t0+60: the first leaves
  auto freed = h.Send("GET", "/v3/sessions/");
  ASSERT_EQ(freed->status, 200);
  EXPECT_EQ(Header(freed, "X-RateLimit-Remaining"), "0");
  EXPECT_EQ(Header(freed, "X-RateLimit-Reset"), std::to_string(kT0 + 80));
  auto again = h.Send("GET", "/v3/sessions/");  // the one at t0+20 is still in
  ASSERT_EQ(again->status, 429);
  EXPECT_EQ(Header(again, "Retry-After"), "20");
}

TEST(RateScopes, GenericWriteLimitAndItsBody) {
  Scoped s("writes=2/min");
  Harness& h = *s.h;
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("a"))->status, 201);
  EXPECT_EQ(h.Post("/v3/aml/", R"({"full_name":"Jo"})")->status, 200);
  auto limited = h.Send("PATCH", "/v3/session/x/update-status/", R"({"new_status":"Approved"})");
  ASSERT_EQ(limited->status, 429);
  EXPECT_EQ(Detail(limited),
            "Write request rate limit exceeded. You can make up to 2 requests per minute.");
  EXPECT_EQ(Header(limited, "Retry-After"), "60");
  EXPECT_EQ(Header(limited, "X-RateLimit-Limit"), "2");
  EXPECT_EQ(Header(limited, "X-RateLimit-Reset"), std::to_string(kT0 + 60));
  // Reads are another scope (off here).
  EXPECT_EQ(h.Send("GET", "/v3/sessions/")->status, 200);
  EXPECT_EQ(h.Stats()["rate_limited"]["generic-write"], 1);
}

TEST(RateScopes, SessionCreateAppliesInAdditionToGenericWrite) {
  Scoped s("writes=3/min,create=2/min");
  Harness& h = *s.h;
  auto first = h.Post("/v3/session/", CreateBody("a"));
  ASSERT_EQ(first->status, 201);
  // Headers name the scope with the least room: create (1 left) over writes (2 left).
  EXPECT_EQ(Header(first, "X-RateLimit-Limit"), "2");
  EXPECT_EQ(Header(first, "X-RateLimit-Remaining"), "1");
  EXPECT_EQ(h.Post("/v3/session/", CreateBody("b"))->status, 201);
  auto limited = h.Post("/v3/session/", CreateBody("c"));
  ASSERT_EQ(limited->status, 429);
  EXPECT_EQ(Detail(limited),
            "Session creation rate limit exceeded. You can make up to 2 requests per minute.");
  // The refused create took no generic-write slot: one write still passes
  // (2 creates + 1 AML = 3), the next write is refused by generic-write.
  EXPECT_EQ(h.Post("/v3/aml/", R"({"full_name":"Jo"})")->status, 200);
  auto write = h.Post("/v3/aml/", R"({"full_name":"Al"})");
  ASSERT_EQ(write->status, 429);
  EXPECT_EQ(Detail(write),
            "Write request rate limit exceeded. You can make up to 3 requests per minute.");
  auto stats = h.Stats();
  EXPECT_EQ(stats["rate_limited"]["session-v2-create"], 1);
  EXPECT_EQ(stats["rate_limited"]["generic-write"], 1);
  EXPECT_EQ(stats["rate_scopes"]["generic-write"]["in_window"], 3);
  EXPECT_EQ(stats["rate_scopes"]["generic-write"]["limit"], 3);
  EXPECT_EQ(stats["rate_scopes"]["session-v2-create"]["in_window"], 2);
  EXPECT_EQ(stats["rate_limited_429"], 2);
}

TEST(RateScopes, DecisionScopeInAdditionToGenericGet) {
  Scoped s("reads=5/min,decision=2/min");
  Harness& h = *s.h;
  const std::string id = CreateSession(h, "d");
  ASSERT_FALSE(id.empty());
  const std::string path = "/v3/session/" + id + "/decision/";
  EXPECT_EQ(h.Send("GET", path)->status, 200);
  EXPECT_EQ(h.Send("GET", path)->status, 200);
  auto limited = h.Send("GET", path);
  ASSERT_EQ(limited->status, 429);
  EXPECT_EQ(Detail(limited),
            "Session decision rate limit exceeded. You can make up to 2 requests per minute.");
  EXPECT_EQ(Header(limited, "X-RateLimit-Limit"), "2");
  // The list still has generic-get room: 5 - 2 decisions = 3.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h.Send("GET", "/v3/sessions/")->status, 200);
  auto get = h.Send("GET", "/v3/sessions/");
  ASSERT_EQ(get->status, 429);
  EXPECT_EQ(Detail(get),
            "GET request rate limit exceeded. You can make up to 5 requests per minute.");
  EXPECT_EQ(h.Stats()["rate_limited"]["session-decision"], 1);
  EXPECT_EQ(h.Stats()["rate_limited"]["generic-get"], 1);
}

TEST(RateScopes, ARefusedRequestIsNotExecuted) {
  Scoped s("writes=1/min");
  Harness& h = *s.h;
  ASSERT_EQ(h.Post("/v3/session/", CreateBody("once"))->status, 201);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(h.Post("/v3/session/", CreateBody("never" + std::to_string(i)))->status, 429);
    ASSERT_EQ(h.Post("/v3/aml/", R"({"full_name":"Jo"})")->status, 429);
  }
  auto executions = h.Executions();
  EXPECT_EQ(executions["count"], 1) << executions.dump();
  ASSERT_EQ(executions["executions"].size(), 1u) << executions.dump();
  EXPECT_EQ(executions["executions"][0]["vendor_data"], "once");
  auto stats = h.Stats();
  EXPECT_EQ(stats["executions_total"], 1);
  EXPECT_EQ(stats["sessions_total"], 1);
  EXPECT_EQ(stats["rate_limited"]["generic-write"], 6);
}

TEST(RateScopes, EachKeyHasItsOwnWindows) {
  Scoped s("reads=2/min");
  Harness& h = *s.h;
  CurlClient raw;
  auto send = [&](Headers headers) { return raw.Send("GET", h.url() + "/v3/sessions/", headers); };
  for (int i = 0; i < 2; ++i) ASSERT_EQ(h.Send("GET", "/v3/sessions/")->status, 200);
  ASSERT_EQ(h.Send("GET", "/v3/sessions/")->status, 429);
  // Another key: windows of its own (checked before authentication: 401s
  // while it has room, then 429).
  EXPECT_EQ(send({{"x-api-key", "other"}})->status, 401);
  EXPECT_EQ(send({{"x-api-key", "other"}})->status, 401);
  EXPECT_EQ(send({{"x-api-key", "other"}})->status, 429);
  // No key: the first X-Forwarded-For hop, else the peer's address.
  EXPECT_EQ(send({{"X-Forwarded-For", "10.0.0.1, 10.0.0.2"}})->status, 403);
  EXPECT_EQ(send({{"X-Forwarded-For", "10.0.0.1"}})->status, 403);
  EXPECT_EQ(send({{"X-Forwarded-For", "10.0.0.1"}})->status, 429);
  EXPECT_EQ(send({})->status, 403);  // 127.0.0.1
  EXPECT_EQ(send({})->status, 403);
  EXPECT_EQ(send({})->status, 429);
  auto stats = h.Stats();
  EXPECT_EQ(stats["rate_limited"]["generic-get"], 4);
  EXPECT_EQ(stats["rate_scopes"]["generic-get"]["in_window"], 8);
}

TEST(RateScopes, ErrorAnswersCarryNoScopeHeaders) {
  Scoped s("reads=5/min,writes=5/min");
  Harness& h = *s.h;
  auto missing = h.Send("GET", "/v3/session/00000000-0000-4000-8000-000000000000/decision/");
  ASSERT_EQ(missing->status, 404);
  EXPECT_EQ(Header(missing, "X-RateLimit-Reset"), "");
  auto bad = h.Post("/v3/session/", "{}");
  ASSERT_EQ(bad->status, 400);
  EXPECT_EQ(Header(bad, "X-RateLimit-Reset"), "");
  auto ok = h.Send("GET", "/v3/sessions/");
  ASSERT_EQ(ok->status, 200);
  EXPECT_EQ(Header(ok, "X-RateLimit-Remaining"), "3");  // the 404 counted too
}

TEST(RateScopes, ControlEndpointsAreNotLimited) {
  Scoped s("reads=1/min");
  Harness& h = *s.h;
  ASSERT_EQ(h.Send("GET", "/v3/sessions/")->status, 200);
  ASSERT_EQ(h.Send("GET", "/v3/sessions/")->status, 429);
  CurlClient raw;
  for (int i = 0; i < 3; ++i) {
    auto r = raw.Send("GET", h.url() + "/_sandbox/health");
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(Header(r, "X-RateLimit-Limit"), "");
  }
}

TEST(RateScopes, DiditNumbersLetOrdinaryTrafficThrough) {
  Scoped s("didit");
  Harness& h = *s.h;
  auto r = h.Post("/v3/session/", CreateBody("x"));
  ASSERT_EQ(r->status, 201);
  EXPECT_EQ(Header(r, "X-RateLimit-Limit"), "300");  // generic-write has the least room
  EXPECT_EQ(Header(r, "X-RateLimit-Remaining"), "299");
  auto stats = h.Stats();
  EXPECT_EQ(stats["rate_scopes"]["generic-get"]["limit"], 600);
  EXPECT_EQ(stats["rate_scopes"]["session-decision"]["limit"], 100);
  EXPECT_EQ(stats["rate_limited"]["generic-write"], 0);
}

TEST(RateScopes, WorkTogetherWithTheEveryRequestLimit) {
  auto clock = std::make_shared<FakeClock>();
  SandboxOptions options;
  options.clock = clock;
  options.rate_limit = 2;
  options.rate_scopes.generic_get = 10;
  Harness h(options);
  EXPECT_EQ(h.Send("GET", "/v3/sessions/")->status, 200);
  EXPECT_EQ(h.Send("GET", "/v3/sessions/")->status, 200);
  auto limited = h.Send("GET", "/v3/sessions/");
  ASSERT_EQ(limited->status, 429);  // --rate-limit's answer, its own headers
  EXPECT_EQ(Header(limited, "X-RateLimit-Limit"), "2");
  EXPECT_EQ(Detail(limited), "Request was throttled.");
}

}  // namespace
}  // namespace idem::sandbox::testing
