// POST /v3/sessions/delete/ (OAS): deletes KYC sessions by session_number,
// or all of them with delete_all, in one transaction. Unknown (or already
// deleted) numbers are skipped and the answer is always 204, so a repeat is
// harmless. 400 bodies as Didit's: `{"session_numbers": ["This list may not
// be empty."]}`, `["All session_numbers must be numeric."]`, `["This field is
// required unless delete_all is true."]`. One execution (kind
// batch_delete_sessions, resource_id the deleted numbers) only when something
// was deleted, so a harmless repeat is no duplicate execution. Like a single
// delete it sends no webhook.
#include <charconv>
#include <set>

#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

// A session number as Didit takes it: a JSON integer >= 0 or a string of
// digits. nullopt = not numeric; a number too large to be one of ours is
// numeric and matches nothing (-1).
std::optional<std::int64_t> SessionNumber(const json& item) {
  if (item.is_number_unsigned()) {
    const auto n = item.get<std::uint64_t>();
    return n > static_cast<std::uint64_t>(INT64_MAX) ? -1 : static_cast<std::int64_t>(n);
  }
  if (item.is_number_integer()) {
    const auto n = item.get<std::int64_t>();
    if (n < 0) return std::nullopt;
    return n;
  }
  if (!item.is_string()) return std::nullopt;
  const std::string& s = item.get_ref<const std::string&>();
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return -1;
  return n;
}

}  // namespace

App::EndpointResult App::BatchDelete(const Request& request, std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  bool delete_all = false;
  if (auto d = body->find("delete_all"); d != body->end() && !d->is_null()) {
    if (!d->is_boolean())
      return Fail(FieldError(profile, "delete_all", "Must be a valid boolean."));
    delete_all = d->get<bool>();
  }
  std::set<std::int64_t> numbers;
  auto list = body->find("session_numbers");
  if (list == body->end() || list->is_null()) {
    if (!delete_all) {
      return Fail(FieldError(profile, "session_numbers",
                             "This field is required unless delete_all is true."));
    }
  } else if (!list->is_array()) {
    return Fail(FieldError(
        profile, "session_numbers",
        std::string("Expected a list of items but got type \"") + PythonTypeName(*list) + "\"."));
  } else if (list->empty() && !delete_all) {
    return Fail(FieldError(profile, "session_numbers", "This list may not be empty."));
  } else {
    for (const json& item : *list) {
      auto n = SessionNumber(item);
      if (!n)
        return Fail(FieldError(profile, "session_numbers", "All session_numbers must be numeric."));
      numbers.insert(*n);
    }
  }
  std::string deleted;
  for (const auto& [number, id] : sessions_by_number_) {
    if (!delete_all && numbers.count(number) == 0) continue;
    SessionRecord s = sessions_.at(id);
    if (s.deleted) continue;
    const std::string previous = s.status;
    s.deleted = true;
    s.updated_ms = now_ms;
    out.mutation.sessions.push_back(s);
    out.events.push_back(MakeEvent(SandboxSessionEvent::Kind::kDeleted, s, previous, now_ms));
    if (!deleted.empty()) deleted += ',';
    deleted += std::to_string(number);
  }
  if (!deleted.empty()) RecordExecution(out, std::nullopt, deleted);
  out.response.status = 204;
  return out;
}

}  // namespace idem::sandbox
