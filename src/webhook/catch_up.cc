#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "idem/webhook_catch_up.h"

namespace idem {

namespace {

using TimePoint = std::chrono::system_clock::time_point;

}  // namespace

Result<std::unique_ptr<CatchUp>> CatchUp::Create(WebhookInbox& inbox, CatchUpOptions options) {
  if (!options.lookup) return MakeError(ErrorCode::kInvalidArgument, "catch-up needs a look-up");
  if (options.rate_per_minute < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "catch-up rate must be at least 1 per minute");
  }
  if (options.after <= std::chrono::milliseconds::zero()) {
    return MakeError(ErrorCode::kInvalidArgument, "catch-up delay must be positive");
  }
  if (!options.clock) options.clock = DefaultClock();
  // No point reading the inbox less often than sessions become due.
  options.scan_interval = std::min(options.scan_interval, options.after);
  return std::unique_ptr<CatchUp>(new CatchUp(inbox, std::move(options)));
}

CatchUp::CatchUp(WebhookInbox& inbox, CatchUpOptions options)
    : inbox_(inbox),
      options_(std::move(options)),
      // Rounded up: never faster than rate_per_minute.
      interval_((std::chrono::milliseconds(60000) +
                 std::chrono::milliseconds(options_.rate_per_minute - 1)) /
                options_.rate_per_minute) {}

bool CatchUp::Due(const SessionRecord& session, TimePoint now) const {
  TimePoint last = FromUnixMillis(session.updated_ms);
  if (auto it = looked_up_.find(session.session_id); it != looked_up_.end()) {
    last = std::max(last, it->second);
  }
  return last + options_.after <= now;
}

TimePoint CatchUp::Step() {
  const TimePoint now = options_.clock->Now();
  if (now < paused_until_) return paused_until_;
  if (now < next_lookup_) return next_lookup_;
  if (queue_.empty()) {
    if (now < next_scan_) return next_scan_;
    next_scan_ = now + options_.scan_interval;
    auto sessions = inbox_.UnfinishedSessions(ToUnixMillis(now - options_.after), 0);
    if (!sessions) {
      spdlog::error("catch-up: reading the inbox failed (will retry): {}",
                    sessions.error().ToString());
      return next_scan_;
    }
    // Forget look-ups of sessions no longer due by their events (moved on,
    // or final): their next look-up, if any, goes by the new event.
    std::set<std::string> listed;
    for (const SessionRecord& s : *sessions) listed.insert(s.session_id);
    std::erase_if(looked_up_, [&](const auto& entry) { return !listed.count(entry.first); });
    for (SessionRecord& s : *sessions) {
      if (Due(s, now)) queue_.push_back(std::move(s));
    }
    std::reverse(queue_.begin(), queue_.end());  // the least recently updated last: next
    if (queue_.empty()) return next_scan_;
  }
  SessionRecord session = std::move(queue_.back());
  queue_.pop_back();
  // Read again: a webhook may have come since the scan (a long queue at a
  // slow rate). Not due any more: skipped without spending a look-up.
  auto current = inbox_.Session(session.session_id);
  if (current && *current) {
    session = std::move(**current);
    if (IsFinalStatus(session.status) || !Due(session, now)) return now;
  }
  LookUp(session, now);
  next_lookup_ = now + interval_;
  return std::max(next_lookup_, paused_until_);
}

void CatchUp::LookUp(const SessionRecord& session, TimePoint now) {
  ++stats_.lookups;
  auto found = options_.lookup(session.session_id);
  if (!found) {
    const DecisionLookupError& error = found.error();
    if (error.http_status == 429) {
      ++stats_.rate_limited;
      std::chrono::milliseconds pause = options_.rate_limited_pause;
      if (error.retry_after) pause = *error.retry_after;
      paused_until_ = now + pause;
      // Not counted as looked up: it is the first one after the pause.
      queue_.push_back(session);
      spdlog::warn("catch-up: rate limited (429), pausing look-ups for {} s",
                   std::chrono::duration_cast<std::chrono::seconds>(pause).count());
      return;
    }
    ++stats_.failed;
    looked_up_[session.session_id] = now;  // again after `after`; the others meanwhile
    spdlog::warn("catch-up: decision look-up of session {} failed (will retry): {}",
                 session.session_id, error.message);
    return;
  }
  looked_up_[session.session_id] = now;
  PolledStatus polled = std::move(*found);
  polled.session_id = session.session_id;
  if (polled.status.empty()) {
    ++stats_.failed;
    spdlog::warn("catch-up: decision of session {} has no status", session.session_id);
    return;
  }
  auto stored = inbox_.AcceptPolled(polled);
  if (!stored) {
    ++stats_.failed;
    looked_up_.erase(session.session_id);  // nothing stored: due again at the next scan
    spdlog::error("catch-up: storing the polled status of session {} failed (will retry): {}",
                  session.session_id, stored.error().ToString());
    return;
  }
  if (stored->outcome == InboxOutcome::kStored) {
    ++stats_.stored;
    spdlog::info("catch-up: session {} is {} (was {}; polled, event {})", session.session_id,
                 polled.status, session.status, stored->seq);
  } else {
    ++stats_.unchanged;
  }
}

}  // namespace idem
