// The op driver. Each op is a chain of short steps run by the scheduler (in
// production the Executor's workers); a step ends by handing the op to the
// transport, to a reconciler, to a timer, or by finishing it. Only one step
// of an op runs at a time, so an OpDrive needs no lock of its own.
#include "idem/client.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>

#include "client/create_client.h"
#include "client/executor.h"
#include "client/new_operation.h"
#include "client/op_codec.h"
#include "client/outcome_counts.h"
#include "client/owner.h"
#include "client/rate_gate.h"
#include "common/crypto.h"
#include "idem/uuid.h"
#include "retry/retry_loop.h"

namespace idem {
namespace {

using std::chrono::milliseconds;

bool MethodCarriesKey(std::string_view method) {
  return method == "POST" || method == "PATCH" || method == "DELETE";
}

std::int64_t Ms(milliseconds d) { return d.count(); }

// "http://host[:port][/prefix]" or "https://...": a scheme, a host, and
// nothing that would make `base_url + path` another URL.
bool IsHttpBaseUrl(std::string_view url) {
  std::size_t rest = 0;
  if (url.starts_with("http://")) {
    rest = 7;
  } else if (url.starts_with("https://")) {
    rest = 8;
  } else {
    return false;
  }
  const std::string_view after = url.substr(rest);
  const std::size_t host_end = std::min(after.find('/'), after.size());
  if (host_end == 0) return false;
  for (char c : url) {
    if (c <= ' ' || c == '?' || c == '#' || c == '\\' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::future<OpResult> Client::Submit(OpRequest request) {
  auto promise = std::make_shared<std::promise<OpResult>>();
  std::future<OpResult> future = promise->get_future();
  Submit(std::move(request), [promise](OpResult result) { promise->set_value(std::move(result)); });
  return future;
}

OpResult Client::Call(OpRequest request) { return Submit(std::move(request)).get(); }

namespace {

// One op being driven.
struct OpDrive {
  Operation op;
  const KindPolicy* policy = nullptr;  // what the server does with op.kind
  Headers extra_headers;               // first driving session only (not journaled)
  bool caller_key = false;             // extra_headers carries the caller's Idempotency-Key
  // An earlier attempt may have executed: resolve (replay, look-up or stop)
  // before anything is sent again.
  bool needs_resolution = false;
  // Some attempt of this op may have executed (an ambiguous attempt in this
  // drive, or one taken over): unlike needs_resolution, a look-up that found
  // nothing does not clear it, so a later "already exists" refusal is still
  // asked about (ClientOptions::exists_refusal).
  bool may_have_executed = false;
  // The last answer was a refusal that says the resource already exists,
  // after an attempt that may have executed: the kind's Reconciler decides
  // (found: succeeded; nothing of this op: the refusal stands), never a send.
  bool exists_refused = false;
  // This op's retry state: clones of the Client's retry and backoff
  // prototypes and its shared budget, the one loop every retrier in idem
  // takes (DiditClient::Get and the webhook sender too).
  std::optional<internal::RetryLoop> retry;
  std::chrono::steady_clock::time_point last_renew;
  std::chrono::steady_clock::time_point last_send;
  // A look-up that finds nothing is not trusted before this (the server may
  // still be running an attempt; KindPolicy::settle_after).
  std::chrono::steady_clock::time_point settle_until;
  Client::Callback done;
  // The rate budget: the scopes a send of this op counts in, whether the
  // next send holds its grant, and the plan's room after that grant.
  RateLimits rate_scopes;
  bool rate_granted = false;
  int plan_remaining = 0;
  // While the op waits for its grant (which may outlast a lease: Didit's
  // windows are 60 s) its lease is renewed every third of a lease, as in
  // any other wait; gate_mu orders those renewals with the grant's use of
  // the drive. A renewal that was fenced (the op was taken over) is kept in
  // lease_lost, and the grant then sends nothing.
  std::mutex gate_mu;
  bool waiting_for_grant = false;
  std::optional<Error> lease_lost;
};
using DrivePtr = std::shared_ptr<OpDrive>;

// Work waiting for a driving slot: a new request or a claimed op.
struct Pending {
  std::optional<OpRequest> request;
  std::optional<Operation> claimed;
  Client::Callback done;
};

class ClientImpl final : public Client {
 public:
  ClientImpl(ClientOptions options, std::shared_ptr<internal::Scheduler> scheduler)
      : options_(std::move(options)), scheduler_(std::move(scheduler)) {
    rate_limits_ = internal::EffectiveRateLimits(options_.rate_limits, options_.base_url);
    if (!rate_limits_.empty()) {
      rate_gate_ = std::make_unique<internal::RateGate>(
          options_.share_rate_budget ? internal::MakeJournalRateBook(*options_.journal)
                                     : internal::MakeProcessRateBook(),
          *options_.clock,
          internal::RateGate::Hooks{
              [this](internal::RateGate::Task t) { scheduler_->Post(std::move(t)); },
              [this](milliseconds delay, internal::RateGate::Task t) {
                scheduler_->PostAfter(delay, std::move(t));
              }});
    }
  }

  ~ClientImpl() override {
    Shutdown();
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [this] { return live_ == 0; });
    lock.unlock();
    scheduler_->Shutdown();
  }

  void Shutdown() override {
    std::deque<Pending> refused;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      refused.swap(pending_);
    }
    // Never-admitted work is refused: nothing of it reached the journal (a
    // claimed op only gets its lease back).
    for (Pending& p : refused) {
      if (p.claimed) options_.journal->Release(*p.claimed);
      FinishUnstarted(p.done, MakeError(ErrorCode::kUnavailable, "client is shutting down"));
    }
    // Admitted ops still waiting for a slot or a retry are parked by Attempt,
    // and those waiting for a rate grant by Send.
    if (rate_gate_) rate_gate_->Stop();
    scheduler_->ExpireTimers();
  }

  void Submit(OpRequest request, Callback done) override {
    Enqueue(Pending{std::move(request), std::nullopt, std::move(done)});
  }

  Result<ResumeSummary> Resume() override;

  void Drive(Operation claimed, Callback done) override {
    if (IsFinal(claimed.state)) return done(std::move(claimed));
    if (claimed.lease_owner.empty()) {
      return done(MakeError(ErrorCode::kInvalidArgument,
                            "Drive: op " + claimed.op_id + " is not claimed (no lease owner)"));
    }
    Enqueue(Pending{std::nullopt, std::move(claimed), std::move(done)});
  }
  const std::string& owner() const override { return options_.owner; }
  milliseconds lease() const override { return options_.lease; }
  Clock& clock() const override { return *options_.clock; }

  Result<std::optional<Operation>> Get(std::string_view op_id) override {
    return options_.journal->Get(op_id);
  }
  Result<std::vector<Operation>> List(const OpFilter& filter) override {
    return options_.journal->List(filter);
  }

 private:
  // The pipeline: pending_ (requests, claimed ops) -> an admission batch
  // (Journal::BeginMany: one commit for the batch) -> ready_ (durable, lease
  // held) -> a driving slot (at most max_concurrent_ops: attempts, waits) ->
  // settling_ (response in, slot freed) -> a flush (Journal::UpdateMany: one
  // commit) -> the callback. One admission and one flush run at a time, so
  // each batches whatever arrived while the previous one committed.
  void Enqueue(Pending p) {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) {
      lock.unlock();
      if (p.claimed) options_.journal->Release(*p.claimed);  // another driver may take it
      p.done(MakeError(ErrorCode::kUnavailable, "client is shutting down"));
      return;
    }
    ++live_;
    pending_.push_back(std::move(p));
    Pump(lock);
  }

  // Ops journaled ahead of a free slot: enough that sending never waits for
  // a Begin commit, few enough that a crash leaves little begun-but-unsent.
  std::size_t Lookahead() const {
    return std::max<std::size_t>(2 * options_.max_concurrent_ops, 16);
  }

  // Takes `lock` (held) and releases it: fills free slots from ready_ and
  // starts an admission batch when the window has room.
  void Pump(std::unique_lock<std::mutex>& lock) {
    std::vector<DrivePtr> start;
    while (driving_ < options_.max_concurrent_ops && !ready_.empty()) {
      start.push_back(std::move(ready_.front()));
      ready_.pop_front();
      ++driving_;
    }
    std::vector<Pending> admit;
    const std::size_t window = Lookahead();
    if (!admitting_ && !stopping_ && !pending_.empty() && ready_.size() < window) {
      const std::size_t n = std::min(pending_.size(), window - ready_.size());
      admit.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        admit.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
      admitting_ = true;
    }
    lock.unlock();
    for (DrivePtr& d : start) {
      // A fresh op's first attempt is just a hand-off to the transport: do
      // it here rather than wait for a worker (under load every thread hop
      // holds the slot longer). Anything that may block goes to a worker.
      if (PlainSend(*d)) {
        Send(d);
      } else {
        scheduler_->Post([this, d] { Attempt(d); });
      }
    }
    if (!admit.empty()) {
      auto shared = std::make_shared<std::vector<Pending>>(std::move(admit));
      scheduler_->Post([this, shared] { AdmitBatch(std::move(*shared)); });
    }
  }

  // Ends an op that holds a driving slot: frees the slot, starts the next.
  void Finish(const DrivePtr& d, OpResult result) {
    d->done(std::move(result));
    std::unique_lock<std::mutex> lock(mu_);
    --driving_;
    if (--live_ == 0) idle_cv_.notify_all();
    Pump(lock);
  }
  // Ends an op that never got a slot (refused, or found settled by Begin).
  void FinishUnstarted(Callback& done, OpResult result) {
    done(std::move(result));
    std::lock_guard<std::mutex> lock(mu_);
    if (--live_ == 0) idle_cv_.notify_all();
  }

  // True when Attempt(d) would do nothing but Send(d): not stopping, nothing
  // to resolve, lease renewal not due, the first send already recorded.
  bool PlainSend(const OpDrive& d) {
    if (d.needs_resolution || d.op.first_sent_ms == 0 || Stopping()) return false;
    return options_.clock->SteadyNow() - d.last_renew < options_.lease / 3;
  }

  bool Stopping() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  }

  DrivePtr NewDrive(Operation op, Callback done) {
    auto d = std::make_shared<OpDrive>();
    d->op = std::move(op);
    d->policy = &PolicyFor(d->op.kind);
    d->done = std::move(done);
    d->retry.emplace(*options_.retry, *options_.backoff, options_.budget);
    d->last_renew = options_.clock->SteadyNow();
    return d;
  }

  // An op taken over as it was stored (resumed, claimed, or found unfinished
  // by Begin): if any request of it may have left (first_sent_ms), it is
  // resolved before anything is sent. The earlier driver sent only while it
  // held the lease, which has lapsed by now, so "now" bounds its last send.
  void TakeOver(OpDrive& d) {
    d.needs_resolution = d.op.first_sent_ms != 0;
    d.may_have_executed = d.needs_resolution;
    d.settle_until = options_.clock->SteadyNow() + d.policy->settle_after;
    d.op.state = OpState::kInFlight;
  }

  const KindPolicy& PolicyFor(const std::string& kind) const {
    auto it = options_.kind_policies.find(kind);
    return it == options_.kind_policies.end() ? options_.default_kind_policy : it->second;
  }

  void AdmitBatch(std::vector<Pending> batch);
  void Flush();
  void Attempt(const DrivePtr& d);
  void Resolve(const DrivePtr& d, bool window_passed);
  void Reconcile(const DrivePtr& d, bool window_passed);
  void OnReconciled(const DrivePtr& d, ReconcileResult r, bool window_passed);
  bool RecordFirstSend(const DrivePtr& d);
  void Send(const DrivePtr& d);
  void OnResult(const DrivePtr& d, TransportResult r);
  // What a failed attempt says about execution.
  enum class Ambiguity {
    kNone,        // it did not execute (refused connection, 408, 409 in progress, 425, 429)
    kAnswered,    // it may have executed and the server is done with it (a 500 after work)
    kMayStillRun  // no answer (timeout, lost connection) or a gateway's 502/503/504: the
                  // server may still be running it, so an empty look-up waits settle_after
  };
  void OnRetryableFailure(const DrivePtr& d, bool after_timeout, Ambiguity ambiguity,
                          std::optional<milliseconds> pushback);
  void Wait(const DrivePtr& d, milliseconds delay);
  void Settle(const DrivePtr& d, OpState state);
  // Stops the op `unknown`, released for a later Resume(); with
  // `needs_review`, for a person only (never claimed again).
  void GiveUp(const DrivePtr& d, std::string why, bool needs_review = false);
  void AppendAudit(Operation& op, std::string_view line);
  // When the driver stops with nothing to resolve (every attempt was proven
  // unsent or answered without executing, or a look-up proved no
  // execution), the op is stored as never sent (first_sent_ms 0), so the
  // next driver sends it without a resolution it could not get.
  static void ForgetUnexecutedSends(Operation& op, const OpDrive& d) {
    if (!d.needs_resolution) op.first_sent_ms = 0;
  }
  OpResult SettledElsewhere(const DrivePtr& d, const Error& error);
  void Park(const DrivePtr& d);
  bool RenewIfDue(const DrivePtr& d);
  // Renews d's lease every third of a lease while it waits for a rate grant.
  void RenewWhileWaitingForGrant(const DrivePtr& d);
  // The op's last answer (a definitive refusal) says what it creates
  // already exists, by its kind's ClientOptions::exists_refusal.
  bool RefusedAsExisting(const Operation& op) const {
    auto it = options_.exists_refusal.find(op.kind);
    return it != options_.exists_refusal.end() && it->second && it->second(op);
  }
  std::shared_ptr<Reconciler> ReconcilerFor(const std::string& kind) const {
    auto it = options_.reconcilers.find(kind);
    return it == options_.reconcilers.end() ? nullptr : it->second;
  }
  std::string NewKey() const {
    return options_.key_version == KeyVersion::kUuidV7 ? NewUuidV7(*options_.clock) : NewUuidV4();
  }
  std::int64_t NowMs() const { return ToUnixMillis(options_.clock->Now()); }

  ClientOptions options_;
  std::shared_ptr<internal::Scheduler> scheduler_;
  RateLimits rate_limits_;                         // empty: no budget
  std::unique_ptr<internal::RateGate> rate_gate_;  // null: no budget
  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::deque<Pending> pending_;     // submitted, not yet admitted
  std::deque<DrivePtr> ready_;      // admitted (durable, leased), waiting for a slot
  std::vector<DrivePtr> settling_;  // settled, outcome not yet durable
  std::size_t driving_ = 0;         // slots in use (<= max_concurrent_ops)
  std::size_t live_ = 0;            // enqueued ops whose callback has not run
  bool admitting_ = false;
  bool flushing_ = false;
  bool stopping_ = false;
};

// Begins a batch of new ops in one journal commit (claimed ops need none),
// then hands the ones to drive to ready_. Every op is durable before any
// byte of it is sent: Attempt only runs on ops that went through here.
void ClientImpl::AdmitBatch(std::vector<Pending> batch) {
  std::vector<DrivePtr> ready;
  std::vector<Operation> ops;
  std::vector<std::size_t> which;  // ops[k] is batch[which[k]]
  std::vector<bool> caller_keys;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Pending& p = batch[i];
    if (p.claimed) {
      auto d = NewDrive(std::move(*p.claimed), std::move(p.done));
      // Renewal is due a third of a lease after the claim's own lease began
      // (lease_until_ms - lease), so a claim made long ago or with a shorter
      // lease is renewed before it lapses.
      const milliseconds left(std::max<std::int64_t>(0, d->op.lease_until_ms - NowMs()));
      if (left < options_.lease) d->last_renew -= options_.lease - left;
      TakeOver(*d);
      ready.push_back(std::move(d));
      continue;
    }
    bool caller_key = false;
    auto op = internal::NewOperation(
        *p.request, [this] { return NewKey(); }, NowMs(), &caller_key);
    if (!op) {
      FinishUnstarted(p.done, tl::unexpected(op.error()));
      continue;
    }
    ops.push_back(std::move(*op));
    which.push_back(i);
    caller_keys.push_back(caller_key);
  }
  auto results = ops.empty() ? std::vector<Result<BeginResult>>()
                             : options_.journal->BeginMany(ops, options_.owner, options_.lease);
  for (std::size_t k = 0; k < results.size(); ++k) {
    Pending& p = batch[which[k]];
    auto& begun = results[k];
    if (!begun) {
      FinishUnstarted(p.done, tl::unexpected(begun.error()));
      continue;
    }
    if (!begun->created) {
      if (IsFinal(begun->op.state)) {
        FinishUnstarted(p.done, std::move(begun->op));
        continue;
      }
      if (!begun->leased && OwnerIsProvablyDead(begun->op.lease_owner)) {
        // Its driver crashed or was killed on this host: its lease is taken
        // now (fenced by that driver's generation) rather than waited out.
        if (options_.journal->Release(begun->op)) {
          auto again = options_.journal->Begin(ops[k], options_.owner, options_.lease);
          if (again) begun = std::move(again);
        }
      }
      if (!begun->leased) {
        FinishUnstarted(p.done,
                        MakeError(ErrorCode::kFailedPrecondition,
                                  "op " + begun->op.op_id + " is being driven by another owner (" +
                                      begun->op.lease_owner + ", a live process)"));
        continue;
      }
    }
    const bool caller_key = caller_keys[k];
    auto d = NewDrive(std::move(begun->op), std::move(p.done));
    // A resumed op keeps its stored key; the caller's header is only sent
    // verbatim when it is that key.
    d->caller_key = caller_key && d->op.idem_key == ops[k].idem_key;
    d->extra_headers = std::move(p.request->headers);
    if (caller_key && !d->caller_key) {
      std::erase_if(d->extra_headers, [](const Header& h) {
        return FindHeader(Headers{h}, "Idempotency-Key").has_value();
      });
    }
    // An existing unfinished op may already have executed.
    if (!begun->created) TakeOver(*d);
    d->op.state = OpState::kInFlight;
    ready.push_back(std::move(d));
  }
  std::unique_lock<std::mutex> lock(mu_);
  for (DrivePtr& d : ready) ready_.push_back(std::move(d));
  admitting_ = false;
  Pump(lock);
}

void ClientImpl::RenewWhileWaitingForGrant(const DrivePtr& d) {
  scheduler_->PostAfter(std::chrono::duration_cast<milliseconds>(options_.lease / 3), [this, d] {
    // Stopping: the gate answers every waiter (and timers run at once, so
    // renewing here would spin until it has).
    if (Stopping()) return;
    std::lock_guard<std::mutex> lock(d->gate_mu);
    if (!d->waiting_for_grant || d->lease_lost) return;
    auto renewed = options_.journal->RenewLease(d->op, options_.lease);
    if (!renewed) {
      d->lease_lost = renewed.error();
      return;
    }
    d->last_renew = options_.clock->SteadyNow();
    RenewWhileWaitingForGrant(d);
  });
}

bool ClientImpl::RenewIfDue(const DrivePtr& d) {
  auto now = options_.clock->SteadyNow();
  if (now - d->last_renew < options_.lease / 3) return true;
  auto renewed = options_.journal->RenewLease(d->op, options_.lease);
  if (!renewed) {
    Finish(d, SettledElsewhere(d, renewed.error()));
    return false;
  }
  d->last_renew = now;
  return true;
}

void ClientImpl::Attempt(const DrivePtr& d) {
  if (Stopping()) return Park(d);
  if (!RenewIfDue(d)) return;
  if (d->needs_resolution) {
    const Operation& op = d->op;
    const bool window_passed =
        op.first_sent_ms != 0 && NowMs() - op.first_sent_ms >= Ms(options_.key_window);
    return Resolve(d, window_passed);
  }
  // Nothing sent before may have executed: a plain (re-)send, whatever the
  // key or the window.
  if (!RecordFirstSend(d)) return;
  Send(d);
}

// An earlier attempt may have executed. Never a blind re-send: a replay the
// server deduplicates, a look-up, or a stop for a person.
void ClientImpl::Resolve(const DrivePtr& d, bool window_passed) {
  const KindPolicy& policy = *d->policy;
  // A replay after "already exists" would only be refused again.
  if (policy.server_honours_key && !window_passed && !d->exists_refused) return Send(d);  // replay
  if (ReconcilerFor(d->op.kind)) return Reconcile(d, window_passed);
  if (d->exists_refused) {
    return GiveUp(d,
                  "may have executed; the server refused a retry as already existing and kind '" +
                      d->op.kind + "' has no look-up; not re-sent",
                  true);
  }
  std::string why = "may have executed; ";
  why += policy.server_honours_key
             ? "the server's key window has passed"
             : "the endpoint does not deduplicate (the server ignores Idempotency-Key)";
  why += " and kind '" + d->op.kind + "' has no look-up; not re-sent";
  if (!d->op.last_error.empty()) why += " (last attempt: " + d->op.last_error + ")";
  GiveUp(d, std::move(why), true);
}

void ClientImpl::Reconcile(const DrivePtr& d, bool window_passed) {
  auto reconciler = ReconcilerFor(d->op.kind);
  reconciler->Lookup(d->op, [this, d, window_passed](ReconcileResult r) {
    auto shared = std::make_shared<ReconcileResult>(std::move(r));
    scheduler_->Post(
        [this, d, shared, window_passed] { OnReconciled(d, std::move(*shared), window_passed); });
  });
}

void ClientImpl::OnReconciled(const DrivePtr& d, ReconcileResult r, bool window_passed) {
  Operation& op = d->op;
  switch (r.outcome) {
    case ReconcileResult::Outcome::kFound:
      op.resource_id = std::move(r.resource_id);
      op.response_status = r.status;
      op.response_body = std::move(r.body);
      op.response_headers = "{}";
      op.last_error.clear();
      AppendAudit(op, std::string(kFoundByLookUp) + (r.note.empty() ? "" : ": " + r.note));
      d->retry->OnSuccess();
      return Settle(d, OpState::kSucceeded);
    case ReconcileResult::Outcome::kNotFound: {
      const auto now = options_.clock->SteadyNow();
      if (now < d->settle_until) {
        // The attempt may still be running on the server: absence proves
        // nothing yet. Look again once it cannot be.
        return Wait(
            d, std::chrono::duration_cast<milliseconds>(d->settle_until - now) + milliseconds(1));
      }
      if (d->exists_refused) {
        // The resource exists and the look-up proves it is not this op's:
        // the server's refusal (still the op's response) is its outcome.
        op.last_error =
            "the server refused it as already existing, and the look-up shows the "
            "existing resource is not this op's";
        return Settle(d, OpState::kFailed);
      }
      d->needs_resolution = false;
      if (window_passed) {
        // Proven never executed, so one more execution is the first: send it
        // afresh under a new key, recorded (with the old key, for the audit
        // trail) durably before the send, and the window restarts from now.
        const std::string old_key = op.idem_key;
        op.idem_key = NewKey();
        op.idem_key_from_caller = false;
        op.last_error = "key window passed; look-up proved no execution; key " + old_key +
                        " replaced by a fresh key";
        op.first_sent_ms = NowMs();
        op.updated_ms = NowMs();
        auto updated = options_.journal->Update(op);
        if (!updated) return Finish(d, SettledElsewhere(d, updated.error()));
      }
      if (Stopping()) return Park(d);
      // A look-up may take up to its timeout, longer than a third of the
      // lease: renew (fenced) before sending, so a driver whose lease lapsed
      // meanwhile, and was taken over, does not send beside the new one.
      if (!RenewIfDue(d)) return;
      return Send(d);
    }
    case ReconcileResult::Outcome::kFailed:
      op.last_error = "look-up failed: " + r.error;
      // A rate-limited or unavailable look-up says when to look again: a
      // retry sooner would only be refused too and burn the op's attempts.
      return OnRetryableFailure(
          d, false, Ambiguity::kAnswered,
          ServerPushback(r.response_headers, options_.clock->Now(), options_.max_pushback));
    case ReconcileResult::Outcome::kUnresolvable:
      return GiveUp(d, "may have executed; " + r.error + "; not re-sent", true);
  }
}

// Keeps the journal's promise that first_sent_ms 0 means "never sent": an op
// taken from the journal unsent (enqueued, or resolved "not executed") has
// its first send recorded durably before the request is handed over.
bool ClientImpl::RecordFirstSend(const DrivePtr& d) {
  if (d->op.first_sent_ms != 0) return true;
  d->op.first_sent_ms = NowMs();
  d->op.updated_ms = d->op.first_sent_ms;
  auto updated = options_.journal->Update(d->op);
  if (!updated) {
    Finish(d, SettledElsewhere(d, updated.error()));
    return false;
  }
  return true;
}

void ClientImpl::Send(const DrivePtr& d) {
  if (rate_gate_ && !d->rate_granted) {
    d->rate_scopes =
        internal::ScopesOfRequest(rate_limits_, d->op.method, d->policy->rate_limit_scope);
    if (!d->rate_scopes.empty()) {
      {
        std::lock_guard<std::mutex> lock(d->gate_mu);
        d->waiting_for_grant = true;
      }
      RenewWhileWaitingForGrant(d);
      return rate_gate_->Acquire(d->rate_scopes, [this, d](bool granted, int plan_remaining) {
        std::optional<Error> lost;
        {
          std::lock_guard<std::mutex> lock(d->gate_mu);
          d->waiting_for_grant = false;
          lost = std::move(d->lease_lost);
        }
        if (lost) return Finish(d, SettledElsewhere(d, *lost));  // taken over: not sent
        if (!granted) return Park(d);  // shutting down: nothing of this send left
        // Fenced, so a driver that lost the op does not send. Rarely due
        // (the timer above renewed during the wait), so the granting thread
        // seldom waits for this journal write.
        if (!RenewIfDue(d)) return;
        d->rate_granted = true;
        d->plan_remaining = plan_remaining;
        Send(d);
      });
    }
  }
  d->rate_granted = false;  // each send takes its own grant
  d->exists_refused = false;
  Operation& op = d->op;
  ++op.attempts;
  d->last_send = options_.clock->SteadyNow();
  HttpRequest request;
  request.method = op.method;
  request.url = options_.base_url + op.path;
  request.body = op.body;
  request.timeout = d->policy->timeout;
  if (!options_.api_key.empty()) request.headers.push_back({"x-api-key", options_.api_key});
  if (!op.body.empty() && !op.content_type.empty() &&
      !FindHeader(d->extra_headers, "Content-Type")) {
    request.headers.push_back({"Content-Type", op.content_type});
  }
  if (MethodCarriesKey(op.method) && !d->caller_key) {
    request.headers.push_back(
        {"Idempotency-Key", FormatIdempotencyKey(op.idem_key, options_.key_format)});
  }
  for (const Header& h : d->extra_headers) request.headers.push_back(h);
  options_.transport->Send(std::move(request), [this, d](TransportResult r) {
    // A 2xx or a final refusal only queues the outcome for the next flush
    // (no blocking I/O), so it is settled right on the transport's thread;
    // failures (journal writes, reconciliation) go to a worker.
    if (r && ClassifyStatus(r->status) != Verdict::kRetry) return OnResult(d, std::move(r));
    auto shared = std::make_shared<TransportResult>(std::move(r));
    scheduler_->Post([this, d, shared] { OnResult(d, std::move(*shared)); });
  });
}

void ClientImpl::OnResult(const DrivePtr& d, TransportResult r) {
  Operation& op = d->op;
  if (rate_gate_ && r && !d->rate_scopes.empty()) {
    // The server's word on the budget; a journal write, so off the
    // transport's thread (which runs this for a 2xx).
    scheduler_->Post([this, scopes = d->rate_scopes, status = r->status, headers = r->headers,
                      plan = d->plan_remaining] {
      rate_gate_->OnResponse(scopes, status, headers, plan, options_.max_pushback);
    });
  }
  if (!r) {
    const TransportError& e = r.error();
    op.last_error = "transport: " + e.message;
    switch (e.failure) {
      case TransportFailure::kCancelled:
        d->needs_resolution = true;  // it may have left before the shutdown
        d->may_have_executed = true;
        return Park(d);
      case TransportFailure::kInternal:
        // The request could not even be built; only the first attempt of a
        // new op proves nothing ever executed.
        if (op.attempts <= 1 && !d->needs_resolution) return Settle(d, OpState::kFailed);
        return GiveUp(d, op.last_error);
      default:
        return OnRetryableFailure(
            d, e.failure == TransportFailure::kTimeout,
            MayHaveExecuted(e.failure) ? Ambiguity::kMayStillRun : Ambiguity::kNone, std::nullopt);
    }
  }
  HttpResponse& response = *r;
  op.response_status = response.status;
  op.response_headers = internal::HeadersToJson(response.headers);
  op.response_body = std::move(response.body);
  op.last_error = response.body_truncated ? "response body truncated at the transport's cap" : "";
  if (IsDefiniteError(*d->policy, response.status, op.response_body)) {
    // The server's definite answer despite its 5xx: the call completed and
    // was refused; a retry or a look-up would only guess past it.
    if (op.last_error.empty()) {
      op.last_error = "HTTP " + std::to_string(response.status) +
                      ": a definite refusal for this kind, not retried";
    }
    return Settle(d, OpState::kFailed);
  }
  switch (ClassifyStatus(response.status)) {
    case Verdict::kSuccess:
      d->retry->OnSuccess();
      if (auto it = options_.resource_id_of.find(op.kind);
          it != options_.resource_id_of.end() && it->second) {
        op.resource_id = it->second(op);
      }
      return Settle(d, OpState::kSucceeded);
    case Verdict::kFinal:
      // Asked first: a kind's "already exists" refusal may be a 403 (Didit's
      // import-shared: "already been shared with your application"), which
      // is the server's word on the resource, not on the credentials.
      if (RefusedAsExisting(op)) {
        if (!d->may_have_executed) {
          // Nothing of this op may have executed: the resource was there
          // before it, a refusal.
          return Settle(d, OpState::kFailed);
        }
        // "Already exists" after an attempt that may have executed: that
        // attempt may be what exists. Not the op's failure until its look-up
        // says the resource is not this op's.
        d->needs_resolution = true;
        d->exists_refused = true;
        op.last_error = "HTTP " + std::to_string(response.status) +
                        ": the server says the resource already exists, after an attempt of "
                        "this op that may have executed; looking it up";
        scheduler_->Post([this, d] { Attempt(d); });  // off the transport's thread
        return;
      }
      if (response.status == 401 || response.status == 403) {
        // The credentials or the account were refused: nothing executed, and
        // no retry helps until the configuration is fixed. Not the op's
        // outcome: it stays re-drivable (resume sends it once fixed).
        op.last_error = "HTTP " + std::to_string(response.status) +
                        ": the server refused the credentials or access; nothing executed. Fix "
                        "the API key or the account (permissions, IP allow-list, credits), then "
                        "resume sends it again";
        return GiveUp(d, op.last_error);
      }
      return Settle(d, OpState::kFailed);
    case Verdict::kRetry:
      if (IsKeyReuseConflict(response.status, response.headers, op.response_body)) {
        // The server holds this key for another request: no retry can help,
        // and nothing of this op executed under it.
        op.last_error = "HTTP 409: the server says Idempotency-Key " + op.idem_key + " of op " +
                        op.op_id + " was already used with a different request";
        return Settle(d, OpState::kFailed);
      }
      if (op.last_error.empty()) op.last_error = "HTTP " + std::to_string(response.status);
      return OnRetryableFailure(
          d, false,
          !MayHaveExecuted(response.status)                  ? Ambiguity::kNone
          : response.status >= 502 && response.status <= 504 ? Ambiguity::kMayStillRun
                                                             : Ambiguity::kAnswered,
          ServerPushback(response.headers, options_.clock->Now(), options_.max_pushback));
  }
}

void ClientImpl::OnRetryableFailure(const DrivePtr& d, bool after_timeout, Ambiguity ambiguity,
                                    std::optional<milliseconds> pushback) {
  if (ambiguity != Ambiguity::kNone) {
    d->needs_resolution = true;
    d->may_have_executed = true;
    if (ambiguity == Ambiguity::kMayStillRun) {
      d->settle_until = std::max(d->settle_until, d->last_send + d->policy->settle_after);
    }
    // An endpoint that does not deduplicate and has no look-up: nothing a
    // retry could do is safe, so stop now rather than after the retries.
    if (!d->policy->server_honours_key && !ReconcilerFor(d->op.kind)) return Attempt(d);
  }
  const std::optional<milliseconds> next = d->retry->NextDelay(after_timeout, pushback);
  if (!next) {
    return GiveUp(d, d->op.last_error + std::string(internal::StopSuffix(d->retry->stop())));
  }
  const milliseconds delay = *next;
  d->op.next_attempt_ms = NowMs() + Ms(delay);
  d->op.updated_ms = NowMs();
  auto updated = options_.journal->Update(d->op);
  if (!updated) return Finish(d, SettledElsewhere(d, updated.error()));
  Wait(d, delay);
}

void ClientImpl::Wait(const DrivePtr& d, milliseconds delay) {
  // Shutting down: no timer outlives Shutdown() (it expired those already
  // set); the op parks now.
  if (Stopping()) return Park(d);
  milliseconds step = std::max(milliseconds(1), options_.lease / 3);
  if (delay <= step) {
    scheduler_->PostAfter(delay, [this, d] { Attempt(d); });
    return;
  }
  scheduler_->PostAfter(step, [this, d, rest = delay - step] {
    if (Stopping()) return Park(d);
    if (!RenewIfDue(d)) return;
    Wait(d, rest);
  });
}

// The answer is in: the op's slot is freed at once and its outcome joins the
// next flush; its callback runs only after that commit (durable outcome).
void ClientImpl::Settle(const DrivePtr& d, OpState state) {
  d->op.state = state;
  d->op.next_attempt_ms = 0;
  d->op.updated_ms = NowMs();
  std::unique_lock<std::mutex> lock(mu_);
  settling_.push_back(d);
  --driving_;
  const bool start_flush = !flushing_;
  flushing_ = true;
  Pump(lock);
  if (start_flush) scheduler_->Post([this] { Flush(); });
}

// Commits every settled outcome queued so far in one journal commit, then
// runs their callbacks; repeats while more arrived meanwhile.
void ClientImpl::Flush() {
  std::vector<DrivePtr> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(settling_);
  }
  std::vector<const Operation*> ops;
  ops.reserve(batch.size());
  for (const DrivePtr& d : batch) ops.push_back(&d->op);
  std::vector<Status> statuses = options_.journal->UpdateMany(ops);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const DrivePtr& d = batch[i];
    if (!statuses[i]) {
      d->done(SettledElsewhere(d, statuses[i].error()));
      continue;
    }
    // Update released the lease of a final op.
    d->op.lease_owner.clear();
    d->op.lease_until_ms = 0;
    d->done(d->op);
  }
  bool again = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    live_ -= batch.size();
    if (live_ == 0) idle_cv_.notify_all();
    again = !settling_.empty();
    flushing_ = again;
  }
  if (again) scheduler_->Post([this] { Flush(); });
}

