#include "journal/pg_schema.h"

namespace idem::journal::pg {
namespace {

constexpr const char* kComponent = "journal";
// Key of the advisory lock that serialises migrations of every idem
// component in one database ("idem" in ASCII).
constexpr const char* kMigrationLockSql = "SELECT pg_advisory_xact_lock(1768187245)";

// Result columns, in ReadOperation's order; `seq` (insertion order) last.
#define IDEM_PG_OP_COLUMNS                                                              \
  "op_id, idem_key, kind, method, path, content_type, body, fingerprint, natural_key, " \
  "state, attempts, created_ms, first_sent_ms, updated_ms, next_attempt_ms, "           \
  "lease_owner, lease_until_ms, lease_generation, response_status, response_headers, "  \
  "response_body, resource_id, last_error, key_from_caller, needs_review, audit, seq"

// journal/rules.h's FenceHolds, in SQL: the writer ($2, $3) holds the lease.
#define IDEM_PG_FENCE \
  "op_id = $1 AND lease_owner = $2 AND lease_owner <> '' AND lease_generation = $3"

constexpr Oid B = kByteaOid;
constexpr Oid I = kInt8Oid;
constexpr Oid T = kTextOid;

}  // namespace

const std::vector<std::string>& SchemaSteps() {
  static const std::vector<std::string> steps = {
      // 1: one row per logical operation. Every string is bytea so any byte
      // (NULs, invalid UTF-8) round-trips whatever the database encoding.
      R"sql(
        CREATE TABLE idem_ops (
          seq              bigint GENERATED ALWAYS AS IDENTITY,
          op_id            bytea  NOT NULL PRIMARY KEY,
          idem_key         bytea  NOT NULL UNIQUE,
          kind             bytea  NOT NULL DEFAULT '',
          method           bytea  NOT NULL,
          path             bytea  NOT NULL,
          content_type     bytea  NOT NULL DEFAULT '',
          body             bytea  NOT NULL,
          fingerprint      bytea  NOT NULL,
          natural_key      bytea  NOT NULL DEFAULT '',
          state            text   NOT NULL
                           CHECK (state IN ('in_flight', 'succeeded', 'failed', 'unknown')),
          attempts         bigint NOT NULL DEFAULT 0,
          created_ms       bigint NOT NULL,
          first_sent_ms    bigint NOT NULL DEFAULT 0,
          updated_ms       bigint NOT NULL,
          next_attempt_ms  bigint NOT NULL DEFAULT 0,
          lease_owner      bytea  NOT NULL DEFAULT '',
          lease_until_ms   bigint NOT NULL DEFAULT 0,
          lease_generation bigint NOT NULL DEFAULT 0,
          response_status  bigint NOT NULL DEFAULT 0,
          response_headers bytea  NOT NULL DEFAULT '',
          response_body    bytea  NOT NULL DEFAULT '',
          resource_id      bytea  NOT NULL DEFAULT '',
          last_error       bytea  NOT NULL DEFAULT ''
        );
        -- Claims: unfinished ops, oldest first; settled history stays out.
        CREATE INDEX idem_ops_unfinished ON idem_ops (created_ms, seq)
          WHERE state IN ('in_flight', 'unknown');
        CREATE INDEX idem_ops_by_natural_key ON idem_ops (natural_key) WHERE natural_key <> '';
        CREATE INDEX idem_ops_by_resource_id ON idem_ops (resource_id) WHERE resource_id <> '';
        CREATE INDEX idem_ops_by_created ON idem_ops (created_ms, seq);
      )sql",
      // 2: whether the caller supplied idem_key (Operation::idem_key_from_caller).
      // Every key stays UNIQUE here (the SQLite journal's step 4 dropped
      // generated keys from its index); the cost of the index on PostgreSQL
      // has not been measured.
      R"sql(
        ALTER TABLE idem_ops ADD COLUMN key_from_caller bigint NOT NULL DEFAULT 0;
      )sql",
      // 3: an unknown op a person must settle (needs_review: never claimed
      // again) and the audit trail of look-ups and verdicts (as SQLite step 5).
      R"sql(
        ALTER TABLE idem_ops ADD COLUMN needs_review bigint NOT NULL DEFAULT 0;
        ALTER TABLE idem_ops ADD COLUMN audit bytea NOT NULL DEFAULT '';
      )sql",
  };
  return steps;
}

[[nodiscard]] Status Migrate(Connection& conn) {
  return MigrateComponent(conn, kComponent, SchemaSteps());
}

