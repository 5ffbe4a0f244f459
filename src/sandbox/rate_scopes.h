// Didit's rate-limit scopes (didit-api-v3-details.md section 2): per
// identifier, one sliding 60 s window per scope; a request is admitted only
// when every scope that applies to it has room, and then takes a slot in each
// of them. Refused: the scope whose slot frees last answers, nothing is
// taken. Thread-safe; time is passed in (the app's injected clock).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/http.h"
#include "idem/sandbox.h"
#include "sandbox/router.h"

namespace idem::sandbox {

enum class RateScope {
  kGenericGet,
  kGenericWrite,
  kSessionCreate,
  kSessionDecision,
  kSessionPdf,
  kIngestWrite,
  kSessionUpdateKyc,
};
inline constexpr int kRateScopeCount = 7;

// "generic-get", "generic-write", "session-v2-create", "session-decision",
// "session-generate-pdf", "ingest-write".
std::string_view RateScopeName(RateScope scope);

// The scopes a request to `endpoint` with `method` counts in, the
// route-specific one first: session-v2-create + generic-write for a create,
// session-decision + generic-get for a decision, ingest-write alone for a
// transaction create, else the generic one.
std::vector<RateScope> RateScopesFor(std::string_view method, Endpoint endpoint);

// The identifier the windows are kept per: the `x-api-key` header's value,
// else the first X-Forwarded-For hop, else `remote_ip`.
std::string RateIdentifier(const Headers& headers, const std::string& remote_ip);

// Didit's 429 body text for `scope` with `limit`, e.g. "Write request rate
// limit exceeded. You can make up to 300 requests per minute."
std::string RateScopeDetail(RateScope scope, int limit);

class ScopeLimiter {
 public:
  explicit ScopeLimiter(SandboxRateScopes limits);

  struct Verdict {
    bool admitted = true;
    RateScope scope = RateScope::kGenericGet;  // refused: the answering scope;
                                               // admitted: the one with least room
    int limit = 0;
    int remaining = 0;             // after this request (0 when refused)
    std::int64_t reset_s = 0;      // UTC epoch seconds a slot of `scope` frees (ceil)
    std::int64_t retry_after = 0;  // refused: seconds until then, >= 1
  };

  // nullopt when no enabled scope applies. Counts a refusal per scope.
  std::optional<Verdict> Admit(const std::string& identifier, std::string_view method,
                               Endpoint endpoint, std::int64_t now_ms);

  // {"rate_limited": {scope: 429s}, "rate_scopes": {scope: {limit,
  // in_window}}} for the enabled scopes; in_window sums every identifier's
  // requests in the current 60 s window.
  void AddStats(nlohmann::json& stats, std::int64_t now_ms);
  std::uint64_t refused_total();

 private:
  int LimitOf(RateScope scope) const;
  void PruneLocked(std::deque<std::int64_t>& window, std::int64_t now_ms) const;
  void SweepLocked(std::int64_t now_ms);

  SandboxRateScopes limits_;
  std::mutex mu_;
  // identifier -> one window (request times, oldest first) per scope.
  std::map<std::string, std::array<std::deque<std::int64_t>, kRateScopeCount>> windows_;
  std::array<std::uint64_t, kRateScopeCount> refused_{};
  std::uint64_t admits_since_sweep_ = 0;
};

}  // namespace idem::sandbox
