// The sandbox's data: sessions, stored idempotency responses and billable
// executions, plus the Persistence interface the SQLite store implements.
// The live copy is always in memory (reads never touch the disk); a
// Persistence, when configured, receives every change as one Mutation
// before it is applied, and loads everything back at start.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "idem/status.h"

namespace idem::sandbox {

// Didit's session creation channels (the list's `session_type` filter).
inline constexpr char kHostedSession[] = "HOSTED";  // POST /v3/session/
inline constexpr char kApiSession[] = "API";        // a saved standalone check

struct SessionRecord {
  std::string session_id;
  std::int64_t session_number = 0;
  std::string session_token;  // empty for a check session (no hosted URL)
  std::string workflow_id;    // empty for a check session
  std::optional<std::string> vendor_data;
  std::string metadata_json = "null";  // JSON text
  std::string callback;                // empty = none
  std::string status = "Not Started";
  std::string details_json = "{}";  // language, contact_details, expected_details, ...
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  bool deleted = false;
  // Stored inside details_json by both stores (session_codec.h); rows written
  // before these existed load as hosted sessions without reviews.
  std::string session_type = kHostedSession;
  std::string api_service;          // "AML", "PASSIVE_LIVENESS", ...; empty when hosted
  std::string check_json;           // the check's result object (JSON text); empty when hosted
  std::string reviews_json = "[]";  // update-status reviews, oldest first
  // The application that owns it (SandboxOptions' two applications); empty =
  // the sandbox's own, which is what every row written before this existed
  // loads as. Stored inside details_json too.
  std::string application_id;

  bool is_check() const { return !api_service.empty(); }
};

struct StoredResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

struct KeyRecord {
  std::string scope;        // api-key digest + ":" + key
  std::string fingerprint;  // of the first request
  StoredResponse response;
  std::int64_t created_ms = 0;
};

struct Execution {
  std::int64_t seq = 0;
  std::string kind;      // create_session, update_status, delete_session, aml, passive_liveness,
                         // face_match, id_verification
  std::string endpoint;  // "POST /v3/session/"
  std::optional<std::string> idempotency_key;
  std::string fingerprint;
  std::optional<std::string> vendor_data;
  std::string resource_id;  // session_id or check request_id
  std::int64_t at_ms = 0;
};

// A record of the management API or of transaction monitoring: a webhook
// destination ("destination"), the legacy webhook ("webhook") or a
// transaction ("transaction"), its JSON as the API shows it plus what the
// sandbox keeps beside it (a destination's secret). Held in memory only:
// neither store persists these (docs/sandbox.md), so they are gone after a
// restart, and sandboxes sharing a PostgreSQL store each have their own.
struct EntityRecord {
  std::string kind;
  std::string id;
  std::string json;      // a JSON object
  std::int64_t seq = 0;  // creation order (a destination list is oldest first)
  bool deleted = false;
};

// One atomic change.
struct Mutation {
  std::vector<SessionRecord> sessions;  // upserts (a delete is an upsert with deleted = true)
  std::optional<KeyRecord> key;         // upsert
  std::vector<std::string> expired_keys;
  std::optional<Execution> execution;  // append
  std::vector<EntityRecord> entities;  // upserts, memory only (see EntityRecord)
  bool empty() const {
    return sessions.empty() && !key && expired_keys.empty() && !execution && entities.empty();
  }
};

struct LoadedState {
  std::vector<SessionRecord> sessions;
  std::vector<KeyRecord> keys;
  std::vector<Execution> executions;
};

class Persistence {
 public:
  virtual ~Persistence() = default;
  [[nodiscard]] virtual Result<LoadedState> Load() = 0;
  // All of `mutations`, in order, in one transaction: durable (per the
  // store's settings) when it returns OK; nothing applied otherwise.
  [[nodiscard]] virtual Status CommitBatch(const std::vector<const Mutation*>& mutations) = 0;
};

// A store several sandbox processes share (PostgreSQL). Besides persisting,
// it is the source of truth: a process runs every state-changing execution
// inside an exclusive section (a transaction holding a database-wide lock),
// first merging what other processes committed, and the idempotency-key
// "still executing" state lives in the database, not in memory.
class SharedStore : public Persistence {
 public:
  enum class KeyState {
    kClaimed,     // this request owns the key now (`token` fences its commit)
    kReplay,      // stored response of the same request: replay it
    kMismatch,    // stored for a different request: 422
    kInProgress,  // another request (any process) is executing it: 409
  };
  struct KeyClaim {
    KeyState state = KeyState::kClaimed;
    std::int64_t token = 0;
    StoredResponse response;
  };
  // A claimed key: committed with the execution only while still ours.
  struct KeyFence {
    std::string scope;
    std::int64_t token = 0;
  };
  struct KeyCounts {
    std::int64_t stored = 0;
    std::int64_t executing = 0;
  };

  // Claims `scope` or reports its state. A stored key older than `ttl_ms` is
  // forgotten (and claimed afresh); a claim older than the store's claim
  // timeout (its process died mid-execution) is taken over.
  [[nodiscard]] virtual Result<KeyClaim> ClaimKey(const std::string& scope,
                                                  const std::string& fingerprint,
                                                  std::int64_t now_ms, std::int64_t ttl_ms) = 0;
  // Starts the exclusive section; returns what changed since the last
  // BeginExclusive/Changes call of this process.
  [[nodiscard]] virtual Result<LoadedState> BeginExclusive() = 0;
  // Writes `m` and ends the section. With `fence`: stores m.key over the
  // claim, or deletes the claim when m.key is empty (a 400 is not stored);
  // kFailedPrecondition, nothing written, when the claim is no longer ours.
  [[nodiscard]] virtual Status CommitExclusive(const Mutation& m,
                                               const std::optional<KeyFence>& fence) = 0;
  virtual void AbortExclusive() = 0;
  // What changed since the last call (no lock: for reads and stats).
  [[nodiscard]] virtual Result<LoadedState> Changes() = 0;
  [[nodiscard]] virtual Result<KeyCounts> CountKeys() = 0;
};

}  // namespace idem::sandbox