[[nodiscard]] Status MigrateComponent(Connection& conn, const char* component,
                                      const std::vector<std::string>& steps) {
  // On failure the migration's own error is reported; the ROLLBACK is best effort
  // (a connection it cannot roll back is broken and dropped by its owner).
  auto fail = [&](const Failure& f) -> Status {
    (void)conn.Simple("ROLLBACK");
    return tl::unexpected(f.error);
  };
  for (const char* sql : {"BEGIN", kMigrationLockSql,
                          "CREATE TABLE IF NOT EXISTS idem_schema (component text PRIMARY KEY, "
                          "version bigint NOT NULL)"}) {
    if (auto r = conn.Simple(sql); !r) return fail(r.error());
  }
  auto current = conn.Params("SELECT version FROM idem_schema WHERE component = $1",
                             {Param::Bytes(component)});
  if (!current) return fail(current.error());
  const std::int64_t version = current->size() > 0 ? current->Int(0, 0) : 0;
  const auto latest = static_cast<std::int64_t>(steps.size());
  if (version > latest) {
    // Nothing was written; the version error is what the caller needs.
    (void)conn.Simple("ROLLBACK");
    return MakeError(ErrorCode::kFailedPrecondition,
                     "postgres: " + std::string(component) + " schema version " +
                         std::to_string(version) + " is newer than this build knows (" +
                         std::to_string(latest) + "); use a newer idem");
  }
  for (std::int64_t step = version; step < latest; ++step) {
    if (auto r = conn.Simple(steps[static_cast<std::size_t>(step)].c_str()); !r) {
      Failure f = r.error();
      f.error =
          Error(f.error.code(), "postgres: " + std::string(component) + " migration to version " +
                                    std::to_string(step + 1) + ": " + f.error.message());
      return fail(f);
    }
  }
  if (version != latest) {
    auto set = conn.Params(
        "INSERT INTO idem_schema (component, version) VALUES ($1, $2) "
        "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
        {Param::Bytes(component), Param::Int(latest)});
    if (!set) return fail(set.error());
  }
  if (auto r = conn.Simple("COMMIT"); !r) return tl::unexpected(r.error().error);
  return {};
}

const std::vector<StatementSpec>& Statements() {
  static const std::vector<StatementSpec> statements = {
      {"j_insert",
       "INSERT INTO idem_ops (op_id, idem_key, kind, method, path, content_type, body, "
       "fingerprint, natural_key, state, attempts, created_ms, first_sent_ms, updated_ms, "
       "next_attempt_ms, lease_owner, lease_until_ms, lease_generation, response_status, "
       "response_headers, response_body, resource_id, last_error, key_from_caller, "
       "needs_review, audit) VALUES ($1, "
       "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
       "$21, $22, $23, $24, $25, $26) "
       // No conflict target: an idem_key taken by another op is absorbed too
       // (Begin tells the two apart with a look-up), so no statement of a
       // BeginMany batch fails and aborts the others' transaction.
       "ON CONFLICT DO NOTHING RETURNING seq",
       {B, B, B, B, B, B, B, B, B, T, I, I, I, I, I, B, I, I, I, B, B, B, B, I, I, B}},
      {"j_select", "SELECT " IDEM_PG_OP_COLUMNS " FROM idem_ops WHERE op_id = $1", {B}},
      {"j_select_locked",
       "SELECT " IDEM_PG_OP_COLUMNS " FROM idem_ops WHERE op_id = $1 FOR UPDATE",
       {B}},
      {"j_set_lease",
       "UPDATE idem_ops SET lease_owner = $2, lease_until_ms = $3, lease_generation = $4, "
       "updated_ms = $5 WHERE op_id = $1",
       {B, B, I, I, I}},
      // $14 = 1: a final state, which releases the lease. $15, $16: the key
      // and its source, new only when the op is sent afresh past the server's
      // key window.
      {"j_update",
       "UPDATE idem_ops SET idem_key = $15, key_from_caller = $16, state = $4, attempts = $5, "
       "first_sent_ms = $6, "
       "updated_ms = $7, "
       "next_attempt_ms = $8, response_status = $9, response_headers = $10, "
       "response_body = $11, resource_id = $12, last_error = $13, needs_review = $17, "
       "audit = $18, "
       "lease_owner = CASE WHEN $14 = 1 THEN ''::bytea ELSE lease_owner END, "
       "lease_until_ms = CASE WHEN $14 = 1 THEN 0 ELSE lease_until_ms END "
       "WHERE " IDEM_PG_FENCE " RETURNING seq",
       {B, B, I, T, I, I, I, I, I, B, B, B, B, I, B, I, I, B}},
      // DecideFencedWrite(kRenew): fenced, and never a settled op's lease.
      {"j_renew",
       "UPDATE idem_ops SET lease_until_ms = $4, updated_ms = $5 WHERE " IDEM_PG_FENCE
       " AND state IN ('in_flight', 'unknown') RETURNING seq",
       {B, B, I, I, I}},
      {"j_release",
       "UPDATE idem_ops SET lease_owner = '', lease_until_ms = 0, updated_ms = $4 "
       "WHERE " IDEM_PG_FENCE " RETURNING seq",
       {B, B, I, I}},
      // SKIP LOCKED: concurrent claimers (threads or hosts) split the queue
      // instead of waiting for each other or taking the same op. The WHERE
      // clause is journal/rules.h's MayClaim: $5 = 1: unknown ops too, if
      // last written at or before $6 (0 = any time).
      {"j_claim",
       "WITH picked AS (SELECT op_id AS picked_id FROM idem_ops WHERE state IN ('in_flight', "
       "'unknown') AND needs_review = 0 "
       "AND (lease_owner = '' OR lease_until_ms <= $1) "
       "AND (state = 'in_flight' OR ($5 = 1 AND ($6 = 0 OR updated_ms <= $6))) "
       "ORDER BY created_ms, seq LIMIT $2 "
       "FOR UPDATE SKIP LOCKED) "
       "UPDATE idem_ops SET lease_owner = $3, lease_until_ms = $4, "
       "lease_generation = idem_ops.lease_generation + 1, updated_ms = $1 "
       "FROM picked WHERE idem_ops.op_id = picked.picked_id RETURNING " IDEM_PG_OP_COLUMNS,
       {I, I, B, I, I, I}},
      // $2 / $3: needs_review to match, NULL = any.
      {"j_list",
       "SELECT " IDEM_PG_OP_COLUMNS
       " FROM idem_ops WHERE ($2::bigint IS NULL OR needs_review = $2) "
       "ORDER BY created_ms, seq LIMIT $1",
       {I, I}},
      {"j_list_state",
       "SELECT " IDEM_PG_OP_COLUMNS
       " FROM idem_ops WHERE state = $1 AND ($3::bigint IS NULL OR needs_review = $3) "
       "ORDER BY created_ms, seq LIMIT $2",
       {T, I, I}},
      {"j_find_natural_key",
       "SELECT " IDEM_PG_OP_COLUMNS
       " FROM idem_ops WHERE natural_key = $1 AND natural_key <> '' ORDER BY created_ms, seq",
       {B}},
      // AdoptResource's candidates, locked (the states StateMayBeAdopted
      // allows); journal/resolution.h picks which to settle (DecideAdoption)
      // and j_resolve writes each whole.
      {"j_adopt_candidates",
       "SELECT " IDEM_PG_OP_COLUMNS " FROM idem_ops WHERE state IN ('in_flight', 'unknown') AND ("
       "(natural_key = $1 AND natural_key <> '') OR (resource_id = $2 AND resource_id <> '')) "
       "ORDER BY created_ms, seq FOR UPDATE",
       {B, B}},
      {"j_resource_held",
       "SELECT 1 FROM idem_ops WHERE state = 'succeeded' AND resource_id = $1 LIMIT 1",
       {B}},
      // ResolveUnknown: the whole resolved row, written under the row lock
      // j_select_locked took (journal/resolution.h decides what it holds).
      {"j_resolve",
       "UPDATE idem_ops SET state = $2, idem_key = $3, key_from_caller = $4, "
       "first_sent_ms = $5, updated_ms = $6, next_attempt_ms = $7, response_status = $8, "
       "response_headers = $9, response_body = $10, resource_id = $11, last_error = $12, "
       "needs_review = $13, audit = $14, lease_owner = '', lease_until_ms = 0, "
       "lease_generation = $15 WHERE op_id = $1 RETURNING seq",
       {B, T, B, I, I, I, I, I, B, B, B, B, I, B, I}},
  };
  return statements;
}

