#include "journal/postgres_journal.h"

#include <algorithm>
#include <utility>

#include "journal/new_record.h"
#include "journal/pg_schema.h"
#include "journal/resolution.h"
#include "journal/rules.h"
#include "journal/validation.h"

namespace idem {
namespace journal {
namespace {

using pg::Failure;
using pg::Param;
using pg::PgResult;
using pg::Rows;

constexpr int kSeqColumn = 26;  // `seq`, after the op's columns

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
// or (for RenewLease) a settled op. A failed look-up is the outer error.
PgResult<Error> WhyFenced(pg::Connection& conn, const Operation& op) {
  auto rows = conn.Exec("j_select", {Param::Bytes(op.op_id)});
  if (!rows) return tl::unexpected(rows.error());
  if (rows->size() == 0) return Error(ErrorCode::kNotFound, "journal: no op '" + op.op_id + "'");
  auto current = pg::ReadOperation(*rows, 0);
  if (!current) return Fail(current.error());
  // The fence holds, so the statement's other condition failed: j_renew's
  // (a settled op's lease is never extended; DecideFencedWrite).
  if (FenceHolds(LeaseOf(*current), LeaseOf(op))) {
    return Error(ErrorCode::kFailedPrecondition, "journal: op '" + op.op_id + "' is already " +
                                                     std::string(OpStateName(current->state)));
  }
  return Error(ErrorCode::kFailedPrecondition,
               "journal: op '" + op.op_id + "' is leased by '" + current->lease_owner +
                   "' (generation " + std::to_string(current->lease_generation) + "), not by '" +
                   op.lease_owner + "' (generation " + std::to_string(op.lease_generation) + ")");
}

PgResult<void> ExplainFenced(pg::Connection& conn, const Operation& op) {
  auto why = WhyFenced(conn, op);
  if (!why) return tl::unexpected(why.error());
  return Fail(*why);
}

}  // namespace

PostgresJournal::PostgresJournal(const std::string& conninfo, std::string session_sql,
                                 JournalOptions options)
    : options_(std::move(options)),
      pool_(conninfo, std::move(session_sql), &pg::Statements(), kMaxConnections,
            options_.busy_timeout) {}

PostgresJournal::~PostgresJournal() = default;

Result<std::unique_ptr<PostgresJournal>> PostgresJournal::Open(const std::string& conninfo,
                                                               JournalOptions options) {
  if (!options.clock) options.clock = DefaultClock();
  std::string session_sql =
      pg::SessionSql(options.durability, options.busy_timeout, "idem-journal");
  auto conn = pg::Connection::Open(conninfo, session_sql, nullptr);
  if (!conn) return tl::unexpected(conn.error().error);
  if (auto st = pg::Migrate(**conn); !st) return tl::unexpected(st.error());
  if (auto st = MigrateRateBudget(**conn); !st) return tl::unexpected(st.error());
  std::unique_ptr<PostgresJournal> journal(
      new PostgresJournal(conninfo, std::move(session_sql), std::move(options)));
  // Prepare on a first pooled connection now, so a bad setup fails Open.
  auto first = journal->pool_.Acquire();
  if (!first) return tl::unexpected(first.error().error);
  journal->pool_.Return(std::move(*first));
  return journal;
}

std::int64_t PostgresJournal::NowMs() const { return ToUnixMillis(options_.clock->Now()); }

std::uint64_t PostgresJournal::reconnects() const { return pool_.reconnects(); }

PgResult<Result<BeginResult>> PostgresJournal::BeginIn(pg::Connection& conn, const Operation& op,
                                                       std::string_view owner,
                                                       std::chrono::milliseconds lease) {
  const std::int64_t now = NowMs();
  const std::int64_t until = now + lease.count();
  Operation fresh = NewRecord(op, owner, now, lease);
  const bool take_fresh = !fresh.lease_owner.empty();
  const std::string_view state = OpStateName(fresh.state);
  auto inserted = conn.Exec("j_insert", {Param::Bytes(fresh.op_id),
                                         Param::Bytes(fresh.idem_key),
                                         Param::Bytes(fresh.kind),
                                         Param::Bytes(fresh.method),
                                         Param::Bytes(fresh.path),
                                         Param::Bytes(fresh.content_type),
                                         Param::Bytes(fresh.body),
                                         Param::Bytes(fresh.fingerprint),
                                         Param::Bytes(fresh.natural_key),
                                         Param::Bytes(state),
                                         Param::Int(fresh.attempts),
                                         Param::Int(fresh.created_ms),
                                         Param::Int(fresh.first_sent_ms),
                                         Param::Int(fresh.updated_ms),
                                         Param::Int(fresh.next_attempt_ms),
                                         Param::Bytes(fresh.lease_owner),
                                         Param::Int(fresh.lease_until_ms),
                                         Param::Int(fresh.lease_generation),
                                         Param::Int(fresh.response_status),
                                         Param::Bytes(fresh.response_headers),
                                         Param::Bytes(fresh.response_body),
                                         Param::Bytes(fresh.resource_id),
                                         Param::Bytes(fresh.last_error),
                                         Param::Int(fresh.idem_key_from_caller ? 1 : 0),
                                         Param::Int(fresh.needs_review ? 1 : 0),
                                         Param::Bytes(fresh.audit)});
  if (!inserted) return tl::unexpected(inserted.error());
  if (inserted->size() == 1)
    return Result<BeginResult>(BeginResult{std::move(fresh), true, take_fresh});
  // A conflict: the op exists (lock it, so a concurrent Begin or claim waits
  // for us), or another op holds the key.
  auto rows = conn.Exec("j_select_locked", {Param::Bytes(op.op_id)});
  if (!rows) return tl::unexpected(rows.error());
  if (rows->size() != 1) {
    return Result<BeginResult>(
        MakeError(ErrorCode::kAlreadyExists,
                  "journal: idem_key of op '" + op.op_id + "' is used by another op"));
  }
  auto existing = pg::ReadOperation(*rows, 0);
  if (!existing) return Fail(existing.error());
  Operation stored = std::move(*existing);
  switch (DecideBeginOnExisting(stored.state, stored.fingerprint, op.fingerprint, LeaseOf(stored),
                                now)) {
    case BeginOnExisting::kRefuseOtherRequest:
      return Result<BeginResult>(
          MakeError(ErrorCode::kAlreadyExists,
                    "journal: op '" + op.op_id +
                        "' exists with a different request (method, path or body); "
                        "use another op_id"));
    case BeginOnExisting::kReturnStored:
      return Result<BeginResult>(BeginResult{std::move(stored), false, false});
    case BeginOnExisting::kTakeLease:
      break;
  }
  auto set =
      conn.Exec("j_set_lease", {Param::Bytes(op.op_id), Param::Bytes(owner), Param::Int(until),
                                Param::Int(stored.lease_generation + 1), Param::Int(now)});
  if (!set) return tl::unexpected(set.error());
  stored.lease_owner = std::string(owner);
  stored.lease_until_ms = until;
  stored.lease_generation += 1;
  stored.updated_ms = now;
  return Result<BeginResult>(BeginResult{std::move(stored), false, true});
}

Result<BeginResult> PostgresJournal::Begin(const Operation& op, std::string_view owner,
                                           std::chrono::milliseconds lease) {
  if (auto st = CheckBegin(op, owner, lease); !st) return tl::unexpected(st.error());
  Result<BeginResult> result = MakeError(ErrorCode::kInternal, "journal: Begin did not run");
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    auto begun = BeginIn(conn, op, owner, lease);
    if (!begun) return tl::unexpected(begun.error());
    if (!*begun) return Fail(begun->error());  // nothing was written
    result = std::move(*begun);
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return result;
}

// One transaction (so one commit, one WAL flush) for the whole batch. No
// statement fails for a reason of one op's own (see j_insert), so one op's
// refusal never aborts the others.
std::vector<Result<BeginResult>> PostgresJournal::BeginMany(const std::vector<Operation>& ops,
                                                            std::string_view owner,
                                                            std::chrono::milliseconds lease) {
  std::vector<Result<BeginResult>> results(ops.size());
  std::vector<std::size_t> valid;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (auto st = CheckBegin(ops[i], owner, lease); !st) {
      results[i] = tl::unexpected(st.error());
    } else {
      valid.push_back(i);
    }
  }
  if (valid.empty()) return results;
  std::vector<Result<BeginResult>> begun;
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    begun.clear();  // the body may run again on a fresh connection
    for (std::size_t i : valid) {
      auto one = BeginIn(conn, ops[i], owner, lease);
      if (!one) return tl::unexpected(one.error());
      begun.push_back(std::move(*one));
    }
    return {};
  });
  for (std::size_t k = 0; k < valid.size(); ++k) {
    if (st) {
      results[valid[k]] = std::move(begun[k]);
    } else {
      results[valid[k]] = tl::unexpected(st.error());
    }
  }
  return results;
}

