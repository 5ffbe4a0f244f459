// `idem sandbox`: a local Didit-compatible verification API with server-side
// idempotency (IETF draft / Stripe rules) and fault injection at the
// connection. Tests, the demo and the CLI start it in-process:
//
//   idem::SandboxOptions options;
//   options.port = 0;                        // a free port
//   auto sandbox = idem::Sandbox::Start(options);
//   if (!sandbox) { /* sandbox.error() */ }
//   std::string url = (*sandbox)->base_url();  // "http://127.0.0.1:PORT"
//   ...
//   (*sandbox)->Stop();                       // also done by the destructor
//
// `/_sandbox/*` (health, stats, executions, advance) needs no API key: it is
// a local tool. See docs/sandbox.md for endpoints, rules and the fault spec.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "idem/clock.h"
#include "idem/retry.h"
#include "idem/status.h"

namespace idem {

class Transport;  // idem/transport.h

// How faithfully the sandbox copies Didit (docs/sandbox.md, "Profiles").
//   kDidit (default): what Didit documents. Idempotency-Key honoured on
//     POST /v3/aml/ only (ignored elsewhere); a key reused with another body
//     -> 409 {"detail"}; in progress -> 409 + Retry-After: 1; no replay
//     marker header; update-status only from Approved, Declined, In Review,
//     Kyc Expired, Abandoned, Resubmitted and never to the status the session
//     already has (400); DRF-style error bodies.
//   kIdeal: the idealised API the sandbox used to be. Keys on every POST,
//     PATCH and DELETE (IETF draft / Stripe: 422 and 409 problem+json,
//     `Idempotent-Replayed: true`); update-status from any status, and to the
//     current status answers 200 and changes nothing.
// Both profiles save standalone checks as sessions and answer the same
// decision and list shapes (that is Didit's documented behaviour).
enum class SandboxProfile { kDidit, kIdeal };

// "didit" / "ideal".
std::string_view SandboxProfileName(SandboxProfile profile);
// The inverse of SandboxProfileName; kInvalidArgument for anything else.
[[nodiscard]] Result<SandboxProfile> ParseSandboxProfile(std::string_view text);

// The account balance the sandbox emulates (docs/sandbox.md, "Credits").
//   kPlenty (default): every call runs.
//   kNone: no credits left: a billed standalone check (AML, liveness, face
//     match, ID, PoA, face search, age estimation, database validation,
//     phone and e-mail send) answers 403 {"error": "You don't have enough
//     credits ..."}, a session create 400 {"detail": "You don't have enough
//     credits..."}. Nothing executes.
//   kNoTopUp: as kNone, and phone send answers Didit's anti-abuse 403
//     {"detail": "To protect against abuse, phone verification is disabled
//     until your first top-up."} instead.
enum class SandboxCredits { kPlenty, kNone, kNoTopUp };

// "plenty" / "none" / "no-top-up".
std::string_view SandboxCreditsName(SandboxCredits credits);
// The inverse of SandboxCreditsName; kInvalidArgument for anything else.
[[nodiscard]] Result<SandboxCredits> ParseSandboxCredits(std::string_view text);

// A session status change, as the sandbox's single event point reports it
// (create, advance, update-status, delete, a saved standalone check).
// Webhook delivery plugs in here. A saved check is one kStatusChanged with
// an empty previous_status and an empty workflow_id (its session has none).
struct SandboxSessionEvent {
  // kDataUpdated: the session's data changed without a status change (a
  // reviewer's edit, emulated by POST /_sandbox/sessions/{id}/data-updated);
  // status is the session's current one, previous_status equals it.
  enum class Kind { kCreated, kStatusChanged, kDeleted, kDataUpdated };
  Kind kind = Kind::kCreated;
  std::string session_id;
  std::string status;              // the status after the change ("Not Started", "Approved", ...)
  std::string previous_status;     // empty for kCreated and for a saved check
  std::string workflow_id;         // empty for a saved check
  std::string vendor_data;         // empty when the session has none
  std::string metadata_json;       // the session's metadata as JSON text ("null" when none)
  std::int64_t created_at_ms = 0;  // Unix ms of the session's creation
  std::int64_t at_ms = 0;          // Unix ms of this change
};

// Called synchronously, after the change is committed, on a server thread and
// outside the sandbox's locks. Must be thread-safe and must not block for long.
class SandboxEventSink {
 public:
  virtual ~SandboxEventSink() = default;
  virtual void OnSessionEvent(const SandboxSessionEvent& event) = 0;
};

// Didit's rate-limit scopes, emulated per identifier (the `x-api-key`
// header, else the first X-Forwarded-For hop, else the peer's IP), each with
// its own sliding 60 s window (didit-api-v3-details.md section 2). A limit is
// requests per minute; 0 = that scope is off. All 0 (default) = off, so tests
// and demos stay fast. A request counts in every scope that applies to it
// (generic-get or generic-write, plus session-v2-create or session-decision),
// and is admitted only when all of them have room: one refused by any scope
// is answered 429 by the scope whose slot frees last, is not executed and
// consumes no slot of any scope. See docs/sandbox.md, "Rate-limit scopes".
struct SandboxRateScopes {
  int generic_get = 0;       // every GET under /v3/ (Didit: 600/min)
  int generic_write = 0;     // every POST, PATCH, DELETE under /v3/ (Didit: 300/min)
  int session_create = 0;    // POST /v3/session/, besides generic-write (Didit: 600/min)
  int session_decision = 0;  // GET /v3/session/{id}/decision/, besides generic-get (100/min)
  int session_pdf = 0;       // GET /v3/session/{id}/generate-pdf/, besides generic-get (50/min)
  // POST /v3/transactions/ *instead of* generic-write (Didit: 600/min; RL
  // lists /v3/events/ too, which the sandbox has no route for).
  int ingest_write = 0;
  // PATCH /v3/session/{id}/update-data/, besides generic-write (Didit: 10/min;
  // rejected requests count too, OAS).
  int session_update_kyc = 0;
  // Every scope's sliding window: 60 s as Didit's ("N/min"), or 1 s ("N/s",
  // tests that must not wait a minute). Default 60 s.
  std::int64_t window_ms = 60'000;

