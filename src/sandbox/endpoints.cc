// The Didit v3 endpoints and the /_sandbox/ advance control. Called with
// App::mu_ held; they describe their changes in the result's Mutation.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <limits>

#include "common/crypto.h"
#include "idem/uuid.h"
#include "sandbox/aml_watchlist.h"
#include "sandbox/app.h"
#include "sandbox/multipart.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 10> kStatuses = {
    "Not Started",   "In Progress", "Approved", "Declined",  "In Review",
    "Awaiting User", "Resubmitted", "Expired",  "Abandoned", "Kyc Expired"};

// An endpoint result that is only an error response (nothing changes).
App::EndpointResult Fail(Response response) {
  App::EndpointResult result;
  result.response = std::move(response);
  return result;
}

bool IsStatus(std::string_view s) {
  return std::find(kStatuses.begin(), kStatuses.end(), s) != kStatuses.end();
}

bool IsUnfinished(std::string_view s) {
  return s == "Not Started" || s == "In Progress" || s == "Resubmitted" || s == "Awaiting User";
}

Response FieldError(std::string_view field, std::string_view message) {
  return JsonResponse(400, json{{"detail", std::string(field) + ": " + std::string(message)},
                                {std::string(field), json::array({message})}});
}

json ParseStored(const std::string& text) {
  auto parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? json(nullptr) : parsed;
}

json VendorDataJson(const SessionRecord& s) {
  return s.vendor_data ? json(*s.vendor_data) : json(nullptr);
}

json CallbackJson(const SessionRecord& s) {
  return s.callback.empty() ? json(nullptr) : json(s.callback);
}

SandboxSessionEvent MakeEvent(SandboxSessionEvent::Kind kind, const SessionRecord& s,
                              std::string previous, std::int64_t now_ms) {
  SandboxSessionEvent e;
  e.kind = kind;
  e.session_id = s.session_id;
  e.status = s.status;
  e.previous_status = std::move(previous);
  e.workflow_id = s.workflow_id;
  e.vendor_data = s.vendor_data.value_or("");
  e.metadata_json = s.metadata_json;
  e.created_at_ms = s.created_ms;
  e.at_ms = now_ms;
  return e;
}

// Records that the endpoint executed (the row the exactly-once verdict
// counts); kind, endpoint and key are filled in by the caller of the endpoint.
void RecordExecution(App::EndpointResult& out, std::optional<std::string> vendor_data,
                     std::string resource_id) {
  Execution e;
  e.vendor_data = std::move(vendor_data);
  e.resource_id = std::move(resource_id);
  out.mutation.execution = std::move(e);
}

// A changed session: its execution, its new row and its webhook event.
void RecordSessionChange(App::EndpointResult& out, const SessionRecord& s,
                         SandboxSessionEvent::Kind kind, std::string previous,
                         std::int64_t now_ms) {
  RecordExecution(out, s.vendor_data, s.session_id);
  out.mutation.sessions.push_back(s);
  out.events.push_back(MakeEvent(kind, s, std::move(previous), now_ms));
}

// The 200 answer of a standalone check: {request_id, <check>: result,
// vendor_data, created_at}, recorded as one execution.
App::EndpointResult CheckAnswer(const char* check, json result,
                                std::optional<std::string> vendor_data, std::int64_t now_ms) {
  App::EndpointResult out;
  const std::string request_id = NewUuidV4();
  out.response =
      JsonResponse(200, json{{"request_id", request_id},
                             {check, std::move(result)},
                             {"vendor_data", vendor_data ? json(*vendor_data) : json(nullptr)},
                             {"created_at", IsoTime(now_ms)}});
  RecordExecution(out, std::move(vendor_data), request_id);
  return out;
}

std::optional<json> RequireObject(const Request& request, Response& error) {
  auto body = ParseJsonBody(request.body);
  if (!body) {
    error = DetailResponse(400, "JSON parse error: the body is not valid JSON.");
    return std::nullopt;
  }
  if (!body->is_object()) {
    error = DetailResponse(400, "Invalid data: expected a JSON object.");
    return std::nullopt;
  }
  return body;
}

