// POST /v3/wallet-screening/ (include/idem/didit/wallet_screening.h).
#include "idem/didit/wallet_screening.h"

#include <algorithm>
#include <span>

#include "didit/call_and_parse.h"
#include "didit/json_util.h"
#include "idem/didit/client.h"
#include "idem/didit/endpoints.h"
#include "idem/uuid.h"

namespace idem::didit {
namespace {

using internal::OptAny;
using internal::OptBool;
using internal::OptInt;
using internal::OptNumber;
using internal::OptString;
using nlohmann::json;

// The array `field` of objects (absent or null: empty).
[[nodiscard]] Result<std::vector<json>> Objects(const json& obj, const char* field) {
  auto value = OptAny(obj, field);
  if (!value) return tl::unexpected(value.error());
  std::vector<json> out;
  if (!*value) return out;
  if (!(*value)->is_array()) {
    return MakeError(ErrorCode::kCorruption, std::string("field '") + field + "' is not an array");
  }
  for (const auto& item : **value) {
    if (!item.is_object()) {
      return MakeError(ErrorCode::kCorruption,
                       std::string("an item of '") + field + "' is not an object");
    }
    out.push_back(item);
  }
  return out;
}

[[nodiscard]] Result<WalletExposure> ParseExposure(const json& o) {
  WalletExposure e;
  IDEM_JSON_SET(e.category, OptString(o, "category"));
  IDEM_JSON_SET(e.entity_name, OptString(o, "entity_name"));
  IDEM_JSON_SET(e.entity_type, OptString(o, "entity_type"));
  IDEM_JSON_SET(e.entity_subtype, OptString(o, "entity_subtype"));
  IDEM_JSON_SET(e.exposure_direction, OptString(o, "exposure_direction"));
  IDEM_JSON_SET(e.exposure_type, OptString(o, "exposure_type"));
  IDEM_JSON_SET(e.is_direct, OptBool(o, "is_direct"));
  IDEM_JSON_SET(e.amount_usd, OptNumber(o, "amount_usd"));
  IDEM_JSON_SET(e.percentage, OptNumber(o, "percentage"));
  IDEM_JSON_SET(e.hops, OptInt(o, "hops"));
  IDEM_JSON_SET(e.risk_level, OptString(o, "risk_level"));
  IDEM_JSON_SET(e.country, OptString(o, "country"));
  return e;
}

[[nodiscard]] Result<WalletCounterparty> ParseCounterparty(const json& o) {
  WalletCounterparty c;
  IDEM_JSON_SET(c.entity_name, OptString(o, "entity_name"));
  IDEM_JSON_SET(c.entity_type, OptString(o, "entity_type"));
  IDEM_JSON_SET(c.entity_subtype, OptString(o, "entity_subtype"));
  IDEM_JSON_SET(c.risk_level, OptString(o, "risk_level"));
  auto categories = OptAny(o, "categories");
  if (!categories) return tl::unexpected(categories.error());
  if (*categories) {
    if (!(*categories)->is_array()) {
      return MakeError(ErrorCode::kCorruption, "field 'categories' is not an array");
    }
    for (const auto& category : **categories) {
      if (!category.is_string()) {
        return MakeError(ErrorCode::kCorruption, "an item of 'categories' is not a string");
      }
      c.categories.push_back(category.get<std::string>());
    }
  }
  IDEM_JSON_SET(c.received_usd, OptNumber(o, "received_usd"));
  IDEM_JSON_SET(c.sent_usd, OptNumber(o, "sent_usd"));
  IDEM_JSON_SET(c.received_hops, OptInt(o, "received_hops"));
  IDEM_JSON_SET(c.sent_hops, OptInt(o, "sent_hops"));
  IDEM_JSON_SET(c.percentage, OptNumber(o, "percentage"));
  IDEM_JSON_SET(c.is_direct, OptBool(o, "is_direct"));
  IDEM_JSON_SET(c.country, OptString(o, "country"));
  return c;
}

template <typename T, typename Parse>
[[nodiscard]] Status ParseList(const json& obj, const char* field, std::vector<T>& out,
                               Parse parse) {
  auto items = Objects(obj, field);
  if (!items) return tl::unexpected(items.error());
  for (const auto& item : *items) {
    auto parsed = parse(item);
    if (!parsed) return tl::unexpected(parsed.error());
    out.push_back(std::move(*parsed));
  }
  return {};
}

bool OneOf(std::string_view value, std::span<const std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

}  // namespace

[[nodiscard]] Result<EncodedBody> Encode(const WalletScreeningRequest& request) {
  if (request.wallet_address.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "wallet_address is required");
  }
  if (!OneOf(request.blockchain, kWalletBlockchains)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "blockchain must be one of BTC, ETH, LTC, XRP, BCH, DOGE, TRX, SOL, MATIC, "
                     "BNB, USDT, USDC");
  }
  if (request.direction && !OneOf(*request.direction, kWalletDirections)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "direction must be inbound, outbound, deposit or withdrawal");
  }
  json obj = {{"wallet_address", request.wallet_address}, {"blockchain", request.blockchain}};
  if (request.direction) obj["direction"] = *request.direction;
  auto text = internal::SafeDump(obj);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<WalletScreeningResult> ParseWalletScreeningResult(std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  if (!parsed->is_object()) {
    return MakeError(ErrorCode::kCorruption, "the wallet screening answer is not an object");
  }
  const json& o = *parsed;
  WalletScreeningResult r;
  IDEM_JSON_SET(r.provider, OptString(o, "provider"));
  IDEM_JSON_SET(r.screening_type, OptString(o, "screening_type"));
  IDEM_JSON_SET(r.risk_score, OptInt(o, "risk_score"));
  IDEM_JSON_SET(r.severity, OptString(o, "severity"));
  IDEM_JSON_SET(r.status, OptString(o, "status"));
  IDEM_JSON_SET(r.summary, OptString(o, "summary"));
  IDEM_JSON_SET(r.wallet_address, OptString(o, "wallet_address"));
  IDEM_JSON_SET(r.blockchain, OptString(o, "blockchain"));
  IDEM_JSON_SET(r.sanctions_hit, OptBool(o, "sanctions_hit"));
  IDEM_JSON_SET(r.dominant_risk_category, OptString(o, "dominant_risk_category"));
  if (auto s = ParseList(o, "source_of_funds", r.source_of_funds, ParseExposure); !s) {
    return tl::unexpected(s.error());
  }
  if (auto s = ParseList(o, "destination_of_funds", r.destination_of_funds, ParseExposure); !s) {
    return tl::unexpected(s.error());
  }
  if (auto s =
          ParseList(o, "counterparty_connections", r.counterparty_connections, ParseCounterparty);
      !s) {
    return tl::unexpected(s.error());
  }
  r.raw = std::move(*parsed);
  return r;
}

[[nodiscard]] Result<OpRequest> WalletScreeningOp(const WalletScreeningRequest& request,
                                                  CallOptions call) {
  // No natural key: nothing is saved at Didit, so nothing can be looked up.
  return internal::MakeOp(kWalletScreeningKind, "POST", "/v3/wallet-screening/", Encode(request),
                          std::move(call));
}

[[nodiscard]] DiditResult<WalletScreeningResult> ScreenWallet(DiditClient& client,
                                                              const WalletScreeningRequest& request,
                                                              CallOptions call) {
  return internal::CallAndParse<WalletScreeningResult>(
      client.client(), WalletScreeningOp(request, std::move(call)), ParseWalletScreeningResult);
}

}  // namespace idem::didit
