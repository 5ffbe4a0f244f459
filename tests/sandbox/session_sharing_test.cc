// The sandbox's POST /v3/session/{id}/share/ and POST /v3/session/import-shared/
// over HTTP, between its two applications (its own, key "sandbox-key", and
// the peer, key "sandbox-peer-key"): the OAS's shapes and error bodies, the
// token's claims, tampering, one redeem per receiver, the scoping of the
// session list and decision, hostile bodies, and a clone that survives a
// restart from the SQLite store.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/crypto.h"
#include "sandbox_harness.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

constexpr char kOwnApp[] = "dbd20e34-42e9-4f2c-ba91-cf0762016f64";
constexpr char kPeerApp[] = "a5f3bca2-46e2-411e-90ef-a580900a57ee";
constexpr char kPeerKey[] = "sandbox-peer-key";
constexpr char kPeerWorkflow[] = "9f9b1234-aaaa-4bbb-8ccc-1234567890ab";
constexpr char kImport[] = "/v3/session/import-shared/";

Result<HttpResponse> SendAs(Harness& h, const std::string& key, const std::string& method,
                            const std::string& path, const std::string& body = "") {
  CurlClient raw;
  Headers headers{{"x-api-key", key}};
  if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
  return raw.Send(method, h.url() + path, headers, body);
}

// A session of the sandbox's own application, moved to `status`.
std::string FinishedSession(Harness& h, const std::string& vendor_data,
                            const std::string& status = "Approved") {
  auto created = h.Post("/v3/session/", CreateBody(vendor_data));
  EXPECT_EQ(created->status, 201) << created->body;
  const std::string id = Json(created)["session_id"];
  EXPECT_EQ(Advance(h, id, status)->status, 200);
  return id;
}

std::string SharePath(const std::string& id) { return "/v3/session/" + id + "/share/"; }

std::string ShareToken(Harness& h, const std::string& id, const std::string& extra = "") {
  auto r = h.Post(SharePath(id),
                  R"({"for_application_id":")" + std::string(kPeerApp) + "\"" + extra + "}");
  EXPECT_EQ(r->status, 200) << r->body;
  return Json(r)["share_token"];
}

std::string ImportBody(const std::string& token, bool trust,
                       const std::string& vendor_data = "imported-1",
                       const std::string& workflow = kPeerWorkflow) {
  json b = {{"share_token", token}, {"trust_review", trust}, {"workflow_id", workflow}};
  if (!vendor_data.empty()) b["vendor_data"] = vendor_data;
  return b.dump();
}

std::string FromB64Url(std::string s) {
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4 != 0) s.push_back('=');
  return crypto::Base64Decode(s).value_or("");
}

std::string B64Url(std::string_view bytes) {
  std::string s = crypto::Base64Encode(bytes);
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

int Imports(Harness& h) { return h.Stats()["executions"]["import_shared_session"].get<int>(); }

json TokenError(const std::string& message) { return {{"share_token", json::array({message})}}; }

TEST(SessionSharing, ShareMintsAnHs256TokenForThePeer) {
  Harness h;
  const std::string id = FinishedSession(h, "user-1");
  auto r = h.Post(SharePath(id), R"({"for_application_id":")" + std::string(kPeerApp) +
                                     R"(","ttl_in_seconds":7200})");
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  EXPECT_EQ(j["for_application_id"], kPeerApp);
  EXPECT_EQ(j["session_kind"], "user");
  const std::string token = j["share_token"];
  const auto dot = token.find('.');
  const auto dot2 = token.find('.', dot + 1);
  ASSERT_NE(dot2, std::string::npos);
  const json header = json::parse(FromB64Url(token.substr(0, dot)));
  EXPECT_EQ(header["alg"], "HS256");
  EXPECT_EQ(header["typ"], "JWT");
  const json claims = json::parse(FromB64Url(token.substr(dot + 1, dot2 - dot - 1)));
  EXPECT_EQ(claims["session_id"], id);
  EXPECT_EQ(claims["from_application_id"], kOwnApp);
  EXPECT_EQ(claims["for_application_id"], kPeerApp);
  EXPECT_EQ(claims["exp"].get<std::int64_t>() - claims["iat"].get<std::int64_t>(), 7200);
  // Free and saves nothing: no execution; a repeat mints another token.
  EXPECT_EQ(h.Stats()["executions_total"], 1) << "only the create";
  EXPECT_EQ(ShareToken(h, id).empty(), false);
  // The default lifetime is an hour.
  const std::string plain = ShareToken(h, id);
  const auto p1 = plain.find('.');
  const json c2 = json::parse(FromB64Url(plain.substr(p1 + 1, plain.find('.', p1 + 1) - p1 - 1)));
  EXPECT_EQ(c2["exp"].get<std::int64_t>() - c2["iat"].get<std::int64_t>(), 3600);
}

