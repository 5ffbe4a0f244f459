// The webhook management calls (include/idem/didit/webhook_destinations.h).
#include "idem/didit/webhook_destinations.h"

#include <algorithm>

#include "didit/call_and_parse.h"
#include "didit/json_util.h"
#include "didit/reconcilers.h"
#include "didit/surface_reconcilers.h"
#include "idem/didit/op_outcome.h"

namespace idem::didit {
namespace {

using internal::OptAny;
using internal::OptInt;
using internal::OptString;
using nlohmann::json;

constexpr std::string_view kDestinations = "/v3/webhook/destinations/";

[[nodiscard]] Status CheckEvents(const std::vector<std::string>& events) {
  if (events.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "At least one subscribed event is required.");
  }
  for (const std::string& e : events) {
    if (!IsWebhookEvent(e)) {
      return MakeError(ErrorCode::kInvalidArgument, "Unsupported webhook events: " + e);
    }
  }
  return {};
}

[[nodiscard]] Result<std::vector<std::string>> StringArray(const json& obj, const char* field) {
  std::vector<std::string> out;
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return MakeError(ErrorCode::kCorruption, std::string("field '") + field + "' is not an array");
  }
  for (const json& item : *it) {
    if (!item.is_string()) {
      return MakeError(ErrorCode::kCorruption,
                       std::string("field '") + field + "' holds a non-string");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

[[nodiscard]] Result<WebhookDestination> FromJson(json obj) {
  if (!obj.is_object()) return MakeError(ErrorCode::kCorruption, "destination is not an object");
  WebhookDestination d;
  IDEM_JSON_SET(d.uuid, internal::RequiredString(obj, "uuid"));
  IDEM_JSON_SET(d.url, internal::RequiredString(obj, "url"));
  std::optional<std::string> text;
  IDEM_JSON_SET(text, OptString(obj, "label"));
  d.label = text.value_or("");
  IDEM_JSON_SET(text, OptString(obj, "secret_shared_key"));
  d.secret_shared_key = text.value_or("");
  IDEM_JSON_SET(d.webhook_version, OptString(obj, "webhook_version"));
  IDEM_JSON_SET(d.created_at, OptString(obj, "created_at"));
  IDEM_JSON_SET(d.updated_at, OptString(obj, "updated_at"));
  IDEM_JSON_SET(d.subscribed_events, StringArray(obj, "subscribed_events"));
  if (auto it = obj.find("enabled"); it != obj.end() && !it->is_null()) {
    if (!it->is_boolean()) return MakeError(ErrorCode::kCorruption, "field 'enabled' not a bool");
    d.enabled = it->get<bool>();
  }
  std::optional<json> summary;
  IDEM_JSON_SET(summary, internal::OptObject(obj, "summary"));
  if (summary) {
    std::optional<std::int64_t> n;
    IDEM_JSON_SET(n, OptInt(*summary, "total_deliveries"));
    d.summary.total_deliveries = n.value_or(0);
    IDEM_JSON_SET(n, OptInt(*summary, "failed_deliveries"));
    d.summary.failed_deliveries = n.value_or(0);
    IDEM_JSON_SET(n, OptInt(*summary, "error_rate_percentage"));
    d.summary.error_rate_percentage = n.value_or(0);
    IDEM_JSON_SET(d.summary.min_response_time_ms, OptInt(*summary, "min_response_time_ms"));
    IDEM_JSON_SET(d.summary.avg_response_time_ms, OptInt(*summary, "avg_response_time_ms"));
    IDEM_JSON_SET(d.summary.max_response_time_ms, OptInt(*summary, "max_response_time_ms"));
    IDEM_JSON_SET(d.summary.last_delivery_at, OptString(*summary, "last_delivery_at"));
  }
  d.raw = std::move(obj);
  return d;
}

[[nodiscard]] Status CheckUuid(std::string_view uuid) {
  if (uuid.empty() || uuid.find('/') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "a destination uuid is required");
  }
  return {};
}

using internal::MakeOp;
using internal::Plain;

}  // namespace

bool IsWebhookEvent(std::string_view name) {
  return std::find(std::begin(kWebhookEvents), std::end(kWebhookEvents), name) !=
         std::end(kWebhookEvents);
}

[[nodiscard]] Result<EncodedBody> Encode(const WebhookDestinationRequest& request,
                                         bool for_create) {
  json body = json::object();
  if (for_create && request.label.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "label is required");
  }
  if (for_create && request.url.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "url is required");
  }
  if (request.label.size() > 255) {
    return MakeError(ErrorCode::kInvalidArgument, "label is longer than 255 characters");
  }
  if (!request.url.empty() && !request.url.starts_with("https://")) {
    // Didit takes HTTPS URLs on public hosts only (WHD).
    return MakeError(ErrorCode::kInvalidArgument, "url must be an https:// URL");
  }
  if (request.webhook_version && *request.webhook_version != "v1" &&
      *request.webhook_version != "v2" && *request.webhook_version != "v3") {
    return MakeError(ErrorCode::kInvalidArgument, "webhook_version must be v1, v2 or v3");
  }
  if (request.subscribed_events) {
    if (auto st = CheckEvents(*request.subscribed_events); !st) return tl::unexpected(st.error());
  }
  if (!request.label.empty()) body["label"] = request.label;
  if (!request.url.empty()) body["url"] = request.url;
  if (request.enabled) body["enabled"] = *request.enabled;
  if (request.webhook_version) body["webhook_version"] = *request.webhook_version;
  if (request.subscribed_events) body["subscribed_events"] = *request.subscribed_events;
  auto text = internal::SafeDump(body);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<WebhookDestination> ParseWebhookDestination(std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  return FromJson(std::move(*parsed));
}

