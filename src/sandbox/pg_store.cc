#include "sandbox/pg_store.h"

#include <mutex>
#include <random>

#include "journal/pg_connection.h"
#include "journal/pg_schema.h"
#include "sandbox/session_codec.h"

namespace idem::sandbox {
namespace {

namespace pg = idem::journal::pg;
using pg::Param;

// The exclusive section of every sandbox process on this database ("sbox").
constexpr const char* kExclusiveLockSql = "SELECT pg_advisory_xact_lock(1935831928)";
// "relation already exists, skipping" and such stay out of the sandbox's
// stderr. synchronous_commit=off: a commit returns before its WAL is flushed,
// so a crash of the PostgreSQL server (not of a sandbox) may lose the last
// few hundred ms of commits, whole transactions only, never half of one: the
// same trade as the SQLite store's synchronous=NORMAL, right for a test
// server, and it spares two fsyncs per create (the claim and the commit).
constexpr const char* kSessionSql =
    "SET client_min_messages TO warning; SET synchronous_commit TO off";

// Every string is bytea: bytes round-trip whatever the database encoding.
constexpr const char* kSchemaSql = R"sql(
  CREATE SEQUENCE sandbox_rev;
  CREATE TABLE sandbox_sessions (
    session_id     bytea  PRIMARY KEY,
    rev            bigint NOT NULL,  -- sandbox_rev at the last change: what others merge
    session_number bigint NOT NULL,
    session_token  bytea  NOT NULL,
    workflow_id    bytea  NOT NULL,
    vendor_data    bytea,
    metadata_json  bytea  NOT NULL,
    callback       bytea  NOT NULL,
    status         bytea  NOT NULL,
    details_json   bytea  NOT NULL,
    created_ms     bigint NOT NULL,
    updated_ms     bigint NOT NULL,
    deleted        bigint NOT NULL
  );
  CREATE INDEX sandbox_sessions_rev ON sandbox_sessions (rev);
  CREATE TABLE sandbox_executions (
    seq             bigint PRIMARY KEY,
    kind            bytea  NOT NULL,
    endpoint        bytea  NOT NULL,
    idempotency_key bytea,
    fingerprint     bytea  NOT NULL,
    vendor_data     bytea,
    resource_id     bytea  NOT NULL,
    at_ms           bigint NOT NULL
  );
  -- state 0: claimed, executing (token = the claim); 1: response stored.
  CREATE TABLE sandbox_keys (
    scope        bytea  PRIMARY KEY,
    fingerprint  bytea  NOT NULL,
    state        bigint NOT NULL,
    token        bigint NOT NULL,
    status       bigint NOT NULL,
    content_type bytea  NOT NULL,
    body         bytea  NOT NULL,
    created_ms   bigint NOT NULL,
    claimed_ms   bigint NOT NULL
  );
)sql";

// Step 2: the backend that holds a claim (pg_backend_pid() of the claiming
// sandbox's connection, 0 = unknown). A sandbox process that dies while
// executing closes its connection and its backend exits, so a claim whose
// backend is gone is taken over at once instead of after the claim timeout.
// Safe: a holder that is in fact alive (its connection dropped, it
// reconnected) commits nothing after losing the claim (the token fence).
constexpr const char* kClaimPidSql =
    "ALTER TABLE sandbox_keys ADD COLUMN claim_pid bigint NOT NULL DEFAULT 0";

const std::vector<std::string>& SandboxSchemaSteps() {
  static const std::vector<std::string> steps = {kSchemaSql, kClaimPidSql};
  return steps;
}

constexpr Oid B = pg::kByteaOid;
constexpr Oid I = pg::kInt8Oid;

#define SBX_SESSION_COLUMNS                                                              \
  "session_id, session_number, session_token, workflow_id, vendor_data, metadata_json, " \
  "callback, status, details_json, created_ms, updated_ms, deleted"

const std::vector<pg::StatementSpec>& Statements() {
  static const std::vector<pg::StatementSpec> statements = {
      {"s_session_upsert",
       "INSERT INTO sandbox_sessions (" SBX_SESSION_COLUMNS
       ", rev) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, nextval('sandbox_rev')) "
       "ON CONFLICT (session_id) DO UPDATE SET session_number = excluded.session_number, "
       "session_token = excluded.session_token, workflow_id = excluded.workflow_id, "
       "vendor_data = excluded.vendor_data, metadata_json = excluded.metadata_json, "
       "callback = excluded.callback, status = excluded.status, "
       "details_json = excluded.details_json, created_ms = excluded.created_ms, "
       "updated_ms = excluded.updated_ms, deleted = excluded.deleted, rev = excluded.rev",
       {B, I, B, B, B, B, B, B, B, I, I, I}},
      {"s_sessions_since",
       "SELECT " SBX_SESSION_COLUMNS ", rev FROM sandbox_sessions WHERE rev > $1 ORDER BY rev",
       {I}},
      {"s_execution_insert",
       "INSERT INTO sandbox_executions (seq, kind, endpoint, idempotency_key, fingerprint, "
       "vendor_data, resource_id, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
       {I, B, B, B, B, B, B, I}},
      {"s_executions_since",
       "SELECT seq, kind, endpoint, idempotency_key, fingerprint, vendor_data, resource_id, "
       "at_ms FROM sandbox_executions WHERE seq > $1 ORDER BY seq",
       {I}},
      {"s_key_insert",
       "INSERT INTO sandbox_keys (scope, fingerprint, state, token, status, content_type, body, "
       "created_ms, claimed_ms, claim_pid) VALUES ($1, $2, 0, $3, 0, ''::bytea, ''::bytea, $4, $4, "
       "pg_backend_pid()) "
       "ON CONFLICT (scope) DO NOTHING RETURNING token",
       {B, B, I, I}},
      // holder_gone is looked up only for a claim (state 0), not for the
      // stored answers a replay reads (CASE tests its branches in order).
      {"s_key_select",
       "SELECT fingerprint, state, token, status, content_type, body, created_ms, claimed_ms, "
       "CASE WHEN state <> 0 OR claim_pid = 0 THEN 0::bigint "
       "WHEN NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = claim_pid) THEN 1::bigint "
       "ELSE 0::bigint END AS holder_gone FROM sandbox_keys WHERE scope = $1",
       {B}},
      // Takes over a key (expired response, or a stale claim) only if nobody
      // else changed it since we read it (same token).
      {"s_key_reclaim",
       "UPDATE sandbox_keys SET fingerprint = $2, state = 0, token = $3, status = 0, "
       "content_type = ''::bytea, body = ''::bytea, created_ms = $4, claimed_ms = $4, "
       "claim_pid = pg_backend_pid() WHERE scope = $1 AND token = $5 RETURNING token",
       {B, B, I, I, I}},
      {"s_key_store",
       "UPDATE sandbox_keys SET state = 1, status = $3, content_type = $4, body = $5, "
       "created_ms = $6 WHERE scope = $1 AND token = $2 AND state = 0 RETURNING token",
       {B, I, I, B, B, I}},
      {"s_key_release",
       "DELETE FROM sandbox_keys WHERE scope = $1 AND token = $2 AND state = 0 RETURNING token",
       {B, I}},
      {"s_key_counts",
       "SELECT count(*) FILTER (WHERE state = 1), count(*) FILTER (WHERE state = 0) "
       "FROM sandbox_keys",
       {}},
  };
  return statements;
}

Param Str(const std::string& s) { return Param::Bytes(s); }
Param OptStr(const std::optional<std::string>& s) { return s ? Param::Bytes(*s) : Param::Null(); }

Error Failed(const pg::Failure& f) {
  return Error(f.error.code(), "sandbox postgres store: " + f.error.message());
}

[[nodiscard]] Status MigrateSandboxSchema(pg::Connection& conn) {
  return pg::MigrateComponent(conn, "sandbox", SandboxSchemaSteps());
}

class PgStore final : public SharedStore {
 public:
  PgStore(std::string url, std::chrono::milliseconds claim_timeout)
      : url_(std::move(url)),
        claim_timeout_ms_(claim_timeout.count()),
        tokens_(std::random_device{}()) {}

