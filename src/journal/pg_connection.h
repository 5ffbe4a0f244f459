// Internal: a thin libpq wrapper for the PostgreSQL journal. Parameters and
// results travel in binary format, so bytea columns round-trip every byte
// (NULs, invalid UTF-8) and integers need no text parsing.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/status.h"

namespace idem::journal::pg {

// One bound parameter: NULL, a bigint or bytes (bytea/text).
struct Param {
  enum class Kind { kNull, kInt, kBytes };
  Kind kind = Kind::kNull;
  std::int64_t int_value = 0;
  std::string_view bytes;

  static Param Null() { return {}; }
  static Param Int(std::int64_t v) { return {Kind::kInt, v, {}}; }
  static Param Bytes(std::string_view b) { return {Kind::kBytes, 0, b}; }
};

// A statement result; rows of binary columns.
class Rows {
 public:
  explicit Rows(PGresult* result) : result_(result, &PQclear) {}
  int size() const { return PQntuples(result_.get()); }
  bool IsNull(int row, int col) const { return PQgetisnull(result_.get(), row, col) != 0; }
  std::string Bytes(int row, int col) const;
  std::int64_t Int(int row, int col) const;  // a bigint column (8 bytes, big-endian)

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// Why a statement failed, beyond the idem error code: whether the link to
// the server broke (so whatever was not committed is rolled back and the
// transaction may be retried on a fresh connection).
struct Failure {
  Error error;
  bool connection_lost = false;
  bool retryable = false;  // deadlock or serialization failure: rolled back, retry
};

template <typename T>
using PgResult = tl::expected<T, Failure>;

struct StatementSpec {
  const char* name;
  const char* sql;
  std::vector<Oid> param_types;  // kInt8Oid / kByteaOid / kTextOid per $n
};

constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

// One libpq connection with the journal's statements prepared on it.
class Connection {
 public:
  // Connects (never logs `conninfo`: it may hold a password) and prepares
  // every statement in `statements`. `session_sql` runs first (SET ...).
  static PgResult<std::unique_ptr<Connection>> Open(const std::string& conninfo,
                                                    const std::string& session_sql,
                                                    const std::vector<StatementSpec>* statements);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool Healthy() const { return PQstatus(conn_) == CONNECTION_OK; }

  // Runs a prepared statement by name.
  PgResult<Rows> Exec(const char* name, const std::vector<Param>& params);
  // Runs plain SQL without parameters (BEGIN, COMMIT, ROLLBACK, DDL).
  PgResult<Rows> Simple(const char* sql);
  // Runs SQL with parameters, unprepared (migrations, the rate budget).
  PgResult<Rows> Params(const char* sql, const std::vector<Param>& params);

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  PgResult<Rows> Check(PGresult* result);

  PGconn* conn_;
};

}  // namespace idem::journal::pg
