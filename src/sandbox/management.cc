// Didit's webhook management API (fact sheet section 6, OAS
// `/v3/webhook/destinations/`, WHC `/v3/webhook/`):
//   POST   destinations/         201 with secret_shared_key (43-char URL-safe)
//   GET    destinations/         unpaginated array, oldest first, no secret
//   GET    destinations/{uuid}/  with the secret
//   PATCH  destinations/{uuid}/  fields sent replace (subscribed_events
//                                wholesale); the secret is never rotated
//   DELETE destinations/{uuid}/  204, then 404 {"detail": "Webhook destination not found."}
//   GET|PATCH webhook/           the legacy single webhook; rotate_secret_key
//                                issues a new secret
// 400s in Didit's shapes: `[]` events -> "At least one subscribed event is
// required.", unknown -> "Unsupported webhook events: foo.bar", the same url
// twice -> {"url": ["This webhook destination already exists for the
// application."]}. Didit takes only HTTPS URLs on public hosts (WHD) without
// documenting the message; the sandbox answers {"url": ["Enter a valid
// URL."]} (Django's URLField text) for one that is not a URL and {"url":
// ["The URL must use HTTPS and a public host."]} (its own wording) for one on
// http or a loopback, private or link-local host.
// Creates, updates and deletes are recorded as executions (not billed).
// Records are entities (state.h): memory only.
#include <algorithm>
#include <cctype>

#include "common/crypto.h"
#include "idem/didit/webhook_events.h"
#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr char kDestination[] = "destination";
constexpr char kWebhook[] = "webhook";
constexpr char kNotFoundDetail[] = "Webhook destination not found.";

// 32 random bytes, base64url without padding: 43 characters, as Didit's.
std::string NewSecret() {
  std::string bytes(32, '\0');
  crypto::RandomBytes(bytes.data(), bytes.size());
  return crypto::Base64UrlEncode(bytes);
}

bool PrivateHost(std::string host) {
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local") ||
      host.ends_with(".internal") || host.front() == '[') {
    return true;  // loopback names; IPv6 literals (::1, fc00::/7, fe80::) refused wholesale
  }
  int a = 0, b = 0, c = 0, d = 0;
  char tail = 0;
  if (std::sscanf(host.c_str(), "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail) == 4) {
    return a == 0 || a == 10 || a == 127 || (a == 169 && b == 254) ||
           (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168) ||
           (a == 100 && b >= 64 && b <= 127);
  }
  return host.find('.') == std::string::npos;  // a bare name resolves only locally
}

// Empty when `url` is an https URL on a public host; else the message.
std::string UrlProblem(const std::string& url) {
  const std::size_t scheme = url.find("://");
  if (url.size() > 2000 || scheme == std::string::npos || scheme == 0) return "Enter a valid URL.";
  std::string rest = url.substr(scheme + 3);
  std::string host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.find('@') != std::string::npos) host = host.substr(host.rfind('@') + 1);
  if (host.front() != '[') host = host.substr(0, host.find(':'));
  const bool chars_ok = !host.empty() && std::all_of(url.begin(), url.end(), [](unsigned char ch) {
    return ch > 0x20 && ch < 0x7f;
  });
  if (!chars_ok) return "Enter a valid URL.";
  std::string s = url.substr(0, scheme);
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (s != "https" || PrivateHost(host)) return "The URL must use HTTPS and a public host.";
  return {};
}

