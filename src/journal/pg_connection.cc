#include "journal/pg_connection.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace idem::journal::pg {
namespace {

// SQLSTATE classes/codes that matter to the journal.
constexpr std::string_view kUniqueViolation = "23505";
constexpr std::string_view kLockNotAvailable = "55P03";
constexpr std::string_view kQueryCanceled = "57014";  // statement_timeout
constexpr std::string_view kSerializationFailure = "40001";
constexpr std::string_view kDeadlockDetected = "40P01";

std::string TrimmedMessage(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

Failure Lost(std::string message) {
  return Failure{Error(ErrorCode::kUnavailable, "postgres: connection lost: " + message), true,
                 false};
}

// Binary parameter buffers for one call; they must outlive PQexecPrepared.
struct BoundParams {
  explicit BoundParams(const std::vector<Param>& params) {
    ints.resize(params.size());
    values.resize(params.size());
    lengths.resize(params.size());
    formats.assign(params.size(), 1);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Param& p = params[i];
      switch (p.kind) {
        case Param::Kind::kNull:
          values[i] = nullptr;
          lengths[i] = 0;
          break;
        case Param::Kind::kInt: {
          const auto v = static_cast<std::uint64_t>(p.int_value);
          const std::uint32_t hi = htonl(static_cast<std::uint32_t>(v >> 32));
          const std::uint32_t lo = htonl(static_cast<std::uint32_t>(v & 0xffffffffu));
          std::memcpy(ints[i].data(), &hi, 4);
          std::memcpy(ints[i].data() + 4, &lo, 4);
          values[i] = ints[i].data();
          lengths[i] = 8;
          break;
        }
        case Param::Kind::kBytes:
          // libpq never reads a zero-length binary value, but wants a pointer.
          values[i] = p.bytes.empty() ? "" : p.bytes.data();
          lengths[i] = static_cast<int>(p.bytes.size());
          break;
      }
    }
  }
  std::vector<std::array<char, 8>> ints;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

}  // namespace

std::string Rows::Bytes(int row, int col) const {
  const char* value = PQgetvalue(result_.get(), row, col);
  const int length = PQgetlength(result_.get(), row, col);
  return std::string(value, static_cast<std::size_t>(length));
}

std::int64_t Rows::Int(int row, int col) const {
  if (PQgetlength(result_.get(), row, col) != 8) return 0;
  const char* value = PQgetvalue(result_.get(), row, col);
  std::uint32_t hi = 0;
  std::uint32_t lo = 0;
  std::memcpy(&hi, value, 4);
  std::memcpy(&lo, value + 4, 4);
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(ntohl(hi)) << 32) | ntohl(lo));
}

PgResult<std::unique_ptr<Connection>> Connection::Open(
    const std::string& conninfo, const std::string& session_sql,
    const std::vector<StatementSpec>* statements) {
  // connect_timeout comes first so that one set in `conninfo` wins; an
  // unreachable host then fails in seconds instead of the TCP default.
  const char* const keywords[] = {"connect_timeout", "dbname", nullptr};
  const char* const values[] = {"10", conninfo.c_str(), nullptr};
  PGconn* raw = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr) {
    return tl::unexpected(
        Failure{Error(ErrorCode::kInternal, "postgres: out of memory"), false, false});
  }
  std::unique_ptr<Connection> conn(new Connection(raw));
  if (PQstatus(raw) != CONNECTION_OK) {
    // libpq's message names host and port, never the password.
    return tl::unexpected(
        Failure{Error(ErrorCode::kUnavailable,
                      "postgres: cannot connect: " + TrimmedMessage(PQerrorMessage(raw))),
                true, false});
  }
  if (!session_sql.empty()) {
    auto set = conn->Simple(session_sql.c_str());
    if (!set) return tl::unexpected(set.error());
  }
  if (statements != nullptr) {
    for (const StatementSpec& spec : *statements) {
      auto prepared =
          conn->Check(PQprepare(raw, spec.name, spec.sql, static_cast<int>(spec.param_types.size()),
                                spec.param_types.data()));
      if (!prepared) return tl::unexpected(prepared.error());
    }
  }
  return conn;
}

Connection::~Connection() { PQfinish(conn_); }

PgResult<Rows> Connection::Check(PGresult* result) {
  if (result == nullptr) return tl::unexpected(Lost(TrimmedMessage(PQerrorMessage(conn_))));
  Rows rows(result);
  const ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    // A COMMIT of an aborted transaction "succeeds" as ROLLBACK.
    const char* tag = PQcmdStatus(result);
    if (tag != nullptr && std::strcmp(tag, "ROLLBACK") == 0) {
      return tl::unexpected(Failure{
          Error(ErrorCode::kInternal, "postgres: transaction was rolled back"), false, false});
    }
    return rows;
  }
  const std::string message = TrimmedMessage(PQresultErrorMessage(result));
  if (PQstatus(conn_) != CONNECTION_OK) return tl::unexpected(Lost(message));
  const char* sqlstate_raw = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string_view sqlstate = sqlstate_raw != nullptr ? sqlstate_raw : "";
  // Class 08 (connection exception) and 57P0x (admin shutdown, crash) mean
  // the server dropped us even if libpq has not noticed yet.
  if (sqlstate.substr(0, 2) == "08" || sqlstate.substr(0, 4) == "57P0") {
    return tl::unexpected(Lost(message));
  }
  if (sqlstate == kUniqueViolation) {
    return tl::unexpected(
        Failure{Error(ErrorCode::kAlreadyExists, "postgres: " + message), false, false});
  }
  if (sqlstate == kSerializationFailure || sqlstate == kDeadlockDetected) {
    return tl::unexpected(
        Failure{Error(ErrorCode::kUnavailable, "postgres: " + message), false, true});
  }
  if (sqlstate == kLockNotAvailable || sqlstate == kQueryCanceled) {
    return tl::unexpected(
        Failure{Error(ErrorCode::kUnavailable, "postgres: " + message), false, false});
  }
  return tl::unexpected(Failure{Error(ErrorCode::kIo, "postgres: " + message), false, false});
}

PgResult<Rows> Connection::Exec(const char* name, const std::vector<Param>& params) {
  BoundParams bound(params);
  return Check(PQexecPrepared(conn_, name, static_cast<int>(params.size()), bound.values.data(),
                              bound.lengths.data(), bound.formats.data(), /*resultFormat=*/1));
}

PgResult<Rows> Connection::Simple(const char* sql) { return Check(PQexec(conn_, sql)); }

PgResult<Rows> Connection::Params(const char* sql, const std::vector<Param>& params) {
  BoundParams bound(params);
  return Check(PQexecParams(conn_, sql, static_cast<int>(params.size()), nullptr,
                            bound.values.data(), bound.lengths.data(), bound.formats.data(), 1));
}

}  // namespace idem::journal::pg
