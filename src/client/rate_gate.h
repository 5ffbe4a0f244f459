// Internal: the Client's wait for a rate grant (ClientOptions::rate_limits).
//
// Ops ask in the order they reach their send (admission order, which is
// journal order), and are granted in that order: one queue, one asker at a
// time, so a later op never overtakes an earlier one that waits for its
// scope. A waiting op holds no transport request and no thread: the queue
// is data, and a full budget is one timer entry that asks the journal again
// when the window frees a slot. The grant itself is Journal::TakeRate, so
// every process on the journal draws from one budget.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "client/rate_book.h"
#include "idem/clock.h"
#include "idem/http.h"
#include "idem/journal.h"
#include "idem/rate_limits.h"

namespace idem::internal {

// Which limits apply to a request: its kind's scope (KindPolicy::
// rate_limit_scope, canonicalised; a route scope such as session-v2-create)
// and the generic one its method counts in (generic-get for GET and HEAD,
// generic-write for the rest), as Didit counts them (a scope limit applies
// in addition to the generic one, except ingest-write: Didit counts
// transactions and events there only, not in generic-write). Only scopes
// present in `limits`.
RateLimits ScopesOfRequest(const RateLimits& limits, std::string_view method,
                           std::string_view kind_scope);

// The limits a Client uses: `configured` when set, else Didit's published
// ones for Didit's own base URL and none for any other.
RateLimits EffectiveRateLimits(const std::optional<RateLimits>& configured,
                               std::string_view base_url);

class RateGate {
 public:
  using Task = std::function<void()>;
  // granted: the op may be sent now; false when the gate stopped first.
  // plan_remaining: room left in the plan after this grant.
  using Go = std::function<void(bool granted, int plan_remaining)>;
  struct Hooks {
    std::function<void(Task)> post;                                   // run soon, elsewhere
    std::function<void(std::chrono::milliseconds, Task)> post_after;  // run later
  };

  // `book` keeps the grants (the journal's rows, or this process's memory).
  RateGate(std::unique_ptr<RateBook> book, Clock& clock, Hooks hooks);

  // Queues `go` behind every earlier asker; once TakeRate granted `scopes`
  // it runs on the granting thread (so it must not block: the Client only
  // hands the request to the transport). Empty scopes: granted at once.
  // go(false) (stopped) runs through hooks.post.
  void Acquire(RateLimits scopes, Go go);

  // Every waiter, now and later, gets go(false). Idempotent.
  void Stop();

  // The server's answer to a request sent under `scopes`: a 429's
  // Retry-After (or X-RateLimit-Reset) stops those scopes until then; an
  // X-RateLimit-Remaining lower than the plan's `plan_remaining` caps them
  // at it until X-RateLimit-Reset. Stored in the journal (shared). Blocking:
  // call it off the transport's thread.
  void OnResponse(const RateLimits& scopes, int status, const Headers& headers, int plan_remaining,
                  std::chrono::milliseconds max_pushback);

  // Grants refused or failed so far (waits), for tests and stats.
  std::uint64_t waits() const;

 private:
  struct Waiter {
    RateLimits scopes;
    Go go;
  };
  void Pump();

  std::unique_ptr<RateBook> book_;
  Clock& clock_;
  Hooks hooks_;
  mutable std::mutex mu_;
  std::deque<Waiter> queue_;
  bool pumping_ = false;  // a Pump runs or is scheduled
  bool stopped_ = false;
  std::uint64_t waits_ = 0;
};

}  // namespace idem::internal
