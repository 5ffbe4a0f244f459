// POST /v3/session/{id}/share/ and POST /v3/session/import-shared/ (Didit's
// OAS: post_v3_session_share, post_v3_session_import_shared) between the
// sandbox's two applications (SandboxOptions: its own and the peer).
//
// Share: the caller's finished session (Approved, Declined, In Review) ->
// 200 {share_token, for_application_id, session_kind: "user"}; the token is
// an HS256 JWT {session_id, from_application_id, for_application_id, iat,
// exp} signed with ShareSecret(). Free and saves nothing: no execution.
// Import: verifies the token (signature, expiry, audience = the caller, the
// source still there), the workflow (the caller's), one redeem per receiver,
// then clones the source into the caller's application: 201 with the clone's
// decision, one execution (kind import_shared_session, the clone's
// vendor_data). The OAS's error bodies, word for word. The sandbox's own
// choices (docs/sandbox.md): the order of the checks (session, body,
// status for a share; body, token, workflow, redeem for an import), DRF's
// messages for wrong types, a deleted clone still counting as the redeem,
// the clone without hosted URL, reviews or webhook event.
#include <string>
#include <string_view>

#include "common/crypto.h"
#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"
#include "sandbox/session_views.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr std::int64_t kTtlDefault = 3600;
constexpr std::int64_t kTtlMin = 60;
constexpr std::int64_t kTtlMax = 86400;
// The clone's marker in its details_json: the source it was imported from.
constexpr char kImportedFrom[] = "imported_from";
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

// A token part: base64url, bounded before decoding (a token is small).
std::optional<std::string> FromBase64Url(std::string_view text) {
  if (text.empty() || text.size() > 4096) return std::nullopt;
  return crypto::Base64UrlDecode(text);
}

bool IsFinished(std::string_view status) {
  return status == "Approved" || status == "Declined" || status == "In Review";
}

Response TokenError(SandboxProfile profile, std::string_view message) {
  return FieldError(profile, "share_token", message);
}

// The verified claims of a share token.
struct ShareClaims {
  std::string session_id;
  std::string from_application_id;
  std::string for_application_id;
  std::int64_t exp = 0;
};

std::optional<ShareClaims> Verify(std::string_view token, const std::string& secret) {
  if (token.size() > 8192) return std::nullopt;
  const std::size_t first = token.find('.');
  const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view signed_part = token.substr(0, second);
  auto signature = FromBase64Url(token.substr(second + 1));
  if (!signature ||
      !crypto::ConstantTimeEquals(*signature, crypto::HmacSha256(secret, signed_part))) {
    return std::nullopt;
  }
  // Signed by this sandbox, so well formed unless the secret leaked; read
  // defensively all the same.
  auto header = FromBase64Url(token.substr(0, first));
  auto payload = FromBase64Url(token.substr(first + 1, second - first - 1));
  if (!header || !payload) return std::nullopt;
  auto h = ParseJsonBody(*header);
  auto p = ParseJsonBody(*payload);
  if (!h || !h->is_object() || h->value("alg", json()) != "HS256") return std::nullopt;
  if (!p || !p->is_object()) return std::nullopt;
  ShareClaims claims;
  for (auto [name, field] : {std::pair{"session_id", &claims.session_id},
                             std::pair{"from_application_id", &claims.from_application_id},
                             std::pair{"for_application_id", &claims.for_application_id}}) {
    auto it = p->find(name);
    if (it == p->end() || !it->is_string()) return std::nullopt;
    *field = it->get<std::string>();
  }
  auto exp = p->find("exp");
  if (exp == p->end() || !exp->is_number_integer()) return std::nullopt;
  claims.exp = exp->get<std::int64_t>();
  return claims;
}

// A required JSON value's type error, DRF's words.
const char* TypeError(const json& value, bool want_bool) {
  if (want_bool) return value.is_boolean() ? nullptr : "Must be a valid boolean.";
  return value.is_string() ? nullptr : "Not a valid string.";
}

}  // namespace

std::string App::ShareSecret() const {
  return crypto::Sha256("idem-sandbox-share-token\n" + config_.api_key + "\n" +
                        config_.peer_api_key);
}