  // Didit's numbers: 600, 300, 600, 100, 50, 600, 10.
  static SandboxRateScopes Didit();
  // Any scope on.
  bool enabled() const;
  bool operator==(const SandboxRateScopes&) const = default;
};

// Parses `--rate-scopes`: "" or "off" = all off; "didit" = Didit's numbers;
// a comma-separated list of SCOPE=N/min (or, all of them, SCOPE=N/s)
// entries (idem/rate_limits.h's syntax), optionally after "didit"
// (which the entries then override), e.g. "writes=30/min,reads=60/min" (the
// scopes not named stay off) or "didit,decision=10/min". SCOPE is reads or
// generic-get, writes or generic-write, create or session-v2-create (also
// session-create), decision or session-decision, pdf or session-generate-pdf
// (also generate-pdf); N in [0, 1000000], 0 = off.
// kInvalidArgument names the entry that is wrong (unknown or repeated scope,
// missing "=", N not a number, a unit other than "/min", Didit scopes the
// sandbox has no route for such as session-add-images).
[[nodiscard]] Result<SandboxRateScopes> ParseSandboxRateScopes(std::string_view spec);

struct SandboxOptions {
  // Address to bind. Default 127.0.0.1 (never a public interface by default).
  std::string host = "127.0.0.1";
  // Port to bind. Default 8790; 0 picks a free port (read it with port()).
  std::uint16_t port = 8790;
  // The sandbox's own application's `x-api-key`. Missing -> 403, neither
  // this nor peer_api_key -> 401. Never logged.
  std::string api_key = "sandbox-key";
  // Two applications (docs/sandbox.md, "Two applications"): the sandbox's own
  // (api_key) and a documented peer (peer_api_key), so a session can be
  // shared from one and imported into the other. A request authenticated
  // with the peer's key acts as the peer: the sessions it creates are the
  // peer's, and the session list and decision show a caller its own
  // application's sessions only (other resources are not scoped). Each
  // application has one workflow id that belongs to it (an import's
  // workflow_id must; workflows created with POST /v3/workflows/ count as the
  // sandbox's own). Defaults: the ids of the OAS's share example.
  std::string application_id = "dbd20e34-42e9-4f2c-ba91-cf0762016f64";
  std::string workflow_id = "11111111-2222-4333-8444-555555555555";
  std::string peer_application_id = "a5f3bca2-46e2-411e-90ef-a580900a57ee";
  // Empty: no peer application (only api_key is accepted). Never logged.
  std::string peer_api_key = "sandbox-peer-key";
  std::string peer_workflow_id = "9f9b1234-aaaa-4bbb-8ccc-1234567890ab";
  // SQLite file for sessions, stored idempotency responses and executions.
  // Empty (default) = in memory only: everything is lost when the sandbox stops.
  // With a path: WAL mode, synchronous=NORMAL (a commit survives a crash of
  // the sandbox process, but not necessarily a power loss; fine for a test
  // server). Keys still executing (409 window) are kept in memory only: a
  // sandbox killed mid-execution forgets them, as if the request never arrived,
  // although an execution already committed stays recorded.
  // A postgres:// or postgresql:// URL instead: the PostgreSQL store, which
  // several sandbox processes may share (one idempotency table, sessions and
  // executions). There every execution runs in a transaction under a
  // database-wide advisory lock, after merging what the others committed, and
  // "key still executing" is a row in the database: a duplicate sent to
  // another process replays or gets 409, never executes twice. A commit is
  // durable per the server's settings. See docs/sandbox.md.
  std::string db_path;
  // PostgreSQL store only: a key claimed longer ago than this whose response
  // was never stored (its sandbox process died mid-execution) is taken over
  // by the next request with that key. The claim is fenced: a slow process
  // that commits after losing its claim commits nothing and answers 409.
  // Default 30 s (longer than any injected slow_exec).
  std::chrono::milliseconds key_claim_timeout{30000};
  // Fault spec, e.g. "drop_before=0.1,drop_after=0.1,error_503=0.05,
  // error_500_after=0.05,rate_limit=0.05,slow=0.05:1500,slow_exec=0.05:1500,
  // retry_after=1". Empty (default) = no faults. Faults never apply to /_sandbox/*.
  std::string faults;
  // Seed of the generator that decides faults (same seed, same request order ->
  // same faults). Default 1.
  std::uint64_t seed = 1;
  // Stored idempotency keys are forgotten this long after they were first
  // used. Default 86400 s (24 h).
  std::chrono::seconds key_ttl{86400};
  // Which API the sandbox behaves like: Didit as documented (default) or the
  // idealised one (see SandboxProfile).
  SandboxProfile profile = SandboxProfile::kDidit;
  // Honour `Idempotency-Key` where the profile does (didit: POST /v3/aml/;
  // ideal: every POST/PATCH/DELETE). Default true. false ignores the header
  // entirely, in both profiles (emulates an API without keys).
  bool idempotency = true;
  // didit profile: send `Idempotent-Replayed: true` on a replayed answer.
  // Default false: whether Didit marks replays is unconfirmed, so a client
  // must not rely on it. The ideal profile always sends it.
  bool replay_header = false;
  // The balance emulated (see SandboxCredits). Default kPlenty.
  SandboxCredits credits = SandboxCredits::kPlenty;
  // Didit's documented dedup: a create with the vendor_data and workflow_id of
  // an unfinished session returns that session. Default true.
  bool vendor_dedup = true;
  // A real per-API-key limit: at most this many API requests in any sliding
  // 60 s window, then 429. Default 0 = off.
  int rate_limit = 0;
  // Didit's rate-limit scopes (SandboxRateScopes). Default: all off. Checked
  // before authentication and before rate_limit, faults and execution; a
  // request they admit still meets those. Windows live in each process's
  // memory (with a PostgreSQL store, every sandbox process limits alone).
  SandboxRateScopes rate_scopes;
  // I/O threads. Default 2. Handlers never block these threads: injected
  // delays run on timers.
  int threads = 2;
  // Request limits. Bodies over max_body_bytes get 413; headers over
  // max_header_bytes get 431. A request must arrive completely within
  // read_timeout of its first byte (and an idle keep-alive connection is
  // closed after it), so a slow or half-sent request cannot hold a
  // connection. Over max_connections, new connections are closed at once.
  // 16 MiB: Didit's largest documented upload (a 15 MB Proof of Address
  // document) fits with its form fields, so real-sized files reach Didit's
  // own limits (400s) instead of a 413 Didit would not give. What Didit does
  // with bigger bodies is not documented. A body is buffered whole: memory
  // for one request is bounded by this, kept on loopback.
  std::size_t max_body_bytes = 16u << 20;         // 16 MiB
  std::size_t max_header_bytes = 16 * 1024;       // 16 KiB
  std::chrono::milliseconds read_timeout{10000};  // 10 s
  std::size_t max_connections = 10000;
  // Wall clock for timestamps, key TTL and the rate limiter. Default: the
  // system clock. Tests pass a FakeClock to expire keys without sleeping.
  std::shared_ptr<Clock> clock;
  // Told about every session status change. Default: none. Combined with the
  // webhook sender below when both are set (this sink is called first).
  std::shared_ptr<SandboxEventSink> event_sink;
  // Webhooks: when webhook_url is set, every session change is POSTed there as
  // Didit's `status.updated` event, signed with webhook_secret. Default: off.
  // Delivery is at least once (WebhookSender: retries on timeouts, 5xx, 404),
  // from memory: events still queued when the sandbox stops are lost.
  std::string webhook_url;
  std::string webhook_secret;  // required with webhook_url; never logged
  // "duplicate=0.2,reorder=0.1,delay=0.1:2000" (WebhookFaults). Default none.
  std::string webhook_faults;
  // Attempts per webhook before the sender drops it. Default 3, Didit's
  // (kDiditWebhookAttempts in webhook_sender.h: the first and two retries);
  // 0 = retry forever.
  int webhook_max_attempts = 3;
  // The waits between a webhook's attempts, a prototype cloned per event.
  // Default (null): Didit's, DiditWebhookBackoff() (1 min, then 4 min), so a
  // receiver meets the schedule Didit keeps. A test that lets its receiver
  // fail passes a short one (FixedScheduleBackoff({50ms}), FullJitterBackoff)
  // so nothing waits minutes. Crash semantics: the queue and its timers are
  // in memory; a stopped sandbox loses the events not yet delivered.
  std::shared_ptr<const BackoffPolicy> webhook_backoff;
  // Auto-complete: each created session moves to "In Progress" and then to a
  // final status (mostly Approved, some Declined / In Review, decided by `seed`)
  // about this long after creation. Default 0 = off (sessions stay Not Started).
  // Timers live in memory: a sandbox stopped before they fire never completes
  // those sessions (reload from db_path does not re-arm them).
  std::chrono::milliseconds auto_complete{0};
  // The transport the webhooks are sent with. Default (null): a libcurl
  // transport of the sender's own (5 s per attempt). A shared one brings its
  // own timeouts; tests pass one that also records what was acknowledged.
  std::shared_ptr<Transport> webhook_transport;
};

// Idealised webhook retries, behind a switch (`idem sandbox --webhook-retries
// fast`, and the demo, which runs in seconds): a delivery the receiver could
// not take is retried after 50 ms to 2 s (full jitter) for up to 30 attempts,
// where Didit's schedule (the default) waits 1 min, then 4 min, and gives up
// after three attempts.
void UseFastWebhookRetries(SandboxOptions& options);

class Sandbox {
 public:
  // Opens the store, binds and listens; returns once the socket accepts.
  // Errors: kInvalidArgument (bad fault spec or options), kUnavailable (the
  // address is in use), kIo (the database cannot be opened).
  [[nodiscard]] static Result<std::unique_ptr<Sandbox>> Start(SandboxOptions options);

