// The catch-up for webhooks that never came: Didit's sender retries a
// delivery at most twice (~1 min, then ~4 min) and then drops it, so a
// receiver that was down for longer never hears of a session's final status.
// The catch-up looks such sessions up with GET /v3/session/{id}/decision/ and
// stores what it reads in the inbox as a polled event (WebhookInbox::
// AcceptPolled, "Polled events" in idem/webhook_inbox.h), through the same
// status order as a webhook (StatusEventMoves: a poll never moves a session
// backwards) and deduplicated against the real webhook if it comes later.
//
// Which sessions: every session the inbox knows whose status is not final
// (IsFinalStatus) and whose latest applied event was committed more than
// `after` ago (and, when it was already looked up, whose last look-up is
// more than `after` ago too). A session still In Progress is looked up again
// every `after`; a look-up that finds the status the inbox has stores
// nothing.
//
// Crash semantics: nothing of the catch-up's own is persisted. The due list
// is read from the inbox and the last look-up times are kept in memory, so a
// crash mid-catch-up loses nothing: a poll is stored (committed) before it
// counts, and after a restart every unfinished session is due again and
// looked up again (at most one look-up more per session than needed).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "idem/clock.h"
#include "idem/webhook_inbox.h"

namespace idem {

// What a failed decision look-up says.
struct DecisionLookupError {
  int http_status = 0;  // the API's answer; 0 when none came (network, timeout)
  std::optional<std::chrono::seconds> retry_after;  // Retry-After of a 429, when sane
  std::string message;                              // for the log; never a secret
};

// One GET /v3/session/{id}/decision/: the session's status, decision (the
// response as JSON text), workflow_id and vendor_data. The webhook layer
// does not link the Didit client (docs/architecture.md: it comes later);
// idem/didit/decision_lookup.h makes one from a DiditClient. It should not
// retry a 429 itself (the catch-up pauses on it).
using DecisionLookup =
    std::function<tl::expected<PolledStatus, DecisionLookupError>(const std::string& session_id)>;

struct CatchUpOptions {
  // A session is looked up once its latest event (or its last look-up) is
  // this old. 0 (default): the catch-up is off.
  std::chrono::milliseconds after{0};
  // Look-ups per minute at most, paced evenly (one every 60 s / rate). The
  // decision endpoint allows 100/min per API key (fact sheet section 2), and
  // the key is shared with the application's own calls. Default 30.
  int rate_per_minute = 30;
  // How often the inbox is read for due sessions (all of them: one indexed
  // query) when none is queued. Default 5 s.
  std::chrono::milliseconds scan_interval{5000};
  // A 429 without a usable Retry-After pauses the look-ups this long.
  // Default 60 s (the limiter's window).
  std::chrono::milliseconds rate_limited_pause{60000};
  // The look-up. Required when `after` > 0.
  DecisionLookup lookup;
  // Time of the pacing, pauses and due checks. Default: the system clock.
  std::shared_ptr<Clock> clock;
};

struct CatchUpStats {
  std::uint64_t lookups = 0;       // decision requests made
  std::uint64_t stored = 0;        // polled events stored (the session moved)
  std::uint64_t unchanged = 0;     // look-ups that found the status the inbox had
  std::uint64_t rate_limited = 0;  // 429 answers (each pauses the look-ups)
  std::uint64_t failed = 0;        // other failures (retried after `after`)
};

// Not thread-safe: one thread calls Step (the receiver's catch-up thread).
class CatchUp {
 public:
  // kInvalidArgument without a lookup or with rate_per_minute < 1.
  [[nodiscard]] static Result<std::unique_ptr<CatchUp>> Create(WebhookInbox& inbox,
                                                               CatchUpOptions options);

  // Does what is due now: at most one look-up (and its store). Returns when
  // the next step is due; a caller waits until then (or less) and calls
  // again. Storage and look-up failures are logged and retried later, never
  // returned.
  std::chrono::system_clock::time_point Step();

  CatchUpStats stats() const { return stats_; }

 private:
  CatchUp(WebhookInbox& inbox, CatchUpOptions options);
  bool Due(const SessionRecord& session, std::chrono::system_clock::time_point now) const;
  void LookUp(const SessionRecord& session, std::chrono::system_clock::time_point now);

  WebhookInbox& inbox_;
  CatchUpOptions options_;
  std::chrono::milliseconds interval_;
  std::vector<SessionRecord> queue_;  // due sessions of the last scan, next last
  std::chrono::system_clock::time_point next_scan_{};
  std::chrono::system_clock::time_point next_lookup_{};
  std::chrono::system_clock::time_point paused_until_{};
  std::map<std::string, std::chrono::system_clock::time_point> looked_up_;
  CatchUpStats stats_;
};

}  // namespace idem
