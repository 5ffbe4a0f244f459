// The sandbox's POST /v3/wallet-screening/ over HTTP: the OAS's shape, its
// 400s for bad input, the 409 (no AML provider) and 502 (provider failed)
// triggers, the credit refusal, hostile bodies answered 400, and keys: the
// didit profile ignores Idempotency-Key here (the OAS documents none), the
// ideal profile replays.
#include <gtest/gtest.h>

#include "sandbox_harness.h"

namespace idem::sandbox::testing {
namespace {

using nlohmann::json;

constexpr char kPath[] = "/v3/wallet-screening/";
constexpr char kEth[] = "0x28c6c06298d514db089934071355e5743bf21d60";

std::string Body(const std::string& address, const std::string& chain = "ETH") {
  return json{{"wallet_address", address}, {"blockchain", chain}}.dump();
}

int Executions(Harness& h) { return h.Stats()["executions"]["wallet_screening"].get<int>(); }

TEST(WalletScreening, ShapeDeterministicAndOneExecutionPerAnswer) {
  Harness h;
  auto r = h.Post(kPath, R"({"wallet_address":")" + std::string(kEth) +
                             R"(","blockchain":"ETH","direction":"inbound"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  for (const char* field :
       {"provider", "screening_type", "risk_score", "severity", "status", "summary",
        "wallet_address", "blockchain", "sanctions_hit", "dominant_risk_category",
        "source_of_funds", "destination_of_funds", "counterparty_connections"}) {
    EXPECT_TRUE(j.contains(field)) << field << " " << j.dump();
  }
  EXPECT_EQ(j["screening_type"], "WALLET_SCREENING");
  EXPECT_EQ(j["status"], "SCREENED");
  EXPECT_EQ(j["wallet_address"], kEth);
  EXPECT_EQ(j["blockchain"], "ETH");
  EXPECT_FALSE(j["sanctions_hit"].get<bool>());
  EXPECT_TRUE(j["dominant_risk_category"].is_null());
  EXPECT_GE(j["risk_score"].get<int>(), 0);
  EXPECT_LE(j["risk_score"].get<int>(), 100);
  ASSERT_FALSE(j["source_of_funds"].empty());
  EXPECT_EQ(j["source_of_funds"][0]["exposure_direction"], "incoming");
  EXPECT_FALSE(j.contains("request_id")) << "nothing is saved";
  EXPECT_EQ(Executions(h), 1);
  const json executions = h.Executions()["executions"];
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0]["kind"], "wallet_screening");
  EXPECT_EQ(executions[0]["resource_id"], std::string("ETH:") + kEth);

  // The same address again: the same risk, and a second execution (billed again).
  auto again = h.Post(kPath, Body(kEth));
  ASSERT_EQ(again->status, 200);
  EXPECT_EQ(Json(again)["risk_score"], j["risk_score"]);
  EXPECT_EQ(Executions(h), 2);

  // Nothing is saved as a session.
  auto list = Json(h.Send("GET", "/v3/sessions/?session_kind=all"));
  EXPECT_EQ(list["count"], 0) << list.dump();
}

TEST(WalletScreening, SanctionedAddressAndAliases) {
  Harness h;
  const std::string sanctioned = "0x00000000000000000000000000000000deaf0fac";
  auto r = h.Post(kPath, R"({"address":")" + sanctioned + R"(","currency":"USDT"})");
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = Json(r);
  EXPECT_TRUE(j["sanctions_hit"].get<bool>());
  EXPECT_EQ(j["risk_score"], 100);
  EXPECT_EQ(j["severity"], "CRITICAL");
  EXPECT_EQ(j["dominant_risk_category"], "sanctioned");
  EXPECT_EQ(j["blockchain"], "USDT");
  ASSERT_EQ(j["counterparty_connections"].size(), 1u);
  EXPECT_EQ(j["counterparty_connections"][0]["categories"][0], "sanctioned");
  // A non-EVM chain takes a base58/bech32-like address.
  auto btc = h.Post(kPath, Body("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "BTC"));
  EXPECT_EQ(btc->status, 200) << btc->body;
  EXPECT_EQ(Executions(h), 2);
}

TEST(WalletScreening, EveryDocumentedErrorRunsNothing) {
  Harness h;
  auto expect_400 = [&](const std::string& body, const char* field) {
    auto r = h.Post(kPath, body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body << " " << r->body;
    EXPECT_TRUE(Json(r).contains(field)) << body << " " << r->body;
  };
  expect_400(R"({"blockchain":"ETH"})", "wallet_address");
  expect_400(R"({"wallet_address":"","blockchain":"ETH"})", "wallet_address");
  expect_400(R"({"wallet_address":")" + std::string(kEth) + R"("})", "blockchain");
  expect_400(Body(kEth, "ADA"), "blockchain");
  expect_400(Body(kEth, "eth"), "blockchain");
  expect_400(R"({"wallet_address":")" + std::string(kEth) +
                 R"(","blockchain":"ETH","direction":"sideways"})",
             "direction");
  expect_400(R"({"wallet_address":42,"blockchain":"ETH"})", "wallet_address");
  expect_400(R"({"wallet_address":")" + std::string(kEth) + R"(","blockchain":["ETH"]})",
             "blockchain");
  // Malformed addresses: not 0x + 40 hex on an EVM chain; too short or not
  // alphanumeric elsewhere.
  expect_400(Body("0x28c6c06298d514db089934071355e5743bf21d6"), "wallet_address");
  expect_400(Body("28c6c06298d514db089934071355e5743bf21d6000"), "wallet_address");
  expect_400(Body("0xZZc6c06298d514db089934071355e5743bf21d60"), "wallet_address");
  expect_400(Body("bc1short", "BTC"), "wallet_address");
  expect_400(Body("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5md-", "BTC"), "wallet_address");

  // 409: no AML provider configured (the sandbox's trigger address).
  auto no_provider = h.Post(kPath, Body("0x00000000000000000000000000000000dead0409"));
  ASSERT_TRUE(no_provider);
  EXPECT_EQ(no_provider->status, 409) << no_provider->body;
  EXPECT_TRUE(Json(no_provider).contains("detail"));
  EXPECT_EQ(Header(no_provider, "Retry-After"), "");
  // 502: the provider could not complete the screening.
  auto failed = h.Post(kPath, Body("0x00000000000000000000000000000000dead0502"));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 502) << failed->body;
  EXPECT_TRUE(Json(failed).contains("detail"));

  EXPECT_EQ(h.Send("GET", kPath)->status, 405);
  EXPECT_EQ(Executions(h), 0);
}