  virtual ~Sandbox() = default;

  // The bound port (the real one when options.port was 0).
  virtual std::uint16_t port() const = 0;
  // "http://HOST:PORT".
  virtual std::string base_url() const = 0;
  // Stops accepting, closes every connection, joins the threads. Idempotent.
  virtual void Stop() = 0;
  // The JSON of `GET /_sandbox/stats`.
  virtual std::string StatsJson() = 0;
  // The JSON of `GET /_sandbox/executions`.
  virtual std::string ExecutionsJson() = 0;
  // Blocks until no webhook is queued or in flight and no auto-complete is
  // pending, or `timeout` passes. true = idle. Without webhooks and
  // auto-complete it returns true at once.
  virtual bool WaitWebhooksIdle(std::chrono::milliseconds timeout) = 0;
};

// Moves a session of a running sandbox (at `base_url`, e.g. from
// Sandbox::base_url() or another process's `idem sandbox`) to `status`, as
// `POST /_sandbox/sessions/{id}/advance` does: the sandbox commits it and
// sends its status.updated webhook when it has a webhook URL (`idem trigger`,
// like `stripe trigger`). Returns the session's JSON as the sandbox answers.
// Errors: kNotFound (no such session), kInvalidArgument (not a Didit
// status, or a bad base URL), kUnavailable (no sandbox answered there).
[[nodiscard]] Result<std::string> TriggerSessionStatus(const std::string& base_url,
                                                       const std::string& session_id,
                                                       const std::string& status);

// Fires `data.updated` for a session of a running sandbox, as `POST
// /_sandbox/sessions/{id}/data-updated` does (a reviewer edited its data; the
// sandbox sends the signed event, with the decision, when it has a webhook
// URL; the session itself does not change). `idem trigger SESSION
// data.updated`. Returns the sandbox's answer; errors as TriggerSessionStatus.
[[nodiscard]] Result<std::string> TriggerSessionDataUpdated(const std::string& base_url,
                                                            const std::string& session_id);

}  // namespace idem