  Status Connect() {
    if (conn_ && conn_->Healthy()) return {};
    conn_.reset();
    auto conn = pg::Connection::Open(url_, kSessionSql, &Statements());
    if (!conn) return tl::unexpected(Failed(conn.error()));
    conn_ = std::move(*conn);
    return {};
  }

  Status Init() {
    auto conn = pg::Connection::Open(url_, kSessionSql, nullptr);
    if (!conn) return tl::unexpected(Failed(conn.error()));
    if (auto st = MigrateSandboxSchema(**conn); !st) return st;
    return Connect();
  }

  // Persistence ---------------------------------------------------------

  Result<LoadedState> Load() override { return Changes(); }

  Status CommitBatch(const std::vector<const Mutation*>& mutations) override {
    if (auto st = Begin(); !st) return st;
    for (const Mutation* m : mutations) {
      if (auto st = Write(*m); !st) return Abort(st);
    }
    return Commit();
  }

  // SharedStore ---------------------------------------------------------

  Result<KeyClaim> ClaimKey(const std::string& scope, const std::string& fingerprint,
                            std::int64_t now_ms, std::int64_t ttl_ms) override {
    if (auto st = Connect(); !st) return tl::unexpected(st.error());
    // Each round either settles or saw the row change under it; a few rounds
    // are plenty (every change moves it towards a stored or claimed state).
    for (int round = 0; round < 8; ++round) {
      const std::int64_t token = NewToken();
      auto inserted = conn_->Exec(
          "s_key_insert", {Str(scope), Str(fingerprint), Param::Int(token), Param::Int(now_ms)});
      if (!inserted) return tl::unexpected(Failed(inserted.error()));
      if (inserted->size() == 1) return KeyClaim{KeyState::kClaimed, token, {}};
      auto row = conn_->Exec("s_key_select", {Str(scope)});
      if (!row) return tl::unexpected(Failed(row.error()));
      if (row->size() == 0) continue;  // released meanwhile: insert again
      const std::string stored_fingerprint = row->Bytes(0, 0);
      const bool stored = row->Int(0, 1) == 1;
      const std::int64_t old_token = row->Int(0, 2);
      const std::int64_t created_ms = row->Int(0, 6);
      const std::int64_t claimed_ms = row->Int(0, 7);
      const bool expired = stored && created_ms + ttl_ms <= now_ms;
      // A claim is stale when it is older than the claim timeout, or at once
      // when the backend that made it is gone (its sandbox process died).
      const bool holder_gone = row->Int(0, 8) == 1;
      const bool stale_claim = !stored && (holder_gone || claimed_ms + claim_timeout_ms_ <= now_ms);
      if (expired || stale_claim) {
        auto taken = conn_->Exec("s_key_reclaim", {Str(scope), Str(fingerprint), Param::Int(token),
                                                   Param::Int(now_ms), Param::Int(old_token)});
        if (!taken) return tl::unexpected(Failed(taken.error()));
        if (taken->size() == 1) return KeyClaim{KeyState::kClaimed, token, {}};
        continue;
      }
      if (!stored) return KeyClaim{KeyState::kInProgress, 0, {}};
      if (stored_fingerprint != fingerprint) return KeyClaim{KeyState::kMismatch, 0, {}};
      KeyClaim claim{KeyState::kReplay, 0, {}};
      claim.response.status = static_cast<int>(row->Int(0, 3));
      claim.response.content_type = row->Bytes(0, 4);
      claim.response.body = row->Bytes(0, 5);
      return claim;
    }
    return MakeError(ErrorCode::kUnavailable, "sandbox postgres store: key kept changing");
  }