TEST(SessionSharing, ShareErrorsAreDidits) {
  Harness h;
  const std::string id = FinishedSession(h, "user-2");
  struct Case {
    std::string body;
    json expected;
  };
  const std::vector<Case> cases = {
      {R"({"for_application_id":")" + std::string(kOwnApp) + "\"}",
       {{"for_application_id", {"Cannot share a session with the same application."}}}},
      {R"({"for_application_id":"00000000-0000-4000-8000-000000000000"})",
       {{"for_application_id", {"Target application does not exist."}}}},
      {R"({})", {{"for_application_id", {"This field is required."}}}},
      {R"({"for_application_id":"nope"})", {{"for_application_id", {"Must be a valid UUID."}}}},
      {R"({"for_application_id":")" + std::string(kPeerApp) + R"(","ttl_in_seconds":59})",
       {{"ttl_in_seconds", {"Ensure this value is greater than or equal to 60."}}}},
      {R"({"for_application_id":")" + std::string(kPeerApp) + R"(","ttl_in_seconds":86401})",
       {{"ttl_in_seconds", {"Ensure this value is less than or equal to 86400."}}}},
      {R"({"for_application_id":")" + std::string(kPeerApp) + R"(","ttl_in_seconds":"x"})",
       {{"ttl_in_seconds", {"A valid integer is required."}}}},
      {R"({"for_application_id":")" + std::string(kPeerApp) +
           R"(","ttl_in_seconds":9999999999999999999})",
       {{"ttl_in_seconds", {"Ensure this value is less than or equal to 86400."}}}},
  };
  for (const Case& c : cases) {
    auto r = h.Post(SharePath(id), c.body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << c.body;
    EXPECT_EQ(Json(r), c.expected) << r->body;
  }
  // Not finished.
  auto fresh = h.Post("/v3/session/", CreateBody("user-3"));
  const std::string unfinished = Json(fresh)["session_id"];
  auto r =
      h.Post(SharePath(unfinished), R"({"for_application_id":")" + std::string(kPeerApp) + "\"}");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Json(r), (json{{"detail",
                            {"Only finished sessions (\"Approved\", \"Declined\", \"In Review\") "
                             "can be shared."}}}));
  // Unknown session, and a session of the other application: 404.
  auto unknown = h.Post(SharePath("00000000-0000-4000-8000-000000000000"),
                        R"({"for_application_id":")" + std::string(kPeerApp) + "\"}");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Json(unknown), (json{{"detail", "Not found."}}));
  auto foreign = SendAs(h, kPeerKey, "POST", SharePath(id),
                        R"({"for_application_id":")" + std::string(kOwnApp) + "\"}");
  EXPECT_EQ(foreign->status, 404);
  EXPECT_EQ(h.Stats()["executions_total"], 2) << "two creates, nothing else";
}

