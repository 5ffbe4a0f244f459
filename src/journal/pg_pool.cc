#include "journal/pg_pool.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace idem::journal::pg {

std::string SessionSql(Durability durability, std::chrono::milliseconds lock_timeout,
                       std::string_view application_name) {
  std::string sql = durability == Durability::kPowerLoss ? "SET synchronous_commit = on; "
                                                         : "SET synchronous_commit = off; ";
  sql += "SET lock_timeout = " + std::to_string(std::max<std::int64_t>(1, lock_timeout.count())) +
         "; SET application_name = '" + std::string(application_name) +
         "'; SET client_min_messages = warning";
  return sql;
}

Pool::Pool(std::string conninfo, std::string session_sql,
           const std::vector<StatementSpec>* statements, std::size_t max_connections,
           std::chrono::milliseconds retry_budget)
    : conninfo_(std::move(conninfo)),
      session_sql_(std::move(session_sql)),
      statements_(statements),
      max_connections_(std::max<std::size_t>(1, max_connections)),
      retry_budget_(retry_budget) {}

std::uint64_t Pool::reconnects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reconnects_;
}

PgResult<std::unique_ptr<Connection>> Pool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  returned_.wait(lock, [&] { return !idle_.empty() || open_ < max_connections_; });
  if (!idle_.empty()) {
    std::unique_ptr<Connection> conn = std::move(idle_.back());
    idle_.pop_back();
    if (conn->Healthy()) return conn;
    --open_;  // broken while idle: replace it below
  }
  ++open_;
  lock.unlock();
  auto conn = Connection::Open(conninfo_, session_sql_, statements_);
  if (!conn) {
    lock.lock();
    --open_;
    returned_.notify_one();
  }
  return conn;
}

void Pool::Return(std::unique_ptr<Connection> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (conn && conn->Healthy()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  returned_.notify_one();
}

Status Pool::Transaction(const Body& body) {
  // Real time, not an injected clock: this bounds waiting for a real server.
  const auto deadline = std::chrono::steady_clock::now() + retry_budget_;
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
      // The body's failure is what the caller gets; an unhealthy connection
      // is dropped by Return.
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

}  // namespace idem::journal::pg
