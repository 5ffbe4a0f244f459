// The journal: one durable record per logical operation, written before the
// first byte of the request leaves and updated at every outcome. It is what
// lets a crashed process resume with the same idempotency key.
//
// Implementations: SQLite (embedded default, OpenSqliteJournal) and
// PostgreSQL (OpenPostgresJournal, many processes on many hosts); OpenJournal
// picks one from a path or URL. All methods are thread-safe; many processes
// may share one SQLite file or one PostgreSQL database.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/clock.h"
#include "idem/rate_limits.h"
#include "idem/status.h"

namespace idem {

enum class OpState {
  kInFlight,   // created, being driven or waiting for its next attempt
  kSucceeded,  // a 2xx (or a reconciliation) settled it
  kFailed,     // a definitive refusal (400/401/403/404/422 ...) settled it
  kUnknown,    // no definitive answer: kept, never guessed (see Operation::needs_review)
};

// "in_flight", "succeeded", "failed", "unknown".
std::string_view OpStateName(OpState state);
std::optional<OpState> ParseOpState(std::string_view name);
inline bool IsFinal(OpState s) { return s == OpState::kSucceeded || s == OpState::kFailed; }

struct Operation {
  std::string op_id;     // the caller's business key, or generated
  std::string idem_key;  // the Idempotency-Key, made once, never changed by a retry
  // The caller supplied idem_key (their own Idempotency-Key header) rather
  // than idem generating it. Only such keys are checked for reuse across ops
  // on SQLite: a caller may reuse a key by mistake, while a generated UUIDv4
  // has 122 bits from the CSPRNG (see Journal::Begin).
  bool idem_key_from_caller = false;
  std::string kind;          // "call", "create_session", "aml", ...
  std::string method;        // "POST"
  std::string path;          // "/v3/session/" (relative to the base URL, query included)
  std::string content_type;  // of `body`
  std::string body;          // exact request bytes (multipart boundary included)
  std::string fingerprint;   // RequestFingerprint(method, path, body)
  std::string natural_key;   // look-up key for reconciliation, e.g. vendor_data + workflow_id
  OpState state = OpState::kInFlight;
  int attempts = 0;             // requests handed to the transport so far
  std::int64_t created_ms = 0;  // Unix ms
  // Unix ms from which a request with idem_key may have reached the server
  // (the key window counts from here). 0 = provably never sent with this
  // key: a driver records it durably before it hands the op's first request
  // to the transport (Client::Submit stores it with the op at Begin). Not 0
  // does not prove a send, only that one may have happened.
  std::int64_t first_sent_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t next_attempt_ms = 0;   // earliest next attempt; 0 = now
  std::string lease_owner;            // who drives it now ("" = nobody)
  std::int64_t lease_until_ms = 0;    // the lease lapses after this
  std::int64_t lease_generation = 0;  // bumped by every claim; fences stale owners
  int response_status = 0;            // last HTTP status seen, 0 = none
  std::string response_headers;       // last response headers as a JSON object
  std::string response_body;          // last response body, raw (capped by the transport)
  std::string resource_id;            // e.g. the session_id the op created or adopted
  std::string last_error;             // last transport/parse error, never secrets
  // Set with state `unknown` when the driver stopped because it cannot prove
  // whether an attempt executed and has no way left to find out (the server
  // does not deduplicate the endpoint and the op cannot be looked up). Such
  // an op is never claimed again (ClaimUnfinished skips it: no resume, no
  // worker re-sends it) until a person settles it (ResolveUnknownOp,
  // `idem ops resolve`). last_error says why.
  bool needs_review = false;
  // How the op was settled other than by its own response, one line per
  // event, oldest first: a look-up that found it, a person's verdict (who,
  // when). Appended, never rewritten. Never secrets.
  std::string audit;
};

enum class Durability {
  // fsync on every commit (SQLite synchronous=FULL in WAL mode): an op that
  // Begin() returned survives power loss. The default.
  kPowerLoss,
  // No fsync per commit (synchronous=NORMAL in WAL mode): survives a crash of
  // the process, but the last commits may be lost if the machine loses power;
  // a lost Begin() then means the request may be re-sent with a NEW key.
  kProcessCrash,
};

struct JournalOptions {
  // See Durability. Default kPowerLoss.
  Durability durability = Durability::kPowerLoss;
  // How long a writer waits for another process holding the database lock
  // before reporting kUnavailable. Default 30 s.
  std::chrono::milliseconds busy_timeout{30000};
  // Group commit: concurrent writers in this process share one transaction
  // (and so one fsync). A commit never waits for more company than this.
  // Default 0: a batch is whatever queued while the previous commit ran.
  std::chrono::microseconds group_commit_delay{0};
  // Clock for timestamps and lease expiry. Default: the system clock.
  std::shared_ptr<Clock> clock;
};

struct BeginResult {
  Operation op;  // as stored now
  bool created;  // true: a new record; false: an op with this op_id existed
  bool leased;   // true: the caller now holds the lease and must drive it
};

// Which unfinished ops Journal::ClaimUnfinished may take (beyond "lease free
// or lapsed"). The default takes every one, as `idem resume` wants.
struct ClaimFilter {
  // Take `unknown` ops too; false: in_flight ones only. Default true.
  bool include_unknown = true;
  // Take an `unknown` op only if its last write (updated_ms: for an op that
  // ran out of retries, the moment its driver gave it up and released it) is
  // at or before this Unix ms. A worker passes now - its retry delay, so that
  // no worker drives again at once an op that just ended unknown. Default 0:
  // no limit.
  std::int64_t max_unknown_updated_ms = 0;
};

struct OpFilter {
  std::optional<OpState> state{};
  std::size_t limit = 0;  // 0 = no limit
  // Only ops whose needs_review equals this. Default: any.
  std::optional<bool> needs_review{};
};

// What a webhook event says the server created, for the heal
// (Journal::AdoptResource). An op is adopted only if every rule holds:
//  - it is in_flight or unknown;
//  - its natural_key equals `natural_key`, or its resource_id equals
//    `resource_id` (empty fields match nothing);
//  - its kind is one of `kinds`: only an op whose success creates the
//    resource (a Didit session: "create_session"), never an update or a
//    check that merely names it;
//  - it was sent (first_sent_ms != 0): an op only enqueued, or proven never
//    sent, cannot have created anything;
//  - its first send was at or before `first_sent_not_after_ms`: the
//    resource's creation time plus the clock skew allowed; an op first sent
//    later did not create it;
//  - matched by natural key only: no other op already holds `resource_id`
//    as its settled result (the event is then about that op's resource, for
//    instance an earlier session of the same user that a re-verification
//    after a decline does not replace).
struct Adoption {
  std::string natural_key;
  std::string resource_id;
  std::vector<std::string> kinds;
  std::int64_t first_sent_not_after_ms = 0;
  // Stored as the op's answer: a 2xx body the typed client can read.
  std::string response_body;
  // Appended to Operation::audit (one line: what settled the op).
  std::string audit_line;
};

// A person's verdict on an `unknown` op (see Journal::ResolveUnknown and
// include/idem/resolve.h, which builds one).
struct UnknownResolution {
  // true: the op executed; it becomes succeeded. false: it provably did not;
  // it becomes in_flight under `new_idem_key`, never sent (first_sent_ms 0),
  // for a driver (resume, a worker) to send afresh.
  bool executed = false;
  // executed: the resource the op made (e.g. the session id), kept when empty.
  std::string resource_id;
  // not executed: the fresh key (required; generated, not the caller's).
  std::string new_idem_key;
  // Appended to Operation::audit (one line: who, when, what, why).
  std::string audit_line;
};

// A rate grant (Journal::TakeRate).
struct RateTake {
  bool granted = false;
  // Not granted: when to ask again (unix ms, later than now).
  std::int64_t retry_at_ms = 0;
  // Granted: the least room the plan has left over the scopes afterwards.
  int plan_remaining = 0;
};

class Journal {
 public:
  virtual ~Journal() = default;

