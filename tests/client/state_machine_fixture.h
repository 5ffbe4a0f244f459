// What the client's state-machine tests start from: a Client whose every
// step and timer runs on a hand-run scheduler (ManualScheduler) on a
// FakeClock, a scripted transport (FakeTransport), an in-memory SQLite
// journal on the same clock, a backoff of given delays and a scripted
// look-up. One thread, nothing sleeps: time moves only when a test calls
// AdvanceBy, so each test runs in milliseconds and asserts what was sent
// when, with which key.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/create_client.h"
#include "client/fake_transport.h"
#include "client/manual_scheduler.h"
#include "idem/client.h"
#include "idem/journal.h"
#include "idem/retry.h"
#include "testing/fake_clock.h"

namespace idem::testing {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The n-th retry waits delays[n] (the last one once they run out), so a
// test knows to the millisecond when the next attempt is due.
class ScriptedBackoff final : public BackoffPolicy {
 public:
  explicit ScriptedBackoff(std::vector<milliseconds> delays) : delays_(std::move(delays)) {}
  std::unique_ptr<BackoffPolicy> Clone() const override {
    return std::make_unique<ScriptedBackoff>(delays_);
  }
  milliseconds OnCompletion() override {
    const std::size_t i = std::min(next_++, delays_.size() - 1);
    return delays_[i];
  }

 private:
  std::vector<milliseconds> delays_;
  std::size_t next_ = 0;
};

// A look-up that answers from a script (then `fallback`), at once, and
// records each call: which op, under which key, at what fake time.
class ScriptedReconciler final : public Reconciler {
 public:
  struct Call {
    std::string op_id;
    std::string idem_key;
    std::chrono::steady_clock::time_point at;
  };
  explicit ScriptedReconciler(FakeClock& clock) : clock_(clock) {}
  void Script(std::vector<ReconcileResult> results) {
    for (ReconcileResult& r : results) script_.push_back(std::move(r));
  }
  void SetFallback(ReconcileResult r) { fallback_ = std::move(r); }
  void Lookup(const Operation& op, Done done) override {
    calls_.push_back(Call{op.op_id, op.idem_key, clock_.SteadyNow()});
    ReconcileResult r = fallback_;
    if (!script_.empty()) {
      r = std::move(script_.front());
      script_.pop_front();
    }
    done(std::move(r));
  }
  const std::vector<Call>& calls() const { return calls_; }

  static ReconcileResult Found(std::string resource_id) {
    ReconcileResult r;
    r.outcome = ReconcileResult::Outcome::kFound;
    r.resource_id = std::move(resource_id);
    r.body = R"({"found":true})";
    r.note = "GET /v3/things/?ref=..: " + r.resource_id;
    return r;
  }
  static ReconcileResult NotFound() {
    ReconcileResult r;
    r.outcome = ReconcileResult::Outcome::kNotFound;
    return r;
  }
  static ReconcileResult Failed(Headers headers = {}) {
    ReconcileResult r;
    r.outcome = ReconcileResult::Outcome::kFailed;
    r.error = "HTTP 503 from the look-up";
    r.response_headers = std::move(headers);
    return r;
  }
  static ReconcileResult Unresolvable() {
    ReconcileResult r;
    r.outcome = ReconcileResult::Outcome::kUnresolvable;
    r.error = "nothing to look it up by";
    return r;
  }

 private:
  FakeClock& clock_;
  std::deque<ReconcileResult> script_;
  ReconcileResult fallback_ = NotFound();
  std::vector<Call> calls_;
};

// What a Submit or Drive handed back, once it has (the callback ran).
using Outcome = std::shared_ptr<std::optional<OpResult>>;

class StateMachineTest : public ::testing::Test {
 protected:
  // The kind whose server honours keys (the default policy) and the kind
  // whose server ignores them and that is looked up instead.
  static constexpr char kKeyed[] = "keyed";
  static constexpr char kLookedUp[] = "looked_up";
  static constexpr milliseconds kLease{30000};

