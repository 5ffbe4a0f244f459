// Signature vectors and attacks. The expected values were computed
// independently of idem's signer, with Python 3's hmac/hashlib/json/base64:
//   canon(b) = json.dumps(ints(json.loads(b)), sort_keys=True,
//                         separators=(',', ':'), ensure_ascii=False)
//   (ints() turns floats with no fractional part into int)
//   hex = hmac.new(secret, msg, hashlib.sha256).hexdigest()
//   std = "v1," + base64.b64encode(hmac.new(b64decode(key), f"{id}.{ts}.{body}", sha256).digest())
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/crypto.h"
#include "idem/webhook_signature.h"
#include "testing/fake_clock.h"

namespace idem {
namespace {

constexpr char kSecret[] = "didit-test-secret";
constexpr std::int64_t kNow = 1'800'000'000;  // FakeClock's default start

// Key order as Didit's Python sends it (not sorted), spaces after separators,
// non-ASCII as raw UTF-8, integral and fractional floats, escapes.
const std::string kBody =
    R"({"webhook_type": "status.updated", "session_id": "11111111-2222-3333-4444-555555555555", )"
    R"("status": "Approved", "timestamp": 1800000000, "created_at": 1799999990, "workflow_id": )"
    R"("wf-1", "vendor_data": "user-1", "decision": {"score": 1.0, "ratio": 1.5, "big": 1e20, )"
    "\"name\": \"Zo\xC3\xAB \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x98\x80\", "
    R"("esc": "a\"b\\c\n\t\u0001/"}, "metadata": {"b": 2, "a": [3, {"z": 1, "y": 2.25}], )"
    R"("n": null, "t": true}})";
constexpr char kRawHex[] = "329ee5f67239ef80e529be4783cb380fb6279a3667037ab9e8b7ecd570ade197";
constexpr char kV2Hex[] = "e8c48a5dfa10d65e9b327b4bc196ce7579588716ce44d9e2deffdc43f6d9c45f";
// Same, but the canonical form with ensure_ascii=True (Didit's docs disagree).
constexpr char kV2AsciiHex[] = "604e2508bb35550c84e465e38c8e81c71cb56524e051b6375317a81769c1dc55";
// Over "1800000000:11111111-2222-3333-4444-555555555555:Approved:status.updated".
constexpr char kSimpleHex[] = "0a9489a6d18737b2dad91a45b654fdcb76369279518921c5bfa2938c522e14ce";
const std::string kCanonical =
    R"({"created_at":1799999990,"decision":{"big":100000000000000000000,)"
    R"("esc":"a\"b\\c\n\t\u0001/",)"
    "\"name\":\"Zo\xC3\xAB \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x98\x80\","
    R"("ratio":1.5,"score":1},"metadata":{"a":[3,{"y":2.25,"z":1}],"b":2,"n":null,"t":true},)"
    R"("session_id":"11111111-2222-3333-4444-555555555555","status":"Approved",)"
    R"("timestamp":1800000000,"vendor_data":"user-1","webhook_type":"status.updated",)"
    R"("workflow_id":"wf-1"})";

constexpr char kStdSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kStdId[] = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
const std::string kStdBody =
    "{\"type\":\"status.updated\",\"data\":{\"name\":\"J\xC3\xB6rg\",\"amount\":1.0}}";
constexpr char kStdSignature[] = "v1,cuK7Cic69wP5iz04ulOH/2rSZz75GbWa21h8J1ge+Sw=";

std::string Header(const Headers& headers, std::string_view name) {
  auto v = FindHeader(headers, name);
  return v ? std::string(*v) : std::string("<absent>");
}

class SignatureTest : public ::testing::Test {
 protected:
  WebhookVerifier Didit(DiditSignatures which = {}, std::vector<std::string> secrets = {kSecret}) {
    VerifierOptions o;
    o.secrets = std::move(secrets);
    o.didit_signatures = which;
    o.clock = clock_;
    return *WebhookVerifier::Create(WebhookScheme::kDidit, o);
  }
  WebhookVerifier Standard(std::vector<std::string> secrets = {kStdSecret}) {
    VerifierOptions o;
    o.secrets = std::move(secrets);
    o.clock = clock_;
    return *WebhookVerifier::Create(WebhookScheme::kStandard, o);
  }
  Headers DiditHeaders(std::string ts = std::to_string(kNow)) {
    return {{"X-Timestamp", ts},
            {"X-Signature", kRawHex},
            {"X-Signature-V2", kV2Hex},
            {"X-Signature-Simple", kSimpleHex}};
  }
  Headers StdHeaders(std::string ts = std::to_string(kNow)) {
    return {
        {"webhook-id", kStdId}, {"webhook-timestamp", ts}, {"webhook-signature", kStdSignature}};
  }