  // Stores `op` durably (per Durability) before returning, with the lease held
  // by `owner` until now + `lease`. If an op with the same op_id exists:
  //  - a different fingerprint -> kAlreadyExists, nothing changes;
  //  - the same fingerprint -> the stored op is returned (created = false),
  //    and if it is unfinished and its lease is free or lapsed, the lease is
  //    taken (leased = true) so the caller resumes it.
  // The new record gets lease_generation 1 and created_ms = now unless set.
  // op_id, idem_key, fingerprint, method and owner must be non-empty, at most
  // 1 KiB and free of NUL bytes (else kInvalidArgument). A caller-supplied
  // idem_key (idem_key_from_caller) already used by another op_id ->
  // kAlreadyExists. Generated keys are not looked up on SQLite (a unique
  // index over random keys costs a random page write per op; a collision of
  // two v4 keys among 2^32 ops has a chance under 2^-58); PostgreSQL checks
  // every key. So a caller key copied from a generated one is not caught on
  // SQLite: the server then answers it as the earlier op's retry. Bodies are
  // stored byte for byte.
  [[nodiscard]] virtual Result<BeginResult> Begin(const Operation& op, std::string_view owner,
                                                  std::chrono::milliseconds lease) = 0;

  // Writes every mutable field of `op` (state, attempts, timestamps, response,
  // resource_id, last_error, next_attempt, and idem_key, which changes only
  // when a look-up past the key window proved the first request never
  // executed and the op is sent afresh under a new key). Fenced: fails with
  // kFailedPrecondition unless the stored lease_owner and lease_generation
  // equal op's, so a worker whose lease lapsed cannot overwrite the newer
  // owner's outcome. A final state releases the lease.
  [[nodiscard]] virtual Status Update(const Operation& op) = 0;

