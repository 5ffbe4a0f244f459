// Internal: a pool of libpq connections sharing one set of session settings
// and prepared statements, and the transaction runner of every PostgreSQL
// component (the journal, the webhook inbox).
//
// Transaction(): BEGIN ... COMMIT on a borrowed connection. If the link to the
// server breaks before COMMIT was sent (or the server cancels the transaction
// for a deadlock / serialization failure), nothing was committed, so the whole
// transaction runs again on a fresh connection, with backoff 5 ms doubling to
// 200 ms, for up to `retry_budget`. If the link breaks while COMMIT is in
// flight the outcome is unknown: kUnavailable, never success for something
// not known to be committed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "idem/journal.h"
#include "journal/pg_connection.h"

namespace idem::journal::pg {

// The SET statements every connection of a component starts with:
// synchronous_commit from `durability` (kProcessCrash: commits return before
// the WAL reaches disk, like SQLite's synchronous=NORMAL), lock_timeout =
// `lock_timeout` (a row-lock wait counts against it, as SQLite's busy wait
// does) and application_name (seen in pg_stat_activity).
std::string SessionSql(Durability durability, std::chrono::milliseconds lock_timeout,
                       std::string_view application_name);

class Pool {
 public:
  // `statements` (may be null) must outlive the pool. Connections are opened
  // on demand, at most `max_connections`; more concurrent borrowers wait.
  Pool(std::string conninfo, std::string session_sql, const std::vector<StatementSpec>* statements,
       std::size_t max_connections, std::chrono::milliseconds retry_budget);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A healthy idle connection, or a new one.
  PgResult<std::unique_ptr<Connection>> Acquire();
  // Gives a connection back; a null or broken one is counted out of the pool.
  void Return(std::unique_ptr<Connection> conn);

  // Runs `body` in BEGIN ... COMMIT (see above). `body` must reset whatever
  // it accumulates, as it may run more than once.
  using Body = std::function<PgResult<void>(Connection&)>;
  [[nodiscard]] Status Transaction(const Body& body);

  // Times a transaction was run again on a fresh connection after the old
  // one broke (for tests and diagnostics).
  std::uint64_t reconnects() const;

 private:
  const std::string conninfo_;
  const std::string session_sql_;
  const std::vector<StatementSpec>* const statements_;
  const std::size_t max_connections_;
  const std::chrono::milliseconds retry_budget_;

  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle + borrowed
  std::uint64_t reconnects_ = 0;
};

}  // namespace idem::journal::pg
