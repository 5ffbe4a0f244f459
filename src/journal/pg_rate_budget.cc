// The shared rate budget on PostgreSQL: grants and caps are rows in the
// journal's database, decided by rate::Decide (the rule SQLite's journal
// calls too) inside one transaction that first takes a self-conflicting lock
// on the grants table, so every process and host on the database sees one
// budget and two deciders never both take the last slot. A grant is a
// timestamped row: a process SIGKILLed after taking one leaves a row that
// falls out of the window, nothing held (common/rate_rule.h).
#include "common/rate_rule.h"
#include "journal/pg_schema.h"
#include "journal/postgres_journal.h"

namespace idem::journal {

using pg::Connection;
using pg::Failure;
using pg::Param;
using pg::PgResult;

namespace {

// The component's own schema steps (beside the journal's, as on SQLite).
const std::vector<std::string>& PgRateSchemaSteps() {
  static const std::vector<std::string> steps = {
      R"sql(
        CREATE TABLE rate_grants (
          scope text   NOT NULL,
          at_ms bigint NOT NULL
        );
        CREATE INDEX rate_grants_by_scope ON rate_grants (scope, at_ms);
        CREATE TABLE rate_caps (
          scope     text   NOT NULL PRIMARY KEY,
          allowance bigint NOT NULL,
          from_ms   bigint NOT NULL,
          until_ms  bigint NOT NULL
        );
      )sql",
  };
  return steps;
}

// A grant or a cap need not survive a crash of the database server: one
// lost with the last commits before it lets the fleet send those requests
// again within one window, which the server answers with 429s that the
// budget adapts to; no op's exactly-once depends on it. So their commits
// do not wait for the WAL flush, and the lock every decider takes turns on
// is held for the transaction's work, not for an fsync.
constexpr char kNoWaitForTheWal[] = "SET LOCAL synchronous_commit = off";

}  // namespace

[[nodiscard]] Status MigrateRateBudget(Connection& conn) {
  return pg::MigrateComponent(conn, "rate_budget", PgRateSchemaSteps());
}

Result<RateTake> PostgresJournal::TakeRate(const RateLimits& scopes, std::int64_t asked_ms) {
  RateTake take;
  const auto asked = options_.clock->SteadyNow();
  auto st = Transaction([&](Connection& conn) -> PgResult<void> {
    if (auto r = conn.Simple(kNoWaitForTheWal); !r) return tl::unexpected(r.error());
    // SHARE ROW EXCLUSIVE conflicts with itself: deciders take turns, readers
    // of the journal's other tables are not touched. Held until COMMIT.
    if (auto r = conn.Simple("LOCK TABLE rate_grants IN SHARE ROW EXCLUSIVE MODE"); !r) {
      return tl::unexpected(r.error());
    }
    // Stamped when decided, after the lock wait (as on SQLite: a stale stamp
    // would let this grant and a later one reach the server in one window).
    const std::int64_t now_ms = asked_ms + std::chrono::duration_cast<std::chrono::milliseconds>(
                                               options_.clock->SteadyNow() - asked)
                                               .count();
    std::vector<rate::ScopeState> states;
    for (const auto& [scope, limit] : scopes) {
      auto pruned =
          conn.Params("DELETE FROM rate_grants WHERE scope = $1 AND at_ms <= $2",
                      {Param::Bytes(scope), Param::Int(now_ms - rate::GrantSpanMs(limit))});
      if (!pruned) return tl::unexpected(pruned.error());
      rate::ScopeState state;
      state.limit = limit;
      auto grants =
          conn.Params("SELECT at_ms FROM rate_grants WHERE scope = $1", {Param::Bytes(scope)});
      if (!grants) return tl::unexpected(grants.error());
      for (int i = 0; i < grants->size(); ++i) state.grants.push_back(grants->Int(i, 0));
      auto cap = conn.Params("SELECT allowance, from_ms, until_ms FROM rate_caps WHERE scope = $1",
                             {Param::Bytes(scope)});
      if (!cap) return tl::unexpected(cap.error());
      if (cap->size() > 0) {
        state.has_cap = true;
        state.cap = {static_cast<int>(cap->Int(0, 0)), cap->Int(0, 1), cap->Int(0, 2)};
      }
      states.push_back(std::move(state));
    }
    const rate::Decision d = rate::Decide(states, now_ms);
    take = RateTake{d.granted, d.retry_at_ms, d.plan_remaining};
    if (!d.granted) return {};
    for (const auto& [scope, limit] : scopes) {
      if (limit.limit <= 0) continue;
      auto inserted = conn.Params("INSERT INTO rate_grants (scope, at_ms) VALUES ($1, $2)",
                                  {Param::Bytes(scope), Param::Int(now_ms)});
      if (!inserted) return tl::unexpected(inserted.error());
    }
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return take;
}

Status PostgresJournal::SetRateCap(const std::vector<std::string>& scopes, int allowance,
                                   std::int64_t now_ms, std::int64_t until_ms) {
  return Transaction([&](Connection& conn) -> PgResult<void> {
    if (auto r = conn.Simple(kNoWaitForTheWal); !r) return tl::unexpected(r.error());
    for (const std::string& scope : scopes) {
      auto upserted = conn.Params(
          "INSERT INTO rate_caps (scope, allowance, from_ms, until_ms) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT (scope) DO UPDATE SET allowance = excluded.allowance, "
          "from_ms = excluded.from_ms, until_ms = excluded.until_ms",
          {Param::Bytes(scope), Param::Int(allowance), Param::Int(now_ms), Param::Int(until_ms)});
      if (!upserted) return tl::unexpected(upserted.error());
    }
    return {};
  });
}

}  // namespace idem::journal