// Validates the fields of a create (`create`) or update body into `errors`
// (DRF's {"field": ["message"]}) and applies the valid ones to `dest`.
void ApplyFields(const json& body, bool create, json& dest, json& errors) {
  auto add = [&](const char* field, std::string message) {
    errors[field].push_back(std::move(message));
  };
  for (const char* field : {"label", "url"}) {
    auto it = body.find(field);
    if (it == body.end()) {
      if (create) add(field, "This field is required.");
      continue;
    }
    if (it->is_null()) {
      add(field, "This field may not be null.");
    } else if (!it->is_string()) {
      add(field, "Not a valid string.");
    } else if (it->get_ref<const std::string&>().empty()) {
      add(field, "This field may not be blank.");
    } else if (std::string_view(field) == "label" &&
               it->get_ref<const std::string&>().size() > 255) {
      add(field, "Ensure this field has no more than 255 characters.");
    } else if (std::string_view(field) == "url") {
      if (auto problem = UrlProblem(it->get<std::string>()); !problem.empty()) {
        add(field, problem);
      } else {
        dest[field] = *it;
      }
    } else {
      dest[field] = *it;
    }
  }
  if (auto it = body.find("enabled"); it != body.end()) {
    if (it->is_boolean()) {
      dest["enabled"] = *it;
    } else {
      add("enabled", "Must be a valid boolean.");
    }
  }
  if (auto it = body.find("webhook_version"); it != body.end()) {
    if (it->is_string() && (*it == "v1" || *it == "v2" || *it == "v3")) {
      dest["webhook_version"] = *it;
    } else {
      add("webhook_version", "\"" + (it->is_string() ? it->get<std::string>() : it->dump()) +
                                 "\" is not a valid choice.");
    }
  }
  if (auto it = body.find("subscribed_events"); it != body.end()) {
    if (!it->is_array()) {
      add("subscribed_events",
          std::string("Expected a list of items but got type \"") + PythonTypeName(*it) + "\".");
    } else if (it->empty()) {
      add("subscribed_events", "At least one subscribed event is required.");
    } else {
      std::string unknown;
      json events = json::array();
      for (const json& e : *it) {
        const std::string name = e.is_string() ? e.get<std::string>() : e.dump();
        if (!e.is_string() ||
            std::find(std::begin(didit::kWebhookEvents), std::end(didit::kWebhookEvents), name) ==
                std::end(didit::kWebhookEvents)) {
          unknown += (unknown.empty() ? "" : ", ") + name.substr(0, 200);
        } else if (std::find(events.begin(), events.end(), e) == events.end()) {
          events.push_back(e);
        }
      }
      if (!unknown.empty()) {
        add("subscribed_events", "Unsupported webhook events: " + unknown);
      } else {
        dest["subscribed_events"] = std::move(events);
      }
    }
  }
}

json WithoutSecret(json dest) {
  dest.erase("secret_shared_key");
  return dest;
}

}  // namespace

App::EndpointResult App::ListDestinations() {
  EndpointResult out;
  json list = json::array();
  for (const EntityRecord* e : Entities(kDestination)) {
    if (auto d = ParseJsonBody(e->json)) list.push_back(WithoutSecret(std::move(*d)));
  }
  out.response = JsonResponse(200, list);
  return out;
}

App::EndpointResult App::CreateDestination(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  json dest = {{"uuid", NewUuidV4()},
               {"label", ""},
               {"url", ""},
               {"enabled", true},
               {"webhook_version", "v3"},
               {"secret_shared_key", NewSecret()},
               {"subscribed_events", json::array()},
               {"created_at", IsoTime(now_ms)},
               {"updated_at", IsoTime(now_ms)},
               {"summary",
                {{"total_deliveries", 0},
                 {"failed_deliveries", 0},
                 {"error_rate_percentage", 0},
                 {"min_response_time_ms", nullptr},
                 {"avg_response_time_ms", nullptr},
                 {"max_response_time_ms", nullptr},
                 {"last_delivery_at", nullptr}}}};
  json errors = json::object();
  ApplyFields(*body, true, dest, errors);
  if (errors.empty()) {
    for (const EntityRecord* e : Entities(kDestination)) {
      auto other = ParseJsonBody(e->json);
      if (other && other->value("url", "") == dest["url"]) {
        errors["url"].push_back("This webhook destination already exists for the application.");
        break;
      }
    }
  }
  if (!errors.empty()) return Fail(FieldErrors(config_.profile, errors));
  const std::string uuid = dest["uuid"];
  out.mutation.entities.push_back({kDestination, uuid, Dump(dest), next_entity_seq_, false});
  RecordExecution(out, std::nullopt, uuid);
  out.response = JsonResponse(201, dest);
  return out;
}

App::EndpointResult App::GetDestination(const std::string& uuid) {
  const EntityRecord* e = FindEntity(kDestination, uuid);
  if (!e) return Fail(DetailResponse(404, kNotFoundDetail));
  EndpointResult out;
  out.response.status = 200;
  out.response.headers.push_back({"Content-Type", "application/json"});
  out.response.body = e->json;
  return out;
}

