// The shared rate budget on SQLite: grants and caps are rows in the journal
// file, decided by rate::Decide inside a write transaction, so every process
// on the file sees one budget (SQLite's write lock serialises the deciders).
#include "common/rate_rule.h"
#include "journal/sqlite_journal.h"

namespace idem::journal {

using sqlite::Database;

const std::vector<std::string>& RateSchemaSteps() {
  static const std::vector<std::string> steps = {
      // 1: one row per grant (a log, not a counter: see common/rate_rule.h)
      // and at most one cap per scope.
      R"sql(
        CREATE TABLE rate_grants (
          scope TEXT    NOT NULL,
          at_ms INTEGER NOT NULL
        );
        CREATE INDEX rate_grants_by_scope ON rate_grants (scope, at_ms);
        CREATE TABLE rate_caps (
          scope     TEXT    NOT NULL PRIMARY KEY,
          allowance INTEGER NOT NULL,
          from_ms   INTEGER NOT NULL,
          until_ms  INTEGER NOT NULL
        );
      )sql",
  };
  return steps;
}

Result<RateTake> SqliteJournal::TakeRate(const RateLimits& scopes, std::int64_t asked_ms) {
  RateTake take;
  const auto asked = options_.clock->SteadyNow();
  auto st = committer_->Run([&](Database& db) -> Status {
    // A grant is stamped when it is decided, not when it was asked for: the
    // write lock may have kept this process waiting while others were
    // granted, and a stale stamp would let this grant and a later one's
    // requests reach the server inside one window.
    const std::int64_t now_ms = asked_ms + std::chrono::duration_cast<std::chrono::milliseconds>(
                                               options_.clock->SteadyNow() - asked)
                                               .count();
    std::vector<rate::ScopeState> states;
    for (const auto& [scope, limit] : scopes) {
      auto prune = db.Prepare("DELETE FROM rate_grants WHERE scope = ? AND at_ms <= ?");
      if (!prune) return tl::unexpected(prune.error());
      prune->BindAll(scope, now_ms - rate::GrantSpanMs(limit));
      if (auto run = prune->Run(); !run) return run;
      rate::ScopeState state;
      state.limit = limit;
      auto grants = db.Prepare("SELECT at_ms FROM rate_grants WHERE scope = ?");
      if (!grants) return tl::unexpected(grants.error());
      grants->Bind(1, scope);
      while (true) {
        auto row = grants->Step();
        if (!row) return tl::unexpected(row.error());
        if (!*row) break;
        state.grants.push_back(grants->ColumnInt64(0));
      }
      auto cap = db.Prepare("SELECT allowance, from_ms, until_ms FROM rate_caps WHERE scope = ?");
      if (!cap) return tl::unexpected(cap.error());
      cap->Bind(1, scope);
      auto row = cap->Step();
      if (!row) return tl::unexpected(row.error());
      if (*row) {
        state.has_cap = true;
        state.cap = {cap->ColumnInt(0), cap->ColumnInt64(1), cap->ColumnInt64(2)};
      }
      states.push_back(std::move(state));
    }
    const rate::Decision d = rate::Decide(states, now_ms);
    take = RateTake{d.granted, d.retry_at_ms, d.plan_remaining};
    if (!d.granted) return {};
    for (const auto& [scope, limit] : scopes) {
      if (limit.limit <= 0) continue;
      auto insert = db.Prepare("INSERT INTO rate_grants (scope, at_ms) VALUES (?, ?)");
      if (!insert) return tl::unexpected(insert.error());
      insert->BindAll(scope, now_ms);
      if (auto run = insert->Run(); !run) return run;
    }
    return {};
  });
  if (!st) return tl::unexpected(st.error());
  return take;
}

Status SqliteJournal::SetRateCap(const std::vector<std::string>& scopes, int allowance,
                                 std::int64_t now_ms, std::int64_t until_ms) {
  return committer_->Run([&](Database& db) -> Status {
    for (const std::string& scope : scopes) {
      auto upsert = db.Prepare(
          "INSERT INTO rate_caps (scope, allowance, from_ms, until_ms) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (scope) DO UPDATE SET allowance = excluded.allowance, "
          "from_ms = excluded.from_ms, until_ms = excluded.until_ms");
      if (!upsert) return tl::unexpected(upsert.error());
      upsert->BindAll(scope, allowance, now_ms, until_ms);
      if (auto run = upsert->Run(); !run) return run;
    }
    return {};
  });
}

}  // namespace idem::journal