// A deterministic 0..99 score from bytes.
int ScoreOf(std::string_view data) {
  const std::string digest = crypto::Sha256(data);
  return static_cast<unsigned char>(digest[0]) % 100;
}

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

}  // namespace

App::EndpointResult App::CreateSession(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  const json& b = *body;
  auto wf = b.find("workflow_id");
  if (wf == b.end() || wf->is_null())
    return Fail(FieldError("workflow_id", "This field is required."));
  if (!wf->is_string() || !IsUuid(wf->get_ref<const std::string&>())) {
    out.response = FieldError("workflow_id", "Must be a valid UUID.");
    return out;
  }
  std::optional<std::string> vendor_data;
  if (auto v = b.find("vendor_data"); v != b.end() && !v->is_null()) {
    if (!v->is_string()) return Fail(FieldError("vendor_data", "Not a valid string."));
    if (v->get_ref<const std::string&>().size() > 1024) {
      return Fail(FieldError("vendor_data", "At most 1024 characters."));
    }
    vendor_data = v->get<std::string>();
  }
  std::string callback;
  if (auto c = b.find("callback"); c != b.end() && !c->is_null()) {
    if (!c->is_string()) return Fail(FieldError("callback", "Not a valid string."));
    callback = c->get<std::string>();
  }
  std::optional<json> metadata;
  if (auto m = b.find("metadata"); m != b.end() && !m->is_null()) {
    if (!m->is_object()) return Fail(FieldError("metadata", "Must be an object."));
    metadata = *m;
  }
  json details = json::object();
  for (const char* field : {"contact_details", "expected_details"}) {
    if (auto d = b.find(field); d != b.end() && !d->is_null()) {
      if (!d->is_object()) return Fail(FieldError(field, "Must be an object."));
      details[field] = *d;
    }
  }
  for (const char* field : {"language", "callback_method"}) {
    if (auto d = b.find(field); d != b.end() && !d->is_null()) {
      if (!d->is_string()) return Fail(FieldError(field, "Not a valid string."));
      details[field] = *d;
    }
  }
  if (auto cm = details.find("callback_method"); cm != details.end()) {
    const auto& v = cm->get_ref<const std::string&>();
    if (v != "initiator" && v != "completer" && v != "both") {
      return Fail(FieldError("callback_method", "Must be initiator, completer or both."));
    }
  }
  const std::string workflow_id = wf->get<std::string>();

  SessionRecord session;
  bool dedup = false;
  if (config_.vendor_dedup && vendor_data && !vendor_data->empty()) {
    auto candidates = sessions_by_vendor_.find(*vendor_data + '\n' + workflow_id);
    if (candidates != sessions_by_vendor_.end()) {
      for (const auto& id : candidates->second) {
        const SessionRecord& s = sessions_.at(id);
        if (!s.deleted && IsUnfinished(s.status)) {
          session = s;
          dedup = true;
          break;
        }
      }
    }
  }
  if (dedup) {
    // Didit updates callback and metadata of the session it returns.
    if (!callback.empty()) session.callback = callback;
    if (metadata) session.metadata_json = Dump(*metadata);
    session.updated_ms = now_ms;
    out.vendor_dedup_hit = true;
  } else {
    session.session_id = NewUuidV4();
    session.session_number = next_session_number_;
    std::string token = NewUuidV4();
    token.erase(std::remove(token.begin(), token.end(), '-'), token.end());
    session.session_token = token.substr(0, 20);
    session.workflow_id = workflow_id;
    session.vendor_data = vendor_data;
    session.metadata_json = metadata ? Dump(*metadata) : "null";
    session.callback = callback;
    session.details_json = Dump(details);
    session.created_ms = now_ms;
    session.updated_ms = now_ms;
    RecordExecution(out, vendor_data, session.session_id);
    out.events.push_back(MakeEvent(SandboxSessionEvent::Kind::kCreated, session, "", now_ms));
  }
  out.mutation.sessions.push_back(session);
  out.response =
      JsonResponse(201, json{{"session_id", session.session_id},
                             {"session_number", session.session_number},
                             {"session_token", session.session_token},
                             {"url", "https://verify.didit.me/session/" + session.session_token},
                             {"vendor_data", VendorDataJson(session)},
                             {"metadata", ParseStored(session.metadata_json)},
                             {"status", session.status},
                             {"callback", CallbackJson(session)},
                             {"workflow_id", session.workflow_id},
                             {"workflow_version", 1}});
  return out;
}

