#include "journal/postgres_journal.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "journal/pg_schema.h"
#include "journal/validation.h"

namespace idem {
namespace journal {
namespace {

using pg::Failure;
using pg::Param;
using pg::PgResult;
using pg::Rows;

constexpr int kSeqColumn = 23;  // `seq`, after the op's columns

tl::unexpected<Failure> Fail(ErrorCode code, std::string message) {
  return tl::unexpected(Failure{Error(code, std::move(message)), false, false});
}

tl::unexpected<Failure> Fail(const Error& error) {
  return tl::unexpected(Failure{error, false, false});
}

// Every row as an op, ordered by (created_ms, seq): UPDATE ... RETURNING
// gives no order of its own.
PgResult<std::vector<Operation>> ReadOps(const Rows& rows) {
  std::vector<std::pair<std::int64_t, Operation>> keyed;
  for (int r = 0; r < rows.size(); ++r) {
    auto op = pg::ReadOperation(rows, r);
    if (!op) return Fail(op.error());
    keyed.emplace_back(rows.Int(r, kSeqColumn), std::move(*op));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second.created_ms, a.first) < std::tie(b.second.created_ms, b.first);
  });
  std::vector<Operation> ops;
  ops.reserve(keyed.size());
  for (auto& [seq, op] : keyed) ops.push_back(std::move(op));
  return ops;
}

std::vector<Param> FenceParams(const Operation& op) {
  return {Param::Bytes(op.op_id), Param::Bytes(op.lease_owner), Param::Int(op.lease_generation)};
}

// Why a fenced statement touched no row: no such op, someone else's lease,
// or (for RenewLease) a settled op.
PgResult<void> ExplainFenced(pg::Connection& conn, const Operation& op) {
  auto rows = conn.Exec("j_select", {Param::Bytes(op.op_id)});
  if (!rows) return tl::unexpected(rows.error());
  if (rows->size() == 0) return Fail(ErrorCode::kNotFound, "journal: no op '" + op.op_id + "'");
  auto current = pg::ReadOperation(*rows, 0);
  if (!current) return Fail(current.error());
  if (current->lease_owner == op.lease_owner && current->lease_generation == op.lease_generation &&
      !op.lease_owner.empty()) {
    return Fail(ErrorCode::kFailedPrecondition, "journal: op '" + op.op_id + "' is already " +
                                                    std::string(OpStateName(current->state)));
  }
  return Fail(ErrorCode::kFailedPrecondition,
              "journal: op '" + op.op_id + "' is leased by '" + current->lease_owner +
                  "' (generation " + std::to_string(current->lease_generation) + "), not by '" +
                  op.lease_owner + "' (generation " + std::to_string(op.lease_generation) + ")");
}

std::string SessionSql(const JournalOptions& options) {
  // kProcessCrash: commits return before the WAL reaches disk (a server
  // crash may lose the last ones), like SQLite's synchronous=NORMAL.
  std::string sql = options.durability == Durability::kPowerLoss ? "SET synchronous_commit = on; "
                                                                 : "SET synchronous_commit = off; ";
  // Waiting on a row lock held by another process counts against
  // busy_timeout, as SQLite's busy wait does.
  sql += "SET lock_timeout = " +
         std::to_string(std::max<std::int64_t>(1, options.busy_timeout.count())) +
         "; SET application_name = 'idem-journal'; SET client_min_messages = warning";
  return sql;
}

}  // namespace

PostgresJournal::PostgresJournal(std::string conninfo, std::string session_sql,
                                 JournalOptions options)
    : conninfo_(std::move(conninfo)),
      session_sql_(std::move(session_sql)),
      options_(std::move(options)) {}

PostgresJournal::~PostgresJournal() = default;

Result<std::unique_ptr<PostgresJournal>> PostgresJournal::Open(const std::string& conninfo,
                                                               JournalOptions options) {
  if (!options.clock) options.clock = DefaultClock();
  std::string session_sql = SessionSql(options);
  auto conn = pg::Connection::Open(conninfo, session_sql, nullptr);
  if (!conn) return tl::unexpected(conn.error().error);
  if (auto st = pg::Migrate(**conn); !st) return tl::unexpected(st.error());
  std::unique_ptr<PostgresJournal> journal(
      new PostgresJournal(conninfo, std::move(session_sql), std::move(options)));
  // Prepare on a first pooled connection now, so a bad setup fails Open.
  auto first = journal->Acquire();
  if (!first) return tl::unexpected(first.error().error);
  journal->Return(std::move(*first));
  return journal;
}

