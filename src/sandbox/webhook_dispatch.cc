#include "sandbox/webhook_dispatch.h"

#include <nlohmann/json.hpp>

#include "idem/uuid.h"
#include "sandbox/app.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

json ParseOrNull(const std::string& text) {
  auto parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? json(nullptr) : parsed;
}

}  // namespace

bool CarriesDecision(std::string_view status) {
  return status == "Approved" || status == "Declined" || status == "In Review" ||
         status == "Abandoned";
}

std::string BuildStatusUpdatedPayload(const SandboxSessionEvent& event, const std::string& event_id,
                                      const std::string& decision_json) {
  return BuildSessionPayload("status.updated", event, event_id, decision_json);
}

std::string BuildSessionPayload(std::string_view webhook_type, const SandboxSessionEvent& event,
                                const std::string& event_id, const std::string& decision_json) {
  json body = {{"event_id", event_id},
               {"webhook_type", std::string(webhook_type)},
               {"timestamp", event.at_ms / 1000},
               {"created_at", event.created_at_ms / 1000},
               {"session_id", event.session_id},
               {"status", event.status},
               // null for a saved standalone check (no workflow)
               {"workflow_id", event.workflow_id.empty() ? json(nullptr) : json(event.workflow_id)},
               {"vendor_data", event.vendor_data.empty() ? json(nullptr) : json(event.vendor_data)},
               {"metadata", ParseOrNull(event.metadata_json)}};
  if (!decision_json.empty()) {
    json decision = ParseOrNull(decision_json);
    // Read after the commit: a later change may already be visible; the
    // decision describes this event's status.
    if (decision.is_object()) decision["status"] = event.status;
    body["decision"] = std::move(decision);
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

WebhookSenderOptions SenderOptionsFor(const WebhookDispatchConfig& config) {
  WebhookSenderOptions options;
  options.url = config.url;
  options.secret = config.secret;
  options.faults = config.faults;
  options.clock = config.clock;
  options.transport = config.transport;
  // The sandbox stands in for Didit: its retry schedule is Didit's unless a
  // test asks for a shorter one (WebhookSenderOptions' own defaults are not).
  options.max_attempts = config.max_attempts;
  options.backoff = config.backoff ? config.backoff : DiditWebhookBackoff();
  options.attempt_timeout = std::chrono::seconds(5);
  // Distinct from the auto-complete outcomes, still fixed by the seed.
  options.random = std::make_shared<SeededRandom>(config.seed * 2654435761u + 17);
  if (config.log) {
    options.on_attempt = [log = config.log](const WebhookAttempt& a) { log->Record(a); };
  }
  return options;
}

Result<std::shared_ptr<WebhookDispatch>> WebhookDispatch::Create(WebhookDispatchConfig config) {
  if (config.auto_complete.count() < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "auto_complete must be >= 0");
  }
  if (!config.clock) config.clock = DefaultClock();
  std::shared_ptr<WebhookDispatch> dispatch(new WebhookDispatch(config));
  if (!config.url.empty()) {
    auto sender = WebhookSender::Create(SenderOptionsFor(config));
    if (!sender) return tl::unexpected(sender.error());
    dispatch->sender_ = std::move(*sender);
    if (config.log) {
      WebhookSender* raw = dispatch->sender_.get();
      config.log->SetEnqueue([raw](std::string payload, std::string tag) {
        return raw->Enqueue(std::move(payload), std::move(tag));
      });
    }
  }
  if (config.auto_complete.count() > 0) {
    WebhookDispatch* raw = dispatch.get();
    dispatch->timer_ = std::thread([raw] { raw->TimerLoop(); });
  }
  return dispatch;
}

WebhookDispatch::WebhookDispatch(WebhookDispatchConfig config)
    : config_(std::move(config)), outcome_random_(config_.seed) {}

WebhookDispatch::~WebhookDispatch() { Stop(); }

void WebhookDispatch::Attach(App* app) { app_ = app; }

std::string WebhookDispatch::PickFinalStatus() {
  // 80% Approved, 10% Declined, 10% In Review; drawn in creation order.
  const double r = outcome_random_.NextDouble();
  if (r < 0.8) return "Approved";
  if (r < 0.9) return "Declined";
  return "In Review";
}

void WebhookDispatch::OnSessionEvent(const SandboxSessionEvent& event) {
  if (config_.user_sink) config_.user_sink->OnSessionEvent(event);
  // Didit documents no webhook for a deletion.
  if (event.kind == SandboxSessionEvent::Kind::kDeleted) return;
  if (sender_) {
    const bool data_updated = event.kind == SandboxSessionEvent::Kind::kDataUpdated;
    std::string decision;
    // data.updated: the changed data is in the decision, whatever the status.
    if ((data_updated || CarriesDecision(event.status)) && app_ != nullptr) {
      decision = app_->DecisionJson(event.session_id).value_or("");
    }
    // A duplicate delivery (sender fault or retry) reuses this payload, so
    // the same event_id.
    // Enqueue fails only once the sender is shutting down, when an event is
    // lost by design (Didit loses them too when its sender gives up).
    (void)sender_->Enqueue(BuildSessionPayload(data_updated ? "data.updated" : "status.updated",
                                               event, NewUuidV4(), decision));
  }
  // Only a hosted session's creation arms the auto-completer. A saved
  // standalone check reports its final status at once as kStatusChanged
  // (from ""), and an update-status or advance is a kStatusChanged too.
  if (event.kind == SandboxSessionEvent::Kind::kCreated && config_.auto_complete.count() > 0) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    const std::string final_status = PickFinalStatus();
    steps_.emplace(now + config_.auto_complete / 2,
                   Step{event.session_id, "Not Started", "In Progress"});
    steps_.emplace(now + config_.auto_complete,
                   Step{event.session_id, "In Progress", final_status});
    cv_.notify_all();
  }
}

void WebhookDispatch::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (steps_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const auto due = steps_.begin()->first;  // a copy: the node may go while waiting
    if (due > std::chrono::steady_clock::now()) {
      cv_.wait_until(lock, due);
      continue;
    }
    Step step = std::move(steps_.begin()->second);
    steps_.erase(steps_.begin());
    ++running_;
    lock.unlock();
    // A session deleted or advanced by hand meanwhile is left alone.
    if (app_ != nullptr) (void)app_->AdvanceSession(step.session_id, step.to, step.from);
    lock.lock();
    --running_;
    cv_.notify_all();
  }
}

bool WebhookDispatch::WaitIdle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // A step's webhook is enqueued before running_ drops, so once this holds
    // the sender has every event.
    if (!cv_.wait_until(lock, deadline,
                        [&] { return stopping_ || (steps_.empty() && running_ == 0); })) {
      return false;
    }
  }
  if (!sender_) return true;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return sender_->WaitIdle(std::max(left, std::chrono::milliseconds(0)));
}

std::string WebhookDispatch::StatsJson() const { return sender_ ? sender_->StatsJson() : ""; }

void WebhookDispatch::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    steps_.clear();
    cv_.notify_all();
  }
  if (timer_.joinable()) timer_.join();
  // No resend may reach the sender once it is gone.
  if (config_.log) config_.log->SetEnqueue(nullptr);
  if (sender_) sender_->Shutdown(std::chrono::milliseconds(0));
}

}  // namespace idem::sandbox
