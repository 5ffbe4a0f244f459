// The SQLite inbox. One connection guarded by a mutex; concurrent Accept()
// calls are committed together (leader/follower group commit) so that many
// deliveries share one fsync.
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>

#include "common/sqlite.h"
#include "idem/webhook_inbox.h"
#include "webhook/inbox_event.h"
#include "webhook/pg_inbox.h"
#include "webhook/staged_inbox.h"

namespace idem {
namespace {

using webhook::ParsedEvent;

// Each step takes the component "webhook" one version up; never edit a step
// that shipped, add a new one.
const std::vector<std::string> kMigrations = {
    R"sql(
CREATE TABLE webhook_events(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  dedupe_key TEXT NOT NULL UNIQUE,   -- sha256(session_id, status, webhook_type, timestamp)
  body_sha256 TEXT NOT NULL UNIQUE,
  delivery_id TEXT UNIQUE,           -- webhook-id (Standard Webhooks); NULL for Didit
  event_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  status TEXT NOT NULL,
  webhook_type TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  workflow_id TEXT NOT NULL,
  vendor_data TEXT NOT NULL,
  decision TEXT NOT NULL,
  body BLOB NOT NULL,
  received_ms INTEGER NOT NULL,
  applied INTEGER NOT NULL
);
CREATE INDEX webhook_events_by_session ON webhook_events(session_id, seq);
CREATE TABLE webhook_sessions(
  session_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  status_rank INTEGER NOT NULL,
  event_timestamp INTEGER NOT NULL,
  decision TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  vendor_data TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE webhook_tasks(
  seq INTEGER NOT NULL REFERENCES webhook_events(seq),
  kind TEXT NOT NULL,                -- 'heal' | 'exec'
  attempts INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  PRIMARY KEY(seq, kind)
);
)sql",
    // The catch-up's polled events (AcceptPolled). ADD COLUMN with a
    // default: existing events read as real webhooks, nothing is rewritten.
    R"sql(
ALTER TABLE webhook_events ADD COLUMN polled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_events ADD COLUMN poll_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX webhook_sessions_by_updated ON webhook_sessions(updated_ms);
)sql",
};

WebhookEvent ReadEvent(const sqlite::Statement& s) {
  WebhookEvent e;
  e.seq = s.ColumnInt64(0);
  e.event_id = s.ColumnString(1);
  e.delivery_id = s.ColumnString(2);
  e.session_id = s.ColumnString(3);
  e.status = s.ColumnString(4);
  e.webhook_type = s.ColumnString(5);
  e.timestamp = s.ColumnInt64(6);
  e.workflow_id = s.ColumnString(7);
  e.vendor_data = s.ColumnString(8);
  e.decision = s.ColumnString(9);
  e.body = s.ColumnString(10);
  e.received_ms = s.ColumnInt64(11);
  e.applied = s.ColumnInt64(12) != 0;
  e.polled = s.ColumnInt64(13) != 0;
  e.poll_seq = s.ColumnInt64(14);
  return e;
}

constexpr char kEventColumns[] =
    "seq, event_id, COALESCE(delivery_id, ''), session_id, status, webhook_type, timestamp, "
    "workflow_id, vendor_data, decision, body, received_ms, applied, polled, poll_seq";

class SqliteInbox final : public WebhookInbox, public webhook::StagedInbox {
 public:
  SqliteInbox(std::unique_ptr<sqlite::Database> db, InboxOptions options)
      : db_(std::move(db)), options_(std::move(options)) {}

  Result<AcceptResult> Accept(std::string_view body, std::string_view delivery_id) override {
    auto results = AcceptMany({Delivery{body, delivery_id}});
    return std::move(results.front());
  }

  std::vector<Result<AcceptResult>> AcceptMany(const std::vector<Delivery>& deliveries) override {
    webhook::ParsedBatch batch = webhook::ParseDeliveries(deliveries);
    if (batch.events.empty()) return std::move(batch.results);
    Commit(batch);
    Heal(batch);
    return std::move(batch.results);
  }

  void Commit(webhook::ParsedBatch& batch) override {
    if (batch.events.empty()) return;
    std::vector<Pending> pending(batch.events.size());
    for (std::size_t k = 0; k < batch.events.size(); ++k) pending[k].event = &batch.events[k];
    CommitInGroup(pending);
    for (std::size_t k = 0; k < batch.events.size(); ++k) {
      batch.results[batch.index[k]] = std::move(pending[k].result);
    }
  }

