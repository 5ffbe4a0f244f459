// WebhookSender: one scheduler thread hands due entries to the transport;
// transport callbacks reschedule or settle them. State shared with callbacks
// lives in a shared_ptr so a late callback (shared transport) never touches
// freed memory.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "idem/retry.h"
#include "idem/webhook_sender.h"
#include "idem/webhook_signature.h"
#include "retry/retry_loop.h"

namespace idem {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

struct Entry {
  std::shared_ptr<const std::string> payload;
  int attempts = 0;
  std::string tag;  // Enqueue's; "" for none
  std::string url;  // EnqueueTo's; "" = the options' url
  // This event's clones of the retry and backoff prototypes (shared: the
  // entry is copied into the transport's callback).
  std::shared_ptr<internal::RetryLoop> retry;
};

struct State {
  WebhookSenderOptions options;
  std::mutex mu;
  std::condition_variable cv;
  std::multimap<SteadyTime, Entry> queue;  // by due time; equal times keep insertion order
  int in_flight = 0;
  bool stopping = false;
  WebhookSenderStats stats;
};

// Whether a failed attempt is tried again: the shared classification
// (ClassifyTransportFailure, ClassifyStatus), with two differences for a
// webhook receiver. 404 is retried: Didit retries a delivery answered 404 as
// it does 5xx (fact sheet section 6, WH-old), since a receiver whose route is
// not deployed yet, or a proxy without its backend, answers 404 for a while;
// the sandbox stands in for Didit, so a receiver must see the same retry. 409
// and 425 are final: the shared classification retries them as an
// Idempotency-Key "still in progress", and a delivery carries no key.
// 408, 429 and 5xx are retried as everywhere (whether Didit retries 408 and
// 429 is unconfirmed; the sender always has).
bool Retryable(const TransportResult& result) {
  if (!result) return ClassifyTransportFailure(result.error().failure) == Verdict::kRetry;
  const int s = result->status;
  if (s == 404) return true;
  if (s == 409 || s == 425) return false;
  return ClassifyStatus(s) == Verdict::kRetry;
}

class Sender final : public WebhookSender {
 public:
  explicit Sender(std::shared_ptr<State> state) : state_(std::move(state)) {
    // The state (kept alive by callbacks) must not own the transport, or a
    // callback could end up destroying the transport on its own thread.
    transport_ = std::move(state_->options.transport);
    scheduler_ = std::thread([this] { Schedule(); });
  }
  ~Sender() override {
    Shutdown(std::chrono::milliseconds(0));
    transport_.reset();  // an owned transport cancels what is in flight and joins
  }

  using WebhookSender::Enqueue;
  Status Enqueue(std::string payload, std::string tag) override {
    // A callback-only sender has no url of its own (options are immutable).
    if (state_->options.url.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "this sender has no url: use EnqueueTo");
    }
    return Add(std::move(payload), std::move(tag), std::string());
  }

  Status EnqueueTo(std::string url, std::string payload) override {
    if (url.empty()) return MakeError(ErrorCode::kInvalidArgument, "callback url is empty");
    return Add(std::move(payload), std::string(), std::move(url));
  }

