#include "sandbox/rate_scopes.h"

#include <algorithm>
#include <charconv>

#include "idem/rate_limits.h"

namespace idem {

SandboxRateScopes SandboxRateScopes::Didit() {
  // didit-api-v3-details.md section 2, "Rate limits".
  SandboxRateScopes s;
  s.generic_get = 600;
  s.generic_write = 300;
  s.session_create = 600;
  s.session_decision = 100;
  s.session_pdf = 50;         // RL, OAS (an older page said 100)
  s.ingest_write = 600;       // RL (zh/ko versions)
  s.session_update_kyc = 10;  // RL, OAS PATCH /v3/session/{id}/update-data/
  return s;
}

bool SandboxRateScopes::enabled() const {
  return generic_get > 0 || generic_write > 0 || session_create > 0 || session_decision > 0 ||
         session_pdf > 0 || ingest_write > 0 || session_update_kyc > 0;
}

[[nodiscard]] Result<SandboxRateScopes> ParseSandboxRateScopes(std::string_view spec) {
  // The syntax is the client's too (idem/rate_limits.h); only the mapping to
  // the emulated scopes is the sandbox's.
  auto parsed = ParseRateSpec(spec);
  if (!parsed) return tl::unexpected(parsed.error());
  SandboxRateScopes scopes = parsed->didit ? SandboxRateScopes::Didit() : SandboxRateScopes{};
  bool have_window = false;
  for (const auto& [scope, limit] : parsed->entries) {
    const std::string entry = scope + "=" + std::to_string(limit.limit);
    int* target = nullptr;
    if (scope == "generic-get") {
      target = &scopes.generic_get;
    } else if (scope == "generic-write") {
      target = &scopes.generic_write;
    } else if (scope == "session-v2-create") {
      target = &scopes.session_create;
    } else if (scope == "session-decision") {
      target = &scopes.session_decision;
    } else if (scope == "session-generate-pdf") {
      target = &scopes.session_pdf;
    } else if (scope == "ingest-write") {
      target = &scopes.ingest_write;
    } else if (scope == "session-update-kyc") {
      target = &scopes.session_update_kyc;
    } else {
      return tl::unexpected(Error(
          ErrorCode::kInvalidArgument,
          "rate scope '" + scope + "': not emulated: the sandbox has no route in that scope"));
    }
    // One window for every scope keeps the limiter's windows one deque each.
    if (have_window && limit.window_ms != scopes.window_ms) {
      return tl::unexpected(Error(
          ErrorCode::kInvalidArgument,
          "rate scope '" + entry + "': every scope must use the same unit (all /min or all /s)"));
    }
    if (!have_window && parsed->didit && limit.window_ms != 60'000) {
      return tl::unexpected(
          Error(ErrorCode::kInvalidArgument,
                "rate scope '" + entry + "': after 'didit' (per minute) limits must be N/min"));
    }
    have_window = true;
    scopes.window_ms = limit.window_ms;
    *target = limit.limit;
  }
  return scopes;
}

namespace sandbox {

namespace {
constexpr std::uint64_t kSweepEvery = 4096;

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
}  // namespace

std::string_view RateScopeName(RateScope scope) {
  switch (scope) {
    case RateScope::kGenericGet:
      return "generic-get";
    case RateScope::kGenericWrite:
      return "generic-write";
    case RateScope::kSessionCreate:
      return "session-v2-create";
    case RateScope::kSessionDecision:
      return "session-decision";
    case RateScope::kSessionPdf:
      return "session-generate-pdf";
    case RateScope::kIngestWrite:
      return "ingest-write";
    case RateScope::kSessionUpdateKyc:
      return "session-update-kyc";
  }
  return "";
}

std::vector<RateScope> RateScopesFor(std::string_view method, Endpoint endpoint) {
  const bool get = method == "GET" || method == "HEAD";
  std::vector<RateScope> scopes;
  if (endpoint == Endpoint::kCreateSession && method == "POST") {
    scopes.push_back(RateScope::kSessionCreate);
  }
  if (endpoint == Endpoint::kDecision && get) scopes.push_back(RateScope::kSessionDecision);
  if (endpoint == Endpoint::kGeneratePdf && get) scopes.push_back(RateScope::kSessionPdf);
  if (endpoint == Endpoint::kUpdateSessionData && method == "PATCH") {
    scopes.push_back(RateScope::kSessionUpdateKyc);
  }
  if ((endpoint == Endpoint::kCreateTransaction || endpoint == Endpoint::kCreateEvent ||
       endpoint == Endpoint::kCreateEventBatch) &&
      method == "POST") {
    // Didit counts transaction and event ingestion in its own scope, not in generic-write (RL).
    scopes.push_back(RateScope::kIngestWrite);
    return scopes;
  }
  if (get) {
    scopes.push_back(RateScope::kGenericGet);
  } else if (method == "POST" || method == "PATCH" || method == "DELETE" || method == "PUT") {
    scopes.push_back(RateScope::kGenericWrite);
  }
  return scopes;
}

std::string RateIdentifier(const Headers& headers, const std::string& remote_ip) {
  if (auto key = FindHeader(headers, "x-api-key"); key && !key->empty()) {
    return "key:" + std::string(*key);
  }
  if (auto xff = FindHeader(headers, "X-Forwarded-For")) {
    std::string_view first = xff->substr(0, xff->find(','));
    while (!first.empty() && first.front() == ' ') first.remove_prefix(1);
    while (!first.empty() && first.back() == ' ') first.remove_suffix(1);
    if (!first.empty()) return "ip:" + std::string(first);
  }
  return "ip:" + remote_ip;
}

std::string RateScopeDetail(RateScope scope, int limit) {
  const std::string tail =
      " rate limit exceeded. You can make up to " + std::to_string(limit) + " requests per minute.";
  switch (scope) {
    case RateScope::kGenericGet:
      return "GET request" + tail;
    case RateScope::kGenericWrite:
      return "Write request" + tail;
    case RateScope::kSessionCreate:
      return "Session creation" + tail;
    case RateScope::kSessionDecision:
      // Not in Didit's documentation (the sandbox's wording, same pattern).
      return "Session decision" + tail;
    case RateScope::kSessionPdf:
      return "Session PDF generation" + tail;  // Didit's text (OAS)
    case RateScope::kIngestWrite:
      // Not in Didit's documentation (the sandbox's wording, same pattern).
      return "Ingest write request" + tail;
    case RateScope::kSessionUpdateKyc:
      return "Session KYC data update" + tail;  // Didit's text (OAS)
  }
  return "Request was throttled.";
}

ScopeLimiter::ScopeLimiter(SandboxRateScopes limits) : limits_(limits) {}

int ScopeLimiter::LimitOf(RateScope scope) const {
  switch (scope) {
    case RateScope::kGenericGet:
      return limits_.generic_get;
    case RateScope::kGenericWrite:
      return limits_.generic_write;
    case RateScope::kSessionCreate:
      return limits_.session_create;
    case RateScope::kSessionDecision:
      return limits_.session_decision;
    case RateScope::kSessionPdf:
      return limits_.session_pdf;
    case RateScope::kIngestWrite:
      return limits_.ingest_write;
    case RateScope::kSessionUpdateKyc:
      return limits_.session_update_kyc;
  }
  return 0;
}

void ScopeLimiter::PruneLocked(std::deque<std::int64_t>& window, std::int64_t now_ms) const {
  while (!window.empty() && window.front() <= now_ms - limits_.window_ms) window.pop_front();
}

void ScopeLimiter::SweepLocked(std::int64_t now_ms) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    bool empty = true;
    for (auto& w : it->second) {
      PruneLocked(w, now_ms);
      empty = empty && w.empty();
    }
    it = empty ? windows_.erase(it) : std::next(it);
  }
}