PgResult<Status> PostgresJournal::UpdateIn(pg::Connection& conn, const Operation& op) {
  std::vector<Param> params = FenceParams(op);
  const std::string_view state = OpStateName(op.state);
  params.insert(params.end(),
                {Param::Bytes(state), Param::Int(op.attempts), Param::Int(op.first_sent_ms),
                 Param::Int(NowMs()), Param::Int(op.next_attempt_ms),
                 Param::Int(op.response_status), Param::Bytes(op.response_headers),
                 Param::Bytes(op.response_body), Param::Bytes(op.resource_id),
                 Param::Bytes(op.last_error), Param::Int(UpdateReleasesLease(op.state) ? 1 : 0),
                 Param::Bytes(op.idem_key), Param::Int(op.idem_key_from_caller ? 1 : 0),
                 Param::Int(op.needs_review ? 1 : 0), Param::Bytes(op.audit)});
  auto rows = conn.Exec("j_update", params);
  if (!rows) return tl::unexpected(rows.error());
  if (rows->size() == 1) return Status{};
  auto why = WhyFenced(conn, op);
  if (!why) return tl::unexpected(why.error());
  return Status(tl::unexpected(*why));
}

Status PostgresJournal::Update(const Operation& op) {
  if (auto st = CheckIdentifier("op_id", op.op_id); !st) return st;
  return Transaction([&](pg::Connection& conn) -> PgResult<void> {
    auto updated = UpdateIn(conn, op);
    if (!updated) return tl::unexpected(updated.error());
    if (!*updated) return Fail(updated->error());
    return {};
  });
}