[[nodiscard]] Result<Operation> ReadOperation(const Rows& rows, int row) {
  Operation op;
  int c = 0;
  op.op_id = rows.Bytes(row, c++);
  op.idem_key = rows.Bytes(row, c++);
  op.kind = rows.Bytes(row, c++);
  op.method = rows.Bytes(row, c++);
  op.path = rows.Bytes(row, c++);
  op.content_type = rows.Bytes(row, c++);
  op.body = rows.Bytes(row, c++);
  op.fingerprint = rows.Bytes(row, c++);
  op.natural_key = rows.Bytes(row, c++);
  const std::string state = rows.Bytes(row, c++);
  auto parsed = ParseOpState(state);
  if (!parsed) {
    return MakeError(ErrorCode::kCorruption,
                     "journal: op '" + op.op_id + "' has unknown state '" + state + "'");
  }
  op.state = *parsed;
  op.attempts = static_cast<int>(rows.Int(row, c++));
  op.created_ms = rows.Int(row, c++);
  op.first_sent_ms = rows.Int(row, c++);
  op.updated_ms = rows.Int(row, c++);
  op.next_attempt_ms = rows.Int(row, c++);
  op.lease_owner = rows.Bytes(row, c++);
  op.lease_until_ms = rows.Int(row, c++);
  op.lease_generation = rows.Int(row, c++);
  op.response_status = static_cast<int>(rows.Int(row, c++));
  op.response_headers = rows.Bytes(row, c++);
  op.response_body = rows.Bytes(row, c++);
  op.resource_id = rows.Bytes(row, c++);
  op.last_error = rows.Bytes(row, c++);
  op.idem_key_from_caller = rows.Int(row, c++) != 0;
  op.needs_review = rows.Int(row, c++) != 0;
  op.audit = rows.Bytes(row, c++);
  return op;
}

}  // namespace idem::journal::pg
