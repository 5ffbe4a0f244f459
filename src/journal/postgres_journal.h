// Internal: the PostgreSQL journal behind idem::OpenPostgresJournal.
//
// Connections: a small pool (pg::Pool, at most kMaxConnections, opened on
// demand). A call borrows one connection for its whole transaction, so
// threads never share a connection and never wait for each other's round
// trips.
//
// Transactions: every state change runs inside BEGIN ... COMMIT
// (pg::Pool::Transaction). If the link to the server breaks before COMMIT was
// sent, the server rolls the transaction back, so the journal reconnects and
// runs it again (until JournalOptions::busy_timeout). If it breaks while
// COMMIT is in flight the outcome is unknown and the call reports
// kUnavailable; it never reports success for something that was not
// committed. Every journal call is safe to repeat after kUnavailable (Begin
// finds its own op; a fenced Update with the same lease writes the same
// fields again).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "idem/journal.h"
#include "journal/pg_pool.h"

namespace idem::journal {

// Creates or migrates the rate budget's tables (component "rate_budget", its
// own schema version beside the journal's); in pg_rate_budget.cc.
[[nodiscard]] Status MigrateRateBudget(pg::Connection& conn);

class PostgresJournal final : public Journal {
 public:
  // Connections opened at most; more concurrent callers wait for one.
  static constexpr std::size_t kMaxConnections = 16;

  [[nodiscard]] static Result<std::unique_ptr<PostgresJournal>> Open(const std::string& conninfo,
                                                                     JournalOptions options);
  ~PostgresJournal() override;

  [[nodiscard]] Result<BeginResult> Begin(const Operation& op, std::string_view owner,
                                          std::chrono::milliseconds lease) override;
  [[nodiscard]] Status Update(const Operation& op) override;
  // One transaction (one commit) per batch.
  std::vector<Result<BeginResult>> BeginMany(const std::vector<Operation>& ops,
                                             std::string_view owner,
                                             std::chrono::milliseconds lease) override;
  std::vector<Status> UpdateMany(const std::vector<const Operation*>& ops) override;
  [[nodiscard]] Status RenewLease(const Operation& op, std::chrono::milliseconds lease) override;
  [[nodiscard]] Status Release(const Operation& op) override;
  [[nodiscard]] Result<std::vector<Operation>> ClaimUnfinished(
      std::string_view owner, std::chrono::milliseconds lease, std::size_t max,
      const ClaimFilter& filter = {}) override;
  [[nodiscard]] Result<std::optional<Operation>> Get(std::string_view op_id) override;
  [[nodiscard]] Result<std::vector<Operation>> List(const OpFilter& filter) override;
  [[nodiscard]] Result<std::vector<Operation>> FindByNaturalKey(
      std::string_view natural_key) override;
  [[nodiscard]] Result<std::vector<Operation>> AdoptResource(const Adoption& adoption) override;
  [[nodiscard]] Result<Operation> ResolveUnknown(std::string_view op_id,
                                                 const UnknownResolution& resolution) override;

  // In pg_rate_budget.cc: the budget every process on the database shares.
  [[nodiscard]] Result<RateTake> TakeRate(const RateLimits& scopes, std::int64_t now_ms) override;
  [[nodiscard]] Status SetRateCap(const std::vector<std::string>& scopes, int allowance,
                                  std::int64_t now_ms, std::int64_t until_ms) override;

  // Times a transaction was run again on a fresh connection after the old
  // one broke (for tests and diagnostics).
  std::uint64_t reconnects() const;

 private:
  PostgresJournal(const std::string& conninfo, std::string session_sql, JournalOptions options);
  std::int64_t NowMs() const;
  // One Begin / fenced Update inside the caller's transaction. A refusal of
  // this op alone (key taken, another request, fenced) is the inner error and
  // wrote nothing, so a batch goes on; a failed statement is the outer one
  // (the transaction is lost).
  pg::PgResult<Result<BeginResult>> BeginIn(pg::Connection& conn, const Operation& op,
                                            std::string_view owner,
                                            std::chrono::milliseconds lease);
  pg::PgResult<Status> UpdateIn(pg::Connection& conn, const Operation& op);
  [[nodiscard]] Status Transaction(const pg::Pool::Body& body) { return pool_.Transaction(body); }

  JournalOptions options_;
  pg::Pool pool_;
};

}  // namespace idem::journal