// Every write of a driver goes through here when it fails: a write fenced
// out (kFailedPrecondition) because someone else settled the op meanwhile,
// typically the webhook inbox's heal (Journal::AdoptResource) racing this
// driver, or a person's verdict, has the stored outcome as the op's outcome,
// whichever write of the drive was fenced (a renewal, a retry's schedule, a
// first-send record, the final outcome, a park at shutdown).
OpResult ClientImpl::SettledElsewhere(const DrivePtr& d, const Error& error) {
  if (error.code() == ErrorCode::kFailedPrecondition) {
    auto stored = options_.journal->Get(d->op.op_id);
    if (stored && *stored && IsFinal((*stored)->state)) return **stored;
  }
  return tl::unexpected(error);
}

void ClientImpl::AppendAudit(Operation& op, std::string_view line) {
  if (!op.audit.empty()) op.audit += '\n';
  op.audit += FormatIsoMillis(NowMs());
  op.audit += ' ';
  op.audit += line;
}

void ClientImpl::GiveUp(const DrivePtr& d, std::string why, bool needs_review) {
  d->op.state = OpState::kUnknown;
  d->op.needs_review = needs_review;
  d->op.last_error = std::move(why);
  d->op.next_attempt_ms = 0;
  d->op.updated_ms = NowMs();
  ForgetUnexecutedSends(d->op, *d);
  auto updated = options_.journal->Update(d->op);
  if (!updated) return Finish(d, SettledElsewhere(d, updated.error()));
  // Free for `idem resume` (here or in another process) at once.
  options_.journal->Release(d->op);
  Finish(d, d->op);
}