TEST(SessionSharing, ImportClonesIntoThePeerOncePerReceiver) {
  Harness h;
  const std::string id = FinishedSession(h, "user-4", "Declined");
  // trust_review true: the source's status.
  auto r = SendAs(h, kPeerKey, "POST", kImport, ImportBody(ShareToken(h, id), true, "peer-4"));
  ASSERT_EQ(r->status, 201) << r->body;
  const json clone = Json(r);
  EXPECT_NE(clone["session_id"], id);
  EXPECT_EQ(clone["status"], "Declined");
  EXPECT_EQ(clone["workflow_id"], kPeerWorkflow);
  EXPECT_EQ(clone["vendor_data"], "peer-4");
  EXPECT_TRUE(clone["session_url"].is_null());
  EXPECT_TRUE(clone.contains("created_at"));
  EXPECT_EQ(Imports(h), 1);
  const json executions = h.Executions()["executions"];
  EXPECT_EQ(executions.back()["kind"], "import_shared_session");
  EXPECT_EQ(executions.back()["vendor_data"], "peer-4");
  EXPECT_EQ(executions.back()["resource_id"], clone["session_id"]);

  // One redeem per receiver: another token for the same source is refused.
  auto again = SendAs(h, kPeerKey, "POST", kImport, ImportBody(ShareToken(h, id), false, "x"));
  EXPECT_EQ(again->status, 403);
  EXPECT_EQ(Json(again),
            (json{{"detail", "This session has already been shared with your application."}}));
  EXPECT_EQ(Imports(h), 1);

  // trust_review false: "In Review", whatever the source's status; without
  // vendor_data the clone keeps the source's.
  const std::string approved = FinishedSession(h, "user-5");
  auto forced =
      SendAs(h, kPeerKey, "POST", kImport, ImportBody(ShareToken(h, approved), false, ""));
  ASSERT_EQ(forced->status, 201) << forced->body;
  EXPECT_EQ(Json(forced)["status"], "In Review");
  EXPECT_EQ(Json(forced)["vendor_data"], "user-5");
  EXPECT_EQ(Imports(h), 2);
  EXPECT_EQ(h.Stats()["duplicate_vendor_data"], 0) << "the same vendor_data in two applications";
}

TEST(SessionSharing, SessionReadsAreScopedToTheCallersApplication) {
  Harness h;
  const std::string id = FinishedSession(h, "scoped-1");
  auto r = SendAs(h, kPeerKey, "POST", kImport, ImportBody(ShareToken(h, id), true, "scoped-1"));
  ASSERT_EQ(r->status, 201);
  const std::string clone = Json(r)["session_id"];
  // The peer lists its clone only, never the source; the owner the source only.
  const json peer_list =
      Json(SendAs(h, kPeerKey, "GET", "/v3/sessions/?vendor_data=scoped-1&session_kind=all"));
  ASSERT_EQ(peer_list["count"], 1) << peer_list.dump();
  EXPECT_EQ(peer_list["results"][0]["session_id"], clone);
  const json own_list = Json(h.Send("GET", "/v3/sessions/?vendor_data=scoped-1"));
  ASSERT_EQ(own_list["count"], 1) << own_list.dump();
  EXPECT_EQ(own_list["results"][0]["session_id"], id);
  // Decisions: another application's session is 404.
  EXPECT_EQ(SendAs(h, kPeerKey, "GET", "/v3/session/" + id + "/decision/")->status, 404);
  EXPECT_EQ(SendAs(h, kPeerKey, "GET", "/v3/session/" + clone + "/decision/")->status, 200);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + clone + "/decision/")->status, 404);
  // A create by the peer is the peer's, and its vendor_data dedup does not
  // return the owner's unfinished session.
  auto own_open = h.Post("/v3/session/", CreateBody("open-1"));
  auto peer_open = SendAs(h, kPeerKey, "POST", "/v3/session/", CreateBody("open-1"));
  ASSERT_EQ(peer_open->status, 201);
  EXPECT_NE(Json(peer_open)["session_id"], Json(own_open)["session_id"]);
  EXPECT_EQ(Json(SendAs(h, kPeerKey, "GET", "/v3/sessions/?vendor_data=open-1"))["count"], 1);
  // The wrong key is still 401.
  EXPECT_EQ(SendAs(h, "wrong", "GET", "/v3/sessions/")->status, 401);
}

