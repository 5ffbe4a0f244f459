// The webhook inbox on PostgreSQL, for several receiver processes on several
// hosts sharing one database.
//
//  - Every AcceptMany is one transaction on a pooled connection
//    (journal::pg::Pool: run again on a fresh connection when the link broke
//    before COMMIT was sent; kUnavailable when COMMIT's outcome is unknown),
//    so an event is acknowledged only after its COMMIT. Concurrent calls use
//    separate connections; PostgreSQL flushes their commits together.
//  - Dedupe is the UNIQUE constraints' job (dedupe_key, body_sha256,
//    delivery_id): INSERT ... ON CONFLICT DO NOTHING. An insert that meets
//    another transaction's uncommitted row with the same key waits for it and
//    then does nothing, so two receivers accepting the same delivery at once
//    store it once; the loser reads the original's seq.
//  - A session's status moves only by StatusEventMoves: its row is read
//    with SELECT ... FOR UPDATE (or inserted, ON CONFLICT DO NOTHING, for its
//    first event), so concurrent events of one session are decided one after
//    the other on the latest committed status.
//  - Follow-up tasks are claimed one at a time with FOR UPDATE SKIP LOCKED
//    and stay locked (transaction open) while they run, so two receivers
//    never run the same task at once; a receiver that dies mid-task releases
//    the lock with its connection and the task runs again (at least once).
#include "webhook/pg_inbox.h"

#include <algorithm>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "journal/pg_pool.h"
#include "journal/pg_schema.h"
#include "webhook/inbox_event.h"
#include "webhook/staged_inbox.h"

namespace idem::webhook {
namespace {

using journal::pg::Connection;
using journal::pg::Failure;
using journal::pg::Param;
using journal::pg::PgResult;
using journal::pg::Pool;
using journal::pg::Rows;
using journal::pg::StatementSpec;

constexpr const char* kComponent = "webhook";
// Connections per inbox: the receiver's store thread, the task runner (holds
// one while a task runs), readers.
constexpr std::size_t kMaxConnections = 8;

// Step i brings component "webhook" to version i + 1; never edit a step that
// shipped, add one. Strings are bytea (any byte, NUL included, round-trips
// whatever the database encoding), as in idem_ops.
const std::vector<std::string>& SchemaSteps() {
  static const std::vector<std::string> steps = {
      R"sql(
        CREATE TABLE idem_webhook_events (
          seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          dedupe_key      bytea  NOT NULL UNIQUE,  -- sha256(session_id, status, type, timestamp)
          body_sha256     bytea  NOT NULL UNIQUE,
          delivery_id     bytea  UNIQUE,           -- webhook-id (Standard Webhooks); NULL for Didit
          event_id        bytea  NOT NULL,
          session_id      bytea  NOT NULL,
          status          bytea  NOT NULL,
          webhook_type    bytea  NOT NULL,
          event_timestamp bigint NOT NULL,
          workflow_id     bytea  NOT NULL,
          vendor_data     bytea  NOT NULL,
          decision        bytea  NOT NULL,
          body            bytea  NOT NULL,
          received_ms     bigint NOT NULL,
          applied         bigint NOT NULL DEFAULT 0
        );
        CREATE INDEX idem_webhook_events_by_session ON idem_webhook_events (session_id, seq);
        CREATE TABLE idem_webhook_sessions (
          session_id      bytea  PRIMARY KEY,
          status          bytea  NOT NULL,
          status_rank     bigint NOT NULL,
          event_timestamp bigint NOT NULL,
          decision        bytea  NOT NULL,
          workflow_id     bytea  NOT NULL,
          vendor_data     bytea  NOT NULL,
          updated_ms      bigint NOT NULL
        );
        CREATE TABLE idem_webhook_tasks (
          seq             bigint NOT NULL REFERENCES idem_webhook_events (seq),
          kind            text   NOT NULL CHECK (kind IN ('heal', 'exec')),
          attempts        bigint NOT NULL DEFAULT 0,
          next_attempt_ms bigint NOT NULL,
          last_error      bytea  NOT NULL DEFAULT '',
          PRIMARY KEY (seq, kind)
        );
        CREATE INDEX idem_webhook_tasks_due ON idem_webhook_tasks (next_attempt_ms);
      )sql",
      // The catch-up's polled events (AcceptPolled). ADD COLUMN with a
      // constant default rewrites nothing: existing events are real webhooks.
      R"sql(
        ALTER TABLE idem_webhook_events ADD COLUMN polled bigint NOT NULL DEFAULT 0,
                                        ADD COLUMN poll_seq bigint NOT NULL DEFAULT 0;
        CREATE INDEX idem_webhook_sessions_by_updated ON idem_webhook_sessions (updated_ms);
      )sql",
  };
  return steps;
}