 private:
  // One entry (and an injected duplicate) for `url` ("" = the options').
  Status Add(std::string payload, std::string tag, std::string url) {
    auto shared = std::make_shared<const std::string>(std::move(payload));
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->stopping) return MakeError(ErrorCode::kFailedPrecondition, "sender shut down");
    const auto& f = state_->options.faults;
    auto& random = *state_->options.random;
    auto& stats = state_->stats;
    SteadyTime due = std::chrono::steady_clock::now();
    ++stats.enqueued;
    if (f.delay > 0 && random.NextDouble() < f.delay) {
      due += std::chrono::milliseconds(f.delay_ms);
      ++stats.delayed;
    }
    if (f.reorder > 0 && random.NextDouble() < f.reorder) {
      due += state_->options.reorder_hold;
      ++stats.reordered;
    }
    Entry entry = NewEntry(shared);
    entry.tag = std::move(tag);
    entry.url = url;
    state_->queue.emplace(due, std::move(entry));
    if (f.duplicate > 0 && random.NextDouble() < f.duplicate) {
      Entry duplicate = NewEntry(shared);
      duplicate.url = std::move(url);
      state_->queue.emplace(due, std::move(duplicate));
      ++stats.duplicates_injected;
    }
    state_->cv.notify_all();
    return {};
  }

 public:
  bool WaitIdle(std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> lock(state_->mu);
    return state_->cv.wait_for(lock, timeout,
                               [&] { return state_->queue.empty() && state_->in_flight == 0; });
  }

  WebhookSenderStats stats() const override {
    std::lock_guard<std::mutex> lock(state_->mu);
    WebhookSenderStats s = state_->stats;
    s.pending = state_->queue.size() + static_cast<std::uint64_t>(state_->in_flight);
    return s;
  }

  std::string StatsJson() const override {
    auto s = stats();
    return nlohmann::json{{"enqueued", s.enqueued},
                          {"deliveries", s.deliveries},
                          {"retries", s.retries},
                          {"acknowledged", s.acknowledged},
                          {"failed_attempts", s.failed_attempts},
                          {"given_up", s.given_up},
                          {"duplicates_injected", s.duplicates_injected},
                          {"reordered", s.reordered},
                          {"delayed", s.delayed},
                          {"pending", s.pending}}
        .dump();
  }

  void Shutdown(std::chrono::milliseconds grace) override {
    {
      std::unique_lock<std::mutex> lock(state_->mu);
      if (!state_->stopping) {
        state_->cv.wait_for(lock, grace,
                            [&] { return state_->queue.empty() && state_->in_flight == 0; });
        state_->stopping = true;
        state_->stats.given_up += state_->queue.size();
        state_->queue.clear();
      }
      state_->cv.notify_all();
    }
    if (scheduler_.joinable()) scheduler_.join();
  }

 private:
  // A queue entry with its own clones of the prototypes.
  Entry NewEntry(std::shared_ptr<const std::string> payload) const {
    const auto& o = state_->options;
    return Entry{std::move(payload), 0, std::string(), std::string(),
                 std::make_shared<internal::RetryLoop>(*o.retry, *o.backoff, o.budget)};
  }

  void Schedule() {
    std::unique_lock<std::mutex> lock(state_->mu);
    while (!state_->stopping) {
      if (state_->queue.empty() || state_->in_flight >= state_->options.max_in_flight) {
        state_->cv.wait(lock);
        continue;
      }
      auto first = state_->queue.begin();
      // A copy: wait_until reads its deadline again after waking, and by then
      // Shutdown (or a delivery) may have erased the node it lives in.
      const auto due = first->first;
      if (due > std::chrono::steady_clock::now()) {
        state_->cv.wait_until(lock, due);
        continue;
      }
      Entry entry = std::move(first->second);
      state_->queue.erase(first);
      ++state_->in_flight;
      ++entry.attempts;
      ++state_->stats.deliveries;
      if (entry.attempts > 1) ++state_->stats.retries;
      lock.unlock();
      Send(std::move(entry));
      lock.lock();
    }
  }

  void Send(Entry entry) {
    const auto& o = state_->options;
    HttpRequest request;
    request.method = "POST";
    request.url = entry.url.empty() ? o.url : entry.url;
    std::int64_t now = ToUnixMillis(o.clock->Now()) / 1000;
    if (o.unsigned_callbacks) {
      // Didit's unsigned callback: a marker instead of signatures, so a
      // receiver cannot mistake it for a signed webhook.
      request.headers = {{"X-Didit-Unsigned-Callback", "true"}};
    } else {
      request.headers = SignDidit(o.secret, *entry.payload, now);
    }
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = *entry.payload;
    std::shared_ptr<State> state = state_;
    Headers sent_headers = o.on_attempt ? request.headers : Headers{};
    transport_->Send(std::move(request), [state, entry, sent_headers = std::move(sent_headers),
                                          now](TransportResult result) mutable {
      if (state->options.on_attempt) {
        WebhookAttempt a;
        a.tag = entry.tag;
        a.attempt = entry.attempts;
        a.url = entry.url.empty() ? state->options.url : entry.url;
        a.body = *entry.payload;
        a.headers = std::move(sent_headers);
        a.status = result ? result->status : 0;
        a.acknowledged = result && ClassifyStatus(result->status) == Verdict::kSuccess;
        a.sent_unix_s = now;
        state->options.on_attempt(a);
      }
      std::lock_guard<std::mutex> lock(state->mu);
      --state->in_flight;
      auto& stats = state->stats;
      if (result && ClassifyStatus(result->status) == Verdict::kSuccess) {
        ++stats.acknowledged;
        entry.retry->OnSuccess();
      } else {
        ++stats.failed_attempts;
        std::optional<std::chrono::milliseconds> delay;
        if (!state->stopping && Retryable(result)) {
          const bool timeout = !result && result.error().failure == TransportFailure::kTimeout;
          // No pushback floor: Didit's schedule is fixed, and nothing says it
          // reads a receiver's Retry-After.
          delay = entry.retry->NextDelay(timeout);
        }
        if (delay) {
          state->queue.emplace(std::chrono::steady_clock::now() + *delay, std::move(entry));
        } else {
          ++stats.given_up;
        }
      }
      state->cv.notify_all();
    });
  }

  std::shared_ptr<State> state_;
  std::shared_ptr<Transport> transport_;
  std::thread scheduler_;
};