App::EndpointResult App::Decision(const std::string& session_id) {
  EndpointResult out;
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted) {
    out.response = DetailResponse(404, "Session not found.");
    return out;
  }
  const SessionRecord& s = it->second;
  const json details = ParseStored(s.details_json);
  auto detail = [&](const char* name) {
    return details.is_object() && details.contains(name) ? details[name] : json(nullptr);
  };
  json body = {{"session_id", s.session_id},
               {"session_number", s.session_number},
               {"session_url", "https://verify.didit.me/session/" + s.session_token},
               {"status", s.status},
               {"workflow_id", s.workflow_id},
               {"features", json::array()},
               {"vendor_data", VendorDataJson(s)},
               {"metadata", ParseStored(s.metadata_json)},
               {"expected_details", detail("expected_details")},
               {"contact_details", detail("contact_details")},
               {"callback", CallbackJson(s)},
               {"created_at", IsoTime(s.created_ms)}};
  for (const char* feature : {"id_verifications", "liveness_checks", "face_matches",
                              "poa_verifications", "phone_verifications", "email_verifications",
                              "aml_screenings", "ip_analyses", "database_validations"}) {
    body[feature] = nullptr;
  }
  out.response = JsonResponse(200, body);
  return out;
}

App::EndpointResult App::UpdateStatus(const Request& request, const std::string& session_id,
                                      std::int64_t now_ms) {
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  auto ns = body->find("new_status");
  if (ns == body->end() || !ns->is_string()) {
    out.response = FieldError("new_status", "This field is required (a string).");
    return out;
  }
  const std::string new_status = ns->get<std::string>();
  if (new_status != "Approved" && new_status != "Declined" && new_status != "Resubmitted") {
    out.response = FieldError("new_status", "Must be Approved, Declined or Resubmitted.");
    return out;
  }
  if (auto c = body->find("comment"); c != body->end() && !c->is_null() && !c->is_string()) {
    out.response = FieldError("comment", "Not a valid string.");
    return out;
  }
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted) {
    out.response = DetailResponse(404, "Session not found.");
    return out;
  }
  SessionRecord s = it->second;
  out.response = JsonResponse(200, json{{"session_id", s.session_id}});
  if (s.status == new_status) return out;  // nothing happens, no event
  const std::string previous = s.status;
  s.status = new_status;
  s.updated_ms = now_ms;
  RecordSessionChange(out, s, SandboxSessionEvent::Kind::kStatusChanged, previous, now_ms);
  return out;
}

App::EndpointResult App::DeleteSession(const std::string& session_id, std::int64_t now_ms) {
  EndpointResult out;
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted) {
    out.response = DetailResponse(404, "Session not found.");
    return out;
  }
  SessionRecord s = it->second;
  const std::string previous = s.status;
  s.deleted = true;
  s.updated_ms = now_ms;
  RecordSessionChange(out, s, SandboxSessionEvent::Kind::kDeleted, previous, now_ms);
  out.response.status = 204;
  return out;
}

