#include "sandbox/sqlite_store.h"

#include "common/sqlite.h"
#include "sandbox/session_codec.h"

namespace idem::sandbox {
namespace {

const std::vector<std::string> kMigrations = {
    R"sql(
CREATE TABLE sandbox_sessions (
  session_id TEXT PRIMARY KEY,
  session_number INTEGER NOT NULL,
  session_token TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  vendor_data TEXT,
  metadata_json TEXT NOT NULL,
  callback TEXT NOT NULL,
  status TEXT NOT NULL,
  details_json TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  deleted INTEGER NOT NULL
);
CREATE TABLE sandbox_keys (
  scope TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  status INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE sandbox_executions (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  idempotency_key TEXT,
  fingerprint TEXT NOT NULL,
  vendor_data TEXT,
  resource_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
)sql",
};

class SqliteStore final : public Persistence {
 public:
  explicit SqliteStore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}

  Result<LoadedState> Load() override {
    LoadedState state;
    {
      auto stmt = db_->Prepare(
          "SELECT session_id, session_number, session_token, workflow_id, vendor_data, "
          "metadata_json, callback, status, details_json, created_ms, updated_ms, deleted "
          "FROM sandbox_sessions ORDER BY session_number");
      if (!stmt) return tl::unexpected(stmt.error());
      while (true) {
        auto row = stmt->Step();
        if (!row) return tl::unexpected(row.error());
        if (!*row) break;
        SessionRecord s;
        s.session_id = stmt->ColumnString(0);
        s.session_number = stmt->ColumnInt64(1);
        s.session_token = stmt->ColumnString(2);
        s.workflow_id = stmt->ColumnString(3);
        if (!stmt->IsNull(4)) s.vendor_data = stmt->ColumnString(4);
        s.metadata_json = stmt->ColumnString(5);
        s.callback = stmt->ColumnString(6);
        s.status = stmt->ColumnString(7);
        LoadStoredDetails(s, stmt->ColumnString(8));
        s.created_ms = stmt->ColumnInt64(9);
        s.updated_ms = stmt->ColumnInt64(10);
        s.deleted = stmt->ColumnInt64(11) != 0;
        state.sessions.push_back(std::move(s));
      }
    }
    {
      auto stmt = db_->Prepare(
          "SELECT scope, fingerprint, status, content_type, body, created_ms FROM sandbox_keys");
      if (!stmt) return tl::unexpected(stmt.error());
      while (true) {
        auto row = stmt->Step();
        if (!row) return tl::unexpected(row.error());
        if (!*row) break;
        KeyRecord k;
        k.scope = stmt->ColumnString(0);
        k.fingerprint = stmt->ColumnString(1);
        k.response.status = stmt->ColumnInt(2);
        k.response.content_type = stmt->ColumnString(3);
        k.response.body = stmt->ColumnString(4);
        k.created_ms = stmt->ColumnInt64(5);
        state.keys.push_back(std::move(k));
      }
    }
    {
      auto stmt = db_->Prepare(
          "SELECT seq, kind, endpoint, idempotency_key, fingerprint, vendor_data, resource_id, "
          "at_ms FROM sandbox_executions ORDER BY seq");
      if (!stmt) return tl::unexpected(stmt.error());
      while (true) {
        auto row = stmt->Step();
        if (!row) return tl::unexpected(row.error());
        if (!*row) break;
        Execution e;
        e.seq = stmt->ColumnInt64(0);
        e.kind = stmt->ColumnString(1);
        e.endpoint = stmt->ColumnString(2);
        if (!stmt->IsNull(3)) e.idempotency_key = stmt->ColumnString(3);
        e.fingerprint = stmt->ColumnString(4);
        if (!stmt->IsNull(5)) e.vendor_data = stmt->ColumnString(5);
        e.resource_id = stmt->ColumnString(6);
        e.at_ms = stmt->ColumnInt64(7);
        state.executions.push_back(std::move(e));
      }
    }
    return state;
  }

  Status CommitBatch(const std::vector<const Mutation*>& mutations) override {
    auto tx = sqlite::Transaction::Begin(*db_);
    if (!tx) return tl::unexpected(tx.error());
    for (const Mutation* m : mutations) {
      if (auto st = Write(*m); !st) return st;
    }
    return tx->Commit();
  }

 private:
  Status Write(const Mutation& m) {
    for (const auto& s : m.sessions) {
      auto stmt = db_->Prepare(
          "INSERT OR REPLACE INTO sandbox_sessions (session_id, session_number, session_token, "
          "workflow_id, vendor_data, metadata_json, callback, status, details_json, created_ms, "
          "updated_ms, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      if (!stmt) return tl::unexpected(stmt.error());
      stmt->BindAll(s.session_id, s.session_number, s.session_token, s.workflow_id);
      if (s.vendor_data) {
        stmt->Bind(5, *s.vendor_data);
      } else {
        stmt->Bind(5, nullptr);
      }
      stmt->Bind(6, s.metadata_json)
          .Bind(7, s.callback)
          .Bind(8, s.status)
          .Bind(9, StoredDetails(s))
          .Bind(10, s.created_ms)
          .Bind(11, s.updated_ms)
          .Bind(12, s.deleted ? 1 : 0);
      if (auto st = stmt->Run(); !st) return st;
    }
    for (const auto& scope : m.expired_keys) {
      auto stmt = db_->Prepare("DELETE FROM sandbox_keys WHERE scope = ?");
      if (!stmt) return tl::unexpected(stmt.error());
      stmt->Bind(1, scope);
      if (auto st = stmt->Run(); !st) return st;
    }
    if (m.key) {
      auto stmt = db_->Prepare(
          "INSERT OR REPLACE INTO sandbox_keys (scope, fingerprint, status, content_type, body, "
          "created_ms) VALUES (?, ?, ?, ?, ?, ?)");
      if (!stmt) return tl::unexpected(stmt.error());
      stmt->BindAll(m.key->scope, m.key->fingerprint, m.key->response.status,
                    m.key->response.content_type, sqlite::Blob{m.key->response.body},
                    m.key->created_ms);
      if (auto st = stmt->Run(); !st) return st;
    }
    if (m.execution) {
      const Execution& e = *m.execution;
      auto stmt = db_->Prepare(
          "INSERT INTO sandbox_executions (seq, kind, endpoint, idempotency_key, fingerprint, "
          "vendor_data, resource_id, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      if (!stmt) return tl::unexpected(stmt.error());
      stmt->BindAll(e.seq, e.kind, e.endpoint);
      if (e.idempotency_key) {
        stmt->Bind(4, *e.idempotency_key);
      } else {
        stmt->Bind(4, nullptr);
      }
      stmt->Bind(5, e.fingerprint);
      if (e.vendor_data) {
        stmt->Bind(6, *e.vendor_data);
      } else {
        stmt->Bind(6, nullptr);
      }
      stmt->Bind(7, e.resource_id).Bind(8, e.at_ms);
      if (auto st = stmt->Run(); !st) return st;
    }
    return {};
  }

  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace

[[nodiscard]] Result<std::unique_ptr<Persistence>> OpenSqliteStore(const std::string& path) {
  sqlite::OpenOptions options;
  options.synchronous = sqlite::Synchronous::kNormal;
  options.foreign_keys = false;
  auto db = sqlite::Database::Open(path, options);
  if (!db) return tl::unexpected(db.error());
  if (auto st = sqlite::Migrate(**db, "sandbox", kMigrations); !st) {
    return tl::unexpected(st.error());
  }
  return std::unique_ptr<Persistence>(std::make_unique<SqliteStore>(std::move(*db)));
}

}  // namespace idem::sandbox