// ReadEvent's columns, in order.
#define IDEM_PG_EVENT_COLUMNS                                                                 \
  "seq, event_id, COALESCE(delivery_id, ''::bytea), session_id, status, webhook_type, "       \
  "event_timestamp, workflow_id, vendor_data, decision, body, received_ms, applied, polled, " \
  "poll_seq"
#define IDEM_PG_TASK_COLUMNS "seq, kind, attempts, next_attempt_ms, last_error"

constexpr Oid B = journal::pg::kByteaOid;
constexpr Oid I = journal::pg::kInt8Oid;
constexpr Oid T = journal::pg::kTextOid;

const std::vector<StatementSpec>& Statements() {
  static const std::vector<StatementSpec> statements = {
      // The event and its tasks in one statement; no row back = a duplicate.
      // $14/$15: when the heal/exec task is first due; $16 = 1: queue exec;
      // $17 polled, $18 poll_seq.
      {"w_insert",
       "WITH ins AS (INSERT INTO idem_webhook_events (dedupe_key, body_sha256, delivery_id, "
       "event_id, session_id, status, webhook_type, event_timestamp, workflow_id, vendor_data, "
       "decision, body, received_ms, polled, poll_seq) VALUES ($1, $2, NULLIF($3, ''::bytea), "
       "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $17, $18) ON CONFLICT DO NOTHING "
       "RETURNING seq), "
       "tasks AS (INSERT INTO idem_webhook_tasks (seq, kind, next_attempt_ms) "
       "SELECT seq, 'heal', $14 FROM ins UNION ALL SELECT seq, 'exec', $15 FROM ins WHERE $16 = 1) "
       "SELECT seq FROM ins",
       {B, B, B, B, B, B, B, I, B, B, B, B, I, I, I, I, I, I}},
      // The event that set a session's current status (see Store).
      {"w_latest_applied",
       "SELECT seq, polled FROM idem_webhook_events WHERE session_id = $1 AND applied = 1 "
       "ORDER BY seq DESC LIMIT 1",
       {B}},
      {"w_unfinished",
       "SELECT session_id, status, event_timestamp, decision, workflow_id, vendor_data, updated_ms "
       "FROM idem_webhook_sessions WHERE updated_ms <= $1 AND status NOT IN ($2, $3, $4, $5, $6) "
       "ORDER BY updated_ms, session_id LIMIT $7",
       {I, B, B, B, B, B, I}},
      {"w_original",
       "SELECT seq FROM idem_webhook_events WHERE dedupe_key = $1 OR body_sha256 = $2 OR "
       "delivery_id = NULLIF($3, ''::bytea) ORDER BY seq LIMIT 1",
       {B, B, B}},
      // A session's status order is StatusEventMoves (C++): the session row
      // is read locked, so that concurrent events of one session are decided
      // one after the other on the latest committed status.
      {"w_session_lock",
       "SELECT status, event_timestamp FROM idem_webhook_sessions WHERE session_id = $1 "
       "FOR UPDATE",
       {B}},
      // The session's first status event; no row back: another receiver's
      // transaction inserted the session first (ON CONFLICT waited for it).
      {"w_session_insert",
       "WITH ins AS (INSERT INTO idem_webhook_sessions (session_id, status, status_rank, "
       "event_timestamp, decision, workflow_id, vendor_data, updated_ms) VALUES ($1, $2, $3, $4, "
       "$5, $6, $7, $8) ON CONFLICT (session_id) DO NOTHING RETURNING 1) "
       "UPDATE idem_webhook_events SET applied = 1 WHERE seq = $9 AND EXISTS (SELECT 1 FROM ins) "
       "RETURNING seq",
       {B, B, I, I, B, B, B, I, I}},
      // Moves a session whose row w_session_lock holds; status_rank only
      // informs (SameSecondOrder). An empty decision, workflow_id or
      // vendor_data keeps what is stored.
      {"w_session_move",
       "WITH moved AS (UPDATE idem_webhook_sessions AS s SET status = $2, status_rank = $3, "
       "event_timestamp = $4, "
       "decision = CASE WHEN $5 <> ''::bytea THEN $5 ELSE s.decision END, "
       "workflow_id = CASE WHEN $6 <> ''::bytea THEN $6 ELSE s.workflow_id END, "
       "vendor_data = CASE WHEN $7 <> ''::bytea THEN $7 ELSE s.vendor_data END, "
       "updated_ms = $8 WHERE s.session_id = $1 RETURNING 1) "
       "UPDATE idem_webhook_events SET applied = 1 WHERE seq = $9 AND EXISTS (SELECT 1 FROM moved) "
       "RETURNING seq",
       {B, B, I, I, B, B, B, I, I}},
      {"w_heal_done", "DELETE FROM idem_webhook_tasks WHERE seq = $1 AND kind = 'heal'", {I}},
      {"w_event", "SELECT " IDEM_PG_EVENT_COLUMNS " FROM idem_webhook_events WHERE seq = $1", {I}},
      {"w_events",
       "SELECT " IDEM_PG_EVENT_COLUMNS
       " FROM idem_webhook_events WHERE seq > $1 AND ($2 = ''::bytea OR session_id = $2) "
       "ORDER BY seq LIMIT $3",
       {I, B, I}},
      {"w_session",
       "SELECT session_id, status, event_timestamp, decision, workflow_id, vendor_data, updated_ms "
       "FROM idem_webhook_sessions WHERE session_id = $1",
       {B}},
      {"w_tasks", "SELECT " IDEM_PG_TASK_COLUMNS " FROM idem_webhook_tasks ORDER BY seq, kind", {}},
      // SKIP LOCKED: a task another receiver is running is passed over.
      {"w_claim_task",
       "SELECT " IDEM_PG_TASK_COLUMNS " FROM idem_webhook_tasks WHERE next_attempt_ms <= $1 "
       "ORDER BY seq, kind LIMIT 1 FOR UPDATE SKIP LOCKED",
       {I}},
      {"w_task_done", "DELETE FROM idem_webhook_tasks WHERE seq = $1 AND kind = $2", {I, T}},
      {"w_task_retry",
       "UPDATE idem_webhook_tasks SET attempts = $3, next_attempt_ms = $4, last_error = $5 "
       "WHERE seq = $1 AND kind = $2",
       {I, T, I, I, B}},
  };
  return statements;
}

