// GET /v3/sessions/: Didit's KYC rows, newest first, with the filters of
// OAS GET /v3/sessions/ the sandbox can answer: vendor_data (exact, through
// its index), status / workflow_id / session_type (comma-separated OR
// lists), api_service, session_kind, date_from / date_to. Unknown values in
// a list match nothing; a malformed typed value is a 400 field error.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <limits>
#include <set>

#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"
#include "sandbox/session_views.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

// The filters next/previous carry, in this order, as they were given.
constexpr const char* kFilters[] = {"vendor_data", "status",       "workflow_id", "date_from",
                                    "date_to",     "session_type", "api_service", "session_kind"};

// A `date_from`/`date_to` value: "YYYY-MM-DD" (a whole UTC day) or
// "YYYY-MM-DDTHH:MM:SS[.mmm]Z". Returns [first ms, last ms] it covers.
std::optional<std::pair<std::int64_t, std::int64_t>> ParseDateFilter(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
  char tail = 0;
  bool whole_day = false;
  if (text.size() == 10 && std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3) {
    whole_day = true;
  } else if (text.size() == 20 && std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%c", &y, &mo,
                                              &d, &h, &mi, &sec, &tail) == 6) {
  } else if (text.size() == 24 && std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%c", &y,
                                              &mo, &d, &h, &mi, &sec, &ms, &tail) == 7) {
  } else {
    return std::nullopt;
  }
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const std::int64_t start = static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
  if (tm.tm_mday != d) return std::nullopt;  // 2026-02-30 normalised away
  return std::make_pair(start, whole_day ? start + 86'400'000 - 1 : start);
}

std::set<std::string> SplitCommas(const std::string& text) {
  std::set<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, comma - start);
    if (!item.empty()) out.insert(std::move(item));
    start = comma + 1;
  }
  return out;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string NotAChoice(const std::string& value) {
  return "\"" + value + "\" is not a valid choice.";
}

// The parsed filters; an absent or empty comma-list parameter is no filter.
struct Filters {
  std::optional<std::string> vendor_data;
  std::optional<std::set<std::string>> statuses;
  std::optional<std::set<std::string>> workflow_ids;  // lowercase, UUIDs only
  std::optional<std::set<std::string>> session_types;
  std::optional<std::string> api_service;
  // session_kind: "user" (Didit's default), "business" or "all".
  std::string kind = "user";
  std::int64_t from_ms = std::numeric_limits<std::int64_t>::min();
  std::int64_t to_ms = std::numeric_limits<std::int64_t>::max();

  bool Match(const SessionRecord& s) const {
    if (kind != "all" && (kind == "business") != IsBusiness(s)) return false;
    if (statuses && statuses->count(s.status) == 0) return false;
    if (workflow_ids && workflow_ids->count(Lower(s.workflow_id)) == 0) return false;
    if (session_types && session_types->count(s.session_type) == 0) return false;
    if (api_service && s.api_service != *api_service) return false;
    return s.created_ms >= from_ms && s.created_ms <= to_ms;
  }
};

}  // namespace

App::EndpointResult App::ListSessions(const Request& request, std::string_view query) {
  auto params = ParseQuery(query);
  if (!params) return Fail(DetailResponse(400, "Malformed query string."));
  const SandboxProfile profile = config_.profile;
  auto given = [&](const char* name) -> std::optional<std::string> {
    auto it = params->find(name);
    if (it == params->end()) return std::nullopt;
    return it->second;
  };
  auto number = [&](const char* name, std::size_t fallback, std::size_t max,
                    std::size_t& value) -> bool {
    const auto text = given(name);
    if (!text) {
      value = fallback;
      return true;
    }
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    return ec == std::errc() && ptr == text->data() + text->size() && value <= max;
  };
  std::size_t limit = 0;
  std::size_t offset = 0;
  if (!number("limit", 50, 1000, limit) || limit == 0) {
    return Fail(FieldError(profile, "limit", "A whole number in [1, 1000]."));
  }
  if (!number("offset", 0, 1'000'000'000, offset)) {
    return Fail(FieldError(profile, "offset", "A whole number >= 0."));
  }

  Filters f;
  f.vendor_data = given("vendor_data");
  if (auto v = given("status"); v && !v->empty()) f.statuses = SplitCommas(*v);
  if (auto v = given("workflow_id"); v && !v->empty()) {
    // Malformed UUIDs are ignored; none valid leaves an empty set: no rows.
    f.workflow_ids.emplace();
    for (const auto& id : SplitCommas(*v)) {
      if (IsUuid(id)) f.workflow_ids->insert(Lower(id));
    }
  }
  if (auto v = given("session_type"); v && !v->empty()) {
    auto types = SplitCommas(*v);
    if (types.count("ALL") == 0) f.session_types = std::move(types);
  }
  if (auto v = given("api_service"); v && !v->empty()) {
    if (!IsApiServiceName(*v)) return Fail(FieldError(profile, "api_service", NotAChoice(*v)));
    f.api_service = *v;
  }
  if (auto v = given("session_kind"); v && !v->empty()) {
    const std::string kind = Lower(*v);
    if (kind != "user" && kind != "business" && kind != "all") {
      return Fail(FieldError(profile, "session_kind", NotAChoice(*v)));
    }
    f.kind = kind;
  }
  if (auto v = given("date_from")) {
    auto range = ParseDateFilter(*v);
    if (!range) {
      return Fail(FieldError(profile, "date_from", "A date YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ."));
    }
    f.from_ms = range->first;
  }
  if (auto v = given("date_to")) {
    auto range = ParseDateFilter(*v);
    if (!range) {
      return Fail(FieldError(profile, "date_to", "A date YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ."));
    }
    f.to_ms = range->second;
  }

  std::vector<const SessionRecord*> matches = NewestFirst(f.vendor_data);
  matches.erase(std::remove_if(matches.begin(), matches.end(),
                               [&](const SessionRecord* s) {
                                 // A caller lists its own application's sessions only.
                                 return OwnerOf(*s) != caller_app_ || !f.Match(*s);
                               }),
                matches.end());
  const Page page = Paginate(matches.size(), limit, offset);
  auto link = [&](std::optional<std::size_t> at) -> json {
    if (!at) return nullptr;
    std::string url = BaseUrl(request) + "/v3/sessions/?limit=" + std::to_string(limit) +
                      "&offset=" + std::to_string(*at);
    for (const char* name : kFilters) {
      if (auto v = given(name)) url += std::string("&") + name + "=" + PercentEncode(*v);
    }
    return url;
  };
  json results = json::array();
  for (std::size_t i = page.begin; i < page.end; ++i) results.push_back(ListRow(*matches[i]));
  EndpointResult out;
  out.response = JsonResponse(200, json{{"count", matches.size()},
                                        {"next", link(page.next_offset)},
                                        {"previous", link(page.previous_offset)},
                                        {"results", results}});
  return out;
}

}  // namespace idem::sandbox