[[nodiscard]] Result<std::vector<WebhookDestination>> ParseWebhookDestinations(
    std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  if (!parsed->is_array()) return MakeError(ErrorCode::kCorruption, "the list is not an array");
  std::vector<WebhookDestination> out;
  for (json& item : *parsed) {
    auto d = FromJson(std::move(item));
    if (!d) return tl::unexpected(d.error());
    out.push_back(std::move(*d));
  }
  return out;
}

[[nodiscard]] Result<OpRequest> CreateWebhookDestinationOp(const WebhookDestinationRequest& request,
                                                           CallOptions call) {
  // The url is what Didit keeps unique, and so what the look-up matches.
  return MakeOp(kCreateWebhookDestinationKind, "POST", std::string(kDestinations),
                Encode(request, true), std::move(call), "webhook_destination:" + request.url);
}

[[nodiscard]] Result<OpRequest> UpdateWebhookDestinationOp(std::string_view uuid,
                                                           const WebhookDestinationRequest& request,
                                                           CallOptions call) {
  if (auto st = CheckUuid(uuid); !st) return tl::unexpected(st.error());
  return MakeOp(kUpdateWebhookDestinationKind, "PATCH",
                std::string(kDestinations) + UrlEncode(uuid) + "/", Encode(request, false),
                std::move(call));
}

[[nodiscard]] Result<OpRequest> DeleteWebhookDestinationOp(std::string_view uuid,
                                                           CallOptions call) {
  if (auto st = CheckUuid(uuid); !st) return tl::unexpected(st.error());
  return MakeOp(kDeleteWebhookDestinationKind, "DELETE",
                std::string(kDestinations) + UrlEncode(uuid) + "/", EncodedBody{"", ""},
                std::move(call));
}

[[nodiscard]] DiditResult<CreatedWebhookDestination> CreateWebhookDestination(
    DiditClient& client, const WebhookDestinationRequest& request, CallOptions call) {
  return internal::CallAndParseCreated<CreatedWebhookDestination, WebhookDestination>(
      client.client(), CreateWebhookDestinationOp(request, std::move(call)),
      ParseWebhookDestination);
}

[[nodiscard]] DiditResult<std::vector<WebhookDestination>> ListWebhookDestinations(
    DiditClient& client) {
  auto response = client.Get(std::string(kDestinations));
  if (!response) return tl::unexpected(response.error());
  auto parsed = ParseWebhookDestinations(response->body);
  if (!parsed) return tl::unexpected(Plain(parsed.error()));
  return std::move(*parsed);
}

[[nodiscard]] DiditResult<WebhookDestination> GetWebhookDestination(DiditClient& client,
                                                                    std::string_view uuid) {
  if (auto st = CheckUuid(uuid); !st) return tl::unexpected(Plain(st.error()));
  auto response = client.Get(std::string(kDestinations) + UrlEncode(uuid) + "/");
  if (!response) return tl::unexpected(response.error());
  auto parsed = ParseWebhookDestination(response->body);
  if (!parsed) return tl::unexpected(Plain(parsed.error()));
  return std::move(*parsed);
}

