#include "sandbox/fault_spec.h"

#include <charconv>
#include <cmath>

#include "common/text.h"

namespace idem::sandbox {
namespace {

struct KindName {
  FaultKind kind;
  std::string_view name;
  bool needs_delay;
};

constexpr KindName kKinds[] = {
    {FaultKind::kDropBefore, "drop_before", false},
    {FaultKind::kDropAfter, "drop_after", false},
    {FaultKind::kError503, "error_503", false},
    {FaultKind::kError500After, "error_500_after", false},
    {FaultKind::kRateLimit, "rate_limit", false},
    {FaultKind::kSlow, "slow", true},
    {FaultKind::kSlowExec, "slow_exec", true},
};

using internal::TrimOws;

bool ParseDouble(std::string_view s, double& out) {
  if (s.empty() || s.size() > 32) return false;
  // std::from_chars for double is available in g++ 12.
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

bool ParseInt(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

std::string_view FaultKindName(FaultKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return k.name;
  }
  return "none";
}

Result<FaultSpec> FaultSpec::Parse(std::string_view text) {
  FaultSpec spec;
  double total = 0;
  text = TrimOws(text);
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view item = TrimOws(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) return MakeError(ErrorCode::kInvalidArgument, "faults: empty item");
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "faults: expected name=value in '" + std::string(item) + "'");
    }
    const std::string_view name = TrimOws(item.substr(0, eq));
    std::string_view value = TrimOws(item.substr(eq + 1));
    if (name == "retry_after") {
      std::int64_t seconds = 0;
      if (!ParseInt(value, seconds) || seconds < 0 || seconds > 3600) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "faults: retry_after must be whole seconds in [0, 3600]");
      }
      spec.retry_after_seconds_ = static_cast<int>(seconds);
      continue;
    }
    const KindName* kind = nullptr;
    for (const auto& k : kKinds) {
      if (k.name == name) kind = &k;
    }
    if (kind == nullptr) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "faults: unknown fault '" + std::string(name) + "'");
    }
    for (const auto& r : spec.rules_) {
      if (r.kind == kind->kind) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "faults: '" + std::string(name) + "' given twice");
      }
    }
    FaultRule rule;
    rule.kind = kind->kind;
    if (const std::size_t at = value.find('@'); at != std::string_view::npos) {
      const std::string_view scope = value.substr(at + 1);
      if (scope == "writes") {
        rule.scope = FaultScope::kWrites;
      } else if (scope == "reads") {
        rule.scope = FaultScope::kReads;
      } else {
        return MakeError(ErrorCode::kInvalidArgument,
                         "faults: '" + std::string(name) + "' scope must be @writes or @reads");
      }
      value = value.substr(0, at);
    }
    const std::size_t colon = value.find(':');
    if (kind->needs_delay) {
      if (colon == std::string_view::npos || !ParseInt(value.substr(colon + 1), rule.delay_ms) ||
          rule.delay_ms < 0 || rule.delay_ms > 600000) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "faults: '" + std::string(name) + "' needs P:MS with MS in [0, 600000]");
      }
      value = value.substr(0, colon);
    } else if (colon != std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "faults: '" + std::string(name) + "' takes no delay");
    }
    if (!ParseDouble(value, rule.probability) || rule.probability < 0 || rule.probability > 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "faults: probability of '" + std::string(name) + "' must be in [0, 1]");
    }
    total += rule.probability;
    spec.rules_.push_back(rule);
  }
  if (total > 1.0 + 1e-9) {
    return MakeError(ErrorCode::kInvalidArgument, "faults: probabilities sum to more than 1");
  }
  return spec;
}

FaultDecision FaultSpec::Decide(RandomSource& random, RequestKind request) const {
  if (rules_.empty()) return {};
  const double draw = random.NextDouble();
  double cumulative = 0;
  for (const auto& rule : rules_) {
    cumulative += rule.probability;
    if (draw >= cumulative) continue;
    const bool applies = rule.scope == FaultScope::kAll ||
                         (rule.scope == FaultScope::kWrites) == (request == RequestKind::kWrite);
    if (!applies) return {};
    return {rule.kind, rule.delay_ms};
  }
  return {};
}

}  // namespace idem::sandbox