WebhookEvent ReadEvent(const Rows& rows, int r) {
  WebhookEvent e;
  int c = 0;
  e.seq = rows.Int(r, c++);
  e.event_id = rows.Bytes(r, c++);
  e.delivery_id = rows.Bytes(r, c++);
  e.session_id = rows.Bytes(r, c++);
  e.status = rows.Bytes(r, c++);
  e.webhook_type = rows.Bytes(r, c++);
  e.timestamp = rows.Int(r, c++);
  e.workflow_id = rows.Bytes(r, c++);
  e.vendor_data = rows.Bytes(r, c++);
  e.decision = rows.Bytes(r, c++);
  e.body = rows.Bytes(r, c++);
  e.received_ms = rows.Int(r, c++);
  e.applied = rows.Int(r, c++) != 0;
  e.polled = rows.Int(r, c++) != 0;
  e.poll_seq = rows.Int(r, c++);
  return e;
}

InboxTask ReadTask(const Rows& rows, int r) {
  return {rows.Int(r, 0), rows.Bytes(r, 1), static_cast<int>(rows.Int(r, 2)), rows.Int(r, 3),
          rows.Bytes(r, 4)};
}

tl::unexpected<Failure> Fail(ErrorCode code, std::string message) {
  return tl::unexpected(Failure{Error(code, std::move(message)), false, false});
}

class PgInbox final : public WebhookInbox, public StagedInbox {
 public:
  PgInbox(const std::string& url, std::string session_sql, InboxOptions options)
      : options_(std::move(options)),
        pool_(url, std::move(session_sql), &Statements(), kMaxConnections, options_.busy_timeout) {}