  std::shared_ptr<testing::FakeClock> clock_ = std::make_shared<testing::FakeClock>();
};

TEST_F(SignatureTest, CanonicalJsonMatchesPython) {
  auto canonical = CanonicalJson(kBody);
  ASSERT_TRUE(canonical) << canonical.error().ToString();
  EXPECT_EQ(*canonical, kCanonical);
}

TEST_F(SignatureTest, CanonicalFloatsAndBigIntegers) {
  // Python: see the header comment; 1e300 printed exactly like int(1e300).
  auto c = CanonicalJson(
      "[1.0, 1.5, 0.1, 1e-05, 1.5e16, -0.0, 123456789012345678901234567890, -5, 2.5e-7, 1e16, "
      "1e15, 123456.789, -98765432109876543210987654321]");
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(*c,
            "[1,1.5,0.1,1e-05,15000000000000000,0,123456789012345678901234567890,-5,2.5e-07,"
            "10000000000000000,1000000000000000,123456.789,-98765432109876543210987654321]");
  auto huge = CanonicalJson("[1e300]");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->substr(0, 20), "[1000000000000000052");
  EXPECT_EQ(huge->size(), 301u + 2u);
}

TEST_F(SignatureTest, CanonicalUnicodeKeysSortByCodePoint) {
  // Python: '{"a":{"B":2,"a":3,"\u6771":1},"z":2,"\u00e9":1}'
  auto c = CanonicalJson("{\"\xC3\xA9\":1,\"z\":2,\"a\":{\"\xE6\x9D\xB1\":1,\"B\":2,\"a\":3}}");
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, "{\"a\":{\"B\":2,\"a\":3,\"\xE6\x9D\xB1\":1},\"z\":2,\"\xC3\xA9\":1}");
  auto ascii = CanonicalJson("{\"\xC3\xA9\":\"\xF0\x9F\x98\x80\"}", /*ascii_escape=*/true);
  ASSERT_TRUE(ascii);
  EXPECT_EQ(*ascii, R"({"\u00e9":"\ud83d\ude00"})");
}

// Issue 16, item 6: duplicate keys used to canonicalise last-wins (as
// Python), so a V2-signed body meant something else to a first-wins reader.
TEST_F(SignatureTest, CanonicalRefusesDuplicateKeys) {
  for (std::string dup :
       {R"({"a":1,"a":2})", R"({"x":{"b":1,"c":2,"b":3}})", R"([{"k":1},{"k":2,"k":3}])"}) {
    auto c = CanonicalJson(dup);
    ASSERT_FALSE(c) << dup;
    EXPECT_EQ(c.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(c.error().message().find("duplicate"), std::string::npos) << c.error().message();
  }
  // The same key in different objects is no duplicate.
  EXPECT_EQ(*CanonicalJson(R"({"a":{"a":1},"b":[{"a":2},{"a":3}]})"),
            R"({"a":{"a":1},"b":[{"a":2},{"a":3}]})");
}

TEST_F(SignatureTest, AV2SignatureOverABodyWithDuplicateKeysIsRefused) {
  // Signed on the last-wins canonical form, as a sender (or an attacker who
  // knows the secret's V2 of the benign body) would: status Declined, while
  // a first-wins reader of the raw bytes sees Approved.
  const std::string body =
      R"({"session_id":"s-1","status":"Approved","status":"Declined","timestamp":1800000000})";
  const std::string last_wins =
      R"({"session_id":"s-1","status":"Declined","timestamp":1800000000})";
  Headers headers = {{"X-Timestamp", std::to_string(kNow)},
                     {"X-Signature-V2", crypto::HmacSha256Hex(kSecret, last_wins)}};
  EXPECT_FALSE(Didit().Verify(headers, body));
  // The same signature over the body without the duplicate verifies.
  EXPECT_TRUE(Didit().Verify(headers, last_wins));
}

TEST_F(SignatureTest, CanonicalRefusesMalformedAndHostileJson) {
  for (std::string bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\":1} x", "nul", "\"\xC3\"",
                          "{\"a\":1e999}", "'a'", "{a:1}"}) {
    EXPECT_FALSE(CanonicalJson(bad)) << bad;
  }
  EXPECT_FALSE(CanonicalJson(std::string(100000, '[') + std::string(100000, ']')));
  EXPECT_TRUE(CanonicalJson(std::string(100, '[') + std::string(100, ']')));
  // Truncated: every proper prefix of the body is refused.
  for (std::size_t n = 0; n < kBody.size(); n += 7) {
    EXPECT_FALSE(CanonicalJson(kBody.substr(0, n))) << n;
  }
}

TEST_F(SignatureTest, SignDiditMatchesIndependentVectors) {
  Headers h = SignDidit(kSecret, kBody, kNow);
  EXPECT_EQ(Header(h, "X-Timestamp"), "1800000000");
  EXPECT_EQ(Header(h, "X-Signature"), kRawHex);
  EXPECT_EQ(Header(h, "X-Signature-V2"), kV2Hex);
  EXPECT_EQ(Header(h, "X-Signature-Simple"), kSimpleHex);
}