std::int64_t PostgresJournal::NowMs() const { return ToUnixMillis(options_.clock->Now()); }

std::uint64_t PostgresJournal::reconnects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reconnects_;
}

PgResult<std::unique_ptr<pg::Connection>> PostgresJournal::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  returned_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxConnections; });
  if (!idle_.empty()) {
    std::unique_ptr<pg::Connection> conn = std::move(idle_.back());
    idle_.pop_back();
    if (conn->Healthy()) return conn;
    --open_;  // broken while idle: replace it below
  }
  ++open_;
  lock.unlock();
  auto conn = pg::Connection::Open(conninfo_, session_sql_, &pg::Statements());
  if (!conn) {
    lock.lock();
    --open_;
    returned_.notify_one();
  }
  return conn;
}

void PostgresJournal::Return(std::unique_ptr<pg::Connection> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (conn && conn->Healthy()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  returned_.notify_one();
}

Status PostgresJournal::Transaction(const Body& body) {
  // Real time, not options_.clock: this bounds waiting for a real server.
  const auto deadline = std::chrono::steady_clock::now() + options_.busy_timeout;
  auto backoff = std::chrono::milliseconds(5);
  while (true) {
    bool commit_sent = false;
    auto conn = Acquire();
    PgResult<void> outcome = [&]() -> PgResult<void> {
      if (!conn) return tl::unexpected(conn.error());
      if (auto r = (*conn)->Simple("BEGIN"); !r) return tl::unexpected(r.error());
      if (auto r = body(**conn); !r) return r;
      commit_sent = true;
      if (auto r = (*conn)->Simple("COMMIT"); !r) return tl::unexpected(r.error());
      return {};
    }();
    if (outcome) {
      Return(std::move(*conn));
      return {};
    }
    const Failure failure = outcome.error();
    if (conn && !failure.connection_lost) {
      if (!commit_sent) (void)(*conn)->Simple("ROLLBACK");
      Return(std::move(*conn));
    } else if (conn) {
      Return(nullptr);  // counts the broken connection out of the pool
    }
    const bool may_retry = (failure.connection_lost || failure.retryable) && !commit_sent &&
                           std::chrono::steady_clock::now() < deadline;
    if (!may_retry) {
      if (commit_sent && failure.connection_lost) {
        return MakeError(ErrorCode::kUnavailable, "postgres: outcome of COMMIT unknown (" +
                                                      failure.error.message() +
                                                      "); repeat the call");
      }
      return tl::unexpected(failure.error);
    }
    if (failure.connection_lost) {
      std::lock_guard<std::mutex> lock(mu_);
      ++reconnects_;
    }
    // Nothing committed: a short pause (the server may be restarting), then
    // the whole transaction again on a fresh connection.
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(200));
  }
}

