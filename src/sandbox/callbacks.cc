#include "sandbox/callbacks.h"

namespace idem::sandbox {

CallbackDispatch::~CallbackDispatch() {
  std::lock_guard<std::mutex> lock(mu_);
  if (sender_) sender_->Shutdown(std::chrono::milliseconds(0));
}

Status CallbackDispatch::Send(std::string url, std::string payload) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!sender_) {
    WebhookSenderOptions options;
    options.unsigned_callbacks = true;
    options.max_attempts = config_.max_attempts;
    options.backoff = config_.backoff ? config_.backoff : DiditWebhookBackoff();
    options.transport = config_.transport;
    options.clock = config_.clock;
    options.attempt_timeout = std::chrono::seconds(5);  // as Didit's webhooks
    auto sender = WebhookSender::Create(std::move(options));
    if (!sender) return tl::unexpected(sender.error());
    sender_ = std::move(*sender);
  }
  return sender_->EnqueueTo(std::move(url), std::move(payload));
}

std::string CallbackDispatch::StatsJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sender_ ? sender_->StatsJson() : std::string();
}

}  // namespace idem::sandbox
