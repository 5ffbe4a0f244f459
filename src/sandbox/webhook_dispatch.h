// The sandbox as a webhook sender: a SandboxEventSink that turns every
// session change into Didit's `status.updated` payload (a data change into
// `data.updated`) and hands it to a WebhookSender, plus the auto-completer
// (timers that move each created session to "In Progress" and then to a
// final status through the same path as POST /_sandbox/sessions/{id}/advance,
// so store, decision endpoint and webhooks agree).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "idem/clock.h"
#include "idem/random.h"
#include "idem/sandbox.h"
#include "idem/status.h"
#include "idem/webhook_sender.h"
#include "sandbox/webhook_log.h"

namespace idem::sandbox {

class App;

struct WebhookDispatchConfig {
  std::string url;     // "" = no webhooks (auto-complete only)
  std::string secret;  // required with url
  WebhookFaults faults;
  std::chrono::milliseconds auto_complete{0};  // 0 = off
  std::uint64_t seed = 1;
  std::shared_ptr<Clock> clock;
  std::shared_ptr<SandboxEventSink> user_sink;  // called first; may be null
  std::shared_ptr<Transport> transport;         // null: the sender's own
  // Didit's schedule by default (SandboxOptions::webhook_max_attempts and
  // webhook_backoff say why).
  int max_attempts = kDiditWebhookAttempts;
  std::shared_ptr<const BackoffPolicy> backoff;  // null: DiditWebhookBackoff()
  // Every attempt is recorded here, and its resends go through the sender;
  // may be null.
  std::shared_ptr<WebhookDeliveryLog> log;
};

// The sender's options for `config` (exposed for tests): its URL, secret,
// faults, clock and transport, Didit's retry schedule unless the config says
// otherwise, 5 s per attempt as Didit, and randomness fixed by the seed.
WebhookSenderOptions SenderOptionsFor(const WebhookDispatchConfig& config);

// Didit's session event payload (exposed for tests): `webhook_type`
// "status.updated" or "data.updated" (the same session envelope; Didit's
// data.updated shape is not published, fact sheet section 6). `decision_json`
// is the decision body ("" = none: not a final status, or the session is
// gone).
std::string BuildSessionPayload(std::string_view webhook_type, const SandboxSessionEvent& event,
                                const std::string& event_id, const std::string& decision_json);
// BuildSessionPayload("status.updated", ...).
std::string BuildStatusUpdatedPayload(const SandboxSessionEvent& event, const std::string& event_id,
                                      const std::string& decision_json);

// Statuses whose webhook carries `decision` (Didit: Approved, Declined,
// In Review, Abandoned).
bool CarriesDecision(std::string_view status);

class WebhookDispatch final : public SandboxEventSink {
 public:
  [[nodiscard]] static Result<std::shared_ptr<WebhookDispatch>> Create(
      WebhookDispatchConfig config);
  ~WebhookDispatch() override;

  // Must be called once, before any event (the app is created after this
  // sink). The app must outlive Stop().
  void Attach(App* app);

  void OnSessionEvent(const SandboxSessionEvent& event) override;

  // No auto-complete step pending or running, and the sender idle.
  bool WaitIdle(std::chrono::milliseconds timeout);
  // The sender's stats JSON; "" without webhooks.
  std::string StatsJson() const;
  bool sending() const { return sender_ != nullptr; }

  // Joins the timer thread (pending steps are dropped) and shuts the sender
  // down (queued events are dropped). Idempotent.
  void Stop();

 private:
  struct Step {
    std::string session_id;
    std::string from;
    std::string to;
  };

  explicit WebhookDispatch(WebhookDispatchConfig config);
  void TimerLoop();
  std::string PickFinalStatus();

  WebhookDispatchConfig config_;
  std::unique_ptr<WebhookSender> sender_;
  App* app_ = nullptr;
  SeededRandom outcome_random_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, Step> steps_;
  int running_ = 0;  // steps taken off the queue but not yet applied
  bool stopping_ = false;
  std::thread timer_;
};

}  // namespace idem::sandbox
