#include "journal/schema.h"

namespace idem::journal {

const std::vector<std::string>& SchemaSteps() {
  static const std::vector<std::string> steps = {
      // 1: one row per logical operation. Bodies are BLOBs so that every byte
      // (NULs, invalid UTF-8, multipart boundaries) comes back exactly.
      R"sql(
        CREATE TABLE ops (
          op_id            TEXT    NOT NULL PRIMARY KEY,
          idem_key         TEXT    NOT NULL UNIQUE,
          kind             TEXT    NOT NULL DEFAULT '',
          method           TEXT    NOT NULL,
          path             TEXT    NOT NULL,
          content_type     TEXT    NOT NULL DEFAULT '',
          body             BLOB    NOT NULL,
          fingerprint      TEXT    NOT NULL,
          state            TEXT    NOT NULL
                           CHECK (state IN ('in_flight', 'succeeded', 'failed', 'unknown')),
          attempts         INTEGER NOT NULL DEFAULT 0,
          created_ms       INTEGER NOT NULL,
          first_sent_ms    INTEGER NOT NULL DEFAULT 0,
          updated_ms       INTEGER NOT NULL,
          next_attempt_ms  INTEGER NOT NULL DEFAULT 0,
          lease_owner      TEXT    NOT NULL DEFAULT '',
          lease_until_ms   INTEGER NOT NULL DEFAULT 0,
          lease_generation INTEGER NOT NULL DEFAULT 0,
          response_status  INTEGER NOT NULL DEFAULT 0,
          response_headers TEXT    NOT NULL DEFAULT '',
          response_body    BLOB    NOT NULL DEFAULT X'',
          last_error       TEXT    NOT NULL DEFAULT ''
        );
        -- ClaimUnfinished and resume: unfinished ops, oldest first. Partial,
        -- so settled history does not slow the claim down.
        CREATE INDEX ops_unfinished ON ops (created_ms)
          WHERE state IN ('in_flight', 'unknown');
      )sql",
      // 2: reconciliation by natural key and webhook heals by resource id.
      R"sql(
        ALTER TABLE ops ADD COLUMN natural_key TEXT NOT NULL DEFAULT '';
        ALTER TABLE ops ADD COLUMN resource_id TEXT NOT NULL DEFAULT '';
        CREATE INDEX ops_by_natural_key ON ops (natural_key) WHERE natural_key <> '';
        CREATE INDEX ops_by_resource_id ON ops (resource_id) WHERE resource_id <> '';
      )sql",
      // 3: the same table, its state rule written as comparisons. SQLite
      // evaluates `state IN (four constants)` by building a temporary table on
      // every INSERT and every UPDATE of state, about a tenth of the CPU of
      // the journal's two writes per op. The rows (rowids included, so the
      // created_ms, rowid order holds) and the indexes are copied unchanged.
      R"sql(
        CREATE TABLE ops_v3 (
          op_id            TEXT    NOT NULL PRIMARY KEY,
          idem_key         TEXT    NOT NULL UNIQUE,
          kind             TEXT    NOT NULL DEFAULT '',
          method           TEXT    NOT NULL,
          path             TEXT    NOT NULL,
          content_type     TEXT    NOT NULL DEFAULT '',
          body             BLOB    NOT NULL,
          fingerprint      TEXT    NOT NULL,
          state            TEXT    NOT NULL
                           CHECK (state = 'in_flight' OR state = 'succeeded' OR
                                  state = 'failed' OR state = 'unknown'),
          attempts         INTEGER NOT NULL DEFAULT 0,
          created_ms       INTEGER NOT NULL,
          first_sent_ms    INTEGER NOT NULL DEFAULT 0,
          updated_ms       INTEGER NOT NULL,
          next_attempt_ms  INTEGER NOT NULL DEFAULT 0,
          lease_owner      TEXT    NOT NULL DEFAULT '',
          lease_until_ms   INTEGER NOT NULL DEFAULT 0,
          lease_generation INTEGER NOT NULL DEFAULT 0,
          response_status  INTEGER NOT NULL DEFAULT 0,
          response_headers TEXT    NOT NULL DEFAULT '',
          response_body    BLOB    NOT NULL DEFAULT X'',
          last_error       TEXT    NOT NULL DEFAULT '',
          natural_key      TEXT    NOT NULL DEFAULT '',
          resource_id      TEXT    NOT NULL DEFAULT ''
        );
        INSERT INTO ops_v3 (rowid, op_id, idem_key, kind, method, path, content_type, body,
                            fingerprint, state, attempts, created_ms, first_sent_ms, updated_ms,
                            next_attempt_ms, lease_owner, lease_until_ms, lease_generation,
                            response_status, response_headers, response_body, last_error,
                            natural_key, resource_id)
          SELECT rowid, op_id, idem_key, kind, method, path, content_type, body, fingerprint,
                 state, attempts, created_ms, first_sent_ms, updated_ms, next_attempt_ms,
                 lease_owner, lease_until_ms, lease_generation, response_status,
                 response_headers, response_body, last_error, natural_key, resource_id
          FROM ops;
        DROP TABLE ops;
        ALTER TABLE ops_v3 RENAME TO ops;
        CREATE INDEX ops_unfinished ON ops (created_ms)
          WHERE state IN ('in_flight', 'unknown');
        CREATE INDEX ops_by_natural_key ON ops (natural_key) WHERE natural_key <> '';
        CREATE INDEX ops_by_resource_id ON ops (resource_id) WHERE resource_id <> '';
      )sql",
      // 4: idem_key is unique among the keys callers supplied (a caller may
      // reuse one by mistake), not among generated ones: a UUIDv4 from the
      // CSPRNG has 122 random bits, and its entry in a UNIQUE index dirtied a
      // random index page per op in every commit (a 4 KiB WAL frame, a
      // checkpoint write, about an eighth of the client's CPU per op). Rows
      // from before the change keep their keys in the index (from_caller 1).
      R"sql(
        CREATE TABLE ops_v4 (
          op_id            TEXT    NOT NULL PRIMARY KEY,
          idem_key         TEXT    NOT NULL,
          key_from_caller  INTEGER NOT NULL DEFAULT 0
                           CHECK (key_from_caller = 0 OR key_from_caller = 1),
          kind             TEXT    NOT NULL DEFAULT '',
          method           TEXT    NOT NULL,
          path             TEXT    NOT NULL,
          content_type     TEXT    NOT NULL DEFAULT '',
          body             BLOB    NOT NULL,
          fingerprint      TEXT    NOT NULL,
          state            TEXT    NOT NULL
                           CHECK (state = 'in_flight' OR state = 'succeeded' OR
                                  state = 'failed' OR state = 'unknown'),
          attempts         INTEGER NOT NULL DEFAULT 0,
          created_ms       INTEGER NOT NULL,
          first_sent_ms    INTEGER NOT NULL DEFAULT 0,
          updated_ms       INTEGER NOT NULL,
          next_attempt_ms  INTEGER NOT NULL DEFAULT 0,
          lease_owner      TEXT    NOT NULL DEFAULT '',
          lease_until_ms   INTEGER NOT NULL DEFAULT 0,
          lease_generation INTEGER NOT NULL DEFAULT 0,
          response_status  INTEGER NOT NULL DEFAULT 0,
          response_headers TEXT    NOT NULL DEFAULT '',
          response_body    BLOB    NOT NULL DEFAULT X'',
          last_error       TEXT    NOT NULL DEFAULT '',
          natural_key      TEXT    NOT NULL DEFAULT '',
          resource_id      TEXT    NOT NULL DEFAULT ''
        );
        INSERT INTO ops_v4 (rowid, op_id, idem_key, key_from_caller, kind, method, path,
                            content_type, body, fingerprint, state, attempts, created_ms,
                            first_sent_ms, updated_ms, next_attempt_ms, lease_owner,
                            lease_until_ms, lease_generation, response_status, response_headers,
                            response_body, last_error, natural_key, resource_id)
          SELECT rowid, op_id, idem_key, 1, kind, method, path, content_type, body, fingerprint,
                 state, attempts, created_ms, first_sent_ms, updated_ms, next_attempt_ms,
                 lease_owner, lease_until_ms, lease_generation, response_status,
                 response_headers, response_body, last_error, natural_key, resource_id
          FROM ops;
        DROP TABLE ops;
        ALTER TABLE ops_v4 RENAME TO ops;
        CREATE UNIQUE INDEX ops_caller_keys ON ops (idem_key) WHERE key_from_caller = 1;
        CREATE INDEX ops_unfinished ON ops (created_ms)
          WHERE state IN ('in_flight', 'unknown');
        CREATE INDEX ops_by_natural_key ON ops (natural_key) WHERE natural_key <> '';
        CREATE INDEX ops_by_resource_id ON ops (resource_id) WHERE resource_id <> '';
      )sql",
      // 5: an unknown op a person must settle (needs_review: never claimed
      // again) and the audit trail of look-ups and verdicts. Rows from before
      // the step: an enqueued op then stored its creation as first_sent_ms,
      // which still reads "may have been sent", so nothing older is trusted
      // as never sent.
      R"sql(
        ALTER TABLE ops ADD COLUMN needs_review INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE ops ADD COLUMN audit TEXT NOT NULL DEFAULT '';
      )sql",
  };
  return steps;
}