TEST(SessionSharing, ImportErrorsAreDidits) {
  Harness h;
  const std::string id = FinishedSession(h, "err-1");
  const std::string token = ShareToken(h, id);
  // Another audience: the sandbox's own application redeems the peer's token.
  auto wrong = h.Post(kImport, ImportBody(token, true, "x", kWorkflow));
  EXPECT_EQ(wrong->status, 400);
  EXPECT_EQ(Json(wrong), TokenError("This token is not valid for this application."));
  // A workflow of another application.
  auto workflow = SendAs(h, kPeerKey, "POST", kImport, ImportBody(token, true, "x", kWorkflow));
  EXPECT_EQ(workflow->status, 404);
  EXPECT_EQ(Json(workflow), (json{{"detail", "Workflow does not exist for this application."}}));
  // Required fields and types.
  auto missing = SendAs(h, kPeerKey, "POST", kImport, "{}");
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(Json(missing), (json{{"share_token", {"This field is required."}},
                                 {"trust_review", {"This field is required."}},
                                 {"workflow_id", {"This field is required."}}}));
  auto types =
      SendAs(h, kPeerKey, "POST", kImport,
             R"({"share_token":1,"trust_review":"yes","workflow_id":"w","vendor_data":2})");
  EXPECT_EQ(types->status, 400);
  EXPECT_EQ(Json(types), (json{{"share_token", {"Not a valid string."}},
                               {"trust_review", {"Must be a valid boolean."}},
                               {"workflow_id", {"Must be a valid UUID."}},
                               {"vendor_data", {"Not a valid string."}}}));
  // The source deleted after the share.
  ASSERT_EQ(h.Send("DELETE", "/v3/session/" + id + "/delete/")->status, 204);
  auto gone = SendAs(h, kPeerKey, "POST", kImport, ImportBody(token, true));
  EXPECT_EQ(gone->status, 400);
  EXPECT_EQ(Json(gone), TokenError("Original session does not exist."));
  EXPECT_EQ(Imports(h), 0);
}

TEST(SessionSharing, ExpiredTokensAreRefused) {
  auto clock = std::make_shared<idem::testing::FakeClock>();
  SandboxOptions options;
  options.clock = clock;
  Harness h(options);
  const std::string id = FinishedSession(h, "exp-1");
  const std::string token = ShareToken(h, id, R"(,"ttl_in_seconds":60)");
  clock->Advance(std::chrono::seconds(61));
  auto r = SendAs(h, kPeerKey, "POST", kImport, ImportBody(token, true));
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Json(r), TokenError("Share token has expired."));
  EXPECT_EQ(Imports(h), 0);
}

TEST(SessionSharing, ForgedOrGarbledTokensAreInvalid) {
  Harness h;
  const std::string id = FinishedSession(h, "forge-1");
  const std::string token = ShareToken(h, id);
  const auto dot = token.find('.');
  const auto dot2 = token.find('.', dot + 1);
  json claims = json::parse(FromB64Url(token.substr(dot + 1, dot2 - dot - 1)));
  claims["exp"] = claims["exp"].get<std::int64_t>() + 100000;
  const std::string forged_payload =
      token.substr(0, dot + 1) + B64Url(claims.dump()) + token.substr(dot2);  // the old signature
  const std::string none_alg =
      B64Url(R"({"alg":"none","typ":"JWT"})") + "." + token.substr(dot + 1, dot2 - dot - 1) + ".";
  const std::string other_key = token.substr(0, dot2 + 1) +
                                B64Url(crypto::HmacSha256("guessed-secret", token.substr(0, dot2)));
  // A character inside the signature (the last one also holds padding bits).
  std::string flipped = token;
  flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
  const std::vector<std::string> tokens = {forged_payload,
                                           none_alg,
                                           other_key,
                                           flipped,
                                           "",
                                           "a.b",
                                           "a.b.c.d",
                                           "...",
                                           "not a token",
                                           token + "x",
                                           std::string(10000, 'A'),
                                           "\xff\xfe.\xff.\xff"};
  for (const std::string& t : tokens) {
    json body = {{"trust_review", true}, {"workflow_id", kPeerWorkflow}};
    // Invalid UTF-8 cannot be put in a json value: sent raw.
    const std::string raw = t.find('\xff') != std::string::npos
                                ? R"({"share_token":")" + t +
                                      R"(","trust_review":true,"workflow_id":")" + kPeerWorkflow +
                                      "\"}"
                                : (body["share_token"] = t, body.dump());
    auto r = SendAs(h, kPeerKey, "POST", kImport, raw);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << t.substr(0, 40) << " " << r->body.substr(0, 200);
    if (t.empty() || t.find('\xff') != std::string::npos) continue;
    EXPECT_EQ(Json(r), TokenError("Invalid share token.")) << t.substr(0, 40);
  }
  EXPECT_EQ(Imports(h), 0);
  // The genuine token still works.
  EXPECT_EQ(SendAs(h, kPeerKey, "POST", kImport, ImportBody(token, true))->status, 201);
}

