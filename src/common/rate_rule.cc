#include "common/rate_rule.h"

#include <algorithm>
#include <limits>

namespace idem::rate {

std::int64_t GrantSpanMs(const RateLimit& limit) {
  return limit.window_ms + std::min<std::int64_t>(limit.window_ms / 10, 500);
}

Decision Decide(const std::vector<ScopeState>& scopes, std::int64_t now_ms) {
  Decision d;
  d.plan_remaining = std::numeric_limits<int>::max();
  std::int64_t wait_until = 0;
  for (const ScopeState& s : scopes) {
    if (s.limit.limit <= 0) continue;
    const std::int64_t span = GrantSpanMs(s.limit);
    std::vector<std::int64_t> live;
    for (std::int64_t at : s.grants) {
      if (at > now_ms - span) live.push_back(at);
    }
    std::sort(live.begin(), live.end());
    const auto n = static_cast<std::int64_t>(live.size());
    if (n >= s.limit.limit) {
      // The oldest of the last `limit` grants stops counting first.
      const std::int64_t frees = live[static_cast<std::size_t>(n - s.limit.limit)] + span;
      wait_until = std::max(wait_until, frees);
    }
    int room = static_cast<int>(s.limit.limit - std::min<std::int64_t>(n, s.limit.limit));
    if (s.has_cap && now_ms < s.cap.until_ms) {
      const auto since = std::count_if(live.begin(), live.end(),
                                       [&](std::int64_t at) { return at >= s.cap.from_ms; });
      if (since >= s.cap.allowance) wait_until = std::max(wait_until, s.cap.until_ms);
      room = std::min(room, static_cast<int>(std::max<std::int64_t>(0, s.cap.allowance - since)));
    }
    d.plan_remaining = std::min(d.plan_remaining, room - 1);
  }
  if (wait_until > now_ms) {
    d.retry_at_ms = wait_until;
    d.plan_remaining = 0;
    return d;
  }
  d.granted = true;
  if (d.plan_remaining == std::numeric_limits<int>::max()) d.plan_remaining = 0;
  d.plan_remaining = std::max(0, d.plan_remaining);
  return d;
}

bool CapTightens(int server_remaining, int plan_remaining, bool has_cap, const RateCap& existing,
                 std::int64_t now_ms) {
  if (server_remaining >= plan_remaining) return false;
  if (has_cap && now_ms < existing.until_ms && server_remaining >= existing.allowance) {
    return false;
  }
  return true;
}

}  // namespace idem::rate
