// The exactly-once op driver. A Client turns one logical call (an OpRequest)
// into a journaled operation and drives it to a settled state:
//
//   Submit ─> Journal::Begin (durable, with the key and exact bytes)
//          ─> send with Idempotency-Key ─2xx──────────────────────> succeeded
//                │ ─definitive 4xx (400/401/403/404/422, a 409 "key
//                │   reused with another request") ────────────────> failed
//                │     (but "already exists" after an attempt that may have
//                │      executed, per ClientOptions::exists_refusal: the
//                │      kind's Reconciler decides: found ─> succeeded; not
//                │      this op's ─> failed; another request's ─> unknown,
//                │      needs_review)
//                │ ─not sent (refused connection) ─> wait, send again
//                │ ─timeout/reset/5xx/408/409/425/429─> wait (backoff, pushback floor)
//                │      └─ may have executed? resolve it before any re-send,
//                │         as the kind's KindPolicy allows: replay with the
//                │         key (the server deduplicates), else a look-up (the
//                │         kind's Reconciler), else stop ──> unknown, needs_review
//                └─ retries or budget exhausted, no definitive answer ─> unknown
//
// `unknown` ops are kept; Resume() (or `idem resume`) drives them again with
// their original key, resolving first; one that needs_review is left for a
// person (ResolveUnknownOp in idem/resolve.h, `idem ops resolve`). Everything
// is event-driven: transport callbacks and a timer queue feed a few worker
// threads, never a thread per call.
//
// Thread-safe: Submit/Call/Resume may be called from any thread at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "idem/clock.h"
#include "idem/http.h"
#include "idem/idempotency_key.h"
#include "idem/journal.h"
#include "idem/random.h"
#include "idem/retry.h"
#include "idem/status.h"
#include "idem/transport.h"