App::EndpointResult App::ListSessions(const Request& request, std::string_view query) {
  EndpointResult out;
  auto params = ParseQuery(query);
  if (!params) {
    out.response = DetailResponse(400, "Malformed query string.");
    return out;
  }
  auto number = [&](const char* name, std::size_t fallback, std::size_t max,
                    std::size_t& value) -> bool {
    auto it = params->find(name);
    if (it == params->end()) {
      value = fallback;
      return true;
    }
    const std::string& s = it->second;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    return ec == std::errc() && ptr == s.data() + s.size() && value <= max;
  };
  std::size_t limit = 0;
  std::size_t offset = 0;
  if (!number("limit", 50, 1000, limit) || limit == 0) {
    out.response = FieldError("limit", "A whole number in [1, 1000].");
    return out;
  }
  if (!number("offset", 0, 1'000'000'000, offset)) {
    out.response = FieldError("offset", "A whole number >= 0.");
    return out;
  }
  auto filter = [&](const char* name) -> std::optional<std::string> {
    auto it = params->find(name);
    if (it == params->end()) return std::nullopt;
    return it->second;
  };
  const auto vendor_data = filter("vendor_data");
  const auto status = filter("status");
  const auto workflow_id = filter("workflow_id");
  const auto date_from = filter("date_from");
  const auto date_to = filter("date_to");
  std::int64_t from_ms = std::numeric_limits<std::int64_t>::min();
  std::int64_t to_ms = std::numeric_limits<std::int64_t>::max();
  if (date_from) {
    auto range = ParseDateFilter(*date_from);
    if (!range) return Fail(FieldError("date_from", "A date YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ."));
    from_ms = range->first;
  }
  if (date_to) {
    auto range = ParseDateFilter(*date_to);
    if (!range) return Fail(FieldError("date_to", "A date YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ."));
    to_ms = range->second;
  }
  std::vector<const SessionRecord*> matches;
  // Newest first, as Didit lists them.
  for (auto id = session_order_.rbegin(); id != session_order_.rend(); ++id) {
    const SessionRecord& s = sessions_.at(*id);
    if (s.deleted) continue;
    if (vendor_data && s.vendor_data.value_or("") != *vendor_data) continue;
    if (status && s.status != *status) continue;
    if (workflow_id && s.workflow_id != *workflow_id) continue;
    if (s.created_ms < from_ms || s.created_ms > to_ms) continue;
    matches.push_back(&s);
  }
  const Page page = Paginate(matches.size(), limit, offset);
  auto link = [&](std::optional<std::size_t> at) -> json {
    if (!at) return nullptr;
    std::string url = BaseUrl(request) + "/v3/sessions/?limit=" + std::to_string(limit) +
                      "&offset=" + std::to_string(*at);
    if (vendor_data) url += "&vendor_data=" + PercentEncode(*vendor_data);
    if (status) url += "&status=" + PercentEncode(*status);
    if (workflow_id) url += "&workflow_id=" + PercentEncode(*workflow_id);
    if (date_from) url += "&date_from=" + PercentEncode(*date_from);
    if (date_to) url += "&date_to=" + PercentEncode(*date_to);
    return url;
  };
  json results = json::array();
  for (std::size_t i = page.begin; i < page.end; ++i) {
    const SessionRecord& s = *matches[i];
    results.push_back({{"session_id", s.session_id},
                       {"session_number", s.session_number},
                       {"session_token", s.session_token},
                       {"status", s.status},
                       {"vendor_data", VendorDataJson(s)},
                       {"workflow_id", s.workflow_id},
                       {"metadata", ParseStored(s.metadata_json)},
                       {"created_at", IsoTime(s.created_ms)}});
  }
  out.response = JsonResponse(200, json{{"count", matches.size()},
                                        {"next", link(page.next_offset)},
                                        {"previous", link(page.previous_offset)},
                                        {"results", results}});
  return out;
}

App::EndpointResult App::Aml(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  auto name = body->find("full_name");
  if (name == body->end() || name->is_null()) {
    out.response = FieldError("full_name", "This field is required.");
    return out;
  }
  if (!name->is_string() || name->get_ref<const std::string&>().empty() ||
      name->get_ref<const std::string&>().size() > 256) {
    out.response = FieldError("full_name", "A non-empty string of at most 256 characters.");
    return out;
  }
  for (const char* field : {"entity_type", "date_of_birth", "nationality", "document_number"}) {
    if (auto f = body->find(field); f != body->end() && !f->is_null() && !f->is_string()) {
      out.response = FieldError(field, "Not a valid string.");
      return out;
    }
  }
  if (auto f = body->find("include_adverse_media");
      f != body->end() && !f->is_null() && !f->is_boolean()) {
    out.response = FieldError("include_adverse_media", "Must be a boolean.");
    return out;
  }
  std::optional<std::string> vendor_data;
  if (auto v = body->find("vendor_data"); v != body->end() && v->is_string()) {
    vendor_data = v->get<std::string>();
  }
  const auto hits = ScreenName(name->get<std::string>());
  json hit_list = json::array();
  int score = 0;
  for (const auto& h : hits) {
    hit_list.push_back({{"caption", h.name},
                        {"datasets", json::array({h.list})},
                        {"country", h.country},
                        {"match_score", h.score}});
    score = std::max(score, h.score);
  }
  return CheckAnswer("aml",
                     {{"status", hits.empty() ? "Approved" : "In Review"},
                      {"total_hits", hits.size()},
                      {"score", score},
                      {"hits", hit_list},
                      {"screened_data", {{"full_name", *name}}}},
                     std::move(vendor_data), now_ms);
}

namespace {

// The parts of a multipart check request, or the 400 to answer.
std::optional<std::vector<MultipartPart>> CheckParts(const Request& request, Response& error) {
  const auto content_type = FindHeader(request.headers, "Content-Type");
  const auto boundary = content_type ? MultipartBoundary(*content_type) : std::nullopt;
  if (!boundary) {
    error = DetailResponse(400, "Expected multipart/form-data with a boundary.");
    return std::nullopt;
  }
  auto parts = ParseMultipart(request.body, *boundary);
  if (!parts) {
    error = DetailResponse(400, "Malformed multipart body: " + parts.error().message());
    return std::nullopt;
  }
  return std::move(*parts);
}

const MultipartPart* FindPart(const std::vector<MultipartPart>& parts, std::string_view name) {
  for (const auto& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::optional<std::string> VendorDataPart(const std::vector<MultipartPart>& parts) {
  const MultipartPart* v = FindPart(parts, "vendor_data");
  return v ? std::optional<std::string>(v->data) : std::nullopt;
}

}  // namespace

App::EndpointResult App::PassiveLiveness(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto parts = CheckParts(request, out.response);
  if (!parts) return out;
  const MultipartPart* image = FindPart(*parts, "user_image");
  if (image == nullptr || image->data.empty()) {
    return Fail(FieldError("user_image", "This field is required (a non-empty file)."));
  }
  const int score = ScoreOf(image->data);
  return CheckAnswer(
      "liveness",
      {{"status", score >= 10 ? "Approved" : "Declined"}, {"method", "PASSIVE"}, {"score", score}},
      VendorDataPart(*parts), now_ms);
}

App::EndpointResult App::FaceMatch(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto parts = CheckParts(request, out.response);
  if (!parts) return out;
  for (const char* field : {"user_image", "ref_image"}) {
    const MultipartPart* image = FindPart(*parts, field);
    if (image == nullptr || image->data.empty()) {
      return Fail(FieldError(field, "This field is required (a non-empty file)."));
    }
  }
  const std::string& user = FindPart(*parts, "user_image")->data;
  const std::string& ref = FindPart(*parts, "ref_image")->data;
  // Deterministic: the same two images always score the same; identical
  // images score 100.
  const int score = user == ref ? 100 : ScoreOf(user + ref);
  return CheckAnswer("face_match",
                     {{"status", score >= 50 ? "Approved" : "Declined"},
                      {"score", score},
                      {"user_image", {{"entities", json::array()}, {"best_angle", 0}}},
                      {"ref_image", {{"entities", json::array()}, {"best_angle", 0}}},
                      {"warnings", json::array()}},
                     VendorDataPart(*parts), now_ms);
}

App::EndpointResult App::IdVerification(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto parts = CheckParts(request, out.response);
  if (!parts) return out;
  const MultipartPart* front = FindPart(*parts, "front_image");
  if (front == nullptr || front->data.empty()) {
    return Fail(FieldError("front_image", "This field is required (a non-empty file)."));
  }
  const MultipartPart* back = FindPart(*parts, "back_image");
  if (back != nullptr && back->data.empty()) {
    return Fail(FieldError("back_image", "The submitted file is empty."));
  }
  bool document_liveness = false;
  if (const MultipartPart* f = FindPart(*parts, "perform_document_liveness")) {
    if (f->data != "true" && f->data != "false") {
      return Fail(FieldError("perform_document_liveness", "Must be a valid boolean."));
    }
    document_liveness = f->data == "true";
  }
  const int score = ScoreOf(front->data + (back ? back->data : std::string()));
  json warnings = json::array();
  if (back == nullptr) warnings.push_back({{"risk", "DOCUMENT_BACK_NOT_PROVIDED"}});
  return CheckAnswer("id_verification",
                     {{"status", score >= 10 ? "Approved" : "Declined"},
                      {"document_type", "Identity Card"},
                      {"document_number", "SBX" + std::to_string(1000000 + score * 7919)},
                      {"first_name", "Sandbox"},
                      {"last_name", "User"},
                      {"full_name", "Sandbox User"},
                      {"date_of_birth", "1990-01-01"},
                      {"expiration_date", "2035-01-01"},
                      {"issuing_state", "ESP"},
                      {"issuing_state_name", "Spain"},
                      {"document_liveness", document_liveness ? json("Approved") : json(nullptr)},
                      {"warnings", warnings}},
                     VendorDataPart(*parts), now_ms);
}

Response App::Advance(const Request& request, const std::string& session_id,
                      std::vector<SandboxSessionEvent>& events) {
  auto body = ParseJsonBody(request.body);
  if (!body || !body->is_object() || !body->contains("status") || !(*body)["status"].is_string() ||
      !IsStatus((*body)["status"].get<std::string>())) {
    return FieldError("status", "One of the Didit status strings, e.g. \"Approved\".");
  }
  return AdvanceTo(session_id, (*body)["status"].get<std::string>(), events, nullptr);
}

Response App::AdvanceTo(const std::string& session_id, const std::string& status,
                        std::vector<SandboxSessionEvent>& events, const std::string* only_from) {
  std::unique_lock<std::mutex> lock(mu_);
  if (shared_) {
    // As an execution: under the shared store's lock, on the latest state.
    auto changes = shared_->BeginExclusive();
    if (!changes) return DetailResponse(503, "The sandbox store is unavailable.");
    MergeLocked(std::move(*changes));
  }
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted) {
    if (shared_) shared_->AbortExclusive();
    return DetailResponse(404, "Session not found.");
  }
  SessionRecord s = it->second;
  const std::string previous = s.status;
  if (only_from == nullptr || *only_from == previous) s.status = status;
  const std::int64_t now = NowMs();
  s.updated_ms = now;
  std::shared_ptr<GroupCommitter::Ticket> ticket;
  if (s.status != previous) {
    Mutation m;
    m.sessions.push_back(s);
    if (shared_) {
      if (auto st = shared_->CommitExclusive(m, std::nullopt); !st) {
        return DetailResponse(500, "The sandbox store failed: " + st.error().message());
      }
    }
    ApplyLocked(m);
    if (committer_) ticket = committer_->Enqueue(std::move(m));
    events.push_back(MakeEvent(SandboxSessionEvent::Kind::kStatusChanged, s, previous, now));
  } else if (shared_) {
    shared_->AbortExclusive();
  }
  lock.unlock();
  if (ticket) {
    if (auto st = committer_->Wait(ticket); !st) {
      events.clear();
      return DetailResponse(500, "The sandbox store failed: " + st.error().message());
    }
  }
  return JsonResponse(
      200, json{{"session_id", s.session_id}, {"status", s.status}, {"previous_status", previous}});
}

Status App::AdvanceSession(const std::string& session_id, const std::string& status,
                           const std::string& only_from) {
  if (!IsStatus(status)) return MakeError(ErrorCode::kInvalidArgument, "unknown status: " + status);
  std::vector<SandboxSessionEvent> events;
  Response r = AdvanceTo(session_id, status, events, only_from.empty() ? nullptr : &only_from);
  if (r.status != 200) {
    return MakeError(r.status == 404 ? ErrorCode::kNotFound : ErrorCode::kIo,
                     "advance " + session_id + ": HTTP " + std::to_string(r.status));
  }
  Emit(events);
  return {};
}

std::optional<std::string> App::DecisionJson(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshSharedLocked();
  EndpointResult result = Decision(session_id);
  if (result.response.status != 200) return std::nullopt;
  return result.response.body;
}

}  // namespace idem::sandbox