[[nodiscard]] Result<Operation> ReadOperation(const sqlite::Statement& stmt) {
  Operation op;
  int c = 0;
  op.op_id = stmt.ColumnString(c++);
  op.idem_key = stmt.ColumnString(c++);
  op.idem_key_from_caller = stmt.ColumnInt(c++) != 0;
  op.kind = stmt.ColumnString(c++);
  op.method = stmt.ColumnString(c++);
  op.path = stmt.ColumnString(c++);
  op.content_type = stmt.ColumnString(c++);
  op.body = stmt.ColumnString(c++);
  op.fingerprint = stmt.ColumnString(c++);
  op.natural_key = stmt.ColumnString(c++);
  const std::string state = stmt.ColumnString(c++);
  auto parsed = ParseOpState(state);
  if (!parsed) {
    return MakeError(ErrorCode::kCorruption,
                     "journal: op '" + op.op_id + "' has unknown state '" + state + "'");
  }
  op.state = *parsed;
  op.attempts = stmt.ColumnInt(c++);
  op.created_ms = stmt.ColumnInt64(c++);
  op.first_sent_ms = stmt.ColumnInt64(c++);
  op.updated_ms = stmt.ColumnInt64(c++);
  op.next_attempt_ms = stmt.ColumnInt64(c++);
  op.lease_owner = stmt.ColumnString(c++);
  op.lease_until_ms = stmt.ColumnInt64(c++);
  op.lease_generation = stmt.ColumnInt64(c++);
  op.response_status = stmt.ColumnInt(c++);
  op.response_headers = stmt.ColumnString(c++);
  op.response_body = stmt.ColumnString(c++);
  op.resource_id = stmt.ColumnString(c++);
  op.last_error = stmt.ColumnString(c++);
  op.needs_review = stmt.ColumnInt(c++) != 0;
  op.audit = stmt.ColumnString(c++);
  return op;
}

}  // namespace idem::journal