  StateMachineTest()
      : clock_(std::make_shared<FakeClock>()),
        scheduler_(std::make_shared<ManualScheduler>(*clock_)),
        transport_(std::make_shared<FakeTransport>(
            *clock_, [this](std::function<void()> t) { scheduler_->Post(std::move(t)); })),
        reconciler_(std::make_shared<ScriptedReconciler>(*clock_)) {
    JournalOptions jo;
    jo.clock = clock_;
    auto journal = OpenSqliteJournal(":memory:", jo);
    EXPECT_TRUE(journal) << journal.error().ToString();
    if (journal) journal_ = std::move(*journal);
    options_.base_url = "http://api.test";
    options_.api_key = "test-key";
    options_.journal = journal_;
    options_.transport = transport_;
    options_.clock = clock_;
    options_.backoff =
        std::make_shared<ScriptedBackoff>(std::vector<milliseconds>{milliseconds(100)});
    options_.retry =
        std::make_shared<LimitedAttemptsRetryPolicy>(5, std::chrono::minutes(10), clock_);
    options_.lease = kLease;
    options_.owner = "owner-a";
    KindPolicy looked_up;
    looked_up.server_honours_key = false;
    options_.kind_policies[kLookedUp] = looked_up;
    options_.reconcilers[kLookedUp] = reconciler_;
    start_ = clock_->SteadyNow();
  }

  // Every op ends before the Client goes: waits are parked by Shutdown, held
  // requests cancelled as a real transport's destruction cancels them. If
  // one still has not ended (a driver bug), the Client is leaked rather than
  // left to wait forever in its destructor.
  void TearDown() override {
    if (!client_) return;
    client_->Shutdown();
    transport_->CancelHeld();
    scheduler_->RunUntilIdle();
    for (const Outcome& o : outcomes_) {
      if (!o->has_value()) {
        ADD_FAILURE() << "an op never ended";
        (void)client_.release();
        return;
      }
    }
    client_.reset();
  }

  Client& client() {
    if (!client_) {
      auto made = internal::CreateClient(options_, scheduler_);
      EXPECT_TRUE(made) << made.error().ToString();
      client_ = std::move(*made);
    }
    return *client_;
  }

  Outcome Submit(OpRequest request) {
    auto out = std::make_shared<std::optional<OpResult>>();
    outcomes_.push_back(out);
    client().Submit(std::move(request), [out](OpResult r) { *out = std::move(r); });
    scheduler_->RunUntilIdle();
    return out;
  }
  Outcome Drive(Operation claimed) {
    auto out = std::make_shared<std::optional<OpResult>>();
    outcomes_.push_back(out);
    client().Drive(std::move(claimed), [out](OpResult r) { *out = std::move(r); });
    scheduler_->RunUntilIdle();
    return out;
  }

  static OpRequest Request(const std::string& kind, int i = 1) {
    OpRequest r;
    r.op_id = kind + "-" + std::to_string(i);
    r.kind = kind;
    r.method = "POST";
    r.path = "/v3/things/";
    r.body = R"({"n":)" + std::to_string(i) + "}";
    return r;
  }

  Operation Stored(const std::string& op_id) {
    auto op = journal_->Get(op_id);
    EXPECT_TRUE(op && *op) << op_id;
    return op && *op ? **op : Operation{};
  }

  // Fake time since the test began.
  milliseconds Elapsed() const {
    return std::chrono::duration_cast<milliseconds>(clock_->SteadyNow() - start_);
  }
  milliseconds SentAt(std::size_t i) const {
    return std::chrono::duration_cast<milliseconds>(transport_->Request(i).at - start_);
  }
  std::int64_t NowMs() const { return ToUnixMillis(clock_->Now()); }

  std::shared_ptr<FakeClock> clock_;
  std::shared_ptr<ManualScheduler> scheduler_;
  std::shared_ptr<FakeTransport> transport_;
  std::shared_ptr<ScriptedReconciler> reconciler_;
  std::shared_ptr<Journal> journal_;
  ClientOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::unique_ptr<Client> client_;
  std::vector<Outcome> outcomes_;
};

}  // namespace idem::testing
