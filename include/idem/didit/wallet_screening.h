// POST /v3/wallet-screening/ (Didit's OAS, operationId screenWallet): an
// on-demand AML screening of one crypto address by the application's
// blockchain-analytics provider. Billed: one AML monitoring usage per
// successful screening (sandbox applications are not billed). Nothing is
// saved: no session, no transaction, no request_id, no vendor_data, so there
// is nothing Didit could be asked about after a lost answer.
//
// Idempotency-Key: the OAS declares none on this operation. The fact sheet's
// "wallet" that honours the key (409 on another body, 409 + Retry-After while
// running) is Digital ID wallet *verification*, another family; the only 409
// the OAS lists here means "no AML provider configured". So the profile row
// (endpoints.h) says no key: an attempt that may have executed stops
// `unknown`, needs review, never re-sent. A server that honours keys on this
// route (the sandbox's `ideal` profile, or SetKeyedKinds("wallet_screening"))
// settles it by replay.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/didit/client.h"
#include "idem/didit/errors.h"
#include "idem/didit/multipart.h"
#include "idem/status.h"

namespace idem::didit {

inline constexpr std::string_view kWalletScreeningKind = "wallet_screening";

// The OAS's chains (`blockchain`, alias `currency`).
inline constexpr std::string_view kWalletBlockchains[] = {
    "BTC", "ETH", "LTC", "XRP", "BCH", "DOGE", "TRX", "SOL", "MATIC", "BNB", "USDT", "USDC"};
// The OAS's directions (optional; omitted: a neutral pre-transfer screen).
inline constexpr std::string_view kWalletDirections[] = {"inbound", "outbound", "deposit",
                                                         "withdrawal"};

struct WalletScreeningRequest {
  // Must match the chain's format (EVM: "0x" + 40 hex). Alias `address`.
  std::string wallet_address;  // required
  std::string blockchain;      // required, one of kWalletBlockchains
  std::optional<std::string> direction;
};

// One entry of source_of_funds / destination_of_funds.
struct WalletExposure {
  std::optional<std::string> category;  // "exchange_licensed", "mixer", ...
  std::optional<std::string> entity_name;
  std::optional<std::string> entity_type;
  std::optional<std::string> entity_subtype;
  std::optional<std::string> exposure_direction;  // incoming | outgoing | connected
  std::optional<std::string> exposure_type;       // direct | indirect
  std::optional<bool> is_direct;
  std::optional<double> amount_usd;
  std::optional<double> percentage;
  std::optional<std::int64_t> hops;
  std::optional<std::string> risk_level;  // UNKNOWN | LOW | MEDIUM | HIGH | CRITICAL
  std::optional<std::string> country;     // ISO alpha-2
};

// One entry of counterparty_connections.
struct WalletCounterparty {
  std::optional<std::string> entity_name;
  std::optional<std::string> entity_type;
  std::optional<std::string> entity_subtype;
  std::optional<std::string> risk_level;
  std::vector<std::string> categories;
  std::optional<double> received_usd;
  std::optional<double> sent_usd;
  std::optional<std::int64_t> received_hops;
  std::optional<std::int64_t> sent_hops;
  std::optional<double> percentage;
  std::optional<bool> is_direct;
  std::optional<std::string> country;
};

// The 200 answer. Every field is optional in the OAS; `raw` keeps it all.
struct WalletScreeningResult {
  std::optional<std::string> provider;        // "merklescience", "crystal"
  std::optional<std::string> screening_type;  // "WALLET_SCREENING"
  std::optional<std::int64_t> risk_score;     // 0..100
  std::optional<std::string> severity;        // UNKNOWN | LOW | MEDIUM | HIGH | CRITICAL
  std::optional<std::string> status;          // SCREENED | PENDING | ERROR
  std::optional<std::string> summary;
  std::optional<std::string> wallet_address;
  std::optional<std::string> blockchain;
  std::optional<bool> sanctions_hit;
  std::optional<std::string> dominant_risk_category;  // null when none dominates
  std::vector<WalletExposure> source_of_funds;
  std::vector<WalletExposure> destination_of_funds;
  std::vector<WalletCounterparty> counterparty_connections;
  nlohmann::json raw;
};

// JSON body. kInvalidArgument for an empty wallet_address, a blockchain or
// direction outside the OAS's enums.
[[nodiscard]] Result<EncodedBody> Encode(const WalletScreeningRequest& request);
// kCorruption on invalid JSON, a non-object, or a field of the wrong type.
[[nodiscard]] Result<WalletScreeningResult> ParseWalletScreeningResult(std::string_view body);

// The op: no natural key (Didit keeps nothing to look up).
[[nodiscard]] Result<OpRequest> WalletScreeningOp(const WalletScreeningRequest& request,
                                                  CallOptions call = {});

// Screens. Errors: a 400 (malformed address, unsupported chain) or 409 (no
// AML provider configured) is kRefused; 502 (the provider could not finish)
// is a retryable failure of Didit's; an attempt that may have executed
// without a key honoured: kUnknown, needs review.
[[nodiscard]] DiditResult<WalletScreeningResult> ScreenWallet(DiditClient& client,
                                                              const WalletScreeningRequest& request,
                                                              CallOptions call = {});

}  // namespace idem::didit
