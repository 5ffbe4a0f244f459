// Internal: the SQLite journal behind idem::OpenSqliteJournal.
//
// One process holds two connections to the file: a writer, used only through
// a GroupCommitter (concurrent writes of this process share transactions and
// fsyncs), and a reader for Get/List/FindByNaturalKey (WAL readers never wait
// for writers). Other processes serialise with this one on SQLite's write
// lock; waits are retried with randomized backoff up to
// JournalOptions::busy_timeout (see common/sqlite.h).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/sqlite.h"
#include "idem/journal.h"
#include "journal/group_commit.h"

namespace idem::journal {

// The rate budget's tables, a component of their own in idem_schema.
inline constexpr char kRateSchemaComponent[] = "rate_budget";
const std::vector<std::string>& RateSchemaSteps();

class SqliteJournal final : public Journal {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SqliteJournal>> Open(const std::string& path,
                                                                   JournalOptions options);

  [[nodiscard]] Result<BeginResult> Begin(const Operation& op, std::string_view owner,
                                          std::chrono::milliseconds lease) override;
  [[nodiscard]] Status Update(const Operation& op) override;
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
  // In sqlite_rate_budget.cc.
  [[nodiscard]] Result<RateTake> TakeRate(const RateLimits& scopes, std::int64_t now_ms) override;
  [[nodiscard]] Status SetRateCap(const std::vector<std::string>& scopes, int allowance,
                                  std::int64_t now_ms, std::int64_t until_ms) override;

  // Writes and transactions committed by this process (group commit makes
  // transactions < writes under concurrency).
  GroupCommitStats stats() const { return committer_->stats(); }

 private:
  SqliteJournal(std::unique_ptr<sqlite::Database> writer, std::unique_ptr<sqlite::Database> reader,
                JournalOptions options);
  std::int64_t NowMs() const;
  // The writes themselves, run inside a group-commit batch.
  [[nodiscard]] Status BeginIn(sqlite::Database& db, const Operation& op, std::string_view owner,
                               std::chrono::milliseconds lease, BeginResult& result);
  [[nodiscard]] Status UpdateIn(sqlite::Database& db, const Operation& op);

  std::unique_ptr<sqlite::Database> writer_;
  std::unique_ptr<sqlite::Database> reader_;
  JournalOptions options_;
  std::unique_ptr<GroupCommitter> committer_;
  std::mutex read_mu_;  // guards reader_
};

}  // namespace idem::journal
