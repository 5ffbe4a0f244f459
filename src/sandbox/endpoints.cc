// The Didit v3 session endpoints (create, decision, delete) and the
// /_sandbox/ advance control. Called with App::mu_ held; they describe their
// changes in the result's Mutation. The checks are in checks.cc, the list in
// list_sessions.cc, update-status in update_status.cc.
#include <algorithm>
#include <array>

#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/request_fields.h"
#include "sandbox/responses.h"
#include "sandbox/session_views.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 10> kStatuses = {
    "Not Started",   "In Progress", "Approved", "Declined",  "In Review",
    "Awaiting User", "Resubmitted", "Expired",  "Abandoned", "Kyc Expired"};

bool IsStatus(std::string_view s) {
  return std::find(kStatuses.begin(), kStatuses.end(), s) != kStatuses.end();
}

bool IsUnfinished(std::string_view s) {
  return s == "Not Started" || s == "In Progress" || s == "Resubmitted" || s == "Awaiting User";
}

json ParseStored(const std::string& text) {
  auto parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? json(nullptr) : parsed;
}

}  // namespace

App::EndpointResult App::CreateSession(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  const json& b = *body;
  auto wf = b.find("workflow_id");
  if (wf == b.end() || wf->is_null())
    return Fail(FieldError(config_.profile, "workflow_id", "This field is required."));
  if (!wf->is_string() || !IsUuid(wf->get_ref<const std::string&>())) {
    out.response = FieldError(config_.profile, "workflow_id", "Must be a valid UUID.");
    return out;
  }
  std::optional<std::string> vendor_data;
  if (auto v = b.find("vendor_data"); v != b.end() && !v->is_null()) {
    if (!v->is_string())
      return Fail(FieldError(config_.profile, "vendor_data", "Not a valid string."));
    if (v->get_ref<const std::string&>().size() > 1024) {
      return Fail(FieldError(config_.profile, "vendor_data", "At most 1024 characters."));
    }
    vendor_data = v->get<std::string>();
  }
  std::string callback;
  if (auto c = b.find("callback"); c != b.end() && !c->is_null()) {
    if (!c->is_string())
      return Fail(FieldError(config_.profile, "callback", "Not a valid string."));
    callback = c->get<std::string>();
  }
  std::optional<json> metadata;
  if (auto m = b.find("metadata"); m != b.end() && !m->is_null()) {
    if (!m->is_object()) return Fail(FieldError(config_.profile, "metadata", "Must be an object."));
    metadata = *m;
  }
  json details = json::object();
  for (const char* field : {"contact_details", "expected_details"}) {
    if (auto d = b.find(field); d != b.end() && !d->is_null()) {
      if (!d->is_object()) return Fail(FieldError(config_.profile, field, "Must be an object."));
      details[field] = *d;
    }
  }
  if (json errors = CreateDetailErrors(b); !errors.empty()) {
    return Fail(FieldErrors(config_.profile, errors));
  }
  for (const char* field : {"language", "callback_method"}) {
    if (auto d = b.find(field); d != b.end() && !d->is_null()) {
      if (!d->is_string()) return Fail(FieldError(config_.profile, field, "Not a valid string."));
      details[field] = *d;
    }
  }
  if (auto cm = details.find("callback_method"); cm != details.end()) {
    const auto& v = cm->get_ref<const std::string&>();
    if (v != "initiator" && v != "completer" && v != "both") {
      return Fail(
          FieldError(config_.profile, "callback_method", "Must be initiator, completer or both."));
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
        if (!s.deleted && IsUnfinished(s.status) && OwnerOf(s) == caller_app_) {
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
  out.response = JsonResponse(
      201, json{{"session_id", session.session_id},
                {"session_number", session.session_number},
                {"session_token", session.session_token},
                {"url", HostedUrl(session)},
                {"vendor_data", session.vendor_data ? json(*session.vendor_data) : json()},
                {"metadata", ParseStored(session.metadata_json)},
                {"status", session.status},
                {"callback", session.callback.empty() ? json() : json(session.callback)},
                {"workflow_id", session.workflow_id},
                {"workflow_version", 1}});
  return out;
}

App::EndpointResult App::Decision(const std::string& session_id, const std::string* app) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted || (app && OwnerOf(it->second) != *app)) {
    return Fail(DetailResponse(404, "Session not found."));
  }
  EndpointResult out;
  out.response = JsonResponse(200, DecisionBody(it->second));
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

Response App::Advance(const Request& request, const std::string& session_id,
                      std::vector<SandboxSessionEvent>& events) {
  auto body = ParseJsonBody(request.body);
  if (!body || !body->is_object() || !body->contains("status") || !(*body)["status"].is_string() ||
      !IsStatus((*body)["status"].get<std::string>())) {
    return FieldError(config_.profile, "status",
                      "One of the Didit status strings, e.g. \"Approved\".");
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

Response App::DataUpdated(const std::string& session_id, std::vector<SandboxSessionEvent>& events) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshSharedLocked();
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted) return DetailResponse(404, "Session not found.");
  // Nothing to commit: the sandbox keeps no reviewer-editable data, so the
  // session (and its decision) stays as it is; only the event is new.
  const SessionRecord& s = it->second;
  events.push_back(MakeEvent(SandboxSessionEvent::Kind::kDataUpdated, s, s.status, NowMs()));
  return JsonResponse(
      200,
      json{{"session_id", s.session_id}, {"status", s.status}, {"webhook_type", "data.updated"}});
}

std::optional<std::string> App::DecisionJson(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshSharedLocked();
  EndpointResult result = Decision(session_id, nullptr);
  if (result.response.status != 200) return std::nullopt;
  return result.response.body;
}

}  // namespace idem::sandbox