  void Heal(webhook::ParsedBatch& batch) override {
    // The heal after the commit: if it fails (or we crash first), the
    // persisted heal task retries it.
    std::vector<std::int64_t> healed_seqs = webhook::HealStored(options_, batch);
    if (!healed_seqs.empty()) {
      std::lock_guard<std::mutex> lock(mu_);  // deleted with the next commit
      healed_tasks_.insert(healed_tasks_.end(), healed_seqs.begin(), healed_seqs.end());
    }
  }

  Result<AcceptResult> AcceptPolled(const PolledStatus& polled) override {
    std::lock_guard<std::mutex> db_lock(db_mu_);
    auto tx = sqlite::Transaction::Begin(*db_);
    if (!tx) return tl::unexpected(tx.error());
    auto current =
        db_->Prepare("SELECT status, event_timestamp FROM webhook_sessions WHERE session_id = ?");
    if (!current) return tl::unexpected(current.error());
    current->BindAll(polled.session_id);
    auto row = current->Step();
    if (!row) return tl::unexpected(row.error());
    AcceptResult nothing;
    nothing.outcome = InboxOutcome::kDuplicate;
    if (!*row) return nothing;  // not a session this inbox knows
    const std::int64_t timestamp = webhook::PolledTimestamp(options_, current->ColumnInt64(1));
    current->Reset();
    auto p = webhook::MakePolledEvent(polled, timestamp);
    if (!p) return tl::unexpected(p.error());
    auto r = StoreLocked(*p, NowMs());
    if (!r) return r;
    if (r->outcome == InboxOutcome::kStored) {
      if (auto st = tx->Commit(); !st) return tl::unexpected(st.error());
    }
    return r;
  }

