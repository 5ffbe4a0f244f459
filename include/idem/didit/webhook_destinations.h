// Didit's webhook management API (fact sheet section 6, "Destination
// management"; OAS `/v3/webhook/destinations/` and the legacy single
// webhook `/v3/webhook/`). Free functions over a DiditClient, as
// session_calls.h.
//
//   idem::didit::WebhookDestinationRequest create;
//   create.label = "prod";
//   create.url = "https://example.com/didit";
//   create.subscribed_events = {"status.updated", "data.updated"};
//   auto made = idem::didit::CreateWebhookDestination(*didit, create);
//   // made->secret_shared_key signs every delivery to it: keep it secret.
//
// Profiles (endpoints.h): a create has no key at Didit, but Didit refuses a
// second destination with the same url (400 `{"url": [...]}`), so an
// ambiguous create is settled by listing destinations and matching `url`; a
// duplicate-url 400 on a retry of the same op means the first attempt made
// it, and it is looked up the same way. An update (PATCH, fields replaced
// wholesale) is sent again; a delete is settled by GET (404 = done).
//
// Secrets: `secret_shared_key` is in the results of create and get and of
// the legacy webhook's get/update; never log it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/didit/client.h"
#include "idem/didit/webhook_events.h"

namespace idem::didit {

inline constexpr std::string_view kCreateWebhookDestinationKind = "create_webhook_destination";
inline constexpr std::string_view kUpdateWebhookDestinationKind = "update_webhook_destination";
inline constexpr std::string_view kDeleteWebhookDestinationKind = "delete_webhook_destination";
inline constexpr std::string_view kUpdateWebhookKind = "update_webhook";

// Didit's event names: kWebhookEvents (webhook_events.h).
bool IsWebhookEvent(std::string_view name);

// POST /v3/webhook/destinations/ (create: label and url required) and
// PATCH /v3/webhook/destinations/{uuid}/ (update: every field optional,
// sent only when set). Unset optionals are not sent.
struct WebhookDestinationRequest {
  std::string label;            // <= 255 characters; required on create
  std::string url;              // HTTPS, public host, unique per application; required on create
  std::optional<bool> enabled;  // Didit's default true
  std::optional<std::string> webhook_version;  // "v1" | "v2" | "v3"
  // At least one of kWebhookEvents when sent ([] is refused); omitted on
  // create: subscribed to nothing. An update replaces the list wholesale.
  std::optional<std::vector<std::string>> subscribed_events;
};

// `summary` of a destination: its delivery health.
struct WebhookDeliverySummary {
  std::int64_t total_deliveries = 0;
  std::int64_t failed_deliveries = 0;
  std::int64_t error_rate_percentage = 0;
  std::optional<std::int64_t> min_response_time_ms;
  std::optional<std::int64_t> avg_response_time_ms;
  std::optional<std::int64_t> max_response_time_ms;
  std::optional<std::string> last_delivery_at;
};

struct WebhookDestination {
  std::string uuid;
  std::string label;
  std::string url;
  bool enabled = true;
  std::optional<std::string> webhook_version;
  // Present on create, get and update; absent from the list (empty then).
  std::string secret_shared_key;
  std::vector<std::string> subscribed_events;
  std::optional<std::string> created_at;
  std::optional<std::string> updated_at;
  WebhookDeliverySummary summary;
  nlohmann::json raw;  // the whole object as received
};

// kInvalidArgument (nothing sent) when `for_create` and label or url is
// empty, a label over 255 characters, a url not https://, an empty or
// unknown event, or a webhook_version Didit does not take.
[[nodiscard]] Result<EncodedBody> Encode(const WebhookDestinationRequest& request, bool for_create);

// kCorruption on invalid JSON or a field of the wrong type; uuid and url
// required.
[[nodiscard]] Result<WebhookDestination> ParseWebhookDestination(std::string_view body);
[[nodiscard]] Result<std::vector<WebhookDestination>> ParseWebhookDestinations(
    std::string_view body);

// The ops (for idem::Enqueue; the calls below submit them).
[[nodiscard]] Result<OpRequest> CreateWebhookDestinationOp(const WebhookDestinationRequest& request,
                                                           CallOptions call = {});
[[nodiscard]] Result<OpRequest> UpdateWebhookDestinationOp(std::string_view uuid,
                                                           const WebhookDestinationRequest& request,
                                                           CallOptions call = {});
[[nodiscard]] Result<OpRequest> DeleteWebhookDestinationOp(std::string_view uuid,
                                                           CallOptions call = {});

// Create (201 with the secret). After an ambiguous attempt the op is settled
// by the list (match on url, created since the op began), the secret read by
// GET; a duplicate-url 400 on a retry after such an attempt is looked up the
// same way by the driver (EndpointProfile::unique_field): found, the op is
// `succeeded` in the journal with the destination read back; a destination
// older than the op, the 400 stands (`failed`). A first attempt's 400 is a
// refusal. The answer is read from the journal's outcome.
struct CreatedWebhookDestination : WebhookDestination {
  // The op was settled by the look-up (its answer was lost, or a retry was
  // refused as a duplicate), not by its own 201: FoundByLookUp(op).
  bool found_by_lookup = false;
};
[[nodiscard]] DiditResult<CreatedWebhookDestination> CreateWebhookDestination(
    DiditClient& client, const WebhookDestinationRequest& request, CallOptions call = {});
// GET list (unpaginated, oldest first, no secrets) and GET one (with it).
[[nodiscard]] DiditResult<std::vector<WebhookDestination>> ListWebhookDestinations(
    DiditClient& client);
[[nodiscard]] DiditResult<WebhookDestination> GetWebhookDestination(DiditClient& client,
                                                                    std::string_view uuid);
[[nodiscard]] DiditResult<WebhookDestination> UpdateWebhookDestination(
    DiditClient& client, std::string_view uuid, const WebhookDestinationRequest& request,
    CallOptions call = {});
// 204; a 404 after an ambiguous attempt is success with already_deleted.
struct DeletedWebhookDestination {
  int http_status = 204;
  bool already_deleted = false;
};
[[nodiscard]] DiditResult<DeletedWebhookDestination> DeleteWebhookDestination(
    DiditClient& client, std::string_view uuid, CallOptions call = {});

// ------------------------------------------------ the legacy single webhook

// GET|PATCH /v3/webhook/ (WHC).
struct WebhookConfig {
  std::optional<std::string> webhook_url;  // null: webhooks disabled
  std::optional<std::string> webhook_version;
  std::string secret_shared_key;
  std::optional<std::string> capture_method;          // mobile | desktop | both
  std::optional<std::int64_t> data_retention_months;  // 1..120, null = forever
  nlohmann::json raw;
};
struct WebhookConfigUpdate {
  // Set: sent; a set-but-empty optional<string> inside sends null (disables).
  std::optional<std::optional<std::string>> webhook_url;
  std::optional<std::string> webhook_version;
  std::optional<std::string> capture_method;
  std::optional<std::optional<std::int64_t>> data_retention_months;
  // A new secret; the old one stops verifying at once. A repeat after a lost
  // answer rotates again, which is harmless: nobody got the lost secret, and
  // the answer (or a GET) has the current one.
  bool rotate_secret_key = false;
};
[[nodiscard]] Result<EncodedBody> Encode(const WebhookConfigUpdate& update);
[[nodiscard]] Result<WebhookConfig> ParseWebhookConfig(std::string_view body);
[[nodiscard]] Result<OpRequest> UpdateWebhookConfigOp(const WebhookConfigUpdate& update,
                                                      CallOptions call = {});
[[nodiscard]] DiditResult<WebhookConfig> GetWebhookConfig(DiditClient& client);
[[nodiscard]] DiditResult<WebhookConfig> UpdateWebhookConfig(DiditClient& client,
                                                             const WebhookConfigUpdate& update,
                                                             CallOptions call = {});

}  // namespace idem::didit
