// Internal: the backend-independent half of the webhook inbox (SQLite in
// inbox.cc, PostgreSQL in pg_inbox.cc): parsing and validating a delivery,
// its dedupe keys, AcceptMany's bookkeeping, the heal, follow-up tasks.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "idem/journal.h"
#include "idem/webhook_inbox.h"

namespace idem::webhook {

// The latest time a body's "timestamp" or "created_at" may hold (unix
// seconds, 9999-12-31T23:59:59Z); a larger or negative one counts as absent.
inline constexpr std::int64_t kMaxUnixSeconds = 253'402'300'799;

// One valid delivery, ready to store.
struct ParsedEvent {
  WebhookEvent event;  // every field but seq, received_ms and applied
  // A session status event (webhook_type "status.updated", string session_id
  // and status, an integer timestamp in [0, kMaxUnixSeconds]): dedupe_key is
  // the hex SHA-256 of (session_id, status, webhook_type, timestamp), and it
  // may move its session (StatusEventMoves). Any other event (data.updated,
  // user.* and business.* events, a type Didit adds tomorrow, wrong types for
  // the known fields) is only stored, listed, passed to --exec and healed
  // from: a JSON object's dedupe_key is "event:" + the SHA-256 of its
  // canonical JSON without the top-level event_id (a retry may carry a new
  // one); a body that is not a JSON object (or has a duplicate key) has
  // "body:" + body_sha256.
  bool session_event = false;
  // The latest the session can have been created (unix seconds): the
  // earlier of the body's integer created_at and timestamp; 0 when neither.
  std::int64_t created_s = 0;
  std::string dedupe_key;  // see session_event
  std::string body_sha256;
  // From the catch-up (MakePolledEvent): dedupe_key is "polled:" + the
  // session status key, so it never hides the real webhook.
  bool polled = false;
};

// The event AcceptPolled stores: a status.updated body with
// "source":"polled", `timestamp`, and the look-up's decision, workflow_id and
// vendor_data; parsed as ParseEvent would, polled set.
[[nodiscard]] Result<ParsedEvent> MakePolledEvent(const PolledStatus& polled,
                                                  std::int64_t timestamp);

// The timestamp of a polled event for a session whose stored event has
// `stored_timestamp`: the later of stored + 1 and now - heal_clock_skew (see
// "Polled events" in idem/webhook_inbox.h).
std::int64_t PolledTimestamp(const InboxOptions& options, std::int64_t stored_timestamp);

// The final statuses (IsFinalStatus), for SQL lists.
inline constexpr std::array<std::string_view, 5> kFinalStatuses = {
    "Approved", "Declined", "Expired", "Abandoned", "Kyc Expired"};

// Reads what it can of `body`: the fields above when present with the
// right types, "" / 0 otherwise. It never refuses a body for its content:
// the receiver acknowledges every correctly signed delivery, since Didit
// never sends a 4xx'd event again and a lost event cannot be recovered.
[[nodiscard]] Result<ParsedEvent> ParseEvent(std::string_view body, std::string_view delivery_id);

// AcceptMany's deliveries, parsed: a result per delivery (its parse error,
// or a "not committed" placeholder the backend fills after its commit).
struct ParsedBatch {
  std::vector<Result<AcceptResult>> results;
  std::vector<ParsedEvent> events;  // the valid deliveries, in order
  std::vector<std::size_t> index;   // results[index[k]] belongs to events[k]
};
ParsedBatch ParseDeliveries(const std::vector<WebhookInbox::Delivery>& deliveries);

// options.journal null: opens the journal the heal adopts into, in the same
// database (OpenJournal(path_or_url), SQLite file or PostgreSQL URL), with
// the inbox's durability, busy_timeout and clock.
[[nodiscard]] Status OpenHealJournal(InboxOptions& options, const std::string& path_or_url);

// The lost-response heal of one event: Journal::AdoptResource with the
// session's natural key (only a full workflow_id + vendor_data pair names a
// create op; without it only the session id is matched against resource_id),
// options.heal_kinds, and the session's creation (ParsedEvent::created_s)
// plus options.heal_clock_skew as the latest first send. Returns the op ids settled now. No
// journal, no session id, no timestamp, or no heal kinds: nothing to heal.
[[nodiscard]] Result<std::vector<std::string>> HealEvent(const InboxOptions& options,
                                                         const ParsedEvent& event);

// After the batch's commit: heals every newly stored event (results filled
// in), records the healed op ids in its result and returns the seqs whose
// heal succeeded (their safety-net heal tasks can be deleted). A failed heal
// is left to its persisted task.
std::vector<std::int64_t> HealStored(const InboxOptions& options, ParsedBatch& batch);

// Runs one follow-up task: "heal" calls the journal again, "exec" the
// runner (kFailedPrecondition without one).
[[nodiscard]] Status RunTask(const InboxOptions& options, const WebhookInbox::ExecRunner& exec,
                             const InboxTask& task, const WebhookEvent& event);

// When a new task is first due. The heal runs inline right after the commit;
// its task is only the net for a failed heal or a crash, so it is not due
// before one backoff (else a task runner re-heals every event in that
// window). An exec task is due at once.
std::int64_t FirstDueMs(const InboxOptions& options, std::string_view kind, std::int64_t now_ms);

// When a task that failed its `attempts`-th time (>= 1) is due again:
// base * 2^(attempts-1), capped at task_backoff_max.
std::int64_t RetryDueMs(const InboxOptions& options, int attempts, std::int64_t now_ms);

// A task's last_error as stored (bounded).
std::string TaskError(const Error& error);

}  // namespace idem::webhook
