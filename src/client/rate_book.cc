#include "client/rate_book.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "common/rate_rule.h"

namespace idem::internal {

namespace {

class JournalRateBook final : public RateBook {
 public:
  explicit JournalRateBook(Journal& journal) : journal_(journal) {}
  Result<RateTake> Take(const RateLimits& scopes, std::int64_t now_ms) override {
    return journal_.TakeRate(scopes, now_ms);
  }
  Status Cap(const std::vector<std::string>& scopes, int allowance, std::int64_t now_ms,
             std::int64_t until_ms) override {
    return journal_.SetRateCap(scopes, allowance, now_ms, until_ms);
  }

 private:
  Journal& journal_;
};

class ProcessRateBook final : public RateBook {
 public:
  Result<RateTake> Take(const RateLimits& scopes, std::int64_t now_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<rate::ScopeState> states;
    for (const auto& [scope, limit] : scopes) {
      std::vector<std::int64_t>& grants = grants_[scope];
      const std::int64_t expired = now_ms - rate::GrantSpanMs(limit);
      std::erase_if(grants, [&](std::int64_t at) { return at <= expired; });
      rate::ScopeState state;
      state.limit = limit;
      state.grants = grants;
      if (auto cap = caps_.find(scope); cap != caps_.end()) {
        state.has_cap = true;
        state.cap = cap->second;
      }
      states.push_back(std::move(state));
    }
    const rate::Decision d = rate::Decide(states, now_ms);
    if (d.granted) {
      for (const auto& [scope, limit] : scopes) {
        if (limit.limit > 0) grants_[scope].push_back(now_ms);
      }
    }
    return RateTake{d.granted, d.retry_at_ms, d.plan_remaining};
  }

  Status Cap(const std::vector<std::string>& scopes, int allowance, std::int64_t now_ms,
             std::int64_t until_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& scope : scopes)
      caps_[scope] = rate::RateCap{allowance, now_ms, until_ms};
    return {};
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<std::int64_t>, std::less<>> grants_;
  std::map<std::string, rate::RateCap, std::less<>> caps_;
};

}  // namespace

std::unique_ptr<RateBook> MakeJournalRateBook(Journal& journal) {
  return std::make_unique<JournalRateBook>(journal);
}

std::unique_ptr<RateBook> MakeProcessRateBook() { return std::make_unique<ProcessRateBook>(); }

}  // namespace idem::internal
