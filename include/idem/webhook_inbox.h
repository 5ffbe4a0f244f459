// The webhook inbox: verified deliveries stored durably and deduplicated in
// the journal's database (its own tables, schema component "webhook"): a
// SQLite file, or PostgreSQL so that several receiver processes on several
// hosts share one inbox. Events are applied to a per-session status table and
// to the journal (the lost-response heal), with follow-up work (heal retries,
// --exec) kept in a persisted queue.
//
// Rules:
//  - Accept() returns only after the event is committed (per durability), so
//    a 2xx sent after it can never lose the event.
//  - Every correctly signed delivery is stored, whatever its type or shape
//    (Didit never re-sends a delivery answered 4xx). Only a session status
//    event (webhook_type "status.updated" with a string session_id and status
//    and an integer timestamp) moves a session; every other event
//    (data.updated, user.* / business.* events, types Didit adds later,
//    bodies that are not JSON) is stored as it came, listed, passed to the
//    exec task and healed from when it names a session.
//  - Duplicates: an event is a duplicate when an earlier one has the same
//    dedupe key, or the same body bytes (SHA-256), or the same delivery id
//    (Standard Webhooks webhook-id). The dedupe key of a session status event
//    is (session_id, status, webhook_type, timestamp); of any other JSON
//    object, its canonical JSON without the top-level event_id; of a body that
//    is not a JSON object, its bytes. event_id alone is not trusted: Didit's
//    is unique per delivery attempt, so a retry may carry a new one. A
//    duplicate is acknowledged and not applied again. On PostgreSQL these are
//    UNIQUE constraints, so two receivers accepting the same delivery at the
//    same moment store it once (the other gets kDuplicate).
//  - Status order (StatusEventMoves): Didit's status machine is not a ladder
//    (Approved -> Resubmitted -> In Progress -> Declined is forward), so the
//    event's timestamp decides: a later status event moves the session, an
//    earlier one never does; in the same second, the transition table
//    decides (SameSecondOrder); Not Started, which no transition leads to,
//    never follows another status. A total order, so every arrival order of
//    the same events ends on the same status.
//  - The heal: every new event calls Journal::AdoptResource with
//    SessionNaturalKey(workflow_id, vendor_data), the session id and the
//    body, so a create_session op whose response was lost becomes succeeded
//    with the session id. Only an op of InboxOptions::heal_kinds that was
//    sent, no later than the session's creation plus heal_clock_skew, is
//    adopted, and not by natural key when another op already holds that
//    session (rules: Adoption in idem/journal.h).
//    It runs right after the commit; if it fails, a persisted "heal" task
//    retries it (RunPending).
//  - Polled events (the catch-up, idem/webhook_catch_up.h): a status read
//    with GET /v3/session/{id}/decision/ because its webhook never came is
//    stored by AcceptPolled as a session status event marked polled (column
//    polled, WebhookEvent::polled; its body carries "source":"polled"). It
//    is stored only when it moves the session (never the status the session
//    already has, never backwards: StatusEventMoves). Didit's decision has
//    no status-change time, so its timestamp is the later of stored + 1 and
//    now - heal_clock_skew (how far our clock may run ahead of Didit's): a
//    real transition after the poll (Didit's clock up to that skew behind
//    ours) still moves past it, and a late webhook of a status older than
//    that (a console replay of an intermediate status) does not move the
//    session back.
//    Which one wins: the first to arrive is the one passed to --exec. When
//    the real webhook of the same status comes after the poll (the session's
//    status was set by a polled event and equals the webhook's), it is
//    stored in full (its body, decision and timestamp, and it moves the
//    session when its timestamp is later, which it normally is) but gets no
//    exec task: WebhookEvent::poll_seq names the polled event that already
//    went to --exec. A webhook that came before the poll makes the poll a
//    no-op (same status).
//  - Several receivers on one PostgreSQL inbox: each task runs on one of them
//    at a time (claimed with FOR UPDATE SKIP LOCKED and held while it runs);
//    seq is unique but, with concurrent writers, not commit order, so
//    EventFilter::after_seq is no gap-free cursor there.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/clock.h"
#include "idem/journal.h"
#include "idem/status.h"