  // Batches, for a driver with many ops at once: the same as calling Begin
  // (with one owner and lease) or Update for each op in order, one result per
  // op, except that a backend may commit them together (SQLite: one
  // transaction, so one fsync for the batch). One op's error does not affect
  // the others; if the shared transaction itself fails, every op gets that
  // error and nothing of the batch is stored. The defaults loop.
  virtual std::vector<Result<BeginResult>> BeginMany(const std::vector<Operation>& ops,
                                                     std::string_view owner,
                                                     std::chrono::milliseconds lease);
  virtual std::vector<Status> UpdateMany(const std::vector<const Operation*>& ops);

  // Extends the lease of an op the caller holds (fenced like Update).
  [[nodiscard]] virtual Status RenewLease(const Operation& op, std::chrono::milliseconds lease) = 0;

  // Gives up the lease without changing anything else (fenced like Update).
  [[nodiscard]] virtual Status Release(const Operation& op) = 0;

  // Claims up to `max` unfinished ops (in_flight or unknown, never one that
  // needs_review) whose lease is free or lapsed (whatever their
  // next_attempt_ms), oldest first: sets the
  // owner, the expiry and bumps the generation. Returns the claimed ops as
  // stored. max = 0 claims them all. `filter` narrows what may be taken.
  // Concurrent claimers (threads, processes, hosts) never get the same op;
  // on PostgreSQL they skip each other's locked rows instead of waiting.
  [[nodiscard]] virtual Result<std::vector<Operation>> ClaimUnfinished(
      std::string_view owner, std::chrono::milliseconds lease, std::size_t max,
      const ClaimFilter& filter = {}) = 0;

  [[nodiscard]] virtual Result<std::optional<Operation>> Get(std::string_view op_id) = 0;
  // Oldest first (by created_ms).
  [[nodiscard]] virtual Result<std::vector<Operation>> List(const OpFilter& filter) = 0;

  // Every op (any state) whose natural_key equals `natural_key`, oldest
  // first; for reconciliation by a look-up. An empty key -> kInvalidArgument.
  [[nodiscard]] virtual Result<std::vector<Operation>> FindByNaturalKey(
      std::string_view natural_key) = 0;

  // The webhook heal: settles as succeeded every op `adoption` matches (see
  // Adoption for the rules), atomically, with `adoption.resource_id` (when
  // given), response_status 200 and `adoption.response_body` replacing
  // whatever failed attempt the op held, needs_review cleared and the audit
  // line appended. Its lease is cleared and its generation bumped, so a
  // driver still holding it is fenced out and its late Update fails (the
  // client then returns this stored success). Returns the ops it settled, as
  // stored. kInvalidArgument for an adoption that names no key, no kind or no
  // time bound.
  [[nodiscard]] virtual Result<std::vector<Operation>> AdoptResource(const Adoption& adoption) = 0;