namespace idem {

// One logical call.
struct OpRequest {
  // The caller's business key ("session:user-123"). Empty: a UUIDv7 is made
  // (time-ordered, so new ops append to the journal's op_id index).
  // The same op_id with the same request returns/resumes the stored op; with
  // a different request it is refused (kAlreadyExists), nothing sent.
  std::string op_id;
  // Selects the Reconciler (see ClientOptions::reconcilers). Default "call".
  std::string kind = "call";
  std::string method = "POST";
  // Relative to ClientOptions::base_url, query included: "/v3/session/".
  std::string path;
  // Sent as Content-Type when the body is not empty. Default application/json.
  std::string content_type = "application/json";
  // Exact bytes; stored and re-sent byte for byte.
  std::string body;
  // Extra headers for the first driving session. An `Idempotency-Key` here IS
  // the op's key (sent verbatim, never overwritten, never doubled). Extra
  // headers are not journaled: a resumed op is re-sent with Content-Type,
  // x-api-key and its key only.
  Headers headers;
  // How a Reconciler finds the op's result without its response
  // (e.g. SessionNaturalKey(workflow_id, vendor_data)). Optional.
  std::string natural_key;
};

// What a Reconciler found out about an op whose earlier attempt may have
// executed.
struct ReconcileResult {
  enum class Outcome {
    // The op executed: adopt `resource_id` (and `status`/`body` as the op's
    // response) and settle it as succeeded without sending.
    kFound,
    // The server has no trace of the op: it provably did not execute (once
    // the kind's settle_after has passed since the attempt that may have
    // executed, see KindPolicy). The driver may send (again); past the key
    // window, with a NEW key.
    kNotFound,
    // The look-up itself failed (network, 5xx): treated as a retryable failure.
    kFailed,
    // This op cannot be looked up at all (nothing to look it up by, or the
    // server keeps no record of it): the driver stops it for a person
    // (unknown, needs_review) with `error` as the reason.
    kUnresolvable,
  };
  Outcome outcome = Outcome::kFailed;
  std::string resource_id;
  int status = 200;
  std::string body;
  std::string error;  // why, for kFailed and kUnresolvable; never secrets
  // For kFailed: the failed look-up's response headers, if it got an answer
  // (a 429's or a 503's Retry-After, X-RateLimit-Reset). The driver waits at
  // least what they ask (ServerPushback, capped at max_pushback) before it
  // looks again, as after a send.
  Headers response_headers;
  // For kFound: how it was found, for the op's audit trail ("GET
  // /v3/sessions/?vendor_data=..: session 1234"); never secrets.
  std::string note;
};

// Per op kind: looks an op up on the server (e.g. CreateSession by
// vendor_data). Contract:
//  - Lookup() must return quickly and call `done` exactly once, from any
//    thread (typically a Transport callback). It must not block on the
//    network: issue the GET with Transport::Send. (A short journal read on
//    the calling thread is fine.)
//  - kNotFound must mean "did not execute" with certainty; if unsure, kFailed
//    (look again later) or kUnresolvable (a person must decide).
//  - It may be called several times for one op (after each ambiguous attempt).
//  - `op.response_status`/`response_body` hold the op's last answer, if any:
//    after a refusal its kind's ClientOptions::exists_refusal recognised,
//    that refusal. Then the resource exists, and kNotFound means "it is not
//    this op's" (the refusal becomes the op's outcome, `failed`); when the
//    look-up cannot tell (a list too long to read), kFailed or kUnresolvable.
class Reconciler {
 public:
  using Done = std::function<void(ReconcileResult)>;
  virtual ~Reconciler() = default;
  virtual void Lookup(const Operation& op, Done done) = 0;
};

// What the server does with one op kind, and so how the driver may recover
// an attempt that may have executed (a timeout, a lost connection, a 5xx, a
// crash mid-request). Taken as data: the Didit layer registers Didit's
// documented facts per endpoint (idem/didit/endpoints.h); a user whose
// account has keys enabled on more endpoints says so here.
struct KindPolicy {
  // The server deduplicates this kind by Idempotency-Key: within
  // ClientOptions::key_window a re-send with the op's key returns the first
  // outcome instead of executing again, so an ambiguous attempt is resolved
  // by replay. false: the server ignores the key; an attempt that may have
  // executed is resolved by the kind's Reconciler, and without one the op
  // stops `unknown` with needs_review (never re-sent). The only re-send
  // without a resolution is after an attempt proven never sent
  // (TransportFailure::kNotSent). Default true (a server per the IETF
  // idempotency-key draft).
  bool server_honours_key = true;
  // Each execution costs money (for reasons, reports and docs). Default false.
  bool billed = false;
  // Total time per attempt; 0 = the transport's own. Default 0.
  std::chrono::milliseconds timeout{0};
  // A look-up that finds nothing is trusted as "never executed" only once
  // this long has passed since an attempt the server may still be running
  // was sent: one that got no answer (timeout, lost connection) or a
  // gateway's 502/503/504, and for an op taken over from another process,
  // the take-over. (A server that answered 500 is done with the request.)
  // Until then the driver waits and looks again. Default 0.
  std::chrono::milliseconds settle_after{0};
  // The server's rate-limit scope of this kind ("generic-write"); informative.
  std::string rate_limit_scope;
  // Answers that are the server's definite word although their status reads
  // "may have executed" (a 5xx is retried, and first looked up where the
  // server ignores keys): an answer with `status` whose body is a JSON
  // object holding `body_field` settles the op `failed` at once, with no
  // retry and no look-up. Didit: database validation's 502 carrying
  // `validation_errors` (no service returned a usable result; not billed;
  // "read validation_errors before retrying"). Default none.
  struct DefiniteError {
    int status = 0;
    std::string body_field;
  };
  std::vector<DefiniteError> definite_errors;
};

// True when `policy` says an answer of `status` with `body` is a definite
// refusal (see KindPolicy::definite_errors).
bool IsDefiniteError(const KindPolicy& policy, int status, std::string_view body);

struct ClientOptions {
  // Where `OpRequest::path` is appended. Default Didit's production API.
  std::string base_url = "https://verification.didit.me";
  // Sent as `x-api-key` on every request. Never logged, never journaled.
  std::string api_key;
  // Required: the journal (shared; many Clients and processes may use one).
  std::shared_ptr<Journal> journal;
  // Required: the transport (shared; callbacks run on its thread).
  std::shared_ptr<Transport> transport;
  // Prototypes cloned per op. Defaults: FullJitterBackoff(100 ms, 20 s) and
  // LimitedAttemptsRetryPolicy(5 attempts, 60 s) on `clock`.
  std::shared_ptr<const BackoffPolicy> backoff;
  std::shared_ptr<const RetryPolicy> retry;
  // Shared by every op of this Client (and of others that share it). Default:
  // a new RetryBudget() (500 tokens) per Client.
  std::shared_ptr<RetryBudget> budget;
  // Server pushback (Retry-After / X-RateLimit-Reset) is a floor for the next
  // delay, capped at this. Default 60 s.
  std::chrono::milliseconds max_pushback{60000};
  // Default kBareToken / kUuidV4.
  KeyFormat key_format = KeyFormat::kBareToken;
  KeyVersion key_version = KeyVersion::kUuidV4;
  // Lease owner written to the journal. Default "HOST:PID:RANDOM".
  std::string owner;
  // Lease held on each op while it is driven; renewed every lease/3 while the
  // op waits and before each attempt. A crashed process's ops can be resumed
  // by another once it lapses. Default 60 s.
  std::chrono::milliseconds lease{60000};
  // How long the server remembers a key (Didit/sandbox: 24 h). An op whose key
  // was first sent longer ago is never re-sent blindly with it: it is
  // reconciled, and re-sent with a NEW key only when the look-up proves the
  // first request never executed; without a reconciler it stays unknown.
  // Default 24 h.
  std::chrono::milliseconds key_window{std::chrono::hours(24)};
  // Reconcilers by OpRequest::kind: how an op that may have executed is
  // looked up. See KindPolicy for when the driver asks one.
  std::map<std::string, std::shared_ptr<Reconciler>> reconcilers;
  // What the server does with each kind (keys honoured, timeout, ...). Kinds
  // not listed get default_kind_policy. Default: none listed (the Didit layer
  // registers its kinds, see didit::AddDiditReconcilers).
  std::map<std::string, KindPolicy> kind_policies;
  // Default: KindPolicy{} (keys honoured, as the IETF draft's server does).
  // A client for a server that may ignore keys should set
  // server_honours_key = false here, so that unlisted kinds are never
  // re-sent after an ambiguous attempt.
  KindPolicy default_kind_policy;
  // By OpRequest::kind: the id of the resource a 2xx response created or
  // touched (a session_id, a check's request_id), read from the op once its
  // response is in (`response_status`, `response_body`, `path`) and stored as
  // `Operation::resource_id` in the same journal write that settles the op.
  // Kinds without one keep resource_id empty. Default: none (the Didit layer
  // registers its kinds, see didit::AddDiditReconcilers).
  std::map<std::string, std::function<std::string(const Operation&)>> resource_id_of;
  // By OpRequest::kind, for creates whose server ignores keys but keeps a
  // natural key unique and refuses a repeat (Didit: a webhook destination's
  // url, a transaction's transaction_id, each a 400 "... already exists";
  // a session import's 403 "already been shared with your application"):
  // true when a definitive refusal (the op's `response_status` and
  // `response_body`) says the resource already exists. It is asked before
  // the 401/403 rule (credentials refused: unknown, re-drivable), so a 403
  // it recognises is never taken for a configuration error. After an attempt of
  // the op that may have executed (timeout, lost connection, 5xx, a take-over
  // of a sent op), such a refusal may be that attempt's own doing, so it is
  // not settled `failed`: the kind's Reconciler is asked, without a send.
  // kFound: succeeded with what it found (audit "found by look-up", see
  // FoundByLookUp); kNotFound: the resource is not this op's, the refusal
  // stands (failed); kUnresolvable (another request owns the key): unknown,
  // needs_review; kFailed: looked up again later. No Reconciler: unknown,
  // needs_review. On a first attempt (or after attempts proven unexecuted)
  // the refusal is a plain `failed`: the key was taken before this op.
  // Default: none (the Didit layer registers its kinds from the endpoint
  // profiles, see didit::AddDiditReconcilers and EndpointProfile::exists).
  std::map<std::string, std::function<bool(const Operation&)>> exists_refusal;
  // Wall clock for timestamps, the key window and pushback dates; its
  // steady time for retry deadlines. Default: the system clock.
  std::shared_ptr<Clock> clock;
  // Jitter. Default: a generator seeded from the CSPRNG.
  std::shared_ptr<RandomSource> random;
  // Ops driven at once: an op holds one of these slots from its first attempt
  // until its answer settles it (waits between retries included); the slot is
  // freed as soon as the answer is in, while the outcome is committed. Up to
  // max(2 x this, 16) further ops are journaled ahead (Begin, committed in
  // batches) so a free slot never waits for a commit; beyond that,
  // submissions wait in a queue (only their request is held, nothing
  // journaled). Crash: journaled-ahead ops are in_flight with a lease that
  // lapses; Resume() re-drives them with their key like any unfinished op.
  // Default 64.
  std::size_t max_concurrent_ops = 64;
  // Worker threads that run journal writes (blocking, fsync) and state
  // transitions. More threads let more ops share a group commit. Default 8.
  int worker_threads = 8;
  // The rate budget per server scope (idem/rate_limits.h): before each send
  // (first attempt, retry or replay) an op waits for a grant in its kind's
  // scope (KindPolicy::rate_limit_scope) and in the generic scope of its
  // method (generic-get, generic-write; not for an ingest-write kind, which
  // Didit counts in ingest-write only), granted in the order ops reach
  // their send; a waiting op holds no transport request and no thread (it
  // keeps its driving slot and lease, renewed as in any wait). Grants are
  // rows in the journal (Journal::TakeRate), so every process and host on
  // the journal shares one budget, counted as Didit counts: a sliding window
  // per scope. The server's word lowers it: a 429's Retry-After stops the
  // op's scopes until then, and an X-RateLimit-Remaining lower than the
  // plan's caps them until X-RateLimit-Reset (Journal::SetRateCap, shared).
  // Look-ups of a Reconciler are not budgeted. Default (nullopt): Didit's
  // published limits (DiditRateLimits()) when base_url is Didit's own
  // (https://verification.didit.me), none against any other base URL (the
  // sandbox, a proxy). An empty map: off. Crash semantics: nothing is held;
  // a grant is a timestamped row, so a process killed after taking grants
  // (sent or not) costs the fleet at most those grants for one window. A
  // journal that cannot keep a budget (TakeRate kFailedPrecondition) sends
  // unbudgeted; one that fails (busy, I/O) is asked again 50 ms later.
  std::optional<RateLimits> rate_limits;
  // Where the rate budget is kept. true (default): in the journal, shared by
  // every process and host on it (above). false: in this process's memory,
  // by the same rule; the budget is then this Client's alone, as in every
  // other client library, and N processes on one API key may send N times
  // the limit (the server's 429s and Retry-After then pace them). For a
  // single process whose journal is far away, and for comparison (the fleet
  // benchmark, docs/client.md). Crash semantics: nothing to lose either way.
  bool share_rate_budget = true;
};

// The op as stored once driving stopped: its `state` says how it ended
// (succeeded, failed, unknown; in_flight if the Client shut down meanwhile).
// An error means the op could not be driven: kInvalidArgument (bad request),
// kAlreadyExists (op_id reused with another request; nothing sent),
// kFailedPrecondition (another owner holds its lease, or this Client lost it),
// or a journal error (kIo, kUnavailable, ...). After a journal error the op
// may still be in the journal as in_flight: `Resume()` settles it.
using OpResult = Result<Operation>;

struct ResumeSummary {
  std::size_t claimed = 0;
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  std::size_t unknown = 0;
  std::size_t in_flight = 0;  // still unfinished (shutdown)
  std::size_t errors = 0;     // journal errors / lost leases
  // Unfinished ops left alone because another owner's lease on them had not
  // lapsed (a live process drives them; after a crash, they are taken once
  // the lease lapses). Ops that need review are not counted anywhere here.
  std::size_t held_elsewhere = 0;
};

class Client {
 public:
  // Errors: kInvalidArgument when the journal or transport is missing or the
  // base URL is empty.
  [[nodiscard]] static Result<std::unique_ptr<Client>> Create(ClientOptions options);