Result<BeginResult> PostgresJournal::Begin(const Operation& op, std::string_view owner,
                                           std::chrono::milliseconds lease) {
  if (auto st = CheckBegin(op, owner, lease); !st) return tl::unexpected(st.error());

  BeginResult result{};
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    const std::int64_t now = NowMs();
    const std::int64_t until = now + lease.count();
    Operation fresh = op;
    fresh.created_ms = op.created_ms != 0 ? op.created_ms : now;
    fresh.updated_ms = now;
    const bool take_fresh = !IsFinal(fresh.state);
    fresh.lease_owner = take_fresh ? std::string(owner) : "";
    fresh.lease_until_ms = take_fresh ? until : 0;
    fresh.lease_generation = 1;
    const std::string_view state = OpStateName(fresh.state);
    auto inserted = conn.Exec(
        "j_insert", {Param::Bytes(fresh.op_id),         Param::Bytes(fresh.idem_key),
                     Param::Bytes(fresh.kind),          Param::Bytes(fresh.method),
                     Param::Bytes(fresh.path),          Param::Bytes(fresh.content_type),
                     Param::Bytes(fresh.body),          Param::Bytes(fresh.fingerprint),
                     Param::Bytes(fresh.natural_key),   Param::Bytes(state),
                     Param::Int(fresh.attempts),        Param::Int(fresh.created_ms),
                     Param::Int(fresh.first_sent_ms),   Param::Int(fresh.updated_ms),
                     Param::Int(fresh.next_attempt_ms), Param::Bytes(fresh.lease_owner),
                     Param::Int(fresh.lease_until_ms),  Param::Int(fresh.lease_generation),
                     Param::Int(fresh.response_status), Param::Bytes(fresh.response_headers),
                     Param::Bytes(fresh.response_body), Param::Bytes(fresh.resource_id),
                     Param::Bytes(fresh.last_error)});
    if (!inserted) {
      if (inserted.error().error.code() == ErrorCode::kAlreadyExists) {
        // op_id conflicts are absorbed by ON CONFLICT: the key is taken.
        return Fail(ErrorCode::kAlreadyExists,
                    "journal: idem_key of op '" + op.op_id + "' is used by another op");
      }
      return tl::unexpected(inserted.error());
    }
    if (inserted->size() == 1) {
      result = BeginResult{std::move(fresh), true, take_fresh};
      return {};
    }
    // The op exists: lock it, so a concurrent Begin or claim waits for us.
    auto rows = conn.Exec("j_select_locked", {Param::Bytes(op.op_id)});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->size() != 1) {
      return Fail(ErrorCode::kInternal, "journal: op '" + op.op_id + "' vanished during Begin");
    }
    auto existing = pg::ReadOperation(*rows, 0);
    if (!existing) return Fail(existing.error());
    Operation stored = std::move(*existing);
    if (stored.fingerprint != op.fingerprint) {
      return Fail(ErrorCode::kAlreadyExists,
                  "journal: op '" + op.op_id +
                      "' exists with a different request (method, path or body); "
                      "use another op_id");
    }
    const bool free = stored.lease_owner.empty() || stored.lease_until_ms <= now;
    const bool take = !IsFinal(stored.state) && free;
    if (take) {
      auto set =
          conn.Exec("j_set_lease", {Param::Bytes(op.op_id), Param::Bytes(owner), Param::Int(until),
                                    Param::Int(stored.lease_generation + 1), Param::Int(now)});
      if (!set) return tl::unexpected(set.error());
      stored.lease_owner = std::string(owner);
      stored.lease_until_ms = until;
      stored.lease_generation += 1;
      stored.updated_ms = now;
    }
    result = BeginResult{std::move(stored), false, take};
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return result;
}

Status PostgresJournal::Update(const Operation& op) {
  if (auto st = CheckIdentifier("op_id", op.op_id); !st) return st;
  return Transaction([&](pg::Connection& conn) -> PgResult<void> {
    std::vector<Param> params = FenceParams(op);
    const std::string_view state = OpStateName(op.state);
    params.insert(params.end(), {Param::Bytes(state), Param::Int(op.attempts),
                                 Param::Int(op.first_sent_ms), Param::Int(NowMs()),
                                 Param::Int(op.next_attempt_ms), Param::Int(op.response_status),
                                 Param::Bytes(op.response_headers), Param::Bytes(op.response_body),
                                 Param::Bytes(op.resource_id), Param::Bytes(op.last_error),
                                 Param::Int(IsFinal(op.state) ? 1 : 0), Param::Bytes(op.idem_key)});
    auto rows = conn.Exec("j_update", params);
    if (!rows) return tl::unexpected(rows.error());
    if (rows->size() == 0) return ExplainFenced(conn, op);
    return {};
  });
}

Status PostgresJournal::RenewLease(const Operation& op, std::chrono::milliseconds lease) {
  if (auto st = CheckLease(lease); !st) return st;
  if (auto st = CheckIdentifier("op_id", op.op_id); !st) return st;
  return Transaction([&](pg::Connection& conn) -> PgResult<void> {
    const std::int64_t now = NowMs();
    std::vector<Param> params = FenceParams(op);
    params.insert(params.end(), {Param::Int(now + lease.count()), Param::Int(now)});
    auto rows = conn.Exec("j_renew", params);
    if (!rows) return tl::unexpected(rows.error());
    if (rows->size() == 0) return ExplainFenced(conn, op);
    return {};
  });
}

