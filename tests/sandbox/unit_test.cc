// Unit tests of the sandbox's pure parts: key parsing, fault spec, multipart,
// routing, pagination, the AML watch list.
#include <gtest/gtest.h>

#include "common/idempotency_key_reader.h"
#include "idem/random.h"
#include "sandbox/aml_watchlist.h"
#include "sandbox/fault_spec.h"
#include "sandbox/multipart.h"
#include "sandbox/profile.h"
#include "sandbox/responses.h"
#include "sandbox/router.h"
#include "sandbox/session_codec.h"
#include "sandbox/session_views.h"

namespace idem::sandbox {
namespace {

TEST(IdempotencyKey, BareAndQuotedAreTheSameKey) {
  EXPECT_EQ(*internal::ReadIdempotencyKey("abc-123"), "abc-123");
  EXPECT_EQ(*internal::ReadIdempotencyKey("\"abc-123\""), "abc-123");
  EXPECT_EQ(*internal::ReadIdempotencyKey("  \"abc-123\"\t"), "abc-123");
}

TEST(IdempotencyKey, QuotedEscapes) {
  EXPECT_EQ(*internal::ReadIdempotencyKey(R"("a\"b\\c")"), "a\"b\\c");
  EXPECT_EQ(*internal::ReadIdempotencyKey(R"("with space")"), "with space");
  EXPECT_FALSE(internal::ReadIdempotencyKey(R"("bad\n")"));  // only \" and \\ escape
  EXPECT_FALSE(internal::ReadIdempotencyKey(R"("dangling\)"));
  EXPECT_FALSE(internal::ReadIdempotencyKey(R"("unterminated)"));
  EXPECT_FALSE(internal::ReadIdempotencyKey(R"("a"b)"));  // text after the closing quote
}

TEST(IdempotencyKey, EmptyIsRejected) {
  EXPECT_FALSE(internal::ReadIdempotencyKey(""));
  EXPECT_FALSE(internal::ReadIdempotencyKey("   "));
  EXPECT_FALSE(internal::ReadIdempotencyKey("\"\""));
}

TEST(IdempotencyKey, LengthLimitIs255) {
  EXPECT_TRUE(internal::ReadIdempotencyKey(std::string(255, 'k')));
  EXPECT_FALSE(internal::ReadIdempotencyKey(std::string(256, 'k')));
  EXPECT_TRUE(internal::ReadIdempotencyKey("\"" + std::string(255, 'k') + "\""));
  EXPECT_FALSE(internal::ReadIdempotencyKey("\"" + std::string(256, 'k') + "\""));
}

TEST(IdempotencyKey, NonPrintableIsRejected) {
  EXPECT_FALSE(internal::ReadIdempotencyKey(std::string("ab\x01", 3)));
  EXPECT_FALSE(internal::ReadIdempotencyKey(std::string("ab\0c", 4)));
  EXPECT_FALSE(internal::ReadIdempotencyKey("ab\x7F"));
  EXPECT_FALSE(internal::ReadIdempotencyKey("caf\xC3\xA9"));
  EXPECT_FALSE(internal::ReadIdempotencyKey("\"caf\xC3\xA9\""));
  EXPECT_FALSE(internal::ReadIdempotencyKey("two words"));  // a bare key has no spaces
  EXPECT_FALSE(internal::ReadIdempotencyKey("ab\"c"));
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
  EXPECT_EQ(spec->Decide(random, RequestKind::kWrite).kind, FaultKind::kNone);
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
                          "drop_before=inf",
                          "slow=0.1:5@",
                          "slow=0.1:5@posts",
                          "slow=0.1@writes",
                          "drop_before=0.1@writes@reads",
                          "retry_after=1@writes"}) {
    EXPECT_FALSE(FaultSpec::Parse(bad)) << bad;
  }
}

// A scoped rule fires only on its kind of request, and its share of the draw
// is "no fault" for the other kind: the draws that follow are the same
// whichever requests came before.
TEST(FaultSpec, ScopedRulesFireOnlyOnTheirRequests) {
  auto spec = FaultSpec::Parse("slow_exec=0.5:1500@writes,drop_before=0.5@reads");
  ASSERT_TRUE(spec) << spec.error().ToString();
  EXPECT_EQ(spec->rules()[0].scope, FaultScope::kWrites);
  EXPECT_EQ(spec->rules()[0].delay_ms, 1500);
  EXPECT_EQ(spec->rules()[1].scope, FaultScope::kReads);
  SeededRandom writes(3);
  SeededRandom reads(3);
  int slow = 0;
  int dropped = 0;
  for (int i = 0; i < 1000; ++i) {
    const FaultDecision w = spec->Decide(writes, RequestKind::kWrite);
    const FaultDecision r = spec->Decide(reads, RequestKind::kRead);
    EXPECT_NE(w.kind, FaultKind::kDropBefore);
    EXPECT_NE(r.kind, FaultKind::kSlowExec);
    // The same draw: exactly one of the two requests got its fault.
    EXPECT_NE(w.kind == FaultKind::kSlowExec, r.kind == FaultKind::kDropBefore);
    slow += w.kind == FaultKind::kSlowExec;
    dropped += r.kind == FaultKind::kDropBefore;
  }
  EXPECT_EQ(slow + dropped, 1000);
  EXPECT_NEAR(slow, 500, 80);
}

TEST(FaultSpec, CertainFaultAlwaysFires) {
  auto spec = FaultSpec::Parse("error_503=1");
  ASSERT_TRUE(spec);
  SeededRandom random(7);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(spec->Decide(random, RequestKind::kWrite).kind, FaultKind::kError503);
}

TEST(FaultSpec, SameSeedSameDecisionsAndRoughFrequencies) {
  auto spec = FaultSpec::Parse("drop_before=0.2,slow=0.3:10");
  ASSERT_TRUE(spec);
  SeededRandom a(42);
  SeededRandom b(42);
  int drops = 0;
  int slows = 0;
  for (int i = 0; i < 10000; ++i) {
    const FaultDecision da = spec->Decide(a, RequestKind::kRead);
    EXPECT_EQ(da.kind, spec->Decide(b, RequestKind::kRead).kind);
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
  auto data = Resolve("POST", "/_sandbox/sessions/s1/data-updated");
  EXPECT_EQ(data.endpoint, Endpoint::kDataUpdated);
  EXPECT_EQ(data.session_id, "s1");
  EXPECT_TRUE(data.control);
  EXPECT_TRUE(data.method_allowed);
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
  EXPECT_EQ(Resolve("POST", "/_sandbox/sessions/a/b/advance").endpoint, Endpoint::kNotFound);
  EXPECT_EQ(Resolve("POST", "/_sandbox/sessions/a/other").endpoint, Endpoint::kNotFound);
  EXPECT_EQ(Resolve("POST", "/_sandbox/sessions/a/").endpoint, Endpoint::kNotFound);
  EXPECT_TRUE(Resolve("POST", "/_sandbox/sessions/a/other").control);
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

TEST(Profile, NamesRoundTripAndOthersAreRefused) {
  for (SandboxProfile p : {SandboxProfile::kDidit, SandboxProfile::kIdeal}) {
    auto parsed = ParseSandboxProfile(SandboxProfileName(p));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ(SandboxProfileName(SandboxProfile::kDidit), "didit");
  EXPECT_EQ(SandboxOptions{}.profile, SandboxProfile::kDidit);  // the default
  EXPECT_FALSE(SandboxOptions{}.replay_header);
  for (const char* bad : {"", "Didit", "IDEAL", "didit ", "stripe"}) {
    auto parsed = ParseSandboxProfile(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(Profile, KeyedRoutesAreOnePlace) {
  const SandboxProfile didit = SandboxProfile::kDidit;
  const SandboxProfile ideal = SandboxProfile::kIdeal;
  EXPECT_TRUE(KeyedRoute(didit, Endpoint::kAml, "POST"));
  for (Endpoint e :
       {Endpoint::kCreateSession, Endpoint::kPassiveLiveness, Endpoint::kFaceMatch,
        Endpoint::kIdVerification, Endpoint::kUpdateStatus, Endpoint::kDeleteSession}) {
    EXPECT_FALSE(KeyedRoute(didit, e, "POST"));
    EXPECT_FALSE(KeyedRoute(didit, e, "PATCH"));
    EXPECT_FALSE(KeyedRoute(didit, e, "DELETE"));
  }
  EXPECT_TRUE(KeyedRoute(ideal, Endpoint::kCreateSession, "POST"));
  EXPECT_TRUE(KeyedRoute(ideal, Endpoint::kUpdateStatus, "PATCH"));
  EXPECT_TRUE(KeyedRoute(ideal, Endpoint::kDeleteSession, "DELETE"));
  EXPECT_FALSE(KeyedRoute(ideal, Endpoint::kListSessions, "GET"));
  EXPECT_FALSE(KeyedRoute(didit, Endpoint::kListSessions, "GET"));
}

TEST(Profile, KeyAnswersPerProfile) {
  auto reused = KeyReusedResponse(SandboxProfile::kDidit);
  EXPECT_EQ(reused.status, 409);
  EXPECT_EQ(reused.body, R"({"detail":"Idempotency-Key reused with a different request body."})");
  auto busy = KeyInUseResponse(SandboxProfile::kDidit);
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(FindHeader(busy.headers, "Retry-After").value_or(""), "1");
  EXPECT_EQ(
      busy.body,
      R"({"detail":"A request with this Idempotency-Key is still being processed. Retry later."})");
  auto ideal_reused = KeyReusedResponse(SandboxProfile::kIdeal);
  EXPECT_EQ(ideal_reused.status, 422);
  EXPECT_EQ(FindHeader(ideal_reused.headers, "Content-Type").value_or(""),
            "application/problem+json");
  auto ideal_busy = KeyInUseResponse(SandboxProfile::kIdeal);
  EXPECT_EQ(ideal_busy.status, 409);
  EXPECT_FALSE(FindHeader(ideal_busy.headers, "Retry-After"));
  auto bad = BadKeyResponse(SandboxProfile::kDidit, "the key is empty");
  EXPECT_EQ(bad.body, R"({"detail":"Invalid Idempotency-Key: the key is empty"})");
  StoredResponse stored{201, "application/json", "{}"};
  EXPECT_FALSE(FindHeader(ReplayedResponse(stored, false).headers, "Idempotent-Replayed"));
  EXPECT_EQ(FindHeader(ReplayedResponse(stored, true).headers, "Idempotent-Replayed").value_or(""),
            "true");
}

TEST(Responses, FieldErrorShapes) {
  EXPECT_EQ(FieldError(SandboxProfile::kDidit, "f", "bad").body, R"({"f":["bad"]})");
  EXPECT_EQ(FieldError(SandboxProfile::kIdeal, "f", "bad").body,
            R"({"detail":"f: bad","f":["bad"]})");
  EXPECT_EQ(PythonTypeName(nlohmann::json("x")), std::string("str"));
  EXPECT_EQ(PythonTypeName(nlohmann::json::array()), std::string("list"));
  EXPECT_EQ(PythonTypeName(nlohmann::json::object()), std::string("dict"));
  EXPECT_EQ(PythonTypeName(nlohmann::json(1)), std::string("int"));
  EXPECT_EQ(PythonTypeName(nlohmann::json(1.5)), std::string("float"));
  EXPECT_EQ(PythonTypeName(nlohmann::json(true)), std::string("bool"));
}

TEST(SessionCodec, NewFieldsRoundTripThroughDetails) {
  SessionRecord s;
  s.details_json = R"({"language":"es"})";
  s.session_type = kApiSession;
  s.api_service = "AML";
  s.check_json = R"({"status":"Approved","total_hits":0})";
  s.reviews_json = R"([{"user":"API Client","new_status":"Declined"}])";
  const std::string stored = StoredDetails(s);
  SessionRecord back;
  LoadStoredDetails(back, stored);
  EXPECT_EQ(back.details_json, s.details_json);
  EXPECT_EQ(back.session_type, "API");
  EXPECT_EQ(back.api_service, "AML");
  EXPECT_EQ(nlohmann::json::parse(back.check_json), nlohmann::json::parse(s.check_json));
  EXPECT_EQ(nlohmann::json::parse(back.reviews_json), nlohmann::json::parse(s.reviews_json));
  EXPECT_TRUE(back.is_check());
}

TEST(SessionCodec, OldAndOddDetailsLoadAsHosted) {
  SessionRecord old;
  LoadStoredDetails(old, R"({"language":"en","contact_details":{"email":"a@b.c"}})");
  EXPECT_EQ(old.session_type, "HOSTED");
  EXPECT_FALSE(old.is_check());
  EXPECT_EQ(old.reviews_json, "[]");
  EXPECT_EQ(nlohmann::json::parse(old.details_json)["language"], "en");
  SessionRecord odd;
  LoadStoredDetails(odd, "not json");
  EXPECT_EQ(odd.details_json, "not json");
  EXPECT_EQ(odd.session_type, "HOSTED");
  SessionRecord hosted;  // a hosted session stores no check keys and no empty reviews
  auto stored = nlohmann::json::parse(StoredDetails(hosted));
  EXPECT_EQ(stored, (nlohmann::json{{"session_type", "HOSTED"}}));
}

TEST(SessionViews, CheckServicesAndApiServiceNames) {
  const CheckService* aml = CheckServiceFor(Endpoint::kAml);
  ASSERT_NE(aml, nullptr);
  EXPECT_EQ(aml->api_service, "AML");
  EXPECT_EQ(aml->decision_array, "aml_screenings");
  EXPECT_EQ(CheckServiceNamed("PASSIVE_LIVENESS")->feature, "LIVENESS");
  EXPECT_EQ(CheckServiceNamed("FACE_MATCH")->node_id, "feature_face_match");
  EXPECT_EQ(CheckServiceNamed("ID_VERIFICATION")->result_key, "id_verification");
  EXPECT_EQ(CheckServiceNamed(""), nullptr);
  EXPECT_EQ(CheckServiceNamed("POA")->decision_array, "poa_verifications");
  // A KYB registry select is saved as a business session (kyb_registry.cc).
  ASSERT_NE(CheckServiceNamed("KYB_REGISTRY"), nullptr);
  EXPECT_EQ(CheckServiceNamed("KYB_REGISTRY")->endpoint, Endpoint::kKybSelect);
  EXPECT_EQ(CheckServiceNamed("KYB_REGISTRY")->decision_array, "registry_checks");
  EXPECT_EQ(CheckServiceNamed("SANCTIONS"), nullptr);  // a service the sandbox has no check for
  EXPECT_EQ(CheckServiceFor(Endpoint::kCreateSession), nullptr);
  for (const char* name : {"ID_VERIFICATION", "FACE_MATCH", "AGE_ESTIMATION", "FACE_SEARCH", "POA",
                           "AML", "KYB_REGISTRY", "PASSIVE_LIVENESS", "DATABASE_VALIDATION",
                           "PHONE_VERIFICATION", "EMAIL_VERIFICATION"}) {
    EXPECT_TRUE(IsApiServiceName(name)) << name;
  }
  for (const char* bad : {"", "aml", "LIVENESS", "AML,POA"}) EXPECT_FALSE(IsApiServiceName(bad));
}

}  // namespace
}  // namespace idem::sandbox