bool ParseDouble(std::string_view text, double& out) {
  std::string copy(text);
  char* end = nullptr;
  out = std::strtod(copy.c_str(), &end);
  return !copy.empty() && end == copy.c_str() + copy.size() && std::isfinite(out);
}

}  // namespace

std::shared_ptr<const BackoffPolicy> DiditWebhookBackoff() {
  static const std::shared_ptr<const BackoffPolicy> schedule =
      std::make_shared<FixedScheduleBackoff>(
          std::vector<std::chrono::milliseconds>{std::chrono::minutes(1), std::chrono::minutes(4)});
  return schedule;
}

[[nodiscard]] Result<WebhookFaults> ParseWebhookFaults(std::string_view spec) {
  WebhookFaults faults;
  while (!spec.empty()) {
    auto comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "webhook fault without '=': " + std::string(item));
    }
    std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
    double p = 0;
    if (name == "delay") {
      auto colon = value.find(':');
      std::int64_t ms = 0;
      std::string_view ms_text = colon == std::string_view::npos ? "" : value.substr(colon + 1);
      auto [end, ec] = std::from_chars(ms_text.data(), ms_text.data() + ms_text.size(), ms);
      if (colon == std::string_view::npos || ec != std::errc() ||
          end != ms_text.data() + ms_text.size() || ms < 0 || ms > 3'600'000) {
        return MakeError(ErrorCode::kInvalidArgument, "delay must be P:MS (MS in 0..3600000)");
      }
      value = value.substr(0, colon);
      faults.delay_ms = ms;
    }
    if (!ParseDouble(value, p) || p < 0 || p > 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "webhook fault probability must be in [0, 1]: " + std::string(item));
    }
    if (name == "duplicate") {
      faults.duplicate = p;
    } else if (name == "reorder") {
      faults.reorder = p;
    } else if (name == "delay") {
      faults.delay = p;
    } else {
      return MakeError(ErrorCode::kInvalidArgument, "unknown webhook fault: " + std::string(name));
    }
  }
  return faults;
}

Result<std::unique_ptr<WebhookSender>> WebhookSender::Create(WebhookSenderOptions options) {
  if (options.url.empty() && !options.unsigned_callbacks) {
    return MakeError(ErrorCode::kInvalidArgument, "webhook url is required");
  }
  if (options.secret.empty() && !options.unsigned_callbacks) {
    return MakeError(ErrorCode::kInvalidArgument, "webhook secret is required");
  }
  if (options.max_in_flight < 1) options.max_in_flight = 1;
  if (!options.clock) options.clock = DefaultClock();
  if (!options.random) options.random = std::make_shared<SeededRandom>(1);
  if (!options.backoff) {
    options.backoff = std::make_shared<FullJitterBackoff>(options.initial_backoff,
                                                          options.max_backoff, options.random);
  }
  if (!options.retry) {
    options.retry = std::make_shared<LimitedAttemptsRetryPolicy>(
        options.max_attempts > 0 ? options.max_attempts : std::numeric_limits<int>::max(),
        options.max_elapsed.count() > 0 ? options.max_elapsed : kNoElapsedLimit, options.clock);
  }
  if (!options.transport) {
    TransportOptions to;
    to.total_timeout = options.attempt_timeout;
    to.connect_timeout = std::min(options.attempt_timeout, std::chrono::milliseconds(5000));
    to.max_in_flight = options.max_in_flight;
    to.verify_tls = true;
    options.transport = MakeCurlTransport(to);
  }
  auto state = std::make_shared<State>();
  state->options = std::move(options);
  return std::unique_ptr<WebhookSender>(new Sender(std::move(state)));
}

}  // namespace idem
