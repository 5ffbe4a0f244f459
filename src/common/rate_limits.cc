#include "idem/rate_limits.h"

#include <charconv>

namespace idem {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Error SpecError(std::string_view entry, std::string_view why) {
  return Error(ErrorCode::kInvalidArgument,
               "rate scope '" + std::string(entry) + "': " + std::string(why));
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string_view CanonicalRateScope(std::string_view name) {
  if (name == "reads" || name == "generic-get") return "generic-get";
  if (name == "writes" || name == "generic-write") return "generic-write";
  if (name == "create" || name == "session-create" || name == "session-v2-create") {
    return "session-v2-create";
  }
  if (name == "decision" || name == "session-decision") return "session-decision";
  if (name == "pdf" || name == "generate-pdf" || name == "session-generate-pdf") {
    return "session-generate-pdf";
  }
  if (name == "ingest-write") return "ingest-write";
  if (name == "session-add-images") return "session-add-images";
  if (name == "session-update-kyc") return "session-update-kyc";
  return "";
}

RateLimits DiditRateLimits() {
  // didit-api-v3-details.md section 2, "Rate limits" (all per 60 s).
  return RateLimits{
      {"generic-get", {600, 60'000}},         {"generic-write", {300, 60'000}},
      {"session-v2-create", {600, 60'000}},   {"session-decision", {100, 60'000}},
      {"session-generate-pdf", {50, 60'000}}, {"ingest-write", {600, 60'000}},
      {"session-add-images", {10, 60'000}},   {"session-update-kyc", {10, 60'000}},
  };
}

[[nodiscard]] Result<RateSpec> ParseRateSpec(std::string_view spec) {
  RateSpec out;
  spec = Trim(spec);
  if (spec.empty() || spec == "off") return out;
  bool first = true;
  while (true) {
    const std::size_t comma = spec.find(',');
    const std::string_view entry = Trim(spec.substr(0, comma));
    if (entry.empty()) {
      return tl::unexpected(Error(ErrorCode::kInvalidArgument,
                                  "rate scopes: empty entry in the list (expected SCOPE=N/min)"));
    }
    if (entry == "didit") {
      if (!first) return tl::unexpected(SpecError(entry, "'didit' must come first"));
      out.didit = true;
    } else {
      const std::size_t eq = entry.find('=');
      if (eq == std::string_view::npos) {
        return tl::unexpected(SpecError(entry, "expected SCOPE=N/min, SCOPE=N/s or 'didit'"));
      }
      const std::string_view scope = CanonicalRateScope(Trim(entry.substr(0, eq)));
      if (scope.empty()) {
        return tl::unexpected(SpecError(
            entry,
            "unknown scope (reads, writes, create, decision, pdf, or Didit's names: "
            "generic-get, generic-write, session-v2-create, session-decision, "
            "session-generate-pdf, ingest-write, session-add-images, session-update-kyc)"));
      }
      for (const auto& [seen, unused] : out.entries) {
        if (seen == scope) return tl::unexpected(SpecError(entry, "scope given twice"));
      }
      std::string_view value = Trim(entry.substr(eq + 1));
      RateLimit limit;
      if (EndsWith(value, "/min")) {
        value.remove_suffix(4);
        limit.window_ms = 60'000;
      } else if (EndsWith(value, "/s")) {
        value.remove_suffix(2);
        limit.window_ms = 1'000;
      } else {
        return tl::unexpected(
            SpecError(entry, "the limit must be N/min (per 60 s window) or N/s (per 1 s window)"));
      }
      const auto [end, ec] =
          std::from_chars(value.data(), value.data() + value.size(), limit.limit);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
          limit.limit < 0 || limit.limit > 1'000'000) {
        return tl::unexpected(SpecError(entry, "N must be an integer in [0, 1000000]"));
      }
      out.entries.emplace_back(std::string(scope), limit);
    }
    first = false;
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  return out;
}

[[nodiscard]] Result<RateLimits> ParseRateLimits(std::string_view spec) {
  auto parsed = ParseRateSpec(spec);
  if (!parsed) return tl::unexpected(parsed.error());
  RateLimits limits = parsed->didit ? DiditRateLimits() : RateLimits{};
  for (const auto& [scope, limit] : parsed->entries) {
    if (limit.limit == 0) {
      limits.erase(scope);
    } else {
      limits[scope] = limit;
    }
  }
  return limits;
}

std::string FormatRateLimits(const RateLimits& limits) {
  if (limits.empty()) return "off";
  std::string out;
  for (const auto& [scope, limit] : limits) {
    if (!out.empty()) out += ',';
    out += scope + '=';
    if (limit.window_ms == 1'000) {
      out += std::to_string(limit.limit) + "/s";
    } else if (limit.window_ms == 60'000) {
      out += std::to_string(limit.limit) + "/min";
    } else {
      // Not writable in the spec: per minute, rounded down, so it reads back
      // no looser than it is.
      out += std::to_string(static_cast<std::int64_t>(limit.limit) * 60'000 / limit.window_ms) +
             "/min";
    }
  }
  return out;
}

}  // namespace idem