namespace idem {

// Didit's session status machine (fact sheet didit-api-v3-details.md,
// section 4 "Status machine"): every transition of its table.
struct StatusTransition {
  std::string_view from;
  std::string_view to;
  bool automatic = false;  // Didit moves the session itself; false: update-status or the console
  bool inferred = false;   // the fact sheet marks it inferred, or only implies it
};
const std::vector<StatusTransition>& DiditStatusTransitions();

// Where `status` stands among events of the same second (unix seconds cannot
// tell them apart): higher came later. Every automatic transition of the
// table goes up, except the inferred Resubmitted -> In Progress (the user
// resuming, which takes a person, not the same second as the request to
// resubmit). Where the table has both directions (Approved <-> Declined,
// Approved <-> Resubmitted, Declined <-> Resubmitted, Approved <-> Kyc
// Expired), the one that keeps a person in the loop is later: Declined over
// Approved, Resubmitted over both, Kyc Expired over Approved. -1 for a status
// the table does not have.
int SameSecondOrder(std::string_view status);

// Whether a session status event (`status`, `timestamp` in unix seconds) moves
// a session whose latest applied event is (`stored_status`,
// `stored_timestamp`). In this order:
//  1. Not Started (no transition leads to it) never moves a session that has
//     another status, and any other status moves one at Not Started, whatever
//     the timestamps say (a replay of the session's first event).
//  2. A later timestamp moves it, an earlier one never does (a stale event).
//  3. The same second: the higher SameSecondOrder moves it; two statuses the
//     table does not have are ordered by their bytes.
// The same status in the same second does not move it. This is a strict
// total order on (status, timestamp), so the final status never depends on
// the order events arrive in.
bool StatusEventMoves(std::string_view stored_status, std::int64_t stored_timestamp,
                      std::string_view status, std::int64_t timestamp);

// Whether a session at `status` is done as far as the catch-up is concerned:
// no automatic transition leaves it soon (fact sheet section 4): Approved,
// Declined, Expired, Abandoned, Kyc Expired. Approved -> Kyc Expired happens
// only when a document expires (months later) and every manual change comes
// with its own webhook, so waiting for them is not the catch-up's job. Not
// final: Not Started, In Progress, Awaiting User, In Review (waits for a
// reviewer: its outcome is what the user waits for), Resubmitted, and any
// status the table does not have.
bool IsFinalStatus(std::string_view status);

struct WebhookEvent {
  std::int64_t seq = 0;     // arrival order in this inbox, from 1
  std::string event_id;     // the body's event_id ("" if absent)
  std::string delivery_id;  // webhook-id for Standard Webhooks, else ""
  std::string session_id;
  std::string status;
  std::string webhook_type;
  std::int64_t timestamp = 0;    // the body's timestamp (unix seconds)
  std::string workflow_id;       // "" if absent
  std::string vendor_data;       // "" if absent
  std::string decision;          // the body's decision as JSON text, "" if absent
  std::string body;              // the raw body bytes as received
  std::int64_t received_ms = 0;  // Unix ms of the commit
  bool applied = false;          // true: it moved the session's status
  // Stored by the catch-up from a decision look-up (AcceptPolled), not
  // delivered by Didit.
  bool polled = false;
  // A real webhook of the status a polled event had already stored: that
  // polled event's seq (it went to --exec; this one does not). 0 otherwise.
  std::int64_t poll_seq = 0;
};

// A session status read from GET /v3/session/{id}/decision/ (the catch-up).
struct PolledStatus {
  std::string session_id;
  std::string status;
  std::string decision;  // the decision response as JSON text ("" = none)
  std::string workflow_id;
  std::string vendor_data;
};

struct SessionRecord {
  std::string session_id;
  std::string status;  // the latest status by the order above
  std::int64_t event_timestamp = 0;
  std::string decision;  // latest non-empty decision (JSON text), "" if none yet
  std::string workflow_id;
  std::string vendor_data;
  std::int64_t updated_ms = 0;
};

enum class InboxOutcome { kStored, kDuplicate };

struct AcceptResult {
  InboxOutcome outcome = InboxOutcome::kStored;
  std::int64_t seq = 0;                    // the new event's seq; for a duplicate, the original's
  bool applied = false;                    // the event moved the session's status
  std::vector<std::string> healed_op_ids;  // ops the heal settled just now
};

struct InboxOptions {
  // kPowerLoss (default): synchronous=FULL (PostgreSQL: synchronous_commit
  // on), an acknowledged event survives power loss. kProcessCrash:
  // synchronous=NORMAL (synchronous_commit off), survives a crash of the
  // process only (on PostgreSQL: of the receiver, not of the server).
  Durability durability = Durability::kPowerLoss;
  // How long a write waits for another process's lock before kUnavailable
  // (the receiver answers 503 and the sender retries). Default 30 s. On
  // PostgreSQL: lock_timeout, and how long a transaction cut by a lost
  // connection is retried on a fresh one.
  std::chrono::milliseconds busy_timeout{30000};
  // Queue an "exec" task for every new event (the receiver's --exec). The
  // task survives restarts until RunPending's runner reports success.
  // Default false.
  bool queue_exec = false;
  // The journal the heal adopts sessions into. Default (null): the inbox
  // opens the journal in the same database (OpenJournal(path_or_url)).
  std::shared_ptr<Journal> journal;
  // The op kinds whose success creates the session an event names: only
  // these are ever adopted (see Adoption in idem/journal.h). Default
  // {"create_session"}, the Didit client's kind; empty turns the heal off.
  std::vector<std::string> heal_kinds{"create_session"};
  // How far our clock may run ahead of Didit's: an op first sent later than
  // the session's creation plus this did not create it. Default 5 min, the
  // look-ups' skew (DiditClientOptions::clock_skew).
  std::chrono::milliseconds heal_clock_skew{std::chrono::minutes(5)};
  // Backoff of failed follow-up tasks: base * 2^(attempts-1), capped.
  // Defaults 200 ms and 30 s.
  std::chrono::milliseconds task_backoff_base{200};
  std::chrono::milliseconds task_backoff_max{30000};
  // Time of commits and task schedules. Default: the system clock.
  std::shared_ptr<Clock> clock;
};

struct EventFilter {
  std::string session_id;      // "" = every session
  std::int64_t after_seq = 0;  // only events with seq > after_seq
  std::size_t limit = 0;       // 0 = no limit
};

// Follow-up work of one event.
struct InboxTask {
  std::int64_t seq = 0;
  std::string kind;  // "heal" or "exec"
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::string last_error;
};

class WebhookInbox {
 public:
  // Opens (creating and migrating) the inbox tables. The backend is picked
  // like OpenJournal's: a postgres:// or postgresql:// URL (any libpq
  // parameter; the password never appears in errors) opens PostgreSQL,
  // anything else is a SQLite file path. Unreachable server: kUnavailable.
  [[nodiscard]] static Result<std::unique_ptr<WebhookInbox>> Open(const std::string& path_or_url,
                                                                  InboxOptions options = {});
  virtual ~WebhookInbox() = default;