TEST_F(SignatureTest, SignDiditOfNonJsonBodyHasOnlyRawSignature) {
  Headers h = SignDidit(kSecret, "not json", kNow);
  EXPECT_EQ(Header(h, "X-Signature"), crypto::HmacSha256Hex(kSecret, "not json"));
  EXPECT_EQ(Header(h, "X-Signature-V2"), "<absent>");
}

TEST_F(SignatureTest, SignStandardMatchesIndependentVector) {
  auto h = SignStandard(kStdSecret, kStdId, kNow, kStdBody);
  ASSERT_TRUE(h);
  EXPECT_EQ(Header(*h, "webhook-signature"), kStdSignature);
  EXPECT_EQ(Header(*h, "webhook-id"), kStdId);
  EXPECT_EQ(Header(*h, "webhook-timestamp"), "1800000000");
  EXPECT_FALSE(SignStandard("whsec_***", kStdId, kNow, kStdBody));
}

TEST_F(SignatureTest, VerifiesEachDiditSignature) {
  auto all = Didit({.raw = true, .canonical = true, .simple = true});
  auto ok = all.Verify(DiditHeaders(), kBody);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->didit_signature, DiditSignatureKind::kRaw);
  EXPECT_EQ(ok->timestamp, kNow);

  auto v2_only = Didit({.raw = false, .canonical = true, .simple = false});
  ok = v2_only.Verify({{"X-Timestamp", "1800000000"}, {"X-Signature-V2", kV2Hex}}, kBody);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->didit_signature, DiditSignatureKind::kCanonical);
  ok = v2_only.Verify({{"X-Timestamp", "1800000000"}, {"X-Signature-V2", kV2AsciiHex}}, kBody);
  EXPECT_TRUE(ok) << "ASCII-escaped canonical form accepted too";

  auto simple_only = Didit({.raw = false, .canonical = false, .simple = true});
  ok = simple_only.Verify({{"x-timestamp", "1800000000"}, {"x-signature-simple", kSimpleHex}},
                          kBody);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->didit_signature, DiditSignatureKind::kSimple);
}

TEST_F(SignatureTest, DefaultFallsBackToV2WhenAProxyReencodedTheBody) {
  auto reencoded = kCanonical;  // a proxy re-serialised the JSON: raw bytes differ
  auto ok = Didit().Verify(DiditHeaders(), reencoded);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->didit_signature, DiditSignatureKind::kCanonical);
  // Simple is off by default: it alone does not suffice.
  EXPECT_FALSE(
      Didit().Verify({{"X-Timestamp", "1800000000"}, {"X-Signature-Simple", kSimpleHex}}, kBody));
}

TEST_F(SignatureTest, RotationAcceptsAnyConfiguredSecret) {
  EXPECT_TRUE(Didit({}, {"new-secret", kSecret}).Verify(DiditHeaders(), kBody));
  EXPECT_FALSE(Didit({}, {"new-secret"}).Verify(DiditHeaders(), kBody));
  auto standard = Standard({"whsec_" + crypto::Base64Encode("rotated"), kStdSecret});
  EXPECT_TRUE(standard.Verify(StdHeaders(), kStdBody));
}

TEST_F(SignatureTest, DiditAttacksAreRejected) {
  auto v = Didit();
  std::string tampered = kBody;
  tampered.replace(tampered.find("Approved"), 8, "Declined");
  EXPECT_FALSE(v.Verify(DiditHeaders(), tampered));
  EXPECT_FALSE(Didit({}, {"wrong-secret"}).Verify(DiditHeaders(), kBody));
  EXPECT_FALSE(v.Verify(DiditHeaders(std::to_string(kNow - 301)), kBody));  // stale
  EXPECT_FALSE(v.Verify(DiditHeaders(std::to_string(kNow + 301)), kBody));  // future
  EXPECT_TRUE(v.Verify(DiditHeaders(std::to_string(kNow - 300)), kBody));   // edge
  EXPECT_FALSE(v.Verify(DiditHeaders("abc"), kBody));
  EXPECT_FALSE(v.Verify(DiditHeaders("-5"), kBody));
  EXPECT_FALSE(v.Verify(DiditHeaders("99999999999999999999999"), kBody));
  EXPECT_FALSE(v.Verify({{"X-Signature", kRawHex}}, kBody));       // no timestamp
  EXPECT_FALSE(v.Verify({{"X-Timestamp", "1800000000"}}, kBody));  // no signature
  std::string truncated(kRawHex, 63);
  EXPECT_FALSE(v.Verify({{"X-Timestamp", "1800000000"}, {"X-Signature", truncated}}, kBody));
  EXPECT_FALSE(v.Verify({{"X-Timestamp", "1800000000"}, {"X-Signature", ""}}, kBody));
  std::string upper = kRawHex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_FALSE(v.Verify({{"X-Timestamp", "1800000000"}, {"X-Signature", upper}}, kBody));
  // A signature of another body presented with this one.
  EXPECT_FALSE(v.Verify(SignDidit(kSecret, "{}", kNow), kBody));
  // Huge body: 2 MiB of a valid-looking JSON string signed with another key.
  std::string huge = "{\"a\":\"" + std::string(2 << 20, 'x') + "\"}";
  EXPECT_FALSE(v.Verify(SignDidit("other", huge, kNow), huge));
}

