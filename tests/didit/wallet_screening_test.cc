// POST /v3/wallet-screening/ through DiditClient against the real sandbox:
// the typed request and answer, the profile row (billed, no key documented,
// nothing saved), Didit's refusals, and an answer lost after the screening
// ran: stopped `unknown` for review with exactly one execution when the key
// is not honoured (Didit), settled by replay with exactly one execution when
// it is (the sandbox's ideal profile).
#include "idem/didit/wallet_screening.h"

#include <gtest/gtest.h>

#include <string>

#include "didit/sandbox_fixture.h"
#include "idem/didit/endpoints.h"

namespace idem::didit {
namespace {

using testing::MakeHarness;

constexpr char kEth[] = "0x28c6c06298d514db089934071355e5743bf21d60";
constexpr char kSanctioned[] = "0x00000000000000000000000000000000deaf0fac";

WalletScreeningRequest Eth(const std::string& address = kEth) {
  WalletScreeningRequest r;
  r.wallet_address = address;
  r.blockchain = "ETH";
  return r;
}

int Executions(testing::Harness& h) {
  return h.Stats()["executions"]["wallet_screening"].get<int>();
}

TEST(WalletScreeningClient, TypedAnswerOpAndProfileRow) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  WalletScreeningRequest request = Eth(kSanctioned);
  request.direction = "withdrawal";
  auto result = ScreenWallet(*h->didit, request, {.op_id = "wallet-1"});
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->screening_type, "WALLET_SCREENING");
  EXPECT_EQ(result->status, "SCREENED");
  EXPECT_EQ(result->risk_score, 100);
  EXPECT_EQ(result->severity, "CRITICAL");
  EXPECT_EQ(result->sanctions_hit, true);
  EXPECT_EQ(result->dominant_risk_category, "sanctioned");
  EXPECT_EQ(result->wallet_address, kSanctioned);
  EXPECT_EQ(result->blockchain, "ETH");
  ASSERT_EQ(result->source_of_funds.size(), 2u);
  EXPECT_EQ(result->source_of_funds[1].category, "sanctioned");
  EXPECT_EQ(result->source_of_funds[1].hops, 2);
  EXPECT_EQ(result->source_of_funds[1].is_direct, false);
  ASSERT_EQ(result->counterparty_connections.size(), 1u);
  EXPECT_EQ(result->counterparty_connections[0].categories, std::vector<std::string>{"sanctioned"});
  EXPECT_TRUE(result->destination_of_funds.empty());
  EXPECT_TRUE(result->raw.contains("summary"));

  auto op = h->didit->client().Get("wallet-1");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->kind, "wallet_screening");
  EXPECT_EQ((*op)->path, "/v3/wallet-screening/");
  EXPECT_TRUE((*op)->natural_key.empty());
  auto expected = Encode(request);
  ASSERT_TRUE(expected);
  EXPECT_EQ((*op)->body, expected->body);
  EXPECT_EQ(expected->body, R"({"blockchain":"ETH","direction":"withdrawal","wallet_address":")" +
                                std::string(kSanctioned) + "\"}");

  const EndpointProfile* row = FindDiditEndpoint(kWalletScreeningKind);
  ASSERT_NE(row, nullptr);
  EXPECT_FALSE(row->honours_key);
  EXPECT_TRUE(row->billed);
  EXPECT_TRUE(row->api_service.empty());
  EXPECT_EQ(DiditEndpointFor("POST", "/v3/wallet-screening/"), row);
  EXPECT_FALSE(DiditKindPolicy(*row).server_honours_key);

  // The same op again: the stored outcome, nothing sent.
  auto rerun = ScreenWallet(*h->didit, request, {.op_id = "wallet-1"});
  ASSERT_TRUE(rerun);
  EXPECT_EQ(rerun->raw, result->raw);
  EXPECT_EQ(Executions(*h), 1);
}

TEST(WalletScreeningClient, BadRequestsAreRefusedBeforeSending) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  WalletScreeningRequest chain = Eth();
  chain.blockchain = "ADA";
  WalletScreeningRequest direction = Eth();
  direction.direction = "sideways";
  WalletScreeningRequest empty = Eth("");
  for (const auto& request : {chain, direction, empty}) {
    auto r = ScreenWallet(*h->didit, request);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().error.code(), ErrorCode::kInvalidArgument) << r.error().ToString();
  }
  EXPECT_EQ(h->Stats()["requests"], 0);
}