  // Stores one verified delivery, whatever its content (see the rules above:
  // any bytes are stored; only a session status event moves a session).
  // Concurrent calls share one
  // transaction on SQLite (group commit); on PostgreSQL each call is its own
  // transaction (the server groups their WAL flushes). Each returns after its
  // event is committed. Storage failures: kUnavailable / kIo (nothing
  // acknowledged; on PostgreSQL kUnavailable also when the connection broke
  // during COMMIT, so the event may be stored: the sender's retry is then a
  // duplicate).
  [[nodiscard]] virtual Result<AcceptResult> Accept(std::string_view body,
                                                    std::string_view delivery_id = "") = 0;

  // Accept() for several deliveries at once (the receiver's store thread
  // hands over everything that arrived meanwhile): they are committed in one
  // transaction, shared with concurrent callers, and it returns after all are
  // committed; one result per delivery, in order. A storage failure fails
  // every delivery of the transaction (none acknowledged).
  struct Delivery {
    std::string_view body;
    std::string_view delivery_id;
  };
  virtual std::vector<Result<AcceptResult>> AcceptMany(const std::vector<Delivery>& deliveries) = 0;

  // Stores a status the catch-up read (see "Polled events" above) in its own
  // transaction: kStored (with an exec task like any new event) only when
  // it moves the session; kDuplicate with seq 0 when the session already has
  // that status or a later one, or is unknown to the inbox.
  [[nodiscard]] virtual Result<AcceptResult> AcceptPolled(const PolledStatus& polled) = 0;

  // Sessions whose status is not final (IsFinalStatus) and whose latest
  // applied event was committed at or before `updated_before_ms`, least
  // recently updated first; at most `limit` (0 = all).
  [[nodiscard]] virtual Result<std::vector<SessionRecord>> UnfinishedSessions(
      std::int64_t updated_before_ms, std::size_t limit) = 0;

  [[nodiscard]] virtual Result<std::vector<WebhookEvent>> Events(const EventFilter& filter) = 0;
  [[nodiscard]] virtual Result<std::optional<SessionRecord>> Session(
      std::string_view session_id) = 0;

  // Runs due follow-up tasks (at most `max`): "heal" tasks call the journal
  // again; "exec" tasks call `exec` with the event (true = done). A failed
  // task is rescheduled with backoff and stays until it succeeds. Returns the
  // number of tasks that completed.
  using ExecRunner = std::function<Status(const WebhookEvent& event)>;
  [[nodiscard]] virtual Result<int> RunPending(const ExecRunner& exec, std::size_t max = 64) = 0;
  // Every task not yet done, oldest first.
  [[nodiscard]] virtual Result<std::vector<InboxTask>> PendingTasks() = 0;
};

}  // namespace idem
