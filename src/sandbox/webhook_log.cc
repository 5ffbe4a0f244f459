// The per-session webhook delivery log (sandbox/webhook_log.h). Row shape
// (fact sheet section 6): {uuid, session_id, status, request_url,
// response_status, request_body (string), request_header (a JSON string of
// the request's headers, X-Signature and X-Timestamp included),
// webhook_type, created_at}. The sandbox's own choices: status "SUCCESS"
// (a 2xx), "FAILED" (anything else; response_status null when no answer
// came) or "PENDING" (a resend not attempted yet); created_at ISO 8601 UTC
// of the attempt.
#include "sandbox/webhook_log.h"

#include <algorithm>

#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

void Fill(json& row, const WebhookAttempt& a) {
  json headers = json::object();
  for (const Header& h : a.headers) headers[h.name] = h.value;
  row["status"] = a.acknowledged ? "SUCCESS" : "FAILED";
  row["request_url"] = a.url;
  row["response_status"] = a.status == 0 ? json() : json(a.status);
  row["request_body"] = a.body;
  row["request_header"] = headers.dump(-1, ' ', false, json::error_handler_t::replace);
  row["created_at"] = IsoTime(a.sent_unix_s * 1000);
}

}  // namespace

void WebhookDeliveryLog::SetEnqueue(Enqueue enqueue) {
  std::lock_guard<std::mutex> lock(mu_);
  enqueue_ = std::move(enqueue);
}

void WebhookDeliveryLog::Record(const WebhookAttempt& a) {
  auto body = ParseJsonBody(a.body);
  if (!body || !body->is_object()) return;
  auto sid = body->find("session_id");
  if (sid == body->end() || !sid->is_string()) return;
  const std::string session_id = sid->get<std::string>();
  std::lock_guard<std::mutex> lock(mu_);
  auto& rows = rows_[session_id];
  if (!a.tag.empty() && a.attempt == 1) {
    for (json& row : rows) {
      if (row["uuid"] == a.tag) {
        Fill(row, a);
        return;
      }
    }
  }
  json row = {{"uuid", NewUuidV4()},
              {"session_id", session_id},
              {"webhook_type", body->value("webhook_type", json())}};
  Fill(row, a);
  rows.push_back(std::move(row));
}

json WebhookDeliveryLog::List(const std::string& session_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rows_.find(session_id);
  if (it == rows_.end()) return json::array();
  return json(it->second);
}

std::optional<json> WebhookDeliveryLog::Resend(const std::string& session_id,
                                               const std::string& delivery_uuid,
                                               std::int64_t now_ms) {
  Enqueue enqueue;
  json row;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!enqueue_) return std::nullopt;
    auto it = rows_.find(session_id);
    if (it == rows_.end()) return std::nullopt;
    const json* original = nullptr;
    for (const json& r : it->second) {
      if (r["uuid"] == delivery_uuid) original = &r;
    }
    if (!original) return std::nullopt;
    row = {{"uuid", NewUuidV4()},          {"session_id", session_id},
           {"status", "PENDING"},          {"request_url", (*original)["request_url"]},
           {"response_status", nullptr},   {"request_body", (*original)["request_body"]},
           {"request_header", "{}"},       {"webhook_type", (*original)["webhook_type"]},
           {"created_at", IsoTime(now_ms)}};
    it->second.push_back(row);
    enqueue = enqueue_;
  }
  // Outside the lock: the attempt's Record may run before Enqueue returns.
  if (!enqueue(row["request_body"].get<std::string>(), row["uuid"].get<std::string>())) {
    // The sender is gone (shutting down): nothing will be delivered, so the
    // PENDING row would stay pending for good. Take it back.
    std::lock_guard<std::mutex> lock(mu_);
    auto& rows = rows_[session_id];
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [&](const json& r) { return r["uuid"] == row["uuid"]; }),
               rows.end());
    return std::nullopt;
  }
  return row;
}

}  // namespace idem::sandbox