  Result<LoadedState> BeginExclusive() override {
    if (auto st = Begin(); !st) return tl::unexpected(st.error());
    if (auto r = conn_->Simple(kExclusiveLockSql); !r) {
      return tl::unexpected(Abort(tl::unexpected(Failed(r.error()))).error());
    }
    auto changes = ReadChanges();
    if (!changes) {
      // The read's error is the one to report; a failed ROLLBACK breaks the
      // connection, which the next statement finds.
      (void)conn_->Simple("ROLLBACK");
      return changes;
    }
    return changes;
  }

  Status CommitExclusive(const Mutation& m, const std::optional<KeyFence>& fence) override {
    if (fence) {
      auto fenced =
          m.key
              ? conn_->Exec("s_key_store",
                            {Str(fence->scope), Param::Int(fence->token),
                             Param::Int(m.key->response.status), Str(m.key->response.content_type),
                             Str(m.key->response.body), Param::Int(m.key->created_ms)})
              : conn_->Exec("s_key_release", {Str(fence->scope), Param::Int(fence->token)});
      if (!fenced) return Abort(tl::unexpected(Failed(fenced.error())));
      if (fenced->size() == 0) {
        return Abort(MakeError(ErrorCode::kFailedPrecondition,
                               "the idempotency key was taken over by another request (its "
                               "claim timed out); nothing was committed"));
      }
    }
    Mutation rest = m;
    rest.key.reset();  // stored through the fence above
    if (auto st = Write(rest); !st) return Abort(st);
    return Commit();
  }

  void AbortExclusive() override {
    // Best effort on an abort path; a broken connection is found by the next statement.
    if (conn_) (void)conn_->Simple("ROLLBACK");
  }

  Result<LoadedState> Changes() override {
    if (auto st = Connect(); !st) return tl::unexpected(st.error());
    return ReadChanges();
  }

  Result<KeyCounts> CountKeys() override {
    if (auto st = Connect(); !st) return tl::unexpected(st.error());
    auto rows = conn_->Exec("s_key_counts", {});
    if (!rows) return tl::unexpected(Failed(rows.error()));
    return KeyCounts{rows->Int(0, 0), rows->Int(0, 1)};
  }