TEST(WalletScreeningClient, DiditRefusalsFailTheOpAndRunNothing) {
  auto h = MakeHarness();
  ASSERT_TRUE(h);
  // 400: a malformed address for the chain.
  auto malformed = ScreenWallet(*h->didit, Eth("0x1234"), {.op_id = "bad-address"});
  ASSERT_FALSE(malformed);
  ASSERT_TRUE(malformed.error().api);
  EXPECT_EQ(malformed.error().api->http_status, 400);
  // 409: no AML provider configured (not a key conflict).
  auto no_provider =
      ScreenWallet(*h->didit, Eth("0x00000000000000000000000000000000dead0409"), {.op_id = "np"});
  ASSERT_FALSE(no_provider);
  ASSERT_TRUE(no_provider.error().api);
  EXPECT_EQ(no_provider.error().api->http_status, 409);
  for (const char* id : {"bad-address", "np"}) {
    auto op = h->didit->client().Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kFailed) << id;
  }
  EXPECT_EQ(Executions(*h), 0);
}

class WalletLostAnswerTest : public ::testing::TestWithParam<const char*> {};

// Didit: no key on this route and nothing saved. The screening ran (billed)
// but its answer was lost: the op stops unknown, needs review, after one
// attempt; running it again or resuming never sends it a second time.
TEST_P(WalletLostAnswerTest, WithoutAKeyItStopsUnknownAfterOneExecution) {
  SandboxOptions sandbox;
  sandbox.faults = GetParam();
  auto h = MakeHarness(sandbox);
  ASSERT_TRUE(h);
  auto r = ScreenWallet(*h->didit, Eth(), {.op_id = "lost"});
  ASSERT_FALSE(r);
  auto op = h->didit->client().Get("lost");
  ASSERT_TRUE(op && *op);
  EXPECT_EQ((*op)->state, OpState::kUnknown) << (*op)->audit;
  EXPECT_TRUE((*op)->needs_review);
  EXPECT_EQ((*op)->attempts, 1);
  const int requests = h->Stats()["requests"].get<int>();
  auto again = ScreenWallet(*h->didit, Eth(), {.op_id = "lost"});
  EXPECT_FALSE(again);
  ASSERT_TRUE(h->didit->client().Resume());
  EXPECT_EQ(h->Stats()["requests"], requests);
  EXPECT_EQ(Executions(*h), 1);
}

// A server that honours keys on this route (the ideal profile; at Didit it
// would be SetKeyedKinds("wallet_screening")): an op whose answer was lost is
// settled by replay, one execution each. With the fault on every write the
// replays would be lost too, so here it hits half of them (seeded, so the
// same requests every run).
TEST_P(WalletLostAnswerTest, WithAKeyHonouredItIsSettledByReplay) {
  std::string faults = GetParam();
  faults.replace(faults.find("=1@"), 3, "=0.5@");
  SandboxOptions sandbox;
  sandbox.faults = faults;
  sandbox.profile = SandboxProfile::kIdeal;
  auto h = MakeHarness(sandbox, [](DiditClientOptions& options) {
    ASSERT_TRUE(SetKeyedKinds(options.client, "wallet_screening"));
  });
  ASSERT_TRUE(h);
  constexpr int kOps = 8;
  int replayed = 0;
  for (int i = 0; i < kOps; ++i) {
    const std::string id = "replayed-" + std::to_string(i);
    auto r = ScreenWallet(*h->didit, Eth(), {.op_id = id});
    ASSERT_TRUE(r) << id << ": " << r.error().ToString();
    EXPECT_EQ(r->wallet_address, kEth);
    auto op = h->didit->client().Get(id);
    ASSERT_TRUE(op && *op);
    EXPECT_EQ((*op)->state, OpState::kSucceeded) << (*op)->audit;
    if ((*op)->attempts >= 2) ++replayed;
  }
  EXPECT_GE(replayed, 1) << faults << ": no answer was lost, nothing was replayed";
  EXPECT_EQ(Executions(*h), kOps) << faults;
}

INSTANTIATE_TEST_SUITE_P(Faults, WalletLostAnswerTest,
                         ::testing::Values("drop_after=1@writes", "error_500_after=1@writes"),
                         [](const auto& info) {
                           const std::string f = info.param;
                           return f.substr(0, f.find('='));
                         });

TEST(WalletScreeningParse, WrongTypesAreCorruptionNeverACrash) {
  for (const char* body :
       {"", "{", "[]", "null", R"({"risk_score":"high"})", R"({"sanctions_hit":"yes"})",
        R"({"source_of_funds":{}})", R"({"source_of_funds":[1]})",
        R"({"counterparty_connections":[{"categories":[1]}]})",
        R"({"destination_of_funds":[{"hops":"two"}]})"}) {
    auto r = ParseWalletScreeningResult(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorruption) << body;
  }
  auto empty = ParseWalletScreeningResult("{}");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->risk_score);
  EXPECT_TRUE(empty->source_of_funds.empty());
}

}  // namespace
}  // namespace idem::didit