Status PostgresJournal::Release(const Operation& op) {
  if (auto st = CheckIdentifier("op_id", op.op_id); !st) return st;
  return Transaction([&](pg::Connection& conn) -> PgResult<void> {
    std::vector<Param> params = FenceParams(op);
    params.push_back(Param::Int(NowMs()));
    auto rows = conn.Exec("j_release", params);
    if (!rows) return tl::unexpected(rows.error());
    if (rows->size() == 0) return ExplainFenced(conn, op);
    return {};
  });
}

Result<std::vector<Operation>> PostgresJournal::ClaimUnfinished(std::string_view owner,
                                                                std::chrono::milliseconds lease,
                                                                std::size_t max) {
  if (auto st = CheckIdentifier("owner", owner); !st) return tl::unexpected(st.error());
  if (auto st = CheckLease(lease); !st) return tl::unexpected(st.error());
  std::vector<Operation> claimed;
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    const std::int64_t now = NowMs();
    auto rows =
        conn.Exec("j_claim", {Param::Int(now),
                              max == 0 ? Param::Null() : Param::Int(static_cast<std::int64_t>(max)),
                              Param::Bytes(owner), Param::Int(now + lease.count())});
    if (!rows) return tl::unexpected(rows.error());
    auto ops = ReadOps(*rows);
    if (!ops) return tl::unexpected(ops.error());
    claimed = std::move(*ops);
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return claimed;
}

Result<std::optional<Operation>> PostgresJournal::Get(std::string_view op_id) {
  std::optional<Operation> found;
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    found.reset();
    auto rows = conn.Exec("j_select", {Param::Bytes(op_id)});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->size() == 0) return {};
    auto op = pg::ReadOperation(*rows, 0);
    if (!op) return Fail(op.error());
    found = std::move(*op);
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return found;
}

Result<std::vector<Operation>> PostgresJournal::List(const OpFilter& filter) {
  const Param limit =
      filter.limit == 0 ? Param::Null() : Param::Int(static_cast<std::int64_t>(filter.limit));
  std::vector<Operation> listed;
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    auto rows = filter.state
                    ? conn.Exec("j_list_state", {Param::Bytes(OpStateName(*filter.state)), limit})
                    : conn.Exec("j_list", {limit});
    if (!rows) return tl::unexpected(rows.error());
    auto ops = ReadOps(*rows);
    if (!ops) return tl::unexpected(ops.error());
    listed = std::move(*ops);
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return listed;
}

Result<std::vector<Operation>> PostgresJournal::FindByNaturalKey(std::string_view natural_key) {
  if (natural_key.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "journal: empty natural key");
  }
  std::vector<Operation> found;
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    auto rows = conn.Exec("j_find_natural_key", {Param::Bytes(natural_key)});
    if (!rows) return tl::unexpected(rows.error());
    auto ops = ReadOps(*rows);
    if (!ops) return tl::unexpected(ops.error());
    found = std::move(*ops);
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return found;
}

Result<std::vector<Operation>> PostgresJournal::AdoptResource(std::string_view natural_key,
                                                              std::string_view resource_id,
                                                              std::string_view response_body) {
  if (natural_key.empty() && resource_id.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "journal: AdoptResource needs a natural key or a resource id");
  }
  std::vector<Operation> settled;
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    auto rows = conn.Exec("j_adopt", {Param::Bytes(natural_key), Param::Bytes(resource_id),
                                      Param::Bytes(response_body), Param::Int(NowMs())});
    if (!rows) return tl::unexpected(rows.error());
    auto ops = ReadOps(*rows);
    if (!ops) return tl::unexpected(ops.error());
    settled = std::move(*ops);
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return settled;
}

}  // namespace journal

Result<std::unique_ptr<Journal>> OpenPostgresJournal(const std::string& conninfo_or_url,
                                                     JournalOptions options) {
  auto journal = journal::PostgresJournal::Open(conninfo_or_url, std::move(options));
  if (!journal) return tl::unexpected(journal.error());
  return std::unique_ptr<Journal>(std::move(*journal));
}

bool IsPostgresUrl(std::string_view path_or_url) {
  return path_or_url.rfind("postgres://", 0) == 0 || path_or_url.rfind("postgresql://", 0) == 0;
}

Result<std::unique_ptr<Journal>> OpenJournal(const std::string& path_or_url,
                                             JournalOptions options) {
  if (IsPostgresUrl(path_or_url)) return OpenPostgresJournal(path_or_url, std::move(options));
  return OpenSqliteJournal(path_or_url, std::move(options));
}

}  // namespace idem
