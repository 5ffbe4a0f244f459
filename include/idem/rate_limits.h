// Rate limits per server scope (Didit's, didit-api-v3-details.md section 2):
// the one spec syntax both the sandbox (`--rate-scopes`) and the client
// (`--rate-limits`, ClientOptions::rate_limits) read, so the two never
// disagree about what "writes=30/min" means.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "idem/status.h"

namespace idem {

// At most `limit` requests in any window of `window_ms` (a sliding window,
// as Didit counts). limit 0 = the scope is off.
struct RateLimit {
  int limit = 0;
  std::int64_t window_ms = 60'000;
  bool operator==(const RateLimit&) const = default;
};

// By canonical scope name ("generic-write"). Scopes not listed are unlimited.
using RateLimits = std::map<std::string, RateLimit, std::less<>>;

// Didit's scope name for `name` or one of its short aliases: reads =
// generic-get, writes = generic-write, create (session-create) =
// session-v2-create, decision = session-decision, pdf (generate-pdf) =
// session-generate-pdf; ingest-write, session-add-images and
// session-update-kyc stand for themselves. "" for anything else.
std::string_view CanonicalRateScope(std::string_view name);

// Didit's published limits: generic-get 600/min, generic-write 300/min,
// session-v2-create 600/min, session-decision 100/min, session-generate-pdf
// 50/min, ingest-write 600/min, session-add-images and session-update-kyc
// 10/min.
RateLimits DiditRateLimits();

struct RateSpec {
  bool didit = false;  // the spec started with "didit"
  // In spec order, scope names canonical, each scope at most once.
  std::vector<std::pair<std::string, RateLimit>> entries;
};

// The syntax: "" or "off" = nothing; else a comma-separated list of
// SCOPE=N/min or SCOPE=N/s entries, optionally after "didit" (which must
// come first). N in [0, 1000000]. kInvalidArgument names the entry that is
// wrong (empty entry, missing "=", unknown or repeated scope, N not a
// number, another unit).
[[nodiscard]] Result<RateSpec> ParseRateSpec(std::string_view spec);

// A spec as limits: "didit" starts from DiditRateLimits(), each entry then
// sets its scope (N = 0 removes it). "" or "off" = no limits.
[[nodiscard]] Result<RateLimits> ParseRateLimits(std::string_view spec);

// "generic-write=300/min,..." (canonical names, "/s" when the window is 1 s),
// or "off" when empty; ParseRateLimits reads it back.
std::string FormatRateLimits(const RateLimits& limits);

}  // namespace idem