 private:
  Status Begin() {
    if (auto st = Connect(); !st) return st;
    if (auto r = conn_->Simple("BEGIN"); !r) return tl::unexpected(Failed(r.error()));
    return {};
  }

  Status Commit() {
    if (auto r = conn_->Simple("COMMIT"); !r) {
      // Unknown whether it committed when the link broke; the caller answers
      // 500 and the client's retry (same key) finds the truth.
      return tl::unexpected(Failed(r.error()));
    }
    return {};
  }

  Status Abort(Status st) {
    if (conn_) (void)conn_->Simple("ROLLBACK");
    return st;
  }

  std::int64_t NewToken() {
    return static_cast<std::int64_t>(tokens_() >> 1) | 1;  // positive, never 0
  }

  Result<LoadedState> ReadChanges() {
    LoadedState state;
    auto sessions = conn_->Exec("s_sessions_since", {Param::Int(last_rev_)});
    if (!sessions) return tl::unexpected(Failed(sessions.error()));
    for (int r = 0; r < sessions->size(); ++r) {
      SessionRecord s;
      s.session_id = sessions->Bytes(r, 0);
      s.session_number = sessions->Int(r, 1);
      s.session_token = sessions->Bytes(r, 2);
      s.workflow_id = sessions->Bytes(r, 3);
      if (!sessions->IsNull(r, 4)) s.vendor_data = sessions->Bytes(r, 4);
      s.metadata_json = sessions->Bytes(r, 5);
      s.callback = sessions->Bytes(r, 6);
      s.status = sessions->Bytes(r, 7);
      LoadStoredDetails(s, sessions->Bytes(r, 8));
      s.created_ms = sessions->Int(r, 9);
      s.updated_ms = sessions->Int(r, 10);
      s.deleted = sessions->Int(r, 11) != 0;
      last_rev_ = std::max(last_rev_, sessions->Int(r, 12));
      state.sessions.push_back(std::move(s));
    }
    auto executions = conn_->Exec("s_executions_since", {Param::Int(last_seq_)});
    if (!executions) return tl::unexpected(Failed(executions.error()));
    for (int r = 0; r < executions->size(); ++r) {
      Execution e;
      e.seq = executions->Int(r, 0);
      e.kind = executions->Bytes(r, 1);
      e.endpoint = executions->Bytes(r, 2);
      if (!executions->IsNull(r, 3)) e.idempotency_key = executions->Bytes(r, 3);
      e.fingerprint = executions->Bytes(r, 4);
      if (!executions->IsNull(r, 5)) e.vendor_data = executions->Bytes(r, 5);
      e.resource_id = executions->Bytes(r, 6);
      e.at_ms = executions->Int(r, 7);
      last_seq_ = std::max(last_seq_, e.seq);
      state.executions.push_back(std::move(e));
    }
    return state;
  }

  Status Write(const Mutation& m) {
    for (const auto& s : m.sessions) {
      const std::string details = StoredDetails(s);  // Param keeps a view: outlives Exec
      auto r = conn_->Exec("s_session_upsert",
                           {Str(s.session_id), Param::Int(s.session_number), Str(s.session_token),
                            Str(s.workflow_id), OptStr(s.vendor_data), Str(s.metadata_json),
                            Str(s.callback), Str(s.status), Str(details), Param::Int(s.created_ms),
                            Param::Int(s.updated_ms), Param::Int(s.deleted ? 1 : 0)});
      if (!r) return tl::unexpected(Failed(r.error()));
    }
    if (m.execution) {
      const Execution& e = *m.execution;
      auto r = conn_->Exec(
          "s_execution_insert",
          {Param::Int(e.seq), Str(e.kind), Str(e.endpoint), OptStr(e.idempotency_key),
           Str(e.fingerprint), OptStr(e.vendor_data), Str(e.resource_id), Param::Int(e.at_ms)});
      if (!r) return tl::unexpected(Failed(r.error()));
    }
    // Expired keys and keys outside a fence: only the memory/SQLite path
    // produces them; here keys move through ClaimKey and the fence.
    return {};
  }

  std::string url_;
  std::int64_t claim_timeout_ms_;
  std::mt19937_64 tokens_;
  std::unique_ptr<pg::Connection> conn_;
  std::int64_t last_rev_ = 0;
  std::int64_t last_seq_ = 0;
};

}  // namespace

[[nodiscard]] Result<std::unique_ptr<SharedStore>> OpenPgStore(
    const std::string& url, std::chrono::milliseconds claim_timeout) {
  auto store = std::make_unique<PgStore>(url, claim_timeout);
  if (auto st = store->Init(); !st) return tl::unexpected(st.error());
  return std::unique_ptr<SharedStore>(std::move(store));
}

}  // namespace idem::sandbox
