#include "didit/reconcilers.h"

#include <cstdio>
#include <ctime>
#include <utility>

#include "didit/json_util.h"

namespace idem::didit::internal {
namespace {

ReconcileResult Failed(std::string why) {
  ReconcileResult r;
  r.outcome = ReconcileResult::Outcome::kFailed;
  r.error = std::move(why);
  return r;
}

HttpRequest MakeGet(const LookupTarget& target, std::string url) {
  HttpRequest request;
  request.method = "GET";
  request.url = std::move(url);
  if (!target.api_key.empty()) request.headers.push_back({"x-api-key", target.api_key});
  return request;
}

std::string Origin(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  auto slash = url.find('/', scheme + 3);
  return std::string(url.substr(0, slash));
}

}  // namespace

std::optional<std::int64_t> ParseIsoMillis(std::string_view text) {
  int year, month, day, hour, minute, second;
  int consumed = 0;
  std::string s(text.substr(0, 64));
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 ||
      year < 1970) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(s).substr(static_cast<std::size_t>(consumed));
  std::int64_t millis = 0;
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 3) millis = millis * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  std::int64_t offset_s = 0;
  if (rest == "Z") {
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &oh, &om) != 2) {
      return std::nullopt;
    }
    offset_s = (oh * 3600 + om * 60) * (rest[0] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::int64_t seconds = static_cast<std::int64_t>(timegm(&tm)) - offset_s;
  return seconds * 1000 + millis;
}

std::optional<std::string> SessionIdFromDeletePath(std::string_view path) {
  constexpr std::string_view kPrefix = "/v3/session/";
  constexpr std::string_view kSuffix = "/delete/";
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix) ||
      path.size() <= kPrefix.size() + kSuffix.size()) {
    return std::nullopt;
  }
  return std::string(path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size()));
}

bool SameOrigin(std::string_view url, std::string_view base_url) {
  std::string a = Origin(url);
  return !a.empty() && a == Origin(base_url);
}

void CreateSessionReconciler::Lookup(const Operation& op, Done done) {
  auto body = SafeParse(op.body);
  if (!body || !body->is_object()) return done(Failed("stored body is not a JSON object"));
  auto workflow_id = OptString(*body, "workflow_id");
  auto vendor_data = OptString(*body, "vendor_data");
  if (!workflow_id || !vendor_data || !*workflow_id) {
    return done(Failed("stored body has no workflow_id"));
  }
  if (!*vendor_data || (*vendor_data)->empty()) {
    // Nothing to look up by: the key alone must settle it.
    return done(Failed("no vendor_data to look the session up by"));
  }
  ListSessionsRequest list;
  list.vendor_data = **vendor_data;
  list.workflow_id = **workflow_id;
  list.limit = 100;
  FetchPage(target_, options_, target_.base_url + ListSessionsPath(list), **vendor_data,
            **workflow_id, op.created_ms, 1, std::move(done));
}

void CreateSessionReconciler::FetchPage(LookupTarget target, ReconcilerOptions options,
                                        std::string url, std::string vendor_data,
                                        std::string workflow_id, std::int64_t created_ms, int page,
                                        Done done) {
  auto on_response = [target, options, vendor_data, workflow_id, created_ms, page,
                      done = std::move(done)](TransportResult result) mutable {
    if (!result) return done(Failed("look-up: " + result.error().message));
    if (result->status != 200) {
      return done(Failed("look-up: HTTP " + std::to_string(result->status)));
    }
    if (result->body_truncated) return done(Failed("look-up: response truncated"));
    auto list = ParseSessionList(result->body);
    if (!list) return done(Failed("look-up: " + list.error().message()));
    const Session* chosen = nullptr;
    std::int64_t earliest = created_ms - options.clock_skew.count();
    for (const Session& s : list->results) {
      // The server may ignore filters: check them here too.
      if (s.vendor_data.value_or("") != vendor_data) continue;
      if (s.workflow_id && *s.workflow_id != workflow_id) continue;
      std::optional<std::int64_t> at;
      if (auto it = s.raw.find("created_at"); it != s.raw.end() && it->is_string()) {
        at = ParseIsoMillis(it->get<std::string>());
      }
      bool ours = !at || *at >= earliest || (s.status && IsUnfinished(s.status->code));
      if (!ours) continue;
      // Newest first: the last candidate is the oldest, the one a server
      // with vendor_data dedup would return.
      chosen = &s;
    }
    if (chosen != nullptr) {
      ReconcileResult found;
      found.outcome = ReconcileResult::Outcome::kFound;
      found.resource_id = chosen->session_id;
      found.status = 201;
      auto text = SafeDump(chosen->raw);
      found.body = text ? *text : "{}";
      return done(std::move(found));
    }
    if (list->next) {
      if (page >= options.max_pages) return done(Failed("look-up: too many pages"));
      if (!SameOrigin(*list->next, target.base_url)) {
        return done(Failed("look-up: next page on another origin"));
      }
      return FetchPage(target, options, *list->next, vendor_data, workflow_id, created_ms, page + 1,
                       std::move(done));
    }
    ReconcileResult absent;
    absent.outcome = ReconcileResult::Outcome::kNotFound;
    done(std::move(absent));
  };
  auto transport = target.transport;
  transport->Send(MakeGet(target, std::move(url)), std::move(on_response));
}

void DeleteSessionReconciler::Lookup(const Operation& op, Done done) {
  auto session_id = SessionIdFromDeletePath(op.path);
  if (!session_id) return done(Failed("not a delete path: " + op.path));
  std::string url = target_.base_url + "/v3/session/" + *session_id + "/decision/";
  target_.transport->Send(
      MakeGet(target_, std::move(url)),
      [id = *session_id, done = std::move(done)](TransportResult result) {
        if (!result) return done(Failed("look-up: " + result.error().message));
        ReconcileResult r;
        if (result->status == 404) {
          // Gone: our earlier attempt deleted it (its 204 was lost).
          r.outcome = ReconcileResult::Outcome::kFound;
          r.resource_id = id;
          r.status = 404;
          r.body = R"({"idem_note":"404 on look-up after an ambiguous delete: counted as done"})";
          return done(std::move(r));
        }
        if (result->status == 200) {
          r.outcome = ReconcileResult::Outcome::kNotFound;  // still there: not executed
          return done(std::move(r));
        }
        done(Failed("look-up: HTTP " + std::to_string(result->status)));
      });
}

}  // namespace idem::didit::internal
