// Internal: the rule that decides a rate grant, one pure function both
// journal backends (SQLite, PostgreSQL) call inside the transaction that
// holds the scope's rows, so a fleet sharing a journal shares one budget.
//
// Why a sliding log of grants and not a token bucket: Didit counts each scope
// in a sliding 60 s window. A bucket of N tokens refilled at N/min lets 2N
// requests through in some 60 s span (a full bucket, then its refill), which
// the server answers with 429s; a log of the last N grants per scope admits
// exactly what the server's window admits. A grant is a row with its time,
// nothing is "held": a process SIGKILLed after taking a grant leaves a row
// that falls out of the window within window_ms, as the server forgets the
// request it may or may not have sent. So nothing leaks for longer than one
// window.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "idem/rate_limits.h"

namespace idem::rate {

// A server's word that a scope has less room than the plan: at most
// `allowance` grants taken at or after `from_ms` until `until_ms`
// (X-RateLimit-Remaining and -Reset; Retry-After is allowance 0).
struct RateCap {
  int allowance = 0;
  std::int64_t from_ms = 0;
  std::int64_t until_ms = 0;
};

// How long a grant counts: its window plus a margin (a tenth of the window,
// at most 500 ms) for the time between the grant's stamp and the request
// reaching the server (the grant's commit, the hand-off to the transport,
// the network). Without it a request granted late in one window and sent a
// little later meets the next window's grants inside the server's window.
// It costs at most 1 % of a 60 s window's rate (500 ms of 60 s).
std::int64_t GrantSpanMs(const RateLimit& limit);

// One scope as the transaction read it.
struct ScopeState {
  RateLimit limit;
  // Times of the grants still counted (at_ms > now - GrantSpanMs), any order.
  std::vector<std::int64_t> grants;
  bool has_cap = false;
  RateCap cap;
};

struct Decision {
  bool granted = false;
  // Not granted: the earliest time worth asking again (> now).
  std::int64_t retry_at_ms = 0;
  // Granted: the least room left in the plan over the scopes after this
  // grant (for comparing with the server's X-RateLimit-Remaining).
  int plan_remaining = 0;
};

// Grants when every scope has room: fewer than `limit` grants in its span
// and, while a cap runs, fewer than its allowance since it was set. Else the
// time the last of the full scopes frees a slot.
Decision Decide(const std::vector<ScopeState>& scopes, std::int64_t now_ms);

// Whether the server's word (remaining `server_remaining` until `until_ms`)
// is tighter than what the plan allows now (`plan_remaining`) and an
// existing cap (if any): only then is it stored.
bool CapTightens(int server_remaining, int plan_remaining, bool has_cap, const RateCap& existing,
                 std::int64_t now_ms);

}  // namespace idem::rate