// One transaction for the batch, as BeginMany. A fenced op touches no row,
// so it never aborts the others.
std::vector<Status> PostgresJournal::UpdateMany(const std::vector<const Operation*>& ops) {
  std::vector<Status> results(ops.size());
  std::vector<std::size_t> valid;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (auto st = CheckIdentifier("op_id", ops[i]->op_id); !st) {
      results[i] = st;
    } else {
      valid.push_back(i);
    }
  }
  if (valid.empty()) return results;
  std::vector<Status> updated;
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    updated.clear();  // the body may run again on a fresh connection
    for (std::size_t i : valid) {
      auto one = UpdateIn(conn, *ops[i]);
      if (!one) return tl::unexpected(one.error());
      updated.push_back(std::move(*one));
    }
    return {};
  });
  for (std::size_t k = 0; k < valid.size(); ++k) results[valid[k]] = st ? updated[k] : st;
  return results;
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
                                                                std::size_t max,
                                                                const ClaimFilter& filter) {
  if (auto st = CheckIdentifier("owner", owner); !st) return tl::unexpected(st.error());
  if (auto st = CheckLease(lease); !st) return tl::unexpected(st.error());
  std::vector<Operation> claimed;
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    const std::int64_t now = NowMs();
    auto rows = conn.Exec(
        "j_claim",
        {Param::Int(now), max == 0 ? Param::Null() : Param::Int(static_cast<std::int64_t>(max)),
         Param::Bytes(owner), Param::Int(now + lease.count()),
         Param::Int(filter.include_unknown ? 1 : 0), Param::Int(filter.max_unknown_updated_ms)});
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
    const Param review =
        filter.needs_review ? Param::Int(*filter.needs_review ? 1 : 0) : Param::Null();
    auto rows = filter.state ? conn.Exec("j_list_state",
                                         {Param::Bytes(OpStateName(*filter.state)), limit, review})
                             : conn.Exec("j_list", {limit, review});
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

// Writes every field a resolution or an adoption may change, whole, lease
// released, under the row lock that read the op.
static PgResult<void> WriteResolvedRow(pg::Connection& conn, const Operation& r) {
  auto written = conn.Exec(
      "j_resolve",
      {Param::Bytes(r.op_id), Param::Bytes(OpStateName(r.state)), Param::Bytes(r.idem_key),
       Param::Int(r.idem_key_from_caller ? 1 : 0), Param::Int(r.first_sent_ms),
       Param::Int(r.updated_ms), Param::Int(r.next_attempt_ms), Param::Int(r.response_status),
       Param::Bytes(r.response_headers), Param::Bytes(r.response_body), Param::Bytes(r.resource_id),
       Param::Bytes(r.last_error), Param::Int(r.needs_review ? 1 : 0), Param::Bytes(r.audit),
       Param::Int(r.lease_generation)});
  if (!written) return tl::unexpected(written.error());
  return {};
}

Result<std::vector<Operation>> PostgresJournal::AdoptResource(const Adoption& adoption) {
  if (auto st = CheckAdoption(adoption); !st) return tl::unexpected(st.error());
  std::vector<Operation> settled;
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    settled.clear();
    auto rows = conn.Exec("j_adopt_candidates",
                          {Param::Bytes(adoption.natural_key), Param::Bytes(adoption.resource_id)});
    if (!rows) return tl::unexpected(rows.error());
    auto candidates = ReadOps(*rows);
    if (!candidates) return tl::unexpected(candidates.error());
    if (candidates->empty()) return {};
    bool held_elsewhere = false;
    if (!adoption.resource_id.empty()) {
      auto held = conn.Exec("j_resource_held", {Param::Bytes(adoption.resource_id)});
      if (!held) return tl::unexpected(held.error());
      held_elsewhere = held->size() > 0;
    }
    auto adopted = ApplyAdoption(*candidates, adoption, held_elsewhere, NowMs());
    for (const Operation& r : adopted) {
      if (auto written = WriteResolvedRow(conn, r); !written) return written;
    }
    settled = std::move(adopted);
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return settled;
}

Result<Operation> PostgresJournal::ResolveUnknown(std::string_view op_id,
                                                  const UnknownResolution& resolution) {
  if (auto st = CheckIdentifier("op_id", op_id); !st) return tl::unexpected(st.error());
  Operation resolved;
  auto st = Transaction([&](pg::Connection& conn) -> PgResult<void> {
    auto rows = conn.Exec("j_select_locked", {Param::Bytes(op_id)});
    if (!rows) return tl::unexpected(rows.error());
    std::optional<Operation> stored;
    if (rows->size() == 1) {
      auto op = pg::ReadOperation(*rows, 0);
      if (!op) return Fail(op.error());
      stored = std::move(*op);
    }
    auto next = ApplyResolution(stored, op_id, resolution, NowMs());
    if (!next) return Fail(next.error());
    resolved = std::move(*next);
    return WriteResolvedRow(conn, resolved);
  });
  if (!st) return tl::unexpected(st.error());
  return resolved;
}

}  // namespace journal

[[nodiscard]] Result<std::unique_ptr<Journal>> OpenPostgresJournal(
    const std::string& conninfo_or_url, JournalOptions options) {
  auto journal = journal::PostgresJournal::Open(conninfo_or_url, std::move(options));
  if (!journal) return tl::unexpected(journal.error());
  return std::unique_ptr<Journal>(std::move(*journal));
}

bool IsPostgresUrl(std::string_view path_or_url) {
  return path_or_url.rfind("postgres://", 0) == 0 || path_or_url.rfind("postgresql://", 0) == 0;
}

[[nodiscard]] Result<std::unique_ptr<Journal>> OpenJournal(const std::string& path_or_url,
                                                           JournalOptions options) {
  if (IsPostgresUrl(path_or_url)) return OpenPostgresJournal(path_or_url, std::move(options));
  return OpenSqliteJournal(path_or_url, std::move(options));
}

}  // namespace idem
