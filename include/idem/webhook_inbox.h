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
//  - Duplicates: an event is a duplicate when an earlier one has the same
//    (session_id, status, webhook_type, timestamp), or the same body bytes
//    (SHA-256), or the same delivery id (Standard Webhooks webhook-id). A
//    duplicate is acknowledged and not applied again. event_id alone is not
//    trusted (whether Didit's retries reuse it is disputed). On PostgreSQL
//    these are UNIQUE constraints, so two receivers accepting the same
//    delivery at the same moment store it once (the other gets kDuplicate).
//  - Status order (StatusRank): Not Started (0) < In Progress (1) <
//    Awaiting User = In Review = Resubmitted (2) < Approved = Declined =
//    Expired = Abandoned = Kyc Expired (3); an unknown status ranks 0. An
//    event moves the session only if its rank is higher than the stored one,
//    or equal with a later event timestamp. So a late "In Progress" never
//    overwrites "Approved", while a later final status (Approved ->
//    Kyc Expired) does.
//  - The heal: every new event calls Journal::AdoptResource with
//    SessionNaturalKey(workflow_id, vendor_data), the session id and the
//    body, so a create_session op whose response was lost becomes succeeded
//    with the session id. Only an op of InboxOptions::heal_kinds that was
//    sent, no later than the session's creation plus heal_clock_skew, is
//    adopted, and not by natural key when another op already holds that
//    session (rules: Adoption in idem/journal.h).
//    It runs right after the commit; if it fails, a persisted "heal" task
//    retries it (RunPending).
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

// See the status order above; -1 never occurs (unknown statuses rank 0).
int StatusRank(std::string_view status);

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
  static Result<std::unique_ptr<WebhookInbox>> Open(const std::string& path_or_url,
                                                    InboxOptions options = {});
  virtual ~WebhookInbox() = default;

  // Validates and stores one verified delivery. `body` must be a JSON object
  // with string session_id, status, webhook_type and an integer timestamp
  // (else kInvalidArgument, nothing stored). Concurrent calls share one
  // transaction on SQLite (group commit); on PostgreSQL each call is its own
  // transaction (the server groups their WAL flushes). Each returns after its
  // event is committed. Storage failures: kUnavailable / kIo (nothing
  // acknowledged; on PostgreSQL kUnavailable also when the connection broke
  // during COMMIT, so the event may be stored: the sender's retry is then a
  // duplicate).
  virtual Result<AcceptResult> Accept(std::string_view body, std::string_view delivery_id = "") = 0;

  // Accept() for several deliveries at once (the receiver's store thread
  // hands over everything that arrived meanwhile): they are committed in one
  // transaction, shared with concurrent callers, and it returns after all are
  // committed; one result per delivery, in order. A malformed delivery gets
  // its own kInvalidArgument and does not affect the others; a storage
  // failure fails every delivery of the transaction (none acknowledged).
  struct Delivery {
    std::string_view body;
    std::string_view delivery_id;
  };
  virtual std::vector<Result<AcceptResult>> AcceptMany(const std::vector<Delivery>& deliveries) = 0;

  virtual Result<std::vector<WebhookEvent>> Events(const EventFilter& filter) = 0;
  virtual Result<std::optional<SessionRecord>> Session(std::string_view session_id) = 0;

  // Runs due follow-up tasks (at most `max`): "heal" tasks call the journal
  // again; "exec" tasks call `exec` with the event (true = done). A failed
  // task is rescheduled with backoff and stays until it succeeds. Returns the
  // number of tasks that completed.
  using ExecRunner = std::function<Status(const WebhookEvent& event)>;
  virtual Result<int> RunPending(const ExecRunner& exec, std::size_t max = 64) = 0;
  // Every task not yet done, oldest first.
  virtual Result<std::vector<InboxTask>> PendingTasks() = 0;
};

}  // namespace idem
