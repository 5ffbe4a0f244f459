#include "client/rate_gate.h"

#include <algorithm>
#include <charconv>

#include "idem/retry.h"

namespace idem::internal {

namespace {

constexpr std::string_view kDiditBaseUrl = "https://verification.didit.me";
// A journal that could not decide (busy past its timeout, I/O): ask again
// this much later rather than send unbudgeted.
constexpr std::chrono::milliseconds kJournalRetry{50};

std::optional<std::int64_t> HeaderInt(const Headers& headers, std::string_view name) {
  auto v = FindHeader(headers, name);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < 0) return std::nullopt;
  return n;
}

}  // namespace

RateLimits ScopesOfRequest(const RateLimits& limits, std::string_view method,
                           std::string_view kind_scope) {
  RateLimits out;
  auto add = [&](std::string_view scope) {
    if (auto it = limits.find(scope); it != limits.end() && it->second.limit > 0) {
      out.insert(*it);
    }
  };
  const std::string_view scope = CanonicalRateScope(kind_scope);
  if (!scope.empty()) add(scope);
  // Didit counts ingest routes (POST /v3/transactions/, /v3/events/) in
  // ingest-write only, "not counted in generic-write"; every other scope
  // applies in addition to the generic one of the method.
  if (scope == "ingest-write") return out;
  add(method == "GET" || method == "HEAD" ? "generic-get" : "generic-write");
  return out;
}

RateLimits EffectiveRateLimits(const std::optional<RateLimits>& configured,
                               std::string_view base_url) {
  if (configured) return *configured;
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  return base_url == kDiditBaseUrl ? DiditRateLimits() : RateLimits{};
}

RateGate::RateGate(std::unique_ptr<RateBook> book, Clock& clock, Hooks hooks)
    : book_(std::move(book)), clock_(clock), hooks_(std::move(hooks)) {}

void RateGate::Acquire(RateLimits scopes, Go go) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopped_) {
    lock.unlock();
    hooks_.post([go = std::move(go)] { go(false, 0); });
    return;
  }
  queue_.push_back(Waiter{std::move(scopes), std::move(go)});
  if (pumping_) return;
  pumping_ = true;
  lock.unlock();
  hooks_.post([this] { Pump(); });
}

void RateGate::Stop() {
  std::deque<Waiter> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    dropped.swap(queue_);
  }
  for (Waiter& w : dropped) hooks_.post([go = std::move(w.go)] { go(false, 0); });
}

// Grants the head of the queue while the budget has room; when it has none,
// one timer asks again when the journal says a slot frees. Only one Pump
// runs at a time (pumping_), which keeps the order.
void RateGate::Pump() {
  while (true) {
    std::unique_lock<std::mutex> lock(mu_);
    if (queue_.empty() || stopped_) {
      pumping_ = false;
      return;
    }
    const RateLimits scopes = queue_.front().scopes;
    lock.unlock();
    const std::int64_t now_ms = ToUnixMillis(clock_.Now());
    RateTake take;
    std::chrono::milliseconds again = kJournalRetry;
    if (scopes.empty()) {
      take.granted = true;
    } else if (auto taken = book_->Take(scopes, now_ms)) {
      take = *taken;
      again = std::chrono::milliseconds(std::max<std::int64_t>(1, take.retry_at_ms - now_ms));
    } else if (taken.error().code() == ErrorCode::kFailedPrecondition) {
      // A journal without a shared budget (a user's own backend): nothing
      // to plan with; the server's 429s and Retry-After still pace the ops.
      take.granted = true;
    }
    lock.lock();
    if (!take.granted) {
      ++waits_;
      lock.unlock();
      hooks_.post_after(again, [this] { Pump(); });
      return;
    }
    if (queue_.empty()) continue;  // stopped meanwhile: Stop() answered it
    Go go = std::move(queue_.front().go);
    queue_.pop_front();
    lock.unlock();
    // Here, not posted: a send only hands the request to the transport, and
    // every hop between the grant and the wire makes the server see the
    // request later than the budget counted it.
    go(true, take.plan_remaining);
  }
}

void RateGate::OnResponse(const RateLimits& scopes, int status, const Headers& headers,
                          int plan_remaining, std::chrono::milliseconds max_pushback) {
  if (scopes.empty()) return;
  std::vector<std::string> names;
  for (const auto& [scope, unused] : scopes) names.push_back(scope);
  const auto now = clock_.Now();
  const std::int64_t now_ms = ToUnixMillis(now);
  if (status == 429) {
    // The server says none are left: none until it says (at least 1 s, as
    // Retry-After counts whole seconds).
    const auto wait =
        ServerPushback(headers, now, max_pushback).value_or(std::chrono::milliseconds(1000));
    book_->Cap(names, 0, now_ms, now_ms + std::max<std::int64_t>(1, wait.count()));
    return;
  }
  const auto remaining = HeaderInt(headers, "X-RateLimit-Remaining");
  const auto reset_s = HeaderInt(headers, "X-RateLimit-Reset");
  if (!remaining || !reset_s) return;
  // The server counted this request already; the plan's figure is after it.
  if (*remaining >= plan_remaining) return;
  const std::int64_t until_ms =
      std::min(*reset_s * 1000, now_ms + static_cast<std::int64_t>(max_pushback.count()));
  if (until_ms <= now_ms) return;
  book_->Cap(names, static_cast<int>(std::min<std::int64_t>(*remaining, 1'000'000)), now_ms,
             until_ms);
}

std::uint64_t RateGate::waits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waits_;
}

}  // namespace idem::internal