std::optional<ScopeLimiter::Verdict> ScopeLimiter::Admit(const std::string& identifier,
                                                         std::string_view method, Endpoint endpoint,
                                                         std::int64_t now_ms) {
  std::vector<RateScope> scopes = RateScopesFor(method, endpoint);
  std::erase_if(scopes, [this](RateScope s) { return LimitOf(s) <= 0; });
  if (scopes.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  if (++admits_since_sweep_ >= kSweepEvery) {
    admits_since_sweep_ = 0;
    SweepLocked(now_ms);
  }
  auto& windows = windows_[identifier];
  // Refused when any scope is full; the one whose slot frees last answers,
  // so its Retry-After is when the request can pass (first named on a tie).
  std::optional<Verdict> refused;
  for (RateScope s : scopes) {
    auto& w = windows[static_cast<int>(s)];
    PruneLocked(w, now_ms);
    const int limit = LimitOf(s);
    if (w.size() < static_cast<std::size_t>(limit)) continue;
    // Full: the oldest of the last `limit` requests leaves the window first.
    const std::int64_t frees_ms = w[w.size() - static_cast<std::size_t>(limit)] + limits_.window_ms;
    const std::int64_t reset_s = CeilDiv(frees_ms, 1000);
    if (!refused || reset_s > refused->reset_s) {
      refused = Verdict{
          false, s, limit, 0, reset_s, std::max<std::int64_t>(1, CeilDiv(frees_ms - now_ms, 1000))};
    }
  }
  if (refused) {
    ++refused_[static_cast<int>(refused->scope)];
    return refused;
  }
  // Admitted: a slot in every scope; the headers name the one with least room.
  Verdict best;
  bool have = false;
  for (RateScope s : scopes) {
    auto& w = windows[static_cast<int>(s)];
    w.push_back(now_ms);
    const int limit = LimitOf(s);
    const int remaining = limit - static_cast<int>(w.size());
    if (!have || remaining < best.remaining) {
      best = Verdict{true, s, limit, remaining, CeilDiv(w.front() + limits_.window_ms, 1000), 0};
      have = true;
    }
  }
  return best;
}

void ScopeLimiter::AddStats(nlohmann::json& stats, std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json refused = nlohmann::json::object();
  nlohmann::json scopes = nlohmann::json::object();
  for (int i = 0; i < kRateScopeCount; ++i) {
    const auto scope = static_cast<RateScope>(i);
    const int limit = LimitOf(scope);
    if (limit <= 0) continue;
    std::uint64_t in_window = 0;
    for (auto& [id, windows] : windows_) {
      PruneLocked(windows[i], now_ms);
      in_window += windows[i].size();
    }
    const std::string name(RateScopeName(scope));
    refused[name] = refused_[i];
    scopes[name] = {{"limit", limit}, {"in_window", in_window}};
  }
  stats["rate_limited"] = std::move(refused);
  stats["rate_scopes"] = std::move(scopes);
}

std::uint64_t ScopeLimiter::refused_total() {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint64_t total = 0;
  for (auto n : refused_) total += n;
  return total;
}

}  // namespace sandbox
}  // namespace idem
