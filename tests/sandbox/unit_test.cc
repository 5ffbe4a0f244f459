// Unit tests of the sandbox's pure parts: key parsing, fault spec, multipart,
// routing, pagination, the AML watch list.
#include <gtest/gtest.h>

#include "idem/random.h"
#include "sandbox/aml_watchlist.h"
#include "sandbox/fault_spec.h"
#include "sandbox/idempotency_key.h"
#include "sandbox/multipart.h"
#include "sandbox/router.h"

namespace idem::sandbox {
namespace {

TEST(IdempotencyKey, BareAndQuotedAreTheSameKey) {
  EXPECT_EQ(*ParseIdempotencyKey("abc-123"), "abc-123");
  EXPECT_EQ(*ParseIdempotencyKey("\"abc-123\""), "abc-123");
  EXPECT_EQ(*ParseIdempotencyKey("  \"abc-123\"\t"), "abc-123");
}

TEST(IdempotencyKey, QuotedEscapes) {
  EXPECT_EQ(*ParseIdempotencyKey(R"("a\"b\\c")"), "a\"b\\c");
  EXPECT_EQ(*ParseIdempotencyKey(R"("with space")"), "with space");
  EXPECT_FALSE(ParseIdempotencyKey(R"("bad\n")"));  // only \" and \\ escape
  EXPECT_FALSE(ParseIdempotencyKey(R"("dangling\)"));
  EXPECT_FALSE(ParseIdempotencyKey(R"("unterminated)"));
  EXPECT_FALSE(ParseIdempotencyKey(R"("a"b)"));  // text after the closing quote
}

TEST(IdempotencyKey, EmptyIsRejected) {
  EXPECT_FALSE(ParseIdempotencyKey(""));
  EXPECT_FALSE(ParseIdempotencyKey("   "));
  EXPECT_FALSE(ParseIdempotencyKey("\"\""));
}

TEST(IdempotencyKey, LengthLimitIs255) {
  EXPECT_TRUE(ParseIdempotencyKey(std::string(255, 'k')));
  EXPECT_FALSE(ParseIdempotencyKey(std::string(256, 'k')));
  EXPECT_TRUE(ParseIdempotencyKey("\"" + std::string(255, 'k') + "\""));
  EXPECT_FALSE(ParseIdempotencyKey("\"" + std::string(256, 'k') + "\""));
}

TEST(IdempotencyKey, NonPrintableIsRejected) {
  EXPECT_FALSE(ParseIdempotencyKey(std::string("ab\x01", 3)));
  EXPECT_FALSE(ParseIdempotencyKey(std::string("ab\0c", 4)));
  EXPECT_FALSE(ParseIdempotencyKey("ab\x7F"));
  EXPECT_FALSE(ParseIdempotencyKey("caf\xC3\xA9"));
  EXPECT_FALSE(ParseIdempotencyKey("\"caf\xC3\xA9\""));
  EXPECT_FALSE(ParseIdempotencyKey("two words"));  // a bare key has no spaces
  EXPECT_FALSE(ParseIdempotencyKey("ab\"c"));
}

TEST(FaultSpec, ParsesEveryKind) {
  auto spec = FaultSpec::Parse(
      "drop_before=0.1,drop_after=0.1,error_503=0.05,error_500_after=0.05,rate_limit=0.05,"
      "slow=0.05:1500,slow_exec=0.05:1500,retry_after=2");
  ASSERT_TRUE(spec) << spec.error().ToString();
  ASSERT_EQ(spec->rules().size(), 7u);
  EXPECT_EQ(spec->rules()[5].kind, FaultKind::kSlow);
  EXPECT_EQ(spec->rules()[5].delay_ms, 1500);
  EXPECT_DOUBLE_EQ(spec->rules()[0].probability, 0.1);
  EXPECT_EQ(spec->retry_after_seconds(), 2);
}

TEST(FaultSpec, EmptyMeansNoFaultsAndNoDraws) {
  auto spec = FaultSpec::Parse("");
  ASSERT_TRUE(spec);
  EXPECT_TRUE(spec->empty());
  SeededRandom random(1);
  EXPECT_EQ(spec->Decide(random).kind, FaultKind::kNone);
  SeededRandom fresh(1);
  EXPECT_EQ(random.NextU64(), fresh.NextU64());  // nothing was consumed
}

TEST(FaultSpec, RejectsMalformedSpecs) {
  for (const char* bad : {"drop_before",
                          "drop_before=",
                          "drop_before=x",
                          "drop_before=1.5",
                          "drop_before=-0.1",
                          "nope=0.1",
                          "slow=0.1",
                          "slow=0.1:",
                          "slow=0.1:abc",
                          "slow=0.1:-5",
                          "drop_after=0.1:5",
                          "drop_before=0.6,drop_after=0.6",
                          "drop_before=0.1,drop_before=0.1",
                          "a=b=c",
                          ",",
                          "drop_before=0.1,,",
                          "retry_after=x",
                          "retry_after=-1",
                          "drop_before=nan",
                          "drop_before=inf"}) {
    EXPECT_FALSE(FaultSpec::Parse(bad)) << bad;
  }
}

TEST(FaultSpec, CertainFaultAlwaysFires) {
  auto spec = FaultSpec::Parse("error_503=1");
  ASSERT_TRUE(spec);
  SeededRandom random(7);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(spec->Decide(random).kind, FaultKind::kError503);
}

TEST(FaultSpec, SameSeedSameDecisionsAndRoughFrequencies) {
  auto spec = FaultSpec::Parse("drop_before=0.2,slow=0.3:10");
  ASSERT_TRUE(spec);
  SeededRandom a(42);
  SeededRandom b(42);
  int drops = 0;
  int slows = 0;
  for (int i = 0; i < 10000; ++i) {
    const FaultDecision da = spec->Decide(a);
    EXPECT_EQ(da.kind, spec->Decide(b).kind);
    drops += da.kind == FaultKind::kDropBefore;
    slows += da.kind == FaultKind::kSlow;
    if (da.kind == FaultKind::kSlow) {
      EXPECT_EQ(da.delay_ms, 10);
    }
  }
  EXPECT_NEAR(drops, 2000, 200);
  EXPECT_NEAR(slows, 3000, 250);
}

std::string Form(const std::string& boundary,
                 const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--" + boundary + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + name +
            ".jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" + value + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return body;
}

TEST(Multipart, ParsesParts) {
  const std::string body =
      Form("XyZ", {{"user_image", std::string("\x89PNG\0\r\n", 7)}, {"vendor_data", "u1"}});
  auto parts = ParseMultipart(body, "XyZ");
  ASSERT_TRUE(parts) << parts.error().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "user_image");
  EXPECT_EQ((*parts)[0].filename, "user_image.jpg");
  EXPECT_EQ((*parts)[0].content_type, "image/jpeg");
  EXPECT_EQ((*parts)[0].data, std::string("\x89PNG\0\r\n", 7));
  EXPECT_EQ((*parts)[1].data, "u1");
}

TEST(Multipart, CanonicalFormIgnoresTheBoundary) {
  const std::vector<std::pair<std::string, std::string>> fields = {{"user_image", "pixels"}};
  auto a = ParseMultipart(Form("boundaryA", fields), "boundaryA");
  auto b = ParseMultipart(Form("other-boundary-123", fields), "other-boundary-123");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(CanonicalMultipart(*a), CanonicalMultipart(*b));
  auto c = ParseMultipart(Form("boundaryA", {{"user_image", "pixelz"}}), "boundaryA");
  ASSERT_TRUE(c);
  EXPECT_NE(CanonicalMultipart(*a), CanonicalMultipart(*c));
}

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(*MultipartBoundary("Multipart/Form-Data;boundary=\"a b\""), "a b");
  EXPECT_FALSE(MultipartBoundary("application/json"));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data"));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'b')));
}

TEST(Multipart, RejectsMalformedTruncatedAndHostile) {
  const std::string good = Form("B", {{"user_image", "x"}});
  EXPECT_FALSE(ParseMultipart("", "B"));
  EXPECT_FALSE(ParseMultipart("garbage without boundary", "B"));
  EXPECT_FALSE(ParseMultipart(good.substr(0, good.size() / 2), "B"));  // truncated
  EXPECT_FALSE(ParseMultipart(good.substr(0, good.size() - 6), "B"));  // no closing boundary
  EXPECT_FALSE(ParseMultipart("--B\r\nContent-Type: x\r\n\r\ndata\r\n--B--", "B"));  // no name
  EXPECT_FALSE(ParseMultipart("--B\r\nContent-Disposition: form-data; name=a", "B"));
  EXPECT_FALSE(ParseMultipart("--Bjunk", "B"));
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 100; ++i) many.push_back({"f" + std::to_string(i), "v"});
  EXPECT_FALSE(ParseMultipart(Form("B", many), "B", 64));
}

TEST(Router, ResolvesEveryEndpoint) {
  EXPECT_EQ(Resolve("POST", "/v3/session/").endpoint, Endpoint::kCreateSession);
  auto decision = Resolve("GET", "/v3/session/abc/decision/");
  EXPECT_EQ(decision.endpoint, Endpoint::kDecision);
  EXPECT_EQ(decision.session_id, "abc");
  EXPECT_EQ(Resolve("PATCH", "/v3/session/abc/update-status/").endpoint, Endpoint::kUpdateStatus);
  EXPECT_EQ(Resolve("DELETE", "/v3/session/abc/delete/").endpoint, Endpoint::kDeleteSession);
  EXPECT_EQ(Resolve("GET", "/v3/sessions/").endpoint, Endpoint::kListSessions);
  EXPECT_EQ(Resolve("GET", "/v3/sessions").endpoint, Endpoint::kListRedirect);
  EXPECT_EQ(Resolve("POST", "/v3/aml/").endpoint, Endpoint::kAml);
  EXPECT_EQ(Resolve("POST", "/v3/passive-liveness/").endpoint, Endpoint::kPassiveLiveness);
  EXPECT_TRUE(Resolve("GET", "/_sandbox/health").control);
  EXPECT_EQ(Resolve("GET", "/_sandbox/stats").endpoint, Endpoint::kStats);
  EXPECT_EQ(Resolve("GET", "/_sandbox/executions").endpoint, Endpoint::kExecutions);
  auto advance = Resolve("POST", "/_sandbox/sessions/s1/advance");
  EXPECT_EQ(advance.endpoint, Endpoint::kAdvance);
  EXPECT_EQ(advance.session_id, "s1");
}

TEST(Router, WrongMethodAndUnknownPaths) {
  auto r = Resolve("GET", "/v3/session/");
  EXPECT_EQ(r.endpoint, Endpoint::kCreateSession);
  EXPECT_FALSE(r.method_allowed);
  EXPECT_EQ(r.allowed, "POST");
  EXPECT_EQ(Resolve("GET", "/v3/session//decision/").endpoint, Endpoint::kNotFound);
  EXPECT_EQ(Resolve("GET", "/v3/session/a/b/decision/").endpoint, Endpoint::kNotFound);
  EXPECT_EQ(Resolve("GET", "/nope").endpoint, Endpoint::kNotFound);
  EXPECT_EQ(Resolve("GET", "").endpoint, Endpoint::kNotFound);
  EXPECT_EQ(Resolve("POST", "/_sandbox/sessions//advance").endpoint, Endpoint::kNotFound);
  EXPECT_TRUE(Resolve("GET", "/_sandbox/unknown").control);
}

TEST(Router, QueryParsing) {
  auto q = ParseQuery("vendor_data=user%201&status=In+Progress&limit=5&flag");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->at("vendor_data"), "user 1");
  EXPECT_EQ(q->at("status"), "In Progress");
  EXPECT_EQ(q->at("flag"), "");
  EXPECT_FALSE(ParseQuery("a=%zz"));
  EXPECT_FALSE(ParseQuery("a=%2"));
  EXPECT_EQ(PercentEncode("a b&c"), "a%20b%26c");
}