TEST(WalletScreening, NoKeyIs403AndNoCreditsIs403) {
  Harness h;
  CurlClient raw;
  auto r = raw.Send("POST", h.url() + kPath, {{"Content-Type", "application/json"}}, Body(kEth));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;

  SandboxOptions broke;
  broke.credits = SandboxCredits::kNone;
  Harness poor(broke);
  auto refused = poor.Post(kPath, Body(kEth));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403) << refused->body;
  EXPECT_TRUE(Json(refused).contains("error"));
  EXPECT_EQ(Executions(h), 0);
  EXPECT_EQ(Executions(poor), 0);
}

TEST(WalletScreening, HostileBodiesAre400NeverACrash) {
  Harness h;
  const std::vector<std::string> bodies = {
      "{",
      "",
      "[1]",
      "null",
      "\"x\"",
      std::string(3000, '['),
      std::string(3000, '{'),
      std::string(5000, '[') + std::string(5000, ']'),
      "{\"wallet_address\":\"\xff\xfe\",\"blockchain\":\"ETH\"}",
      "{\"wallet_address\":\"0x\xc3\",\"blockchain\":\"ETH\"}",
      "{\"wallet_address\":\"" + std::string(200000, 'a') + "\",\"blockchain\":\"BTC\"}",
      "{\"wallet_address\":" + std::string(200000, '1') + ",\"blockchain\":\"ETH\"}"};
  for (const std::string& body : bodies) {
    auto r = h.Post(kPath, body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body.substr(0, 200) << " for " << body.substr(0, 40);
  }
  // Over the body limit: 413 from the server, still serving after.
  const std::string big = Body(std::string((16 << 20) + 10, 'a'), "BTC");
  auto too_big = h.Post(kPath, big);
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
  EXPECT_EQ(h.Send("GET", "/_sandbox/health")->status, 200);
  EXPECT_EQ(Executions(h), 0);
}

// Didit's OAS documents no Idempotency-Key on this route (its keyed "wallet"
// is Digital ID wallet verification): the didit profile ignores the key, so
// a repeat with the same key executes (and bills) again.
TEST(WalletScreening, DiditProfileIgnoresTheKey) {
  Harness h;
  auto first = h.Post(kPath, Body(kEth), "wallet-key-1");
  auto second = h.Post(kPath, Body(kEth), "wallet-key-1");
  ASSERT_EQ(first->status, 200);
  ASSERT_EQ(second->status, 200);
  auto other =
      h.Post(kPath, Body("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "BTC"), "wallet-key-1");
  EXPECT_EQ(other->status, 200) << other->body;
  EXPECT_EQ(Executions(h), 3);
}

// The ideal profile keys every POST: a replay answers the stored result
// without running again; another body under the same key is refused.
TEST(WalletScreening, IdealProfileReplaysTheKey) {
  Harness h(Ideal());
  auto first = h.Post(kPath, Body(kEth), "wallet-key-1");
  auto replay = h.Post(kPath, Body(kEth), "wallet-key-1");
  ASSERT_EQ(first->status, 200) << first->body;
  ASSERT_EQ(replay->status, 200) << replay->body;
  EXPECT_EQ(replay->body, first->body);
  EXPECT_EQ(Header(replay, "Idempotent-Replayed"), "true");
  auto other = h.Post(kPath, Body("0x00000000000000000000000000000000deaf0fac"), "wallet-key-1");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 422) << other->body;
  EXPECT_EQ(Executions(h), 1);
}

}  // namespace
}  // namespace idem::sandbox::testing