void ClientImpl::Park(const DrivePtr& d) {
  d->op.updated_ms = NowMs();
  ForgetUnexecutedSends(d->op, *d);
  auto updated = options_.journal->Update(d->op);
  if (!updated) return Finish(d, SettledElsewhere(d, updated.error()));
  options_.journal->Release(d->op);
  Finish(d, d->op);
}

Result<ResumeSummary> ClientImpl::Resume() {
  ResumeSummary summary;
  std::set<std::string> seen;
  // An unknown op last written after this call began was given up here (or
  // just now elsewhere): leave it for the next run and move on to the ops
  // behind it, which would otherwise never be reached.
  ClaimFilter filter;
  filter.max_unknown_updated_ms = std::max<std::int64_t>(1, NowMs() - 1);
  // Ops a crashed or interrupted process on this host still holds are
  // resumed now, not once their leases lapse.
  // Best effort: a failure only means those ops wait for their leases to lapse.
  (void)ReleaseLeasesOfDeadOwners(*options_.journal, options_.clock->Now());
  for (;;) {
    auto claimed = options_.journal->ClaimUnfinished(options_.owner, options_.lease,
                                                     options_.max_concurrent_ops, filter);
    if (!claimed) {
      if (summary.claimed == 0) return tl::unexpected(claimed.error());
      ++summary.errors;
      break;
    }
    std::vector<Operation> batch;
    for (Operation& op : *claimed) {
      if (seen.insert(op.op_id).second) {
        batch.push_back(std::move(op));
      } else {
        options_.journal->Release(op);  // driven once already in this Resume
      }
    }
    if (batch.empty()) break;
    summary.claimed += batch.size();

    std::mutex mu;
    std::condition_variable cv;
    std::size_t remaining = batch.size();
    for (Operation& op : batch) {
      Enqueue(Pending{std::nullopt, std::move(op), [&](OpResult result) {
                        std::lock_guard<std::mutex> lock(mu);
                        if (!result) {
                          ++summary.errors;
                        } else {
                          CountState(summary, result->state);
                        }
                        if (--remaining == 0) cv.notify_all();
                      }});
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return remaining == 0; });
    if (Stopping()) break;
  }
  if (auto left = ListUnfinished(*options_.journal)) {
    const std::int64_t now = NowMs();
    for (const Operation& op : *left) {
      if (!op.needs_review && internal::HeldByAnotherLiveLease(op, options_.owner, now)) {
        ++summary.held_elsewhere;
      }
    }
  }
  return summary;
}

}  // namespace