  // Stops: ops waiting for a retry stop at once (kept in_flight, lease
  // released); requests on the wire are waited for. Every pending callback
  // runs before the destructor returns.
  virtual ~Client() = default;

  // Stops driving, from any thread, for instance a signal handler's: work
  // not yet admitted is refused (kUnavailable, nothing journaled), ops
  // waiting for a slot or a retry are parked at once (kept in_flight, lease
  // released, so `idem resume` or another process continues them), and
  // requests on the wire finish (their outcome is recorded) before their
  // ops park. A blocked Call or Resume then returns. Nothing new is sent
  // afterwards. Idempotent; the destructor calls it.
  virtual void Shutdown() = 0;

  using Callback = std::function<void(OpResult)>;
  // Queues the op and returns at once; `done` runs once, on a worker thread,
  // after the op's outcome is durable in the journal. Journal writes of
  // concurrent ops are batched: one Begin commit for a batch before any of
  // its ops is sent, one commit for a batch of outcomes.
  virtual void Submit(OpRequest request, Callback done) = 0;
  std::future<OpResult> Submit(OpRequest request);
  // Submit and wait. Must not be called from a Client callback.
  OpResult Call(OpRequest request);

  // Claims every unfinished op (in_flight or unknown, lease free or lapsed,
  // not one that needs review) and drives it with its original key and
  // stored bytes, at most max_concurrent_ops at once. Blocks until each has
  // been driven once: an op it gives up on again is not claimed again in the
  // same call, so it moves on to the ones behind it.
  [[nodiscard]] virtual Result<ResumeSummary> Resume() = 0;