TEST(Pagination, Maths) {
  Page p = Paginate(120, 50, 0);
  EXPECT_EQ(p.begin, 0u);
  EXPECT_EQ(p.end, 50u);
  EXPECT_EQ(p.next_offset, 50u);
  EXPECT_FALSE(p.previous_offset);
  p = Paginate(120, 50, 100);
  EXPECT_EQ(p.begin, 100u);
  EXPECT_EQ(p.end, 120u);
  EXPECT_FALSE(p.next_offset);
  EXPECT_EQ(p.previous_offset, 50u);
  p = Paginate(120, 50, 30);
  EXPECT_EQ(p.previous_offset, 0u);
  p = Paginate(10, 50, 500);  // past the end
  EXPECT_EQ(p.begin, 10u);
  EXPECT_EQ(p.end, 10u);
  EXPECT_FALSE(p.next_offset);
  p = Paginate(0, 50, 0);
  EXPECT_EQ(p.end, 0u);
  p = Paginate(100, 1000, 0);
  EXPECT_EQ(p.end, 100u);
}

TEST(WatchList, DeterministicHits) {
  auto hits = ScreenName("Viktor Sanctionov");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].score, 100);
  EXPECT_EQ(hits[0].list, "SANCTIONS");
  auto fuzzy = ScreenName("  VIKTOR   ivanovich, sanctionov ");
  ASSERT_EQ(fuzzy.size(), 1u);
  EXPECT_EQ(fuzzy[0].score, 80);
  EXPECT_TRUE(ScreenName("Jane Ordinary").empty());
  EXPECT_TRUE(ScreenName("").empty());
  EXPECT_EQ(NormalizeName("  John   Q. Doe "), "john q doe");
}

}  // namespace
}  // namespace idem::sandbox