TEST(SessionSharing, HostileBodiesAre400NeverACrash) {
  Harness h;
  const std::string id = FinishedSession(h, "hostile-1");
  const std::vector<std::string> bodies = {
      "{",
      "",
      "[1]",
      "null",
      std::string(3000, '['),
      std::string(5000, '[') + std::string(5000, ']'),
      "{\"for_application_id\":\"\xff\xfe\"}",
      "{\"for_application_id\":\"" + std::string(200000, 'a') + "\"}",
      "{\"share_token\":\"\xc3\",\"trust_review\":true}",
      "{\"share_token\":\"" + std::string(200000, 'a') + "\",\"trust_review\":true," +
          "\"workflow_id\":\"" + kPeerWorkflow + "\"}"};
  for (const std::string& body : bodies) {
    for (const std::string& path : {SharePath(id), std::string(kImport)}) {
      auto r = SendAs(h, kPeerKey, "POST", path, body);
      ASSERT_TRUE(r);
      // The peer's share of the owner's session is 404 before the body is read.
      EXPECT_EQ(r->status, path == kImport ? 400 : 404) << body.substr(0, 40);
      auto own = h.Post(path, body);
      ASSERT_TRUE(own);
      EXPECT_EQ(own->status, 400) << body.substr(0, 40) << " " << own->body.substr(0, 100);
    }
  }
  auto too_big = SendAs(h, kPeerKey, "POST", kImport, std::string((16 << 20) + 10, 'a'));
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
  EXPECT_EQ(h.Send("GET", "/_sandbox/health")->status, 200);
  EXPECT_EQ(Imports(h), 0);
}

// A clone is stored with its application (details_json): after a restart
// the peer still sees it, the owner does not, and the redeem still counts.
TEST(SessionSharing, ClonesSurviveARestartWithTheirApplication) {
  idem::testing::TempDir dir;
  SandboxOptions options;
  options.db_path = (dir.path() / "sandbox.db").string();
  std::string id;
  std::string clone;
  {
    Harness h(options);
    id = FinishedSession(h, "restart-1");
    auto r = SendAs(h, kPeerKey, "POST", kImport, ImportBody(ShareToken(h, id), true, "restart-1"));
    ASSERT_EQ(r->status, 201);
    clone = Json(r)["session_id"];
  }
  Harness h(options);
  EXPECT_EQ(SendAs(h, kPeerKey, "GET", "/v3/session/" + clone + "/decision/")->status, 200);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + clone + "/decision/")->status, 404);
  EXPECT_EQ(h.Send("GET", "/v3/session/" + id + "/decision/")->status, 200);
  auto again =
      SendAs(h, kPeerKey, "POST", kImport, ImportBody(ShareToken(h, id), true, "restart-2"));
  EXPECT_EQ(again->status, 403) << "a token minted after the restart, the redeem remembered";
}

}  // namespace
}  // namespace idem::sandbox::testing
