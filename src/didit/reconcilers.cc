#include "didit/reconcilers.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <utility>

#include "didit/json_util.h"

namespace idem::didit::internal {
namespace {

// A failed look-up request: why, and the response's headers (a 429's or a
// 503's Retry-After), which the driver honours before it looks again.
struct FetchError {
  std::string why;
  Headers headers;
};
template <typename T>
using Fetched = tl::expected<T, FetchError>;

ReconcileResult Failed(std::string why, Headers headers = {}) {
  return LookupAnswer(ReconcileResult::Outcome::kFailed, std::move(why), std::move(headers));
}

ReconcileResult Unresolvable(std::string why) {
  return LookupAnswer(ReconcileResult::Outcome::kUnresolvable, std::move(why));
}

ReconcileResult NotFound() { return LookupAnswer(ReconcileResult::Outcome::kNotFound); }

// A listed row's created_at in Unix ms, when it has a readable one.
std::optional<std::int64_t> CreatedAt(const nlohmann::json& row) {
  if (auto it = row.find("created_at"); it != row.end() && it->is_string()) {
    return ParseIsoMillis(it->get<std::string>());
  }
  return std::nullopt;
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

std::optional<std::string> SessionIdFromPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/v3/session/";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  const std::size_t slash = path.find('/');
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  return std::string(path.substr(0, slash));
}

std::optional<std::pair<std::string, std::string>> ParseCheckNaturalKey(std::string_view key) {
  constexpr std::string_view kPrefix = "check:";
  if (!key.starts_with(kPrefix)) return std::nullopt;
  key.remove_prefix(kPrefix.size());
  const std::size_t colon = key.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == key.size()) {
    return std::nullopt;
  }
  return std::make_pair(std::string(key.substr(0, colon)), std::string(key.substr(colon + 1)));
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

namespace {

// Every row of a list, following `next` (same origin only, at most
// max_pages): a look-up decides on the whole answer, never on one page.
void FetchAllPages(LookupTarget target, std::string url, int max_pages,
                   std::shared_ptr<std::vector<Session>> rows,
                   std::function<void(Fetched<std::vector<Session>>)> done, int page = 1) {
  auto on_response = [target, max_pages, rows, done = std::move(done),
                      page](TransportResult result) mutable {
    auto fail = [&](std::string why, Headers headers = {}) {
      done(tl::unexpected(FetchError{std::move(why), std::move(headers)}));
    };
    if (!result) return fail(result.error().message);
    if (result->status != 200) {
      return fail("HTTP " + std::to_string(result->status), std::move(result->headers));
    }
    if (result->body_truncated) return fail("response truncated");
    auto list = ParseSessionList(result->body);
    if (!list) return fail(list.error().message());
    for (Session& s : list->results) rows->push_back(std::move(s));
    if (!list->next || list->next->empty()) return done(std::move(*rows));
    if (page >= max_pages) return fail("too many pages");
    if (!SameOrigin(*list->next, target.base_url)) return fail("next page on another origin");
    FetchAllPages(target, *list->next, max_pages, rows, std::move(done), page + 1);
  };
  auto transport = target.transport;
  transport->Send(MakeGet(target, std::move(url)), std::move(on_response));
}

void FetchAllPages(const LookupTarget& target, const ListSessionsRequest& request, int max_pages,
                   std::function<void(Fetched<std::vector<Session>>)> done) {
  FetchAllPages(target, target.base_url + ListSessionsPath(request), max_pages,
                std::make_shared<std::vector<Session>>(), std::move(done));
}

// GET /v3/session/{id}/decision/, parsed as JSON (status kept for 404).
void FetchDecision(const LookupTarget& target, const std::string& session_id,
                   std::function<void(int status, Fetched<nlohmann::json>)> done) {
  target.transport->Send(
      MakeGet(target, target.base_url + "/v3/session/" + UrlEncode(session_id) + "/decision/"),
      [done = std::move(done)](TransportResult result) {
        if (!result) return done(0, tl::unexpected(FetchError{result.error().message, {}}));
        if (result->status != 200) {
          return done(result->status,
                      tl::unexpected(FetchError{"HTTP " + std::to_string(result->status),
                                                std::move(result->headers)}));
        }
        auto parsed = SafeParse(result->body);
        if (!parsed || !parsed->is_object()) {
          return done(200, tl::unexpected(FetchError{"decision is not a JSON object", {}}));
        }
        done(200, std::move(*parsed));
      });
}

}  // namespace

void CreateSessionReconciler::Lookup(const Operation& op, Done done) {
  auto body = SafeParse(op.body);
  if (!body || !body->is_object()) return done(Failed("stored body is not a JSON object"));
  auto workflow_id = OptString(*body, "workflow_id");
  auto vendor_data = OptString(*body, "vendor_data");
  if (!workflow_id || !vendor_data || !*workflow_id) {
    return done(Unresolvable("the stored request has no workflow_id to look the session up by"));
  }
  if (!*vendor_data || (*vendor_data)->empty()) {
    return done(
        Unresolvable("the session was requested without vendor_data, so it cannot be looked up"));
  }
  ListSessionsRequest list;
  list.vendor_data = **vendor_data;
  list.workflow_id = **workflow_id;
  list.limit = 100;
  const std::string described =
      "GET /v3/sessions/?vendor_data=" + **vendor_data + "&workflow_id=" + **workflow_id;
  const std::int64_t earliest = op.created_ms - options_.clock_skew.count();
  FetchAllPages(target_, list, options_.max_pages,
                [vendor = **vendor_data, workflow = **workflow_id, earliest, described,
                 done = std::move(done)](Fetched<std::vector<Session>> rows) {
                  if (!rows) {
                    return done(Failed("look-up: " + rows.error().why, rows.error().headers));
                  }
                  const Session* chosen = nullptr;
                  for (const Session& s : *rows) {
                    // The server may ignore filters: check them here too. A row without
                    // a hosted URL is a standalone check, never a created session.
                    if (s.vendor_data.value_or("") != vendor) continue;
                    if (s.workflow_id && *s.workflow_id != workflow) continue;
                    if (auto url = s.raw.find("session_url"); url != s.raw.end() && url->is_null())
                      continue;
                    const std::optional<std::int64_t> at = CreatedAt(s.raw);
                    const bool ours =
                        !at || *at >= earliest || (s.status && IsUnfinished(s.status->code));
                    if (!ours) continue;
                    // Newest first: the last candidate is the oldest, the one a server
                    // with vendor_data dedup would return.
                    chosen = &s;
                  }
                  if (chosen == nullptr) return done(NotFound());
                  // The same shape as a create's answer: a list row calls the hosted
                  // URL session_url.
                  nlohmann::json adopted = chosen->raw;
                  if (!adopted.contains("url") && chosen->url) adopted["url"] = *chosen->url;
                  auto text = SafeDump(adopted);
                  done(FoundResource(chosen->session_id, 201, text ? *text : "{}",
                                     described + ": session " + chosen->session_id));
                });
}

void UpdateStatusReconciler::Lookup(const Operation& op, Done done) {
  auto session_id = SessionIdFromPath(op.path);
  if (!session_id) return done(Unresolvable("no session id in the path " + op.path));
  auto body = SafeParse(op.body);
  std::optional<std::string> target_status;
  if (body && body->is_object()) {
    if (auto status = OptString(*body, "new_status"); status && *status) target_status = **status;
  }
  if (!target_status) return done(Unresolvable("the stored request has no new_status"));
  const std::int64_t earliest = op.created_ms - options_.clock_skew.count();
  FetchDecision(
      target_, *session_id,
      [id = *session_id, target = *target_status, earliest, done = std::move(done)](
          int status, Fetched<nlohmann::json> decision) {
        // Gone: nothing can be updated any more; a re-send gets its own 404.
        if (status == 404) return done(NotFound());
        if (!decision) {
          return done(Failed("look-up: " + decision.error().why, decision.error().headers));
        }
        const std::string answer = R"({"session_id":)" + nlohmann::json(id).dump() + "}";
        const std::string where = "GET /v3/session/" + id + "/decision/";
        if (auto now = decision->find("status"); now != decision->end() && *now == target) {
          return done(FoundResource(id, 200, answer, where + ": status is " + target));
        }
        if (auto reviews = decision->find("reviews");
            reviews != decision->end() && reviews->is_array()) {
          for (const auto& review : *reviews) {
            if (!review.is_object() || review.value("user", "") != "API Client" ||
                review.value("new_status", "") != target) {
              continue;
            }
            const auto at = CreatedAt(review);
            if (at && *at < earliest) continue;
            return done(FoundResource(id, 200, answer, where + ": an API review set " + target));
          }
        }
        done(NotFound());
      });
}

void CheckReconciler::Lookup(const Operation& op, Done done) {
  auto key = ParseCheckNaturalKey(op.natural_key);
  if (!key) {
    return done(Unresolvable(
        "Didit keeps no record of this check to look it up by (sent without vendor_data, or "
        "with save_api_request=false)"));
  }
  // Sessions other ops of this journal already own, and other unsettled ops
  // that may have made one: with those, "the one listed session" may not be
  // this op's.
  auto siblings = FindSiblingOps(target_.journal, op);
  if (!siblings) return done(Failed("journal: " + siblings.error().message()));
  auto taken = std::make_shared<std::vector<std::string>>(std::move(siblings->taken));
  const std::size_t pending_siblings = siblings->pending;
  ListSessionsRequest list;
  list.vendor_data = key->second;
  list.api_service = key->first;
  if (!session_kind_.empty()) list.session_kind = session_kind_;
  list.limit = 100;
  const std::string described =
      "GET /v3/sessions/?vendor_data=" + key->second + "&api_service=" + key->first +
      (session_kind_.empty() ? std::string() : "&session_kind=" + session_kind_);
  const std::int64_t earliest = op.created_ms - options_.clock_skew.count();
  FetchAllPages(
      target_, list, options_.max_pages,
      [target = target_, key = *key, taken, pending_siblings, earliest, described,
       result_key = result_key_, decision_array = decision_array_, unbilled = unbilled_status_,
       done = std::move(done)](Fetched<std::vector<Session>> rows) mutable {
        if (!rows) return done(Failed("look-up: " + rows.error().why, rows.error().headers));
        std::vector<const Session*> candidates;
        for (const Session& s : *rows) {
          // The server may ignore filters: a row with a hosted URL is a
          // verification session, never a saved standalone check.
          if (s.vendor_data.value_or("") != key.second) continue;
          if (auto url = s.raw.find("session_url"); url != s.raw.end() && !url->is_null()) continue;
          const std::optional<std::int64_t> at = CreatedAt(s.raw);
          if (at && *at < earliest) continue;
          if (std::find(taken->begin(), taken->end(), s.session_id) != taken->end()) continue;
          // The record of an answer that executed nothing, never a result.
          if (!unbilled.empty() && s.status && s.status->text == unbilled) continue;
          candidates.push_back(&s);
        }
        if (candidates.empty()) return done(NotFound());
        if (candidates.size() > 1 || pending_siblings > 0) {
          return done(
              Unresolvable(std::to_string(candidates.size()) + " " + key.first +
                           " session(s) with vendor_data '" + key.second +
                           "' since the op began and " + std::to_string(pending_siblings) +
                           " other unsettled op(s) with it: cannot tell which one is this op's"));
        }
        const std::string id = candidates.front()->session_id;
        FetchDecision(
            target, id,
            [id, described, result_key, decision_array, done = std::move(done)](
                int, Fetched<nlohmann::json> decision) {
              if (!decision) {
                return done(Failed("look-up of " + id + ": " + decision.error().why,
                                   decision.error().headers));
              }
              // The check's own response shape, from its saved session.
              nlohmann::json result = nullptr;
              if (auto it = decision->find(decision_array);
                  it != decision->end() && it->is_array() && !it->empty()) {
                result = it->front();
              }
              nlohmann::json body = {
                  {"request_id", id},
                  {result_key, std::move(result)},
                  {"vendor_data", decision->value("vendor_data", nlohmann::json())},
                  {"metadata", decision->value("metadata", nlohmann::json())},
                  {"created_at", decision->value("created_at", nlohmann::json())}};
              auto text = SafeDump(body);
              done(FoundResource(id, 200, text ? *text : "{}", described + ": session " + id));
            });
      });
}

void ImportSharedReconciler::Lookup(const Operation& op, Done done) {
  // Only the driver's "already exists" rule (a 403 that says so) leaves a
  // 403 as the op's answer when it asks: any other 403 stops the op first.
  if (op.response_status != 403) return done(NotFound());
  auto body = SafeParse(op.body);
  if (!body || !body->is_object()) return done(Failed("stored body is not a JSON object"));
  auto workflow_id = OptString(*body, "workflow_id");
  auto vendor_data = OptString(*body, "vendor_data");
  if (!workflow_id || !*workflow_id || !vendor_data || !*vendor_data || (*vendor_data)->empty()) {
    return done(Unresolvable(
        "Didit says the source is already imported into this application; the request had no "
        "vendor_data (the clone keeps the source's), so the clone cannot be looked up"));
  }
  const std::string vendor = **vendor_data;
  const std::string workflow = **workflow_id;
  auto siblings = FindSiblingOps(target_.journal, op);
  if (!siblings) return done(Failed("journal: " + siblings.error().message()));
  auto taken = std::make_shared<std::vector<std::string>>(std::move(siblings->taken));
  const std::size_t pending_siblings = siblings->pending;
  ListSessionsRequest list;
  list.vendor_data = vendor;
  list.workflow_id = workflow;
  list.limit = 100;
  const std::string described =
      "GET /v3/sessions/?vendor_data=" + vendor + "&workflow_id=" + workflow;
  const std::int64_t earliest = op.created_ms - options_.clock_skew.count();
  FetchAllPages(
      target_, list, options_.max_pages,
      [target = target_, vendor, workflow, taken, pending_siblings, earliest, described,
       done = std::move(done)](Fetched<std::vector<Session>> rows) mutable {
        if (!rows) return done(Failed("look-up: " + rows.error().why, rows.error().headers));
        std::vector<std::string> candidates;
        for (const Session& s : *rows) {
          // The server may ignore filters: check them here too.
          if (s.vendor_data.value_or("") != vendor) continue;
          if (s.workflow_id && *s.workflow_id != workflow) continue;
          const std::optional<std::int64_t> at = CreatedAt(s.raw);
          if (at && *at < earliest) continue;
          if (std::find(taken->begin(), taken->end(), s.session_id) != taken->end()) continue;
          candidates.push_back(s.session_id);
        }
        if (candidates.size() != 1 || pending_siblings > 0) {
          return done(Unresolvable(
              "Didit says the source is already imported into this application; " +
              std::to_string(candidates.size()) + " session(s) with vendor_data '" + vendor +
              "' since the op began and " + std::to_string(pending_siblings) +
              " other unsettled import(s) with it: cannot tell whether this op imported it"));
        }
        const std::string id = candidates.front();
        FetchDecision(
            target, id,
            [id, described, done = std::move(done)](int, Fetched<nlohmann::json> decision) {
              if (!decision) {
                return done(Failed("look-up of " + id + ": " + decision.error().why,
                                   decision.error().headers));
              }
              // The import's own answer is the clone's decision payload.
              auto text = SafeDump(*decision);
              done(FoundResource(id, 201, text ? *text : "{}", described + ": session " + id));
            });
      });
}

void DeleteSessionReconciler::Lookup(const Operation& op, Done done) {
  auto session_id = SessionIdFromDeletePath(op.path);
  if (!session_id) return done(Unresolvable("not a delete path: " + op.path));
  FetchDecision(
      target_, *session_id,
      [id = *session_id, done = std::move(done)](int status, Fetched<nlohmann::json> decision) {
        if (status == 404) {
          // Gone: our earlier attempt deleted it (its 204 was lost).
          return done(FoundResource(
              id, 404,
              R"({"idem_note":"404 on look-up after an ambiguous delete: counted as done"})",
              "GET /v3/session/" + id + "/decision/: 404, deleted"));
        }
        if (status == 200) return done(NotFound());  // still there: not executed
        done(Failed(
            "look-up: " + (decision ? "HTTP " + std::to_string(status) : decision.error().why),
            decision ? Headers{} : decision.error().headers));
      });
}

}  // namespace idem::didit::internal