TEST_F(SignatureTest, ReplayOfOldDeliveryIsRejected) {
  auto v = Didit();
  Headers captured = DiditHeaders();
  ASSERT_TRUE(v.Verify(captured, kBody));
  clock_->Advance(std::chrono::minutes(10));
  EXPECT_FALSE(v.Verify(captured, kBody));
  // With max_event_age, a fresh X-Timestamp on the old body does not help.
  VerifierOptions o;
  o.secrets = {kSecret};
  o.clock = clock_;
  o.max_event_age = std::chrono::seconds(300);
  auto strict = *WebhookVerifier::Create(WebhookScheme::kDidit, o);
  Headers refreshed = DiditHeaders(std::to_string(kNow + 600));
  EXPECT_FALSE(strict.Verify(refreshed, kBody));
}

TEST_F(SignatureTest, ErrorsNeverEchoSecretsOrSignatures) {
  auto v = Didit({}, {"wrong-secret"});
  auto r = v.Verify(DiditHeaders(), kBody);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kRefused);
  EXPECT_EQ(r.error().message().find("wrong-secret"), std::string::npos);
  EXPECT_EQ(r.error().message().find(kRawHex), std::string::npos);
  EXPECT_EQ(r.error().message().find(kV2Hex), std::string::npos);
}

TEST_F(SignatureTest, VerifiesStandardWebhooks) {
  auto v = Standard();
  auto ok = v.Verify(StdHeaders(), kStdBody);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_EQ(ok->delivery_id, kStdId);
  // Several entries (rotation on the sender side), unknown versions ignored.
  Headers multi = StdHeaders();
  multi[2].value = "v2,abc v1,AAAA " + std::string(kStdSignature);
  EXPECT_TRUE(v.Verify(multi, kStdBody));
}

TEST_F(SignatureTest, StandardAttacksAreRejected) {
  auto v = Standard();
  std::string tampered = kStdBody;
  tampered[tampered.size() - 3] = '2';
  EXPECT_FALSE(v.Verify(StdHeaders(), tampered));
  EXPECT_FALSE(Standard({"whsec_" + crypto::Base64Encode("wrong")}).Verify(StdHeaders(), kStdBody));
  EXPECT_FALSE(v.Verify(StdHeaders(std::to_string(kNow - 301)), kStdBody));
  EXPECT_FALSE(v.Verify(StdHeaders(std::to_string(kNow + 301)), kStdBody));
  Headers other_id = StdHeaders();
  other_id[0].value = "msg_other";  // the id is signed: a replay under a new id fails
  EXPECT_FALSE(v.Verify(other_id, kStdBody));
  for (int drop = 0; drop < 3; ++drop) {
    Headers h = StdHeaders();
    h.erase(h.begin() + drop);
    EXPECT_FALSE(v.Verify(h, kStdBody)) << drop;
  }
  Headers truncated = StdHeaders();
  truncated[2].value.pop_back();
  EXPECT_FALSE(v.Verify(truncated, kStdBody));
  Headers bare = StdHeaders();
  bare[2].value = bare[2].value.substr(3);  // no "v1," prefix
  EXPECT_FALSE(v.Verify(bare, kStdBody));
  Headers many = StdHeaders();
  many[2].value = std::string(100000, ' ') + "v1,x";
  EXPECT_FALSE(v.Verify(many, kStdBody));
}

TEST_F(SignatureTest, CreateRefusesBadConfiguration) {
  VerifierOptions o;
  EXPECT_FALSE(WebhookVerifier::Create(WebhookScheme::kDidit, o));
  o.secrets = {""};
  EXPECT_FALSE(WebhookVerifier::Create(WebhookScheme::kDidit, o));
  o.secrets = {"whsec_!!!not-base64"};
  EXPECT_FALSE(WebhookVerifier::Create(WebhookScheme::kStandard, o));
  o.secrets = {"s"};
  o.tolerance = std::chrono::seconds(-1);
  EXPECT_FALSE(WebhookVerifier::Create(WebhookScheme::kDidit, o));
}

}  // namespace
}  // namespace idem
