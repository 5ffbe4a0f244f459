// Users and businesses (include/idem/didit/users.h).
#include "idem/didit/users.h"

#include "didit/call_and_parse.h"
#include "didit/json_util.h"
#include "idem/didit/op_outcome.h"

namespace idem::didit {
namespace {

using internal::OptInt;
using internal::OptString;
using internal::ParseObject;
using nlohmann::json;

using internal::Plain;

[[nodiscard]] Status CheckLength(const std::optional<std::string>& value, const char* name,
                                 std::size_t max) {
  if (value && value->size() > max) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(name) + " is longer than " + std::to_string(max) + " characters");
  }
  return {};
}

[[nodiscard]] Status CheckCommon(const std::optional<std::string>& status,
                                 const std::optional<json>& metadata) {
  if (status && *status != "ACTIVE" && *status != "FLAGGED" && *status != "BLOCKED") {
    return MakeError(ErrorCode::kInvalidArgument, "status must be ACTIVE|FLAGGED|BLOCKED");
  }
  if (metadata && !metadata->is_null() && !metadata->is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "metadata must be a JSON object");
  }
  return {};
}

bool IsDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

[[nodiscard]] Result<std::vector<std::string>> StringList(const json& o, const char* field) {
  std::vector<std::string> out;
  auto it = o.find(field);
  if (it == o.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return MakeError(ErrorCode::kCorruption, std::string("field '") + field + "' not a list");
  }
  for (const json& v : *it) {
    if (!v.is_string()) {
      return MakeError(ErrorCode::kCorruption, std::string("field '") + field + "' not strings");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

[[nodiscard]] Status ParseBase(const json& o, EntityRecordBase& r) {
  IDEM_JSON_SET(r.didit_internal_id, internal::RequiredString(o, "didit_internal_id"));
  IDEM_JSON_SET(r.vendor_data, OptString(o, "vendor_data"));
  IDEM_JSON_SET(r.display_name, OptString(o, "display_name"));
  IDEM_JSON_SET(r.effective_name, OptString(o, "effective_name"));
  IDEM_JSON_SET(r.status, OptString(o, "status"));
  IDEM_JSON_SET(r.session_count, OptInt(o, "session_count"));
  IDEM_JSON_SET(r.approved_count, OptInt(o, "approved_count"));
  IDEM_JSON_SET(r.declined_count, OptInt(o, "declined_count"));
  IDEM_JSON_SET(r.in_review_count, OptInt(o, "in_review_count"));
  IDEM_JSON_SET(r.last_session_at, OptString(o, "last_session_at"));
  IDEM_JSON_SET(r.first_session_at, OptString(o, "first_session_at"));
  IDEM_JSON_SET(r.last_activity_at, OptString(o, "last_activity_at"));
  IDEM_JSON_SET(r.created_at, OptString(o, "created_at"));
  IDEM_JSON_SET(r.updated_at, OptString(o, "updated_at"));
  r.metadata = o.value("metadata", json());
  return {};
}

}  // namespace

std::string UserNaturalKey(std::string_view vendor_data) {
  return "user:" + std::string(vendor_data);
}
std::string BusinessNaturalKey(std::string_view vendor_data) {
  return "business:" + std::string(vendor_data);
}

[[nodiscard]] Result<EncodedBody> Encode(const UserRequest& r) {
  if (r.vendor_data.empty())
    return MakeError(ErrorCode::kInvalidArgument, "vendor_data is required");
  for (auto st :
       {CheckLength(r.full_name, "full_name", 512),
        CheckLength(r.display_name, "display_name", 255), CheckCommon(r.status, r.metadata)}) {
    if (!st) return tl::unexpected(st.error());
  }
  if (r.date_of_birth && !IsDate(*r.date_of_birth)) {
    return MakeError(ErrorCode::kInvalidArgument, "date_of_birth must be YYYY-MM-DD");
  }
  json body = {{"vendor_data", r.vendor_data}};
  if (r.full_name) body["full_name"] = *r.full_name;
  if (r.display_name) body["display_name"] = *r.display_name;
  if (r.date_of_birth) body["date_of_birth"] = *r.date_of_birth;
  if (r.status) body["status"] = *r.status;
  if (r.metadata) body["metadata"] = *r.metadata;
  if (r.approved_emails) body["approved_emails"] = *r.approved_emails;
  if (r.approved_phones) body["approved_phones"] = *r.approved_phones;
  if (r.issuing_states) body["issuing_states"] = *r.issuing_states;
  auto text = internal::SafeDump(body);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<EncodedBody> Encode(const BusinessRequest& r) {
  if (r.vendor_data && r.vendor_data->empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "vendor_data, when given, must not be empty");
  }
  for (auto st :
       {CheckLength(r.display_name, "display_name", 255),
        CheckLength(r.legal_name, "legal_name", 255),
        CheckLength(r.registration_number, "registration_number", 100),
        CheckLength(r.country_code, "country_code", 10), CheckCommon(r.status, r.metadata)}) {
    if (!st) return tl::unexpected(st.error());
  }
  json body = json::object();
  if (r.vendor_data) body["vendor_data"] = *r.vendor_data;
  if (r.display_name) body["display_name"] = *r.display_name;
  if (r.legal_name) body["legal_name"] = *r.legal_name;
  if (r.registration_number) body["registration_number"] = *r.registration_number;
  if (r.country_code) body["country_code"] = *r.country_code;
  if (r.status) body["status"] = *r.status;
  if (r.metadata) body["metadata"] = *r.metadata;
  auto text = internal::SafeDump(body);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<User> ParseUser(std::string_view body) {
  auto o = ParseObject(body, "user");
  if (!o) return tl::unexpected(o.error());
  User u;
  if (auto st = ParseBase(*o, u); !st) return tl::unexpected(st.error());
  IDEM_JSON_SET(u.full_name, OptString(*o, "full_name"));
  IDEM_JSON_SET(u.date_of_birth, OptString(*o, "date_of_birth"));
  IDEM_JSON_SET(u.portrait_image_url, OptString(*o, "portrait_image_url"));
  IDEM_JSON_SET(u.issuing_states, StringList(*o, "issuing_states"));
  IDEM_JSON_SET(u.approved_emails, StringList(*o, "approved_emails"));
  IDEM_JSON_SET(u.approved_phones, StringList(*o, "approved_phones"));
  u.raw = std::move(*o);
  return u;
}

[[nodiscard]] Result<Business> ParseBusiness(std::string_view body) {
  auto o = ParseObject(body, "business");
  if (!o) return tl::unexpected(o.error());
  Business b;
  if (auto st = ParseBase(*o, b); !st) return tl::unexpected(st.error());
  IDEM_JSON_SET(b.legal_name, OptString(*o, "legal_name"));
  IDEM_JSON_SET(b.registration_number, OptString(*o, "registration_number"));
  IDEM_JSON_SET(b.country_code, OptString(*o, "country_code"));
  b.raw = std::move(*o);
  return b;
}

[[nodiscard]] Result<OpRequest> CreateUserOp(const UserRequest& request, CallOptions call) {
  return internal::MakeOp(kCreateUserKind, "POST", "/v3/users/create/", Encode(request),
                          std::move(call), UserNaturalKey(request.vendor_data));
}

[[nodiscard]] Result<OpRequest> CreateBusinessOp(const BusinessRequest& request, CallOptions call) {
  return internal::MakeOp(
      kCreateBusinessKind, "POST", "/v3/businesses/create/", Encode(request), std::move(call),
      request.vendor_data ? BusinessNaturalKey(*request.vendor_data) : std::string());
}

[[nodiscard]] DiditResult<CreatedUser> CreateUser(DiditClient& client, const UserRequest& request,
                                                  CallOptions call) {
  return internal::CallAndParseCreated<CreatedUser, User>(
      client.client(), CreateUserOp(request, std::move(call)), ParseUser);
}

[[nodiscard]] DiditResult<CreatedBusiness> CreateBusiness(DiditClient& client,
                                                          const BusinessRequest& request,
                                                          CallOptions call) {
  return internal::CallAndParseCreated<CreatedBusiness, Business>(
      client.client(), CreateBusinessOp(request, std::move(call)), ParseBusiness);
}

namespace {

template <typename T, typename Parse>
DiditResult<T> GetOne(DiditClient& client, std::string_view collection,
                      std::string_view vendor_data, const Parse& parse) {
  if (vendor_data.empty())
    return MakeDiditError(ErrorCode::kInvalidArgument, "vendor_data is required");
  auto response = client.Get(std::string(collection) + UrlEncode(vendor_data) + "/");
  if (!response) return tl::unexpected(response.error());
  auto parsed = parse(response->body);
  if (!parsed) return tl::unexpected(Plain(parsed.error()));
  return std::move(*parsed);
}

}  // namespace

[[nodiscard]] DiditResult<User> GetUser(DiditClient& client, std::string_view vendor_data) {
  return GetOne<User>(client, "/v3/users/", vendor_data, ParseUser);
}

[[nodiscard]] DiditResult<Business> GetBusiness(DiditClient& client, std::string_view vendor_data) {
  return GetOne<Business>(client, "/v3/businesses/", vendor_data, ParseBusiness);
}

}  // namespace idem::didit