  // Applies a person's verdict to an `unknown` op, atomically: refused,
  // nothing changes, when the op is settled (kAlreadyExists), in_flight or
  // held by a live lease (kFailedPrecondition); kNotFound when there is no
  // such op;
  // kInvalidArgument for a verdict "not executed" without a valid new key.
  // The op's lease is cleared and its generation bumped (a stale driver is
  // fenced out), needs_review is cleared and `audit_line` appended. Returns
  // the op as stored.
  [[nodiscard]] virtual Result<Operation> ResolveUnknown(std::string_view op_id,
                                                         const UnknownResolution& resolution) = 0;

  // The rate budget every process on this journal shares (ClientOptions::
  // rate_limits). TakeRate records one grant in every scope of `scopes` at
  // `now_ms`, atomically, when each has room (fewer than its limit in its
  // sliding window, and within a cap SetRateCap stored; `now_ms` plus the
  // time spent waiting for the backend's lock, by JournalOptions::clock's
  // steady time, so a grant is stamped when it is decided); otherwise records
  // nothing and says when to ask again. A grant is a timestamped row, not a
  // held token: a process killed after taking one loses nothing for longer
  // than the window. Grants older than the longest window are deleted as
  // they are read. Times are the callers' clocks (one host, or hosts in NTP
  // sync). The default: kFailedPrecondition (a journal without a shared budget).
  [[nodiscard]] virtual Result<RateTake> TakeRate(const RateLimits& scopes, std::int64_t now_ms);
  // The server said a scope has less room than the plan: at most `allowance`
  // grants from `now_ms` until `until_ms` in each of `scopes` (replacing an
  // earlier cap). The default: kFailedPrecondition.
  [[nodiscard]] virtual Status SetRateCap(const std::vector<std::string>& scopes, int allowance,
                                          std::int64_t now_ms, std::int64_t until_ms);
};

// Opens (creating and migrating as needed) the SQLite journal at `path`,
// in WAL mode. ":memory:": a new journal in this process's memory, for
// tests (nothing durable, no other process sees it; without WAL its reads
// and writes wait for each other); it is gone once this object is.
[[nodiscard]] Result<std::unique_ptr<Journal>> OpenSqliteJournal(const std::string& path,
                                                                 JournalOptions options = {});

// Opens (creating and migrating as needed) the PostgreSQL journal at
// `conninfo_or_url`: a libpq URL ("postgresql://user@host:5432/db") or a
// key/value conninfo ("host=... dbname=..."). The connection string may hold a
// password; it never appears in errors or logs. A server that cannot be
// reached -> kUnavailable. Durability maps to synchronous_commit (on/off);
// busy_timeout bounds row-lock waits (lock_timeout) and how long a call keeps
// reconnecting after the server went away; group_commit_delay is ignored
// (PostgreSQL groups commits itself). See docs/postgres.md.
[[nodiscard]] Result<std::unique_ptr<Journal>> OpenPostgresJournal(
    const std::string& conninfo_or_url, JournalOptions options = {});

// True for "postgres://..." and "postgresql://..." URLs.
bool IsPostgresUrl(std::string_view path_or_url);

// The journal named by `path_or_url`: PostgreSQL for a postgres:// or
// postgresql:// URL, else the SQLite file at that path.
[[nodiscard]] Result<std::unique_ptr<Journal>> OpenJournal(const std::string& path_or_url,
                                                           JournalOptions options = {});

// The default journal path: $IDEM_JOURNAL, else ./idem-journal.db.
std::string DefaultJournalPath();

// For code that only reads or recovers a journal (and so must not create an
// empty one because of a typo): kNotFound ("no journal at 'PATH'") when
// `path_or_url` names a SQLite file that does not exist (or is not a regular
// file). OK for an existing file and for any PostgreSQL URL (the database
// is the server's; opening it creates no file).
[[nodiscard]] Status CheckJournalExists(const std::string& path_or_url);

// Every unfinished op: in_flight ones, then (with include_unknown) unknown
// ones, each oldest first, those that need review included. What "nothing
// lost yet" counts.
[[nodiscard]] Result<std::vector<Operation>> ListUnfinished(Journal& journal,
                                                            bool include_unknown = true);

}  // namespace idem