  // Opens and prepares a first connection, so a bad setup fails Open.
  Status Warm() {
    auto conn = pool_.Acquire();
    if (!conn) return tl::unexpected(conn.error().error);
    pool_.Return(std::move(*conn));
    return {};
  }

  Result<AcceptResult> Accept(std::string_view body, std::string_view delivery_id) override {
    auto results = AcceptMany({Delivery{body, delivery_id}});
    return std::move(results.front());
  }

  std::vector<Result<AcceptResult>> AcceptMany(const std::vector<Delivery>& deliveries) override {
    ParsedBatch batch = ParseDeliveries(deliveries);
    if (batch.events.empty()) return std::move(batch.results);
    Commit(batch);
    Heal(batch);
    return std::move(batch.results);
  }

  // StagedInbox: the batch's transaction alone.
  void Commit(ParsedBatch& batch) override {
    const std::size_t n = batch.events.size();
    if (n == 0) return;
    // Stored in (session_id, dedupe_key) order, so that two receivers'
    // batches holding the same events take the unique-index and session-row
    // locks in the same order instead of deadlocking (PostgreSQL breaks a
    // deadlock that still happens, and the pool runs the victim's
    // transaction again).
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::tie(batch.events[a].event.session_id, batch.events[a].dedupe_key) <
             std::tie(batch.events[b].event.session_id, batch.events[b].dedupe_key);
    });
    std::vector<std::int64_t> healed = TakeHealed();
    std::vector<AcceptResult> stored(n);
    Status st = pool_.Transaction([&](Connection& conn) -> PgResult<void> {
      if (auto r = DeleteHealTasks(conn, healed); !r) return r;
      const std::int64_t now = NowMs();
      for (std::size_t k : order) {
        auto r = Store(conn, batch.events[k], now);
        if (!r) return tl::unexpected(r.error());
        stored[k] = std::move(*r);
      }
      return {};
    });
    if (!st) {
      PutBackHealed(healed);
      for (std::size_t k = 0; k < n; ++k)
        batch.results[batch.index[k]] = tl::unexpected(st.error());
      return;
    }
    for (std::size_t k = 0; k < n; ++k) batch.results[batch.index[k]] = std::move(stored[k]);
  }

  // StagedInbox: the heal after the commit; if it fails (or we crash first),
  // the persisted heal task retries it.
  void Heal(ParsedBatch& batch) override { PutBackHealed(HealStored(options_, batch)); }

  Result<AcceptResult> AcceptPolled(const PolledStatus& polled) override {
    AcceptResult result;
    auto st = pool_.Transaction([&](Connection& conn) -> PgResult<void> {
      result = AcceptResult{};
      result.outcome = InboxOutcome::kDuplicate;
      auto current = conn.Exec("w_session_lock", {Param::Bytes(polled.session_id)});
      if (!current) return tl::unexpected(current.error());
      if (current->size() == 0) return {};  // not a session this inbox knows
      auto p = MakePolledEvent(polled, PolledTimestamp(options_, current->Int(0, 1)));
      if (!p) return Fail(p.error().code(), p.error().message());
      auto r = Store(conn, *p, NowMs());
      if (!r) return tl::unexpected(r.error());
      result = std::move(*r);
      return {};
    });
    if (!st) return tl::unexpected(st.error());
    return result;
  }

  Result<std::vector<SessionRecord>> UnfinishedSessions(std::int64_t updated_before_ms,
                                                        std::size_t limit) override {
    std::vector<SessionRecord> sessions;
    auto st = pool_.Transaction([&](Connection& conn) -> PgResult<void> {
      sessions.clear();
      std::vector<Param> params = {Param::Int(updated_before_ms)};
      for (std::string_view f : kFinalStatuses) params.push_back(Param::Bytes(f));
      params.push_back(limit == 0 ? Param::Null() : Param::Int(static_cast<std::int64_t>(limit)));
      auto rows = conn.Exec("w_unfinished", params);
      if (!rows) return tl::unexpected(rows.error());
      for (int r = 0; r < rows->size(); ++r) {
        sessions.push_back(SessionRecord{rows->Bytes(r, 0), rows->Bytes(r, 1), rows->Int(r, 2),
                                         rows->Bytes(r, 3), rows->Bytes(r, 4), rows->Bytes(r, 5),
                                         rows->Int(r, 6)});
      }
      return {};
    });
    if (!st) return tl::unexpected(st.error());
    return sessions;
  }

  Result<std::vector<WebhookEvent>> Events(const EventFilter& filter) override {
    std::vector<WebhookEvent> events;
    auto st = pool_.Transaction([&](Connection& conn) -> PgResult<void> {
      events.clear();
      auto rows = conn.Exec(
          "w_events", {Param::Int(filter.after_seq), Param::Bytes(filter.session_id),
                       filter.limit == 0 ? Param::Null()
                                         : Param::Int(static_cast<std::int64_t>(filter.limit))});
      if (!rows) return tl::unexpected(rows.error());
      for (int r = 0; r < rows->size(); ++r) events.push_back(ReadEvent(*rows, r));
      return {};
    });
    if (!st) return tl::unexpected(st.error());
    return events;
  }

  Result<std::optional<SessionRecord>> Session(std::string_view session_id) override {
    std::optional<SessionRecord> found;
    auto st = pool_.Transaction([&](Connection& conn) -> PgResult<void> {
      found.reset();
      auto rows = conn.Exec("w_session", {Param::Bytes(session_id)});
      if (!rows) return tl::unexpected(rows.error());
      if (rows->size() == 0) return {};
      found =
          SessionRecord{rows->Bytes(0, 0), rows->Bytes(0, 1), rows->Int(0, 2), rows->Bytes(0, 3),
                        rows->Bytes(0, 4), rows->Bytes(0, 5), rows->Int(0, 6)};
      return {};
    });
    if (!st) return tl::unexpected(st.error());
    return found;
  }

  Result<std::vector<InboxTask>> PendingTasks() override {
    if (auto st = FlushHealed(); !st) return tl::unexpected(st.error());
    std::vector<InboxTask> tasks;
    auto st = pool_.Transaction([&](Connection& conn) -> PgResult<void> {
      tasks.clear();
      auto rows = conn.Exec("w_tasks", {});
      if (!rows) return tl::unexpected(rows.error());
      for (int r = 0; r < rows->size(); ++r) tasks.push_back(ReadTask(*rows, r));
      return {};
    });
    if (!st) return tl::unexpected(st.error());
    return tasks;
  }

  Result<int> RunPending(const ExecRunner& exec, std::size_t max) override {
    if (auto st = FlushHealed(); !st) return tl::unexpected(st.error());
    int done = 0;
    std::set<std::pair<std::int64_t, std::string>> tried;  // each task once per call
    for (std::size_t i = 0; max == 0 || i < max; ++i) {
      auto ran = RunOne(exec, tried);
      if (!ran) return tl::unexpected(ran.error());
      if (!*ran) break;
      if (**ran) ++done;
    }
    return done;
  }

 private:
  std::int64_t NowMs() const { return ToUnixMillis(options_.clock->Now()); }

  PgResult<AcceptResult> Store(Connection& conn, const ParsedEvent& p, std::int64_t now) {
    const WebhookEvent& e = p.event;
    // A polled status is stored only when it moves the session; a real
    // status event of the status a polled event set gets no exec task (the
    // polled one had it). See "Polled events" in idem/webhook_inbox.h. The
    // session row is locked first, so this is decided on the latest
    // committed status.
    std::int64_t poll_seq = 0;
    if (p.session_event) {
      auto current = conn.Exec("w_session_lock", {Param::Bytes(e.session_id)});
      if (!current) return tl::unexpected(current.error());
      const bool known = current->size() > 0;
      const std::string status = known ? current->Bytes(0, 0) : std::string();
      const std::int64_t timestamp = known ? current->Int(0, 1) : 0;
      if (p.polled && (!known || status == e.status ||
                       !StatusEventMoves(status, timestamp, e.status, e.timestamp))) {
        AcceptResult nothing;
        nothing.outcome = InboxOutcome::kDuplicate;
        return nothing;
      }
      if (!p.polled && known && status == e.status) {
        auto latest = conn.Exec("w_latest_applied", {Param::Bytes(e.session_id)});
        if (!latest) return tl::unexpected(latest.error());
        if (latest->size() > 0 && latest->Int(0, 1) != 0) poll_seq = latest->Int(0, 0);
      }
    }
    auto inserted = conn.Exec(
        "w_insert",
        {Param::Bytes(p.dedupe_key), Param::Bytes(p.body_sha256), Param::Bytes(e.delivery_id),
         Param::Bytes(e.event_id), Param::Bytes(e.session_id), Param::Bytes(e.status),
         Param::Bytes(e.webhook_type), Param::Int(e.timestamp), Param::Bytes(e.workflow_id),
         Param::Bytes(e.vendor_data), Param::Bytes(e.decision), Param::Bytes(e.body),
         Param::Int(now), Param::Int(FirstDueMs(options_, "heal", now)),
         Param::Int(FirstDueMs(options_, "exec", now)),
         Param::Int(options_.queue_exec && poll_seq == 0 ? 1 : 0), Param::Int(p.polled ? 1 : 0),
         Param::Int(poll_seq)});
    if (!inserted) return tl::unexpected(inserted.error());
    AcceptResult result;
    if (inserted->size() == 0) {
      result.outcome = InboxOutcome::kDuplicate;
      auto original = conn.Exec(
          "w_original",
          {Param::Bytes(p.dedupe_key), Param::Bytes(p.body_sha256), Param::Bytes(e.delivery_id)});
      if (!original) return tl::unexpected(original.error());
      if (original->size() > 0) result.seq = original->Int(0, 0);
      return result;
    }
    result.seq = inserted->Int(0, 0);
    if (!p.session_event) return result;  // stored as it came; no session to move
    const std::vector<Param> session = {Param::Bytes(e.session_id),
                                        Param::Bytes(e.status),
                                        Param::Int(SameSecondOrder(e.status)),
                                        Param::Int(e.timestamp),
                                        Param::Bytes(e.decision),
                                        Param::Bytes(e.workflow_id),
                                        Param::Bytes(e.vendor_data),
                                        Param::Int(now),
                                        Param::Int(result.seq)};
    // At most twice: a session another receiver inserted meanwhile is there
    // (committed) when read again.
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto current = conn.Exec("w_session_lock", {Param::Bytes(e.session_id)});
      if (!current) return tl::unexpected(current.error());
      if (current->size() > 0) {
        if (!StatusEventMoves(current->Bytes(0, 0), current->Int(0, 1), e.status, e.timestamp)) {
          return result;  // stale: stored, not applied
        }
        auto moved = conn.Exec("w_session_move", session);
        if (!moved) return tl::unexpected(moved.error());
        result.applied = moved->size() > 0;
        return result;
      }
      auto created = conn.Exec("w_session_insert", session);
      if (!created) return tl::unexpected(created.error());
      if (created->size() > 0) {
        result.applied = true;
        return result;
      }
    }
    return Fail(ErrorCode::kUnavailable, "webhook session row neither found nor inserted");
  }

  // Heal tasks whose inline heal succeeded are deleted with the next
  // transaction (not one transaction each); until then they are only late.
  std::vector<std::int64_t> TakeHealed() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(healed_tasks_, {});
  }
  void PutBackHealed(const std::vector<std::int64_t>& seqs) {
    std::lock_guard<std::mutex> lock(mu_);
    healed_tasks_.insert(healed_tasks_.end(), seqs.begin(), seqs.end());
  }
  static PgResult<void> DeleteHealTasks(Connection& conn, const std::vector<std::int64_t>& seqs) {
    for (std::int64_t seq : seqs) {
      if (auto r = conn.Exec("w_heal_done", {Param::Int(seq)}); !r)
        return tl::unexpected(r.error());
    }
    return {};
  }
  Status FlushHealed() {
    std::vector<std::int64_t> healed = TakeHealed();
    if (healed.empty()) return {};
    auto st = pool_.Transaction([&](Connection& conn) { return DeleteHealTasks(conn, healed); });
    if (!st) PutBackHealed(healed);
    return st;
  }

  // Claims the first due task not in `tried` and runs it inside the claiming
  // transaction (its row stays locked), then deletes or reschedules it.
  // nullopt: nothing due; true: the task completed; false: it failed and
  // was rescheduled.
  Result<std::optional<bool>> RunOne(const ExecRunner& exec,
                                     std::set<std::pair<std::int64_t, std::string>>& tried) {
    std::unique_ptr<Connection> conn;
    auto give_back = [&](const Failure& f) -> Error {
      // The failure is reported; a ROLLBACK that fails marks the connection
      // unhealthy and the pool drops it.
      if (!f.connection_lost) (void)conn->Simple("ROLLBACK");
      pool_.Return(f.connection_lost ? nullptr : std::move(conn));
      return f.error;
    };
    std::optional<InboxTask> task;
    WebhookEvent event;
    // A pooled connection that broke while idle (the server restarted) fails
    // BEGIN; nothing has run yet, so the claim is tried again on the next one
    // (each broken one leaves the pool), at most once per pooled connection.
    for (std::size_t attempt = 0;; ++attempt) {
      auto acquired = pool_.Acquire();
      if (!acquired) return tl::unexpected(acquired.error().error);
      conn = std::move(*acquired);
      auto claimed = [&]() -> PgResult<void> {
        if (auto r = conn->Simple("BEGIN"); !r) return tl::unexpected(r.error());
        auto rows = conn->Exec("w_claim_task", {Param::Int(NowMs())});
        if (!rows) return tl::unexpected(rows.error());
        if (rows->size() == 0) return {};
        task = ReadTask(*rows, 0);
        if (tried.count({task->seq, task->kind}) != 0) {
          task.reset();  // failed earlier in this call and due again already
          return {};
        }
        auto event_rows = conn->Exec("w_event", {Param::Int(task->seq)});
        if (!event_rows) return tl::unexpected(event_rows.error());
        if (event_rows->size() == 0) return Fail(ErrorCode::kCorruption, "task without its event");
        event = ReadEvent(*event_rows, 0);
        return {};
      }();
      if (claimed) break;
      task.reset();
      const bool retry = claimed.error().connection_lost && attempt < kMaxConnections;
      Error error = give_back(claimed.error());
      if (!retry) return tl::unexpected(error);
    }
    if (!task) {
      // Nothing written: COMMIT ends it (a ROLLBACK reads as a failure here).
      if (auto r = conn->Simple("COMMIT"); !r) return tl::unexpected(give_back(r.error()));
      pool_.Return(std::move(conn));
      return std::optional<bool>();
    }
    tried.insert({task->seq, task->kind});
    const Status outcome = RunTask(options_, exec, *task, event);
    const int attempts = task->attempts + 1;
    auto settled =
        outcome ? conn->Exec("w_task_done", {Param::Int(task->seq), Param::Bytes(task->kind)})
                : conn->Exec("w_task_retry",
                             {Param::Int(task->seq), Param::Bytes(task->kind), Param::Int(attempts),
                              Param::Int(RetryDueMs(options_, attempts, NowMs())),
                              Param::Bytes(TaskError(outcome.error()))});
    if (!settled) return tl::unexpected(give_back(settled.error()));
    // A COMMIT lost here leaves the task to run again later (at least once).
    if (auto r = conn->Simple("COMMIT"); !r) {
      pool_.Return(nullptr);
      return tl::unexpected(r.error().error);
    }
    pool_.Return(std::move(conn));
    return std::optional<bool>(outcome.has_value());
  }

  InboxOptions options_;
  Pool pool_;
  std::mutex mu_;
  std::vector<std::int64_t> healed_tasks_;  // heal tasks done, to delete with the next transaction
};

}  // namespace

[[nodiscard]] Result<std::unique_ptr<WebhookInbox>> OpenPostgresInbox(const std::string& url,
                                                                      InboxOptions options) {
  if (!options.clock) options.clock = DefaultClock();
  std::string session_sql =
      journal::pg::SessionSql(options.durability, options.busy_timeout, "idem-webhook");
  {
    auto conn = Connection::Open(url, session_sql, nullptr);
    if (!conn) return tl::unexpected(conn.error().error);
    if (auto st = journal::pg::MigrateComponent(**conn, kComponent, SchemaSteps()); !st) {
      return tl::unexpected(st.error());
    }
  }
  if (auto st = OpenHealJournal(options, url); !st) return tl::unexpected(st.error());
  auto inbox = std::make_unique<PgInbox>(url, std::move(session_sql), std::move(options));
  if (auto st = inbox->Warm(); !st) return tl::unexpected(st.error());
  return std::unique_ptr<WebhookInbox>(std::move(inbox));
}

}  // namespace idem::webhook