  Result<std::vector<SessionRecord>> UnfinishedSessions(std::int64_t updated_before_ms,
                                                        std::size_t limit) override {
    std::lock_guard<std::mutex> lock(db_mu_);
    auto stmt = db_->Prepare(
        "SELECT session_id, status, event_timestamp, decision, workflow_id, vendor_data, "
        "updated_ms FROM webhook_sessions WHERE updated_ms <= ?1 AND status NOT IN "
        "(?2, ?3, ?4, ?5, ?6) ORDER BY updated_ms, session_id LIMIT ?7");
    if (!stmt) return tl::unexpected(stmt.error());
    const auto& f = webhook::kFinalStatuses;
    stmt->BindAll(updated_before_ms, f[0], f[1], f[2], f[3], f[4],
                  limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
    std::vector<SessionRecord> sessions;
    while (true) {
      auto row = stmt->Step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      SessionRecord r;
      r.session_id = stmt->ColumnString(0);
      r.status = stmt->ColumnString(1);
      r.event_timestamp = stmt->ColumnInt64(2);
      r.decision = stmt->ColumnString(3);
      r.workflow_id = stmt->ColumnString(4);
      r.vendor_data = stmt->ColumnString(5);
      r.updated_ms = stmt->ColumnInt64(6);
      sessions.push_back(std::move(r));
    }
    return sessions;
  }

  Result<std::vector<WebhookEvent>> Events(const EventFilter& filter) override {
    std::lock_guard<std::mutex> lock(db_mu_);
    std::string sql = std::string("SELECT ") + kEventColumns +
                      " FROM webhook_events WHERE seq > ?1 AND (?2 = '' OR session_id = ?2)"
                      " ORDER BY seq LIMIT ?3";
    auto stmt = db_->Prepare(sql);
    if (!stmt) return tl::unexpected(stmt.error());
    stmt->BindAll(filter.after_seq, filter.session_id,
                  filter.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(filter.limit));
    std::vector<WebhookEvent> events;
    while (true) {
      auto row = stmt->Step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      events.push_back(ReadEvent(*stmt));
    }
    return events;
  }

  Result<std::optional<SessionRecord>> Session(std::string_view session_id) override {
    std::lock_guard<std::mutex> lock(db_mu_);
    auto stmt = db_->Prepare(
        "SELECT session_id, status, event_timestamp, decision, workflow_id, vendor_data, "
        "updated_ms FROM webhook_sessions WHERE session_id = ?");
    if (!stmt) return tl::unexpected(stmt.error());
    stmt->BindAll(session_id);
    auto row = stmt->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return std::optional<SessionRecord>();
    SessionRecord r;
    r.session_id = stmt->ColumnString(0);
    r.status = stmt->ColumnString(1);
    r.event_timestamp = stmt->ColumnInt64(2);
    r.decision = stmt->ColumnString(3);
    r.workflow_id = stmt->ColumnString(4);
    r.vendor_data = stmt->ColumnString(5);
    r.updated_ms = stmt->ColumnInt64(6);
    return std::optional<SessionRecord>(std::move(r));
  }

  Result<std::vector<InboxTask>> PendingTasks() override {
    std::lock_guard<std::mutex> lock(db_mu_);
    if (auto st = FlushHealedLocked(); !st) return tl::unexpected(st.error());
    return SelectTasks(std::numeric_limits<std::int64_t>::max(), 0);
  }

  Result<int> RunPending(const ExecRunner& exec, std::size_t max) override {
    std::vector<std::pair<InboxTask, WebhookEvent>> due;
    {
      std::lock_guard<std::mutex> lock(db_mu_);
      if (auto st = FlushHealedLocked(); !st) return tl::unexpected(st.error());
      auto tasks = SelectTasks(NowMs(), max);
      if (!tasks) return tl::unexpected(tasks.error());
      for (auto& task : *tasks) {
        auto event = EventBySeqLocked(task.seq);
        if (!event) return tl::unexpected(event.error());
        due.emplace_back(std::move(task), std::move(*event));
      }
    }
    int done = 0;
    for (auto& [task, event] : due) {
      Status outcome = webhook::RunTask(options_, exec, task, event);
      std::lock_guard<std::mutex> lock(db_mu_);
      if (outcome) {
        auto stmt = db_->Prepare("DELETE FROM webhook_tasks WHERE seq = ? AND kind = ?");
        if (!stmt) return tl::unexpected(stmt.error());
        if (auto st = stmt->BindAll(task.seq, task.kind).Run(); !st)
          return tl::unexpected(st.error());
        ++done;
      } else {
        int attempts = task.attempts + 1;
        auto stmt = db_->Prepare(
            "UPDATE webhook_tasks SET attempts = ?, next_attempt_ms = ?, last_error = ? "
            "WHERE seq = ? AND kind = ?");
        if (!stmt) return tl::unexpected(stmt.error());
        if (auto st = stmt->BindAll(attempts, webhook::RetryDueMs(options_, attempts, NowMs()),
                                    webhook::TaskError(outcome.error()), task.seq, task.kind)
                          .Run();
            !st) {
          return tl::unexpected(st.error());
        }
      }
    }
    return done;
  }

 private:
  struct Pending {
    ParsedEvent* event = nullptr;
    Result<AcceptResult> result = MakeError(ErrorCode::kInternal, "not committed");
    bool done = false;
  };

  std::int64_t NowMs() const { return ToUnixMillis(options_.clock->Now()); }

  // Leader/follower group commit: the first caller to find no leader commits
  // everything queued so far in one transaction; the others wait for it.
  // `mine` is queued as a whole, so a leader takes all of it or none of it.
  void CommitInGroup(std::vector<Pending>& mine) {
    std::unique_lock<std::mutex> lock(mu_);
    for (Pending& p : mine) queue_.push_back(&p);
    while (!mine.front().done && leader_active_) cv_.wait(lock);
    if (mine.front().done) return;
    leader_active_ = true;
    std::vector<Pending*> batch(queue_.begin(), queue_.end());
    queue_.clear();
    std::vector<std::int64_t> healed;
    healed.swap(healed_tasks_);
    lock.unlock();

    Status st = CommitBatch(batch, healed);
    lock.lock();
    for (Pending* p : batch) {
      if (!st) p->result = tl::unexpected(st.error());
      p->done = true;
    }
    if (!st) healed_tasks_.insert(healed_tasks_.end(), healed.begin(), healed.end());
    leader_active_ = false;
    cv_.notify_all();
  }

  Status CommitBatch(std::vector<Pending*>& batch, const std::vector<std::int64_t>& healed) {
    std::lock_guard<std::mutex> db_lock(db_mu_);
    auto tx = sqlite::Transaction::Begin(*db_);
    if (!tx) return tl::unexpected(tx.error());
    if (auto st = DeleteHealTasks(healed); !st) return st;
    std::int64_t now = NowMs();
    for (Pending* p : batch) {
      auto r = StoreLocked(*p->event, now);
      if (!r) return tl::unexpected(r.error());  // ~Transaction rolls everything back
      p->result = std::move(*r);
    }
    return tx->Commit();
  }

  Status DeleteHealTasks(const std::vector<std::int64_t>& seqs) {
    for (std::int64_t seq : seqs) {
      auto stmt = db_->Prepare("DELETE FROM webhook_tasks WHERE seq = ? AND kind = 'heal'");
      if (!stmt) return tl::unexpected(stmt.error());
      if (auto st = stmt->BindAll(seq).Run(); !st) return st;
    }
    return {};
  }

  Status FlushHealedLocked() {
    std::vector<std::int64_t> healed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      healed.swap(healed_tasks_);
    }
    if (healed.empty()) return {};
    auto tx = sqlite::Transaction::Begin(*db_);
    if (!tx) return tl::unexpected(tx.error());
    if (auto st = DeleteHealTasks(healed); !st) return st;
    return tx->Commit();
  }

