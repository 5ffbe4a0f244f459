#include "journal/sqlite_journal.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

#include "journal/new_record.h"
#include "journal/resolution.h"
#include "journal/rules.h"
#include "journal/schema.h"
#include "journal/validation.h"

namespace idem {
namespace journal {
namespace {

using sqlite::Blob;
using sqlite::Database;

[[nodiscard]] Result<std::optional<Operation>> SelectOp(Database& db, std::string_view op_id) {
  auto stmt = db.Prepare(std::string("SELECT ") + kOpColumns + " FROM ops WHERE op_id = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->Bind(1, op_id);
  auto row = stmt->Step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<Operation>();
  auto op = ReadOperation(*stmt);
  if (!op) return tl::unexpected(op.error());
  return std::optional<Operation>(std::move(*op));
}

[[nodiscard]] Result<std::vector<Operation>> SelectOps(sqlite::Statement& stmt) {
  std::vector<Operation> ops;
  while (true) {
    auto row = stmt.Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return ops;
    auto op = ReadOperation(stmt);
    if (!op) return tl::unexpected(op.error());
    ops.push_back(std::move(*op));
  }
}

// The stored op, provided the caller may make `write` to it: its lease
// (owner + generation) is current, and a renewal is of an unfinished op.
[[nodiscard]] Result<Operation> LoadFenced(Database& db, const Operation& op, FencedWrite write) {
  if (auto st = CheckIdentifier("op_id", op.op_id); !st) return tl::unexpected(st.error());
  auto stored = SelectOp(db, op.op_id);
  if (!stored) return tl::unexpected(stored.error());
  if (!*stored) return MakeError(ErrorCode::kNotFound, "journal: no op '" + op.op_id + "'");
  const Operation& current = **stored;
  switch (DecideFencedWrite(write, current.state, LeaseOf(current), LeaseOf(op))) {
    case FencedWriteVerdict::kAllowed:
      break;
    case FencedWriteVerdict::kFencedOut:
      return MakeError(ErrorCode::kFailedPrecondition,
                       "journal: op '" + op.op_id + "' is leased by '" + current.lease_owner +
                           "' (generation " + std::to_string(current.lease_generation) +
                           "), not by '" + op.lease_owner + "' (generation " +
                           std::to_string(op.lease_generation) + ")");
    case FencedWriteVerdict::kAlreadySettled:
      return MakeError(
          ErrorCode::kFailedPrecondition,
          "journal: op '" + op.op_id + "' is already " + std::string(OpStateName(current.state)));
  }
  return std::move(**stored);
}

[[nodiscard]] Status SetLease(Database& db, std::string_view op_id, std::string_view owner,
                              std::int64_t until_ms, std::int64_t generation, std::int64_t now_ms) {
  auto stmt = db.Prepare(
      "UPDATE ops SET lease_owner = ?, lease_until_ms = ?, lease_generation = ?, updated_ms = ? "
      "WHERE op_id = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->BindAll(owner, until_ms, generation, now_ms, op_id);
  return stmt->Run();
}

}  // namespace

SqliteJournal::SqliteJournal(std::unique_ptr<Database> writer, std::unique_ptr<Database> reader,
                             JournalOptions options)
    : writer_(std::move(writer)),
      reader_(std::move(reader)),
      options_(std::move(options)),
      committer_(std::make_unique<GroupCommitter>(*writer_, options_.group_commit_delay)) {}

Result<std::unique_ptr<SqliteJournal>> SqliteJournal::Open(const std::string& path,
                                                           JournalOptions options) {
  if (!options.clock) options.clock = DefaultClock();
  sqlite::OpenOptions db_options;
  std::string where = path;
  if (path == ":memory:") {
    // Each connection to ":memory:" is a database of its own, and the
    // journal holds two (writer and reader): both open one memdb database
    // instead, named for this journal alone, which lives while they do.
    static std::atomic<std::uint64_t> next{0};
    where = "file:/idem-journal-" + std::to_string(next++) + "?vfs=memdb";
    db_options.uri = true;
  }
  db_options.synchronous = options.durability == Durability::kPowerLoss
                               ? sqlite::Synchronous::kFull
                               : sqlite::Synchronous::kNormal;
  db_options.busy_timeout = options.busy_timeout;
  auto writer = Database::Open(where, db_options);
  if (!writer) return tl::unexpected(writer.error());
  if (auto st = sqlite::Migrate(**writer, kSchemaComponent, SchemaSteps()); !st) {
    return tl::unexpected(st.error());
  }
  if (auto st = sqlite::Migrate(**writer, kRateSchemaComponent, RateSchemaSteps()); !st) {
    return tl::unexpected(st.error());
  }
  auto reader = Database::Open(where, db_options);
  if (!reader) return tl::unexpected(reader.error());
  return std::unique_ptr<SqliteJournal>(
      new SqliteJournal(std::move(*writer), std::move(*reader), std::move(options)));
}

std::int64_t SqliteJournal::NowMs() const { return ToUnixMillis(options_.clock->Now()); }

Result<BeginResult> SqliteJournal::Begin(const Operation& op, std::string_view owner,
                                         std::chrono::milliseconds lease) {
  if (auto st = CheckBegin(op, owner, lease); !st) return tl::unexpected(st.error());

  BeginResult result{};
  auto st = committer_->Run([&](Database& db) { return BeginIn(db, op, owner, lease, result); });
  if (!st) return tl::unexpected(st.error());
  return result;
}

std::vector<Result<BeginResult>> SqliteJournal::BeginMany(const std::vector<Operation>& ops,
                                                          std::string_view owner,
                                                          std::chrono::milliseconds lease) {
  std::vector<Result<BeginResult>> results(ops.size());
  std::vector<GroupCommitter::Work> works;
  std::vector<std::size_t> index;  // works[k] is ops[index[k]]
  std::vector<BeginResult> begun(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (auto st = CheckBegin(ops[i], owner, lease); !st) {
      results[i] = tl::unexpected(st.error());
      continue;
    }
    index.push_back(i);
    works.push_back([&, i](Database& db) { return BeginIn(db, ops[i], owner, lease, begun[i]); });
  }
  // One transaction for the whole batch (and whatever else is queued).
  std::vector<Status> statuses = committer_->RunMany(works);
  for (std::size_t k = 0; k < index.size(); ++k) {
    const std::size_t i = index[k];
    if (statuses[k]) {
      results[i] = std::move(begun[i]);
    } else {
      results[i] = tl::unexpected(statuses[k].error());
    }
  }
  return results;
}

Status SqliteJournal::BeginIn(Database& db, const Operation& op, std::string_view owner,
                              std::chrono::milliseconds lease, BeginResult& result) {
  const std::int64_t now = NowMs();
  const std::int64_t until = now + lease.count();
  // A new op is the common case: insert straight away. A taken op_id (or
  // caller-supplied idem_key) fails the INSERT alone (SQLite undoes just
  // that statement), and only then is the stored op read.
  Operation fresh = NewRecord(op, owner, now, lease);
  const bool take_new = !fresh.lease_owner.empty();
  auto insert = db.Prepare(std::string("INSERT INTO ops (") + kOpColumns +
                           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                           "?, ?, ?, ?, ?, ?, ?)");
  if (!insert) return tl::unexpected(insert.error());
  insert->BindAll(fresh.op_id, fresh.idem_key, std::int64_t{fresh.idem_key_from_caller ? 1 : 0},
                  fresh.kind, fresh.method, fresh.path, fresh.content_type, Blob{fresh.body},
                  fresh.fingerprint, fresh.natural_key, OpStateName(fresh.state), fresh.attempts,
                  fresh.created_ms, fresh.first_sent_ms, fresh.updated_ms, fresh.next_attempt_ms,
                  fresh.lease_owner, fresh.lease_until_ms, fresh.lease_generation,
                  fresh.response_status, fresh.response_headers, Blob{fresh.response_body},
                  fresh.resource_id, fresh.last_error, std::int64_t{fresh.needs_review ? 1 : 0},
                  fresh.audit);
  auto inserted = insert->Run();
  if (inserted) {
    result = BeginResult{std::move(fresh), true, take_new};
    return {};
  }
  if (inserted.error().code() != ErrorCode::kAlreadyExists) return inserted;

  auto existing = SelectOp(db, op.op_id);
  if (!existing) return tl::unexpected(existing.error());
  if (!*existing) {
    // op_id is free, so the idempotency key is taken.
    return MakeError(ErrorCode::kAlreadyExists,
                     "journal: idem_key of op '" + op.op_id + "' is used by another op");
  }
  Operation stored = std::move(**existing);
  switch (DecideBeginOnExisting(stored.state, stored.fingerprint, op.fingerprint, LeaseOf(stored),
                                now)) {
    case BeginOnExisting::kRefuseOtherRequest:
      return MakeError(ErrorCode::kAlreadyExists,
                       "journal: op '" + op.op_id +
                           "' exists with a different request (method, path or body); "
                           "use another op_id");
    case BeginOnExisting::kReturnStored:
      result = BeginResult{std::move(stored), false, false};
      return {};
    case BeginOnExisting::kTakeLease:
      break;
  }
  if (auto set = SetLease(db, op.op_id, owner, until, stored.lease_generation + 1, now); !set) {
    return set;
  }
  stored.lease_owner = std::string(owner);
  stored.lease_until_ms = until;
  stored.lease_generation += 1;
  stored.updated_ms = now;
  result = BeginResult{std::move(stored), false, true};
  return {};
}

Status SqliteJournal::Update(const Operation& op) {
  return committer_->Run([&](Database& db) { return UpdateIn(db, op); });
}

std::vector<Status> SqliteJournal::UpdateMany(const std::vector<const Operation*>& ops) {
  std::vector<GroupCommitter::Work> works;
  works.reserve(ops.size());
  for (const Operation* op : ops) {
    works.push_back([this, op](Database& db) { return UpdateIn(db, *op); });
  }
  return committer_->RunMany(works);  // one transaction for the batch
}

Status SqliteJournal::UpdateIn(Database& db, const Operation& op) {
  if (auto st = CheckIdentifier("op_id", op.op_id); !st) return st;
  // Fenced in the WHERE clause (FenceHolds: owner and generation must be the caller's), so
  // the common case is one statement; the row is read only to explain a miss.
  // The key almost never changes (only past the key window): the first try
  // leaves idem_key (and so the caller-key index) alone and matches only if the
  // stored key (and its source) is the op's; a miss retries with the key in
  // the SET list.
  const bool final = UpdateReleasesLease(op.state);
  for (const bool set_key : {false, true}) {
    auto stmt = db.Prepare(
        set_key ? "UPDATE ops SET idem_key = ?1, key_from_caller = ?16, state = ?2, attempts = ?3, "
                  "first_sent_ms = ?4, "
                  "updated_ms = ?5, next_attempt_ms = ?6, response_status = ?7, "
                  "response_headers = ?8, response_body = ?9, resource_id = ?10, "
                  "last_error = ?11, needs_review = ?17, audit = ?18, "
                  "lease_owner = CASE WHEN ?12 THEN '' ELSE lease_owner END, "
                  "lease_until_ms = CASE WHEN ?12 THEN 0 ELSE lease_until_ms END "
                  "WHERE op_id = ?13 AND lease_owner = ?14 AND lease_owner <> '' "
                  "AND lease_generation = ?15"
                : "UPDATE ops SET state = ?2, attempts = ?3, first_sent_ms = ?4, "
                  "updated_ms = ?5, next_attempt_ms = ?6, response_status = ?7, "
                  "response_headers = ?8, response_body = ?9, resource_id = ?10, "
                  "last_error = ?11, needs_review = ?17, audit = ?18, "
                  "lease_owner = CASE WHEN ?12 THEN '' ELSE lease_owner END, "
                  "lease_until_ms = CASE WHEN ?12 THEN 0 ELSE lease_until_ms END "
                  "WHERE op_id = ?13 AND lease_owner = ?14 AND lease_owner <> '' "
                  "AND lease_generation = ?15 AND idem_key = ?1 AND key_from_caller = ?16");
    if (!stmt) return tl::unexpected(stmt.error());
    stmt->BindAll(op.idem_key, OpStateName(op.state), op.attempts, op.first_sent_ms, NowMs(),
                  op.next_attempt_ms, op.response_status, op.response_headers,
                  Blob{op.response_body}, op.resource_id, op.last_error,
                  std::int64_t{final ? 1 : 0}, op.op_id, op.lease_owner, op.lease_generation,
                  std::int64_t{op.idem_key_from_caller ? 1 : 0},
                  std::int64_t{op.needs_review ? 1 : 0}, op.audit);
    if (auto run = stmt->Run(); !run) return run;
    if (stmt->Changes() == 1) return {};
  }
  // Missing, or fenced out: LoadFenced says which.
  auto stored = LoadFenced(db, op, FencedWrite::kUpdate);
  if (!stored) return tl::unexpected(stored.error());
  return MakeError(ErrorCode::kInternal,
                   "journal: update of op '" + op.op_id + "' changed nothing");
}

Status SqliteJournal::RenewLease(const Operation& op, std::chrono::milliseconds lease) {
  if (auto st = CheckLease(lease); !st) return st;
  return committer_->Run([&](Database& db) -> Status {
    auto stored = LoadFenced(db, op, FencedWrite::kRenew);
    if (!stored) return tl::unexpected(stored.error());
    const std::int64_t now = NowMs();
    return SetLease(db, op.op_id, stored->lease_owner, now + lease.count(),
                    stored->lease_generation, now);
  });
}

Status SqliteJournal::Release(const Operation& op) {
  return committer_->Run([&](Database& db) -> Status {
    auto stored = LoadFenced(db, op, FencedWrite::kRelease);
    if (!stored) return tl::unexpected(stored.error());
    return SetLease(db, op.op_id, "", 0, stored->lease_generation, NowMs());
  });
}

Result<std::vector<Operation>> SqliteJournal::ClaimUnfinished(std::string_view owner,
                                                              std::chrono::milliseconds lease,
                                                              std::size_t max,
                                                              const ClaimFilter& filter) {
  if (auto st = CheckIdentifier("owner", owner); !st) return tl::unexpected(st.error());
  if (auto st = CheckLease(lease); !st) return tl::unexpected(st.error());
  std::vector<Operation> claimed;
  auto st = committer_->Run([&](Database& db) -> Status {
    claimed.clear();
    const std::int64_t now = NowMs();
    // The WHERE clause is journal/rules.h's MayClaim.
    auto select =
        db.Prepare(std::string("SELECT ") + kOpColumns +
                   " FROM ops WHERE state IN ('in_flight', 'unknown') AND needs_review = 0 "
                   "AND (lease_owner = '' OR lease_until_ms <= ?1) "
                   "AND (state = 'in_flight' OR (?3 = 1 AND (?4 = 0 OR updated_ms <= ?4))) "
                   "ORDER BY created_ms, rowid LIMIT ?2");
    if (!select) return tl::unexpected(select.error());
    select->BindAll(now, max == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(max),
                    std::int64_t{filter.include_unknown ? 1 : 0}, filter.max_unknown_updated_ms);
    auto ops = SelectOps(*select);
    if (!ops) return tl::unexpected(ops.error());
    for (Operation& op : *ops) {
      op.lease_owner = std::string(owner);
      op.lease_until_ms = now + lease.count();
      op.lease_generation += 1;
      op.updated_ms = now;
      if (auto set =
              SetLease(db, op.op_id, op.lease_owner, op.lease_until_ms, op.lease_generation, now);
          !set) {
        return set;
      }
    }
    claimed = std::move(*ops);
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return claimed;
}

Result<std::optional<Operation>> SqliteJournal::Get(std::string_view op_id) {
  std::lock_guard<std::mutex> lock(read_mu_);
  return SelectOp(*reader_, op_id);
}

Result<std::vector<Operation>> SqliteJournal::List(const OpFilter& filter) {
  std::lock_guard<std::mutex> lock(read_mu_);
  const std::int64_t limit = filter.limit == 0 ? -1 : static_cast<std::int64_t>(filter.limit);
  // -1 = any; a state filter keeps the statement on the unfinished index
  // for in_flight/unknown.
  const std::int64_t review = filter.needs_review ? (*filter.needs_review ? 1 : 0) : -1;
  if (filter.state) {
    auto stmt = reader_->Prepare(std::string("SELECT ") + kOpColumns +
                                 " FROM ops WHERE state = ?1 AND (?3 < 0 OR needs_review = ?3) "
                                 "ORDER BY created_ms, rowid LIMIT ?2");
    if (!stmt) return tl::unexpected(stmt.error());
    stmt->BindAll(OpStateName(*filter.state), limit, review);
    return SelectOps(*stmt);
  }
  auto stmt = reader_->Prepare(std::string("SELECT ") + kOpColumns +
                               " FROM ops WHERE (?2 < 0 OR needs_review = ?2) "
                               "ORDER BY created_ms, rowid LIMIT ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->BindAll(limit, review);
  return SelectOps(*stmt);
}

Result<std::vector<Operation>> SqliteJournal::FindByNaturalKey(std::string_view natural_key) {
  if (natural_key.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "journal: empty natural key");
  }
  std::lock_guard<std::mutex> lock(read_mu_);
  // "natural_key <> ''" lets SQLite use the partial index.
  auto stmt = reader_->Prepare(std::string("SELECT ") + kOpColumns +
                               " FROM ops WHERE natural_key = ? AND natural_key <> '' "
                               "ORDER BY created_ms, rowid");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->Bind(1, natural_key);
  return SelectOps(*stmt);
}

// Writes every field a resolution or an adoption may change, whole, lease
// released, under the write lock that read the op.
[[nodiscard]] static Status WriteSettledRow(Database& db, const Operation& op) {
  auto update = db.Prepare(
      "UPDATE ops SET state = ?1, idem_key = ?2, key_from_caller = ?3, first_sent_ms = ?4, "
      "updated_ms = ?5, next_attempt_ms = ?6, response_status = ?7, response_headers = ?8, "
      "response_body = ?9, resource_id = ?10, last_error = ?11, needs_review = ?12, "
      "audit = ?13, lease_owner = '', lease_until_ms = 0, lease_generation = ?14 "
      "WHERE op_id = ?15");
  if (!update) return tl::unexpected(update.error());
  update->BindAll(OpStateName(op.state), op.idem_key, std::int64_t{op.idem_key_from_caller ? 1 : 0},
                  op.first_sent_ms, op.updated_ms, op.next_attempt_ms, op.response_status,
                  op.response_headers, Blob{op.response_body}, op.resource_id, op.last_error,
                  std::int64_t{op.needs_review ? 1 : 0}, op.audit, op.lease_generation, op.op_id);
  return update->Run();
}

Result<std::vector<Operation>> SqliteJournal::AdoptResource(const Adoption& adoption) {
  if (auto st = CheckAdoption(adoption); !st) return tl::unexpected(st.error());
  // Both statements below keep the states StateMayBeAdopted allows; which
  // candidates are settled is DecideAdoption's (through ApplyAdoption).
  // Almost every webhook finds nothing to adopt: answer that from the read
  // connection (a WAL snapshot, no lock) instead of taking the write lock,
  // which the webhook inbox's commits need at the same moment. Nothing found
  // now is what the write transaction would also have found at this instant.
  {
    std::lock_guard<std::mutex> lock(read_mu_);
    auto probe = reader_->Prepare(
        "SELECT 1 FROM ops WHERE state IN ('in_flight', 'unknown') AND ("
        "(natural_key = ?1 AND natural_key <> '') OR (resource_id = ?2 AND resource_id <> '')) "
        "LIMIT 1");
    if (!probe) return tl::unexpected(probe.error());
    probe->BindAll(adoption.natural_key, adoption.resource_id);
    auto row = probe->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return std::vector<Operation>();
  }
  std::vector<Operation> settled;
  auto st = committer_->Run([&](Database& db) -> Status {
    settled.clear();
    auto select = db.Prepare(
        std::string("SELECT ") + kOpColumns +
        " FROM ops WHERE state IN ('in_flight', 'unknown') AND ("
        "(natural_key = ?1 AND natural_key <> '') OR (resource_id = ?2 AND resource_id <> '')) "
        "ORDER BY created_ms, rowid");
    if (!select) return tl::unexpected(select.error());
    select->BindAll(adoption.natural_key, adoption.resource_id);
    auto candidates = SelectOps(*select);
    if (!candidates) return tl::unexpected(candidates.error());
    bool held_elsewhere = false;
    if (!adoption.resource_id.empty()) {
      auto held =
          db.Prepare("SELECT 1 FROM ops WHERE state = 'succeeded' AND resource_id = ?1 LIMIT 1");
      if (!held) return tl::unexpected(held.error());
      held->BindAll(adoption.resource_id);
      auto row = held->Step();
      if (!row) return tl::unexpected(row.error());
      held_elsewhere = *row;
    }
    auto adopted = ApplyAdoption(*candidates, adoption, held_elsewhere, NowMs());
    for (const Operation& op : adopted) {
      if (auto written = WriteSettledRow(db, op); !written) return written;
    }
    settled = std::move(adopted);
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return settled;
}

Result<Operation> SqliteJournal::ResolveUnknown(std::string_view op_id,
                                                const UnknownResolution& resolution) {
  if (auto st = CheckIdentifier("op_id", op_id); !st) return tl::unexpected(st.error());
  Operation resolved;
  auto st = committer_->Run([&](Database& db) -> Status {
    auto stored = SelectOp(db, op_id);
    if (!stored) return tl::unexpected(stored.error());
    auto next = ApplyResolution(*stored, op_id, resolution, NowMs());
    if (!next) return tl::unexpected(next.error());
    resolved = std::move(*next);
    // A fresh key another op already holds (a caller key) fails here:
    // kAlreadyExists, and the transaction's other work is kept.
    return WriteSettledRow(db, resolved);
  });
  if (!st) return tl::unexpected(st.error());
  return resolved;
}

}  // namespace journal

[[nodiscard]] Result<std::unique_ptr<Journal>> OpenSqliteJournal(const std::string& path,
                                                                 JournalOptions options) {
  auto journal = journal::SqliteJournal::Open(path, std::move(options));
  if (!journal) return tl::unexpected(journal.error());
  return std::unique_ptr<Journal>(std::move(*journal));
}

}  // namespace idem
