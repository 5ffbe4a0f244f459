// Internal: the PostgreSQL journal behind idem::OpenPostgresJournal.
//
// Connections: a small pool (at most kMaxConnections, opened on demand). A
// call borrows one connection for its whole transaction, so threads never
// share a connection and never wait for each other's round trips.
//
// Transactions: every state change runs inside BEGIN ... COMMIT. If the link
// to the server breaks before COMMIT was sent, the server rolls the
// transaction back, so the journal reconnects and runs it again (until
// JournalOptions::busy_timeout). If it breaks while COMMIT is in flight the
// outcome is unknown and the call reports kUnavailable; it never reports
// success for something that was not committed. Every journal call is safe to
// repeat after kUnavailable (Begin finds its own op; a fenced Update with the
// same lease writes the same fields again).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "idem/journal.h"
#include "journal/pg_connection.h"

namespace idem::journal {

class PostgresJournal final : public Journal {
 public:
  // Connections opened at most; more concurrent callers wait for one.
  static constexpr std::size_t kMaxConnections = 16;

  static Result<std::unique_ptr<PostgresJournal>> Open(const std::string& conninfo,
                                                       JournalOptions options);
  ~PostgresJournal() override;

  Result<BeginResult> Begin(const Operation& op, std::string_view owner,
                            std::chrono::milliseconds lease) override;
  Status Update(const Operation& op) override;
  Status RenewLease(const Operation& op, std::chrono::milliseconds lease) override;
  Status Release(const Operation& op) override;
  Result<std::vector<Operation>> ClaimUnfinished(std::string_view owner,
                                                 std::chrono::milliseconds lease,
                                                 std::size_t max) override;
  Result<std::optional<Operation>> Get(std::string_view op_id) override;
  Result<std::vector<Operation>> List(const OpFilter& filter) override;
  Result<std::vector<Operation>> FindByNaturalKey(std::string_view natural_key) override;
  Result<std::vector<Operation>> AdoptResource(std::string_view natural_key,
                                               std::string_view resource_id,
                                               std::string_view response_body) override;

  // Times a transaction was run again on a fresh connection after the old
  // one broke (for tests and diagnostics).
  std::uint64_t reconnects() const;

 private:
  using Body = std::function<pg::PgResult<void>(pg::Connection&)>;

  PostgresJournal(std::string conninfo, std::string session_sql, JournalOptions options);
  std::int64_t NowMs() const;
  // Runs `body` inside BEGIN ... COMMIT on a pooled connection, retrying on
  // a fresh connection while the failure happened before COMMIT was sent.
  // `body` must reset whatever it accumulates, as it may run more than once.
  Status Transaction(const Body& body);
  pg::PgResult<std::unique_ptr<pg::Connection>> Acquire();
  void Return(std::unique_ptr<pg::Connection> conn);

  const std::string conninfo_;
  const std::string session_sql_;
  JournalOptions options_;

  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<pg::Connection>> idle_;
  std::size_t open_ = 0;  // idle + borrowed
  std::uint64_t reconnects_ = 0;
};

}  // namespace idem::journal