  Result<AcceptResult> StoreLocked(const ParsedEvent& p, std::int64_t now) {
    const WebhookEvent& e = p.event;
    // A polled status is stored only when it moves the session; a real
    // status event of the status a polled event set is stored without an
    // exec task (the polled one had it). See "Polled events".
    std::int64_t poll_seq = 0;
    if (p.session_event) {
      auto current =
          db_->Prepare("SELECT status, event_timestamp FROM webhook_sessions WHERE session_id = ?");
      if (!current) return tl::unexpected(current.error());
      current->BindAll(e.session_id);
      auto row = current->Step();
      if (!row) return tl::unexpected(row.error());
      const bool known = *row;
      const std::string status = known ? current->ColumnString(0) : std::string();
      const std::int64_t timestamp = known ? current->ColumnInt64(1) : 0;
      current->Reset();
      if (p.polled && (!known || status == e.status ||
                       !StatusEventMoves(status, timestamp, e.status, e.timestamp))) {
        AcceptResult nothing;
        nothing.outcome = InboxOutcome::kDuplicate;
        return nothing;
      }
      if (!p.polled && known && status == e.status) {
        auto latest = db_->Prepare(
            "SELECT seq, polled FROM webhook_events WHERE session_id = ? AND applied = 1 "
            "ORDER BY seq DESC LIMIT 1");
        if (!latest) return tl::unexpected(latest.error());
        latest->BindAll(e.session_id);
        auto found = latest->Step();
        if (!found) return tl::unexpected(found.error());
        if (*found && latest->ColumnInt64(1) != 0) poll_seq = latest->ColumnInt64(0);
        latest->Reset();
      }
    }
    auto insert = db_->Prepare(
        "INSERT OR IGNORE INTO webhook_events(dedupe_key, body_sha256, delivery_id, event_id, "
        "session_id, status, webhook_type, timestamp, workflow_id, vendor_data, decision, body, "
        "received_ms, applied, polled, poll_seq) "
        "VALUES (?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)");
    if (!insert) return tl::unexpected(insert.error());
    insert->BindAll(p.dedupe_key, p.body_sha256, e.delivery_id, e.event_id, e.session_id, e.status,
                    e.webhook_type, e.timestamp, e.workflow_id, e.vendor_data, e.decision,
                    sqlite::Blob{e.body}, now, p.polled ? 1 : 0, poll_seq);
    if (auto st = insert->Run(); !st) return tl::unexpected(st.error());
    AcceptResult result;
    if (insert->Changes() == 0) {
      result.outcome = InboxOutcome::kDuplicate;
      auto original = db_->Prepare(
          "SELECT seq FROM webhook_events WHERE dedupe_key = ? OR body_sha256 = ? OR "
          "delivery_id = NULLIF(?, '') ORDER BY seq LIMIT 1");
      if (!original) return tl::unexpected(original.error());
      original->BindAll(p.dedupe_key, p.body_sha256, e.delivery_id);
      auto row = original->Step();
      if (!row) return tl::unexpected(row.error());
      if (*row) result.seq = original->ColumnInt64(0);
      return result;
    }
    result.seq = db_->LastInsertRowId();

    // Only a session status event moves a session; any other is stored as
    // it came.
    if (p.session_event) {
      auto current =
          db_->Prepare("SELECT status, event_timestamp FROM webhook_sessions WHERE session_id = ?");
      if (!current) return tl::unexpected(current.error());
      current->BindAll(e.session_id);
      auto row = current->Step();
      if (!row) return tl::unexpected(row.error());
      result.applied = !*row || StatusEventMoves(current->ColumnString(0), current->ColumnInt64(1),
                                                 e.status, e.timestamp);
      current->Reset();
    }
    if (result.applied) {
      // status_rank only informs (SameSecondOrder); StatusEventMoves decides.
      auto upsert = db_->Prepare(
          "INSERT INTO webhook_sessions(session_id, status, status_rank, event_timestamp, "
          "decision, workflow_id, vendor_data, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
          "ON CONFLICT(session_id) DO UPDATE SET status = ?2, status_rank = ?3, "
          "event_timestamp = ?4, decision = CASE WHEN ?5 <> '' THEN ?5 ELSE decision END, "
          "workflow_id = CASE WHEN ?6 <> '' THEN ?6 ELSE workflow_id END, "
          "vendor_data = CASE WHEN ?7 <> '' THEN ?7 ELSE vendor_data END, updated_ms = ?8");
      if (!upsert) return tl::unexpected(upsert.error());
      upsert->BindAll(e.session_id, e.status, SameSecondOrder(e.status), e.timestamp, e.decision,
                      e.workflow_id, e.vendor_data, now);
      if (auto st = upsert->Run(); !st) return tl::unexpected(st.error());
      auto mark = db_->Prepare("UPDATE webhook_events SET applied = 1 WHERE seq = ?");
      if (!mark) return tl::unexpected(mark.error());
      if (auto st = mark->BindAll(result.seq).Run(); !st) return tl::unexpected(st.error());
    }
    for (const char* kind : {"heal", "exec"}) {
      if (std::string_view(kind) == "exec" && (!options_.queue_exec || poll_seq != 0)) continue;
      auto task = db_->Prepare(
          "INSERT INTO webhook_tasks(seq, kind, attempts, next_attempt_ms, last_error) "
          "VALUES (?, ?, 0, ?, '')");
      if (!task) return tl::unexpected(task.error());
      // FirstDueMs: the heal task is only the net for a failed inline heal.
      if (auto st = task->BindAll(result.seq, kind, webhook::FirstDueMs(options_, kind, now)).Run();
          !st)
        return tl::unexpected(st.error());
    }
    return result;
  }