bool FoundByLookUp(const Operation& op) {
  return op.state == OpState::kSucceeded && op.audit.find(kFoundByLookUp) != std::string::npos;
}

Result<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  return internal::CreateClient(std::move(options), nullptr);
}

namespace internal {

[[nodiscard]] Result<std::unique_ptr<Client>> CreateClient(ClientOptions options,
                                                           std::shared_ptr<Scheduler> scheduler) {
  if (!options.journal)
    return MakeError(ErrorCode::kInvalidArgument, "ClientOptions.journal is required");
  if (!options.transport) {
    return MakeError(ErrorCode::kInvalidArgument, "ClientOptions.transport is required");
  }
  if (options.base_url.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "ClientOptions.base_url is required");
  }
  if (!IsHttpBaseUrl(options.base_url)) {
    // Checked here, not discovered by a send: a malformed URL would make
    // every op "fail" although nothing was ever sent.
    return MakeError(ErrorCode::kInvalidArgument,
                     "ClientOptions.base_url must be an absolute http:// or https:// URL with a "
                     "host, without a query or fragment");
  }
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  if (!options.clock) options.clock = DefaultClock();
  if (!options.backoff) {
    options.backoff = std::make_shared<FullJitterBackoff>(milliseconds(100),
                                                          std::chrono::seconds(20), options.random);
  }
  if (!options.retry) {
    options.retry =
        std::make_shared<LimitedAttemptsRetryPolicy>(5, std::chrono::seconds(60), options.clock);
  }
  if (!options.budget) options.budget = std::make_shared<RetryBudget>();
  if (options.owner.empty()) options.owner = DefaultOwnerId();
  if (options.lease.count() < 3) options.lease = milliseconds(3);
  if (options.max_concurrent_ops == 0) options.max_concurrent_ops = 1;
  if (!scheduler) scheduler = std::make_shared<Executor>(options.worker_threads);
  return std::unique_ptr<Client>(new ClientImpl(std::move(options), std::move(scheduler)));
}

}  // namespace internal

}  // namespace idem