  // Drives an op the caller has already claimed in the journal (as
  // Journal::ClaimUnfinished returned it, typically claimed with owner() and
  // lease()), without a second Begin: with its stored key and bytes, under
  // the claim's lease. Every write is fenced by the op's lease_owner and
  // lease_generation, so if the lease lapsed and another owner took the op,
  // this Client writes nothing more and `done` gets kFailedPrecondition (the
  // newer owner's outcome stands). The lease is renewed as for any op, the
  // first time by when a third of ClientOptions::lease has run or earlier if
  // the claim's own expiry (lease_until_ms) comes sooner. An op a request of
  // which may have left (first_sent_ms != 0) is resolved before anything is
  // sent (replay, look-up, or a stop for review, per its KindPolicy); one
  // never sent (first_sent_ms 0) has its first send recorded durably before
  // the request leaves. `done` runs as for Submit; a final op comes back as is; an op
  // with no lease owner -> kInvalidArgument. Queued behind max_concurrent_ops
  // like Submit. Crash semantics: nothing is held only here; the op stays in
  // the journal under the claim's lease and, once that lapses, any driver
  // takes it over with the same key. If the Client is shutting down the
  // lease is released and `done` gets kUnavailable.
  virtual void Drive(Operation claimed, Callback done) = 0;