  Result<std::vector<InboxTask>> SelectTasks(std::int64_t due_before, std::size_t max) {
    auto stmt = db_->Prepare(
        "SELECT seq, kind, attempts, next_attempt_ms, last_error FROM webhook_tasks "
        "WHERE next_attempt_ms <= ? ORDER BY seq, kind LIMIT ?");
    if (!stmt) return tl::unexpected(stmt.error());
    stmt->BindAll(due_before, max == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(max));
    std::vector<InboxTask> tasks;
    while (true) {
      auto row = stmt->Step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      tasks.push_back({stmt->ColumnInt64(0), stmt->ColumnString(1), stmt->ColumnInt(2),
                       stmt->ColumnInt64(3), stmt->ColumnString(4)});
    }
    return tasks;
  }

  Result<WebhookEvent> EventBySeqLocked(std::int64_t seq) {
    auto stmt =
        db_->Prepare(std::string("SELECT ") + kEventColumns + " FROM webhook_events WHERE seq = ?");
    if (!stmt) return tl::unexpected(stmt.error());
    stmt->BindAll(seq);
    auto row = stmt->Step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return MakeError(ErrorCode::kCorruption, "task without its event");
    return ReadEvent(*stmt);
  }

  std::unique_ptr<sqlite::Database> db_;
  InboxOptions options_;
  std::mutex db_mu_;  // the connection: one user at a time

  std::mutex mu_;  // the group-commit queue
  std::condition_variable cv_;
  std::deque<Pending*> queue_;
  bool leader_active_ = false;
  std::vector<std::int64_t> healed_tasks_;  // heal tasks done, to delete at the next commit
};

}  // namespace

Result<std::unique_ptr<WebhookInbox>> WebhookInbox::Open(const std::string& path,
                                                         InboxOptions options) {
  if (IsPostgresUrl(path)) return webhook::OpenPostgresInbox(path, std::move(options));
  if (!options.clock) options.clock = DefaultClock();
  sqlite::OpenOptions open;
  open.synchronous = options.durability == Durability::kPowerLoss ? sqlite::Synchronous::kFull
                                                                  : sqlite::Synchronous::kNormal;
  open.busy_timeout = options.busy_timeout;
  open.clock = options.clock;
  auto db = sqlite::Database::Open(path, open);
  if (!db) return tl::unexpected(db.error());
  if (auto st = sqlite::Migrate(**db, "webhook", kMigrations); !st) {
    return tl::unexpected(st.error());
  }
  if (auto st = webhook::OpenHealJournal(options, path); !st) return tl::unexpected(st.error());
  return std::unique_ptr<WebhookInbox>(new SqliteInbox(std::move(*db), std::move(options)));
}

}  // namespace idem