[[nodiscard]] DiditResult<WebhookDestination> UpdateWebhookDestination(
    DiditClient& client, std::string_view uuid, const WebhookDestinationRequest& request,
    CallOptions call) {
  return internal::CallAndParse<WebhookDestination>(
      client.client(), UpdateWebhookDestinationOp(uuid, request, std::move(call)),
      ParseWebhookDestination);
}

[[nodiscard]] DiditResult<DeletedWebhookDestination> DeleteWebhookDestination(DiditClient& client,
                                                                              std::string_view uuid,
                                                                              CallOptions call) {
  auto op_request = DeleteWebhookDestinationOp(uuid, std::move(call));
  if (!op_request) return tl::unexpected(Plain(op_request.error()));
  auto op = OpOutcome(client.client().Call(std::move(*op_request)));
  if (!op) return tl::unexpected(op.error());
  return DeletedWebhookDestination{op->response_status, op->response_status == 404};
}

// ------------------------------------------------ the legacy single webhook

[[nodiscard]] Result<EncodedBody> Encode(const WebhookConfigUpdate& update) {
  json body = json::object();
  if (update.webhook_url) {
    if (*update.webhook_url && !(*update.webhook_url)->starts_with("https://")) {
      return MakeError(ErrorCode::kInvalidArgument, "webhook_url must be an https:// URL");
    }
    body["webhook_url"] = *update.webhook_url ? json(**update.webhook_url) : json(nullptr);
  }
  if (update.webhook_version) body["webhook_version"] = *update.webhook_version;
  if (update.capture_method) {
    const std::string& m = *update.capture_method;
    if (m != "mobile" && m != "desktop" && m != "both") {
      return MakeError(ErrorCode::kInvalidArgument, "capture_method must be mobile|desktop|both");
    }
    body["capture_method"] = m;
  }
  if (update.data_retention_months) {
    const auto& months = *update.data_retention_months;
    if (months && (*months < 1 || *months > 120)) {
      return MakeError(ErrorCode::kInvalidArgument, "data_retention_months must be 1..120");
    }
    body["data_retention_months"] = months ? json(*months) : json(nullptr);
  }
  if (update.rotate_secret_key) body["rotate_secret_key"] = true;
  if (body.empty()) return MakeError(ErrorCode::kInvalidArgument, "nothing to update");
  auto text = internal::SafeDump(body);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<WebhookConfig> ParseWebhookConfig(std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  if (!parsed->is_object()) return MakeError(ErrorCode::kCorruption, "config is not an object");
  WebhookConfig c;
  std::optional<std::string> secret;
  IDEM_JSON_SET(c.webhook_url, OptString(*parsed, "webhook_url"));
  IDEM_JSON_SET(c.webhook_version, OptString(*parsed, "webhook_version"));
  IDEM_JSON_SET(secret, OptString(*parsed, "secret_shared_key"));
  c.secret_shared_key = secret.value_or("");
  IDEM_JSON_SET(c.capture_method, OptString(*parsed, "capture_method"));
  IDEM_JSON_SET(c.data_retention_months, OptInt(*parsed, "data_retention_months"));
  c.raw = std::move(*parsed);
  return c;
}

[[nodiscard]] Result<OpRequest> UpdateWebhookConfigOp(const WebhookConfigUpdate& update,
                                                      CallOptions call) {
  return MakeOp(kUpdateWebhookKind, "PATCH", "/v3/webhook/", Encode(update), std::move(call));
}

[[nodiscard]] DiditResult<WebhookConfig> GetWebhookConfig(DiditClient& client) {
  auto response = client.Get("/v3/webhook/");
  if (!response) return tl::unexpected(response.error());
  auto parsed = ParseWebhookConfig(response->body);
  if (!parsed) return tl::unexpected(Plain(parsed.error()));
  return std::move(*parsed);
}

[[nodiscard]] DiditResult<WebhookConfig> UpdateWebhookConfig(DiditClient& client,
                                                             const WebhookConfigUpdate& update,
                                                             CallOptions call) {
  return internal::CallAndParse<WebhookConfig>(
      client.client(), UpdateWebhookConfigOp(update, std::move(call)), ParseWebhookConfig);
}

}  // namespace idem::didit
