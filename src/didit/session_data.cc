// The KYC data of a session (include/idem/didit/session_data.h).
#include "idem/didit/session_data.h"

#include <algorithm>
#include <array>

#include "didit/call_and_parse.h"
#include "didit/json_util.h"
#include "idem/didit/op_outcome.h"

namespace idem::didit {
namespace {

using internal::OptString;
using nlohmann::json;

bool IsDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool OneOf(const std::string& v, std::initializer_list<std::string_view> choices) {
  return std::find(choices.begin(), choices.end(), v) != choices.end();
}

}  // namespace

[[nodiscard]] Result<EncodedBody> Encode(const KycDataUpdate& u) {
  json body = json::object();
  struct Text {
    const char* name;
    const std::optional<std::string>* value;
    std::size_t max;
  };
  const std::array<Text, 15> texts = {{{"document_type", &u.document_type, 64},
                                       {"document_subtype", &u.document_subtype, 128},
                                       {"document_number", &u.document_number, 255},
                                       {"personal_number", &u.personal_number, 255},
                                       {"date_of_birth", &u.date_of_birth, 10},
                                       {"date_of_issue", &u.date_of_issue, 10},
                                       {"expiration_date", &u.expiration_date, 10},
                                       {"issuing_state", &u.issuing_state, 3},
                                       {"first_name", &u.first_name, 255},
                                       {"last_name", &u.last_name, 255},
                                       {"gender", &u.gender, 1},
                                       {"address", &u.address, 255},
                                       {"place_of_birth", &u.place_of_birth, 255},
                                       {"nationality", &u.nationality, 32},
                                       {"marital_status", &u.marital_status, 16}}};
  for (const Text& t : texts) {
    if (!*t.value) continue;
    if ((*t.value)->size() > t.max) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(t.name) + " is too long");
    }
    body[t.name] = **t.value;
  }
  for (const auto* date : {&u.date_of_birth, &u.date_of_issue, &u.expiration_date}) {
    if (*date && !IsDate(**date)) {
      return MakeError(ErrorCode::kInvalidArgument, "dates must be YYYY-MM-DD");
    }
  }
  if (u.gender && !OneOf(*u.gender, {"M", "F", "U"})) {
    return MakeError(ErrorCode::kInvalidArgument, "gender must be M|F|U");
  }
  if (u.marital_status &&
      !OneOf(*u.marital_status, {"SINGLE", "MARRIED", "DIVORCED", "WIDOWED", "UNKNOWN"})) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "marital_status must be SINGLE|MARRIED|DIVORCED|WIDOWED|UNKNOWN");
  }
  if (u.document_type &&
      !OneOf(*u.document_type, {"P", "DL", "ID", "RP", "SSC", "HIC", "WP", "TC", "VISA", "PSC",
                                "BC", "OTHER", "Passport", "Identity Card", "Driver's License",
                                "Residence Permit", "Health Insurance Card", "Tax Card"})) {
    return MakeError(ErrorCode::kInvalidArgument, "document_type is not one Didit takes");
  }
  for (const auto& [value, name] : {std::pair{&u.extra_fields, "extra_fields"},
                                    std::pair{&u.parsed_address, "parsed_address"}}) {
    if (!*value) continue;
    if (!(*value)->is_object() && !(*value)->is_null()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(name) + " must be a JSON object or null");
    }
    body[name] = **value;
  }
  if (u.more) {
    if (!u.more->is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, "more must be a JSON object");
    }
    for (const auto& [key, value] : u.more->items()) body[key] = value;
  }
  auto text = internal::SafeDump(body);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<KycData> ParseKycData(std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed) return tl::unexpected(parsed.error());
  if (!parsed->is_object())
    return MakeError(ErrorCode::kCorruption, "the KYC data is not an object");
  KycData k;
  const json& o = *parsed;
  const std::pair<std::optional<std::string>*, const char*> fields[] = {
      {&k.document_type, "document_type"},
      {&k.document_subtype, "document_subtype"},
      {&k.document_number, "document_number"},
      {&k.personal_number, "personal_number"},
      {&k.date_of_birth, "date_of_birth"},
      {&k.date_of_issue, "date_of_issue"},
      {&k.expiration_date, "expiration_date"},
      {&k.issuing_state, "issuing_state"},
      {&k.first_name, "first_name"},
      {&k.last_name, "last_name"},
      {&k.gender, "gender"},
      {&k.address, "address"},
      {&k.place_of_birth, "place_of_birth"},
      {&k.nationality, "nationality"},
      {&k.marital_status, "marital_status"}};
  for (const auto& [target, name] : fields) {
    auto v = OptString(o, name);
    if (!v) return tl::unexpected(v.error());
    *target = std::move(*v);
  }
  k.extra_fields = o.value("extra_fields", json());
  k.parsed_address = o.value("parsed_address", json());
  k.raw = std::move(*parsed);
  return k;
}

[[nodiscard]] Result<OpRequest> UpdateSessionDataOp(std::string_view session_id,
                                                    const KycDataUpdate& update, CallOptions call) {
  if (session_id.empty() || session_id.find('/') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "a session id is required");
  }
  std::string path = "/v3/session/" + UrlEncode(session_id) + "/update-data/";
  if (update.node_id) path += "?node_id=" + UrlEncode(*update.node_id);
  return internal::MakeOp(kUpdateSessionDataKind, "PATCH", std::move(path), Encode(update),
                          std::move(call), "session_data:" + std::string(session_id));
}

[[nodiscard]] DiditResult<KycData> UpdateSessionData(DiditClient& client,
                                                     std::string_view session_id,
                                                     const KycDataUpdate& update,
                                                     CallOptions call) {
  return internal::CallAndParse<KycData>(
      client.client(), UpdateSessionDataOp(session_id, update, std::move(call)), ParseKycData);
}

}  // namespace idem::didit
