// POST /v3/wallet-screening/ (Didit's OAS, screenWallet): a synchronous AML
// screening of one crypto address. One execution per 200; nothing is saved
// (no session, no transaction, no webhook), as Didit. The sandbox's own
// choices (docs/sandbox.md): the address formats it accepts, the
// deterministic risk derived from the address, the trigger addresses for the
// 409 (no AML provider) and the 502 (the provider failed), and the wording of
// every error body (Didit's OAS gives none).
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include "common/crypto.h"
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 12> kChains = {"BTC", "ETH", "LTC",   "XRP", "BCH",  "DOGE",
                                                      "TRX", "SOL", "MATIC", "BNB", "USDT", "USDC"};
constexpr std::array<std::string_view, 4> kDirections = {"inbound", "outbound", "deposit",
                                                         "withdrawal"};
// EVM chains (and the tokens, screened as their ERC-20 contracts): "0x" + 40 hex.
constexpr std::array<std::string_view, 5> kEvmChains = {"ETH", "MATIC", "BNB", "USDT", "USDC"};

template <std::size_t N>
bool In(const std::array<std::string_view, N>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

bool ValidAddress(std::string_view chain, std::string_view address) {
  if (In(kEvmChains, chain)) {
    if (address.size() != 42 || !address.starts_with("0x")) return false;
    return std::all_of(address.begin() + 2, address.end(),
                       [](unsigned char c) { return std::isxdigit(c) != 0; });
  }
  // Other chains: 25..90 ASCII letters and digits (base58, bech32, ...).
  if (address.size() < 25 || address.size() > 90) return false;
  return std::all_of(address.begin(), address.end(),
                     [](unsigned char c) { return c < 0x80 && std::isalnum(c) != 0; });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const char* Severity(int score) {
  if (score >= 90) return "CRITICAL";
  if (score >= 70) return "HIGH";
  if (score >= 40) return "MEDIUM";
  return "LOW";
}

// The string field `name` (or its alias); nullopt with `error` set when it
// is there but not a string.
std::optional<std::string> Field(SandboxProfile profile, const json& body, const char* name,
                                 const char* alias, Response& error, bool& bad) {
  for (const char* key : {name, alias}) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_string()) {
      error = FieldError(profile, name, "Not a valid string.");
      bad = true;
      return std::nullopt;
    }
    return it->get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

App::EndpointResult App::WalletScreening(const Request& request, std::int64_t now_ms) {
  (void)now_ms;
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  bool bad = false;
  auto address = Field(profile, *body, "wallet_address", "address", out.response, bad);
  if (bad) return out;
  auto chain = Field(profile, *body, "blockchain", "currency", out.response, bad);
  if (bad) return out;
  auto direction = Field(profile, *body, "direction", "direction", out.response, bad);
  if (bad) return out;
  json errors = json::object();
  if (!address || address->empty()) {
    errors["wallet_address"] = json::array({"This field is required."});
  }
  if (!chain) {
    errors["blockchain"] = json::array({"This field is required."});
  } else if (!In(kChains, *chain)) {
    errors["blockchain"] = json::array({"\"" + *chain + "\" is not a valid choice."});
  }
  if (direction && !In(kDirections, *direction)) {
    errors["direction"] = json::array({"\"" + *direction + "\" is not a valid choice."});
  }
  if (errors.empty() && !ValidAddress(*chain, *address)) {
    errors["wallet_address"] = json::array({"Invalid address for blockchain " + *chain + "."});
  }
  if (!errors.empty()) return Fail(FieldErrors(profile, errors));
  // The sandbox's triggers for the two documented failures (not billed, no
  // execution): an address ending in "dead0409" or "dead0502".
  const std::string lower = Lower(*address);
  if (lower.ends_with("dead0409")) {
    return Fail(DetailResponse(409,
                               "No AML provider is configured for this application. Configure "
                               "transaction monitoring first."));
  }
  if (lower.ends_with("dead0502")) {
    return Fail(DetailResponse(502,
                               "The AML provider could not complete the screening. Retry "
                               "later."));
  }
  // Deterministic per address: a score from its hash; an address ending in
  // "0fac" is sanctioned.
  const std::string digest = crypto::Sha256(lower + "|" + *chain);
  const bool sanctioned = lower.ends_with("0fac");
  const int score = sanctioned ? 100 : static_cast<unsigned char>(digest[0]) % 70;
  const std::string severity = Severity(score);
  json sources = json::array();
  sources.push_back({{"category", "exchange_licensed"},
                     {"entity_name", "Sandbox Exchange"},
                     {"entity_type", "Exchange"},
                     {"entity_subtype", "Mandatory KYC and AML"},
                     {"exposure_direction", "incoming"},
                     {"exposure_type", "direct"},
                     {"is_direct", true},
                     {"amount_usd", 1000.5},
                     {"percentage", sanctioned ? 40.0 : 100.0},
                     {"hops", 0},
                     {"risk_level", "LOW"},
                     {"country", "ES"}});
  json counterparties = json::array();
  if (sanctioned) {
    sources.push_back({{"category", "sanctioned"},
                       {"entity_name", "Sandbox Sanctioned Entity"},
                       {"entity_type", "Sanctions"},
                       {"entity_subtype", "OFAC SDN"},
                       {"exposure_direction", "incoming"},
                       {"exposure_type", "indirect"},
                       {"is_direct", false},
                       {"amount_usd", 667.0},
                       {"percentage", 60.0},
                       {"hops", 2},
                       {"risk_level", "CRITICAL"},
                       {"country", "RU"}});
    counterparties.push_back({{"entity_name", "Sandbox Sanctioned Entity"},
                              {"entity_type", "Sanctions"},
                              {"entity_subtype", "OFAC SDN"},
                              {"risk_level", "CRITICAL"},
                              {"categories", json::array({"sanctioned"})},
                              {"received_usd", 667.0},
                              {"sent_usd", 0},
                              {"received_hops", 2},
                              {"sent_hops", 0},
                              {"percentage", 60.0},
                              {"is_direct", false},
                              {"country", "RU"}});
  }
  json result = {{"provider", "sandbox"},
                 {"screening_type", "WALLET_SCREENING"},
                 {"risk_score", score},
                 {"severity", severity},
                 {"status", "SCREENED"},
                 {"summary", "Sandbox risk: " + severity +
                                 (sanctioned ? ". Dominant risk: sanctioned" : std::string())},
                 {"wallet_address", *address},
                 {"blockchain", *chain},
                 {"sanctions_hit", sanctioned},
                 {"dominant_risk_category", sanctioned ? json("sanctioned") : json()},
                 {"source_of_funds", sources},
                 {"destination_of_funds", json::array()},
                 {"counterparty_connections", counterparties}};
  out.response = JsonResponse(200, result);
  // Nothing saved, so no vendor_data: the execution's resource is the
  // screened chain and address.
  RecordExecution(out, std::nullopt, *chain + ":" + *address);
  return out;
}

}  // namespace idem::sandbox