  // The lease owner and lease length this Client writes (ClientOptions::owner
  // and ::lease after defaults), for claiming ops to Drive.
  virtual const std::string& owner() const = 0;
  virtual std::chrono::milliseconds lease() const = 0;
  // The clock this Client stamps ops and leases with (ClientOptions::clock
  // after defaults), for code beside it that compares its own times with
  // those stamps: RunWorker's unknown-retry delay and lease checks.
  virtual Clock& clock() const = 0;

  // Pass-throughs to the journal.
  [[nodiscard]] virtual Result<std::optional<Operation>> Get(std::string_view op_id) = 0;
  [[nodiscard]] virtual Result<std::vector<Operation>> List(const OpFilter& filter) = 0;
};

// The audit line the driver writes when a Reconciler's kFound settled an op.
inline constexpr std::string_view kFoundByLookUp = "found by look-up";

// True when `op` succeeded by a look-up (its answer was lost, or a retry was
// refused as already existing, and the kind's Reconciler found the result),
// not by its own response; its response_status/body are the look-up's.
bool FoundByLookUp(const Operation& op);

// "HOST:PID:RANDOM:PIDNS:START", the default lease owner: the host name, the
// process id, 32 random bits (several Clients in one process), the inode of
// the process's pid namespace and its start time (field 22 of
// /proc/PID/stat). The last two let OwnerIsProvablyDead tell a crashed or
// interrupted process from a live one; without /proc they are left out.
std::string DefaultOwnerId();

// True only when `owner` is a default owner id of this host and pid
// namespace whose process no longer exists (or whose pid now belongs to a
// process started at another time, or is a zombie). Any other owner (another
// host, a container, a name the caller chose, an older id) -> false: its
// lease is waited out as before.
bool OwnerIsProvablyDead(std::string_view owner);

// Releases the live leases of unfinished ops whose owner is provably dead
// (OwnerIsProvablyDead), each fenced by the dead owner's generation, so they
// can be claimed at once instead of after the lease lapses; `now` decides
// which leases are still live. Returns how many. Client::Resume uses it, and
// RunWorker when a claim comes back empty (at most once per a third of the
// lease: it lists every unfinished op); Call/Submit of one op held by a dead
// owner release that lease alone.
[[nodiscard]] Result<std::size_t> ReleaseLeasesOfDeadOwners(
    Journal& journal, std::chrono::system_clock::time_point now);

}  // namespace idem