App::EndpointResult App::ShareSession(const Request& request, const std::string& session_id,
                                      std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted || OwnerOf(it->second) != caller_app_) {
    return Fail(DetailResponse(404, "Not found."));
  }
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  json errors = json::object();
  std::string target;
  auto app = body->find("for_application_id");
  if (app == body->end() || app->is_null()) {
    errors["for_application_id"] = json::array({"This field is required."});
  } else if (!app->is_string() || !IsUuid(app->get_ref<const std::string&>())) {
    errors["for_application_id"] = json::array({"Must be a valid UUID."});
  } else {
    target = app->get<std::string>();
    if (target == caller_app_) {
      errors["for_application_id"] =
          json::array({"Cannot share a session with the same application."});
    } else if (target != config_.application_id &&
               (config_.peer_api_key.empty() || target != config_.peer_application_id)) {
      errors["for_application_id"] = json::array({"Target application does not exist."});
    }
  }
  std::int64_t ttl = kTtlDefault;
  if (auto t = body->find("ttl_in_seconds"); t != body->end() && !t->is_null()) {
    if (!t->is_number_integer()) {
      errors["ttl_in_seconds"] = json::array({"A valid integer is required."});
    } else if (t->is_number_unsigned() && t->get<std::uint64_t>() > 1u << 30) {
      errors["ttl_in_seconds"] = json::array({"Ensure this value is less than or equal to 86400."});
    } else {
      ttl = t->get<std::int64_t>();
      if (ttl < kTtlMin) {
        errors["ttl_in_seconds"] =
            json::array({"Ensure this value is greater than or equal to 60."});
      } else if (ttl > kTtlMax) {
        errors["ttl_in_seconds"] =
            json::array({"Ensure this value is less than or equal to 86400."});
      }
    }
  }
  if (!errors.empty()) return Fail(FieldErrors(profile, errors));
  if (!IsFinished(it->second.status)) {
    return Fail(JsonResponse(
        400, json{{"detail", json::array({"Only finished sessions (\"Approved\", \"Declined\", "
                                          "\"In Review\") can be shared."})}}));
  }
  const std::int64_t iat = now_ms / 1000;
  const json claims = {{"session_id", session_id},
                       {"from_application_id", caller_app_},
                       {"for_application_id", target},
                       {"iat", iat},
                       {"exp", iat + ttl}};
  const std::string signed_part =
      crypto::Base64UrlEncode(kHeader) + "." + crypto::Base64UrlEncode(Dump(claims));
  const std::string token =
      signed_part + "." + crypto::Base64UrlEncode(crypto::HmacSha256(ShareSecret(), signed_part));
  out.response = JsonResponse(
      200, json{{"share_token", token}, {"for_application_id", target}, {"session_kind", "user"}});
  return out;
}

App::EndpointResult App::ImportSharedSession(const Request& request, std::int64_t now_ms) {
  const SandboxProfile profile = config_.profile;
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  json errors = json::object();
  for (auto [name, want_bool] : {std::pair{"share_token", false}, std::pair{"trust_review", true},
                                 std::pair{"workflow_id", false}}) {
    auto v = body->find(name);
    if (v == body->end() || v->is_null()) {
      errors[name] = json::array({"This field is required."});
    } else if (const char* wrong = TypeError(*v, want_bool)) {
      errors[name] = json::array({wrong});
    }
  }
  if (!errors.contains("workflow_id") && !IsUuid((*body)["workflow_id"].get<std::string>())) {
    errors["workflow_id"] = json::array({"Must be a valid UUID."});
  }
  std::optional<std::string> vendor_override;
  if (auto v = body->find("vendor_data"); v != body->end() && !v->is_null()) {
    if (!v->is_string()) {
      errors["vendor_data"] = json::array({"Not a valid string."});
    } else if (v->get_ref<const std::string&>().size() > 1024) {
      errors["vendor_data"] = json::array({"At most 1024 characters."});
    } else {
      vendor_override = v->get<std::string>();
    }
  }
  if (!errors.empty()) return Fail(FieldErrors(profile, errors));
  auto claims = Verify((*body)["share_token"].get<std::string>(), ShareSecret());
  if (!claims) return Fail(TokenError(profile, "Invalid share token."));
  if (claims->exp <= now_ms / 1000) return Fail(TokenError(profile, "Share token has expired."));
  if (claims->for_application_id != caller_app_) {
    return Fail(TokenError(profile, "This token is not valid for this application."));
  }
  auto source = sessions_.find(claims->session_id);
  if (source == sessions_.end() || source->second.deleted ||
      OwnerOf(source->second) != claims->from_application_id) {
    return Fail(TokenError(profile, "Original session does not exist."));
  }
  const std::string workflow_id = (*body)["workflow_id"].get<std::string>();
  const bool own = caller_app_ == config_.application_id;
  const bool workflow_ours =
      workflow_id == (own ? config_.workflow_id : config_.peer_workflow_id) ||
      (own && FindEntity("workflow", workflow_id) != nullptr);
  if (!workflow_ours) {
    return Fail(DetailResponse(404, "Workflow does not exist for this application."));
  }
  if (imports_.count(caller_app_ + '\n' + claims->session_id) != 0) {
    return Fail(DetailResponse(403, "This session has already been shared with your application."));
  }
  const SessionRecord& src = source->second;
  SessionRecord clone;
  clone.session_id = NewUuidV4();
  clone.session_number = next_session_number_;
  clone.workflow_id = workflow_id;
  clone.vendor_data = vendor_override ? vendor_override : src.vendor_data;
  clone.metadata_json = src.metadata_json;
  clone.status = body->at("trust_review").get<bool>() ? src.status : "In Review";
  json details = ParseJsonBody(src.details_json).value_or(json::object());
  if (!details.is_object()) details = json::object();
  details[kImportedFrom] = claims->session_id;
  clone.details_json = Dump(details);
  clone.session_type = src.session_type;
  clone.api_service = src.api_service;
  clone.check_json = src.check_json;
  clone.created_ms = now_ms;
  clone.updated_ms = now_ms;
  clone.application_id = caller_app_;
  RecordExecution(out, clone.vendor_data, clone.session_id);
  out.mutation.sessions.push_back(clone);
  out.response = JsonResponse(201, DecisionBody(clone));
  return out;
}

void App::IndexImport(const SessionRecord& s) {
  if (s.details_json.find(kImportedFrom) == std::string::npos) return;
  auto details = ParseJsonBody(s.details_json);
  if (!details || !details->is_object()) return;
  auto from = details->find(kImportedFrom);
  if (from == details->end() || !from->is_string()) return;
  imports_.insert(OwnerOf(s) + '\n' + from->get<std::string>());
}

}  // namespace idem::sandbox