App::EndpointResult App::UpdateDestination(const Request& request, const std::string& uuid,
                                           std::int64_t now_ms) {
  const EntityRecord* e = FindEntity(kDestination, uuid);
  if (!e) return Fail(DetailResponse(404, kNotFoundDetail));
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  auto dest = ParseJsonBody(e->json);
  if (!dest) return Fail(DetailResponse(500, "The sandbox store failed: unreadable destination."));
  json errors = json::object();
  ApplyFields(*body, false, *dest, errors);
  if (errors.empty() && body->contains("url")) {
    for (const EntityRecord* other : Entities(kDestination)) {
      auto o = ParseJsonBody(other->json);
      if (other->id != uuid && o && o->value("url", "") == (*dest)["url"]) {
        errors["url"].push_back("This webhook destination already exists for the application.");
        break;
      }
    }
  }
  if (!errors.empty()) return Fail(FieldErrors(config_.profile, errors));
  (*dest)["updated_at"] = IsoTime(now_ms);
  out.mutation.entities.push_back({kDestination, uuid, Dump(*dest), e->seq, false});
  RecordExecution(out, std::nullopt, uuid);
  out.response = JsonResponse(200, *dest);
  return out;
}

App::EndpointResult App::DeleteDestination(const std::string& uuid, std::int64_t) {
  const EntityRecord* e = FindEntity(kDestination, uuid);
  if (!e) return Fail(DetailResponse(404, kNotFoundDetail));
  EndpointResult out;
  EntityRecord gone = *e;
  gone.deleted = true;
  out.mutation.entities.push_back(std::move(gone));
  RecordExecution(out, std::nullopt, uuid);
  out.response.status = 204;
  return out;
}

App::EndpointResult App::GetWebhook(std::int64_t) {
  EndpointResult out;
  if (const EntityRecord* e = FindEntity(kWebhook, "config")) {
    out.response.status = 200;
    out.response.headers.push_back({"Content-Type", "application/json"});
    out.response.body = e->json;
    return out;
  }
  // An application that never set one: no URL, a secret already issued.
  json config = {{"webhook_url", nullptr},
                 {"webhook_version", "v3"},
                 {"secret_shared_key", NewSecret()},
                 {"capture_method", "both"},
                 {"data_retention_months", nullptr}};
  // Kept, so the secret read now is the one a later GET shows.
  out.mutation.entities.push_back({kWebhook, "config", Dump(config), next_entity_seq_, false});
  out.response = JsonResponse(200, config);
  return out;
}

App::EndpointResult App::UpdateWebhook(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  json config = json::parse(GetWebhook(now_ms).response.body, nullptr, false);
  json errors = json::object();
  if (auto it = body->find("webhook_url"); it != body->end()) {
    if (it->is_null()) {
      config["webhook_url"] = nullptr;
    } else if (!it->is_string()) {
      errors["webhook_url"].push_back("Not a valid string.");
    } else if (auto problem = UrlProblem(it->get<std::string>()); !problem.empty()) {
      errors["webhook_url"].push_back(problem);
    } else {
      config["webhook_url"] = *it;
    }
  }
  if (auto it = body->find("webhook_version"); it != body->end()) {
    if (it->is_string() && (*it == "v1" || *it == "v2" || *it == "v3")) {
      config["webhook_version"] = *it;
    } else {
      errors["webhook_version"].push_back("Not a valid choice.");
    }
  }
  if (auto it = body->find("capture_method"); it != body->end()) {
    if (it->is_string() && (*it == "mobile" || *it == "desktop" || *it == "both")) {
      config["capture_method"] = *it;
    } else {
      errors["capture_method"].push_back("Not a valid choice.");
    }
  }
  if (auto it = body->find("data_retention_months"); it != body->end()) {
    if (it->is_null()) {
      config["data_retention_months"] = nullptr;
    } else if (it->is_number_integer() && *it >= 1 && *it <= 120) {
      config["data_retention_months"] = *it;
    } else {
      errors["data_retention_months"].push_back("Ensure this value is between 1 and 120.");
    }
  }
  bool rotate = false;
  if (auto it = body->find("rotate_secret_key"); it != body->end()) {
    if (!it->is_boolean()) {
      errors["rotate_secret_key"].push_back("Must be a valid boolean.");
    } else {
      rotate = it->get<bool>();
    }
  }
  if (!errors.empty()) return Fail(FieldErrors(config_.profile, errors));
  if (rotate) config["secret_shared_key"] = NewSecret();
  const EntityRecord* existing = FindEntity(kWebhook, "config");
  out.mutation.entities.push_back(
      {kWebhook, "config", Dump(config), existing ? existing->seq : next_entity_seq_, false});
  RecordExecution(out, std::nullopt, "webhook");
  out.response = JsonResponse(200, config);
  return out;
}

}  // namespace idem::sandbox
