// Users and businesses (OAS `POST /v3/users/create/`, `GET
// /v3/users/{vendor_data}/`, `POST /v3/businesses/create/`, `GET
// /v3/businesses/{vendor_data}/`). A create is answered 201 with the full
// record (the OAS example's fields: counters 0, empty features, tags and
// comments, `metadata` {} by default) and counted as one execution (kind
// create_user / create_business, with the vendor_data). `vendor_data` is
// unique per kind among live records: a second create with it is 400
// {"vendor_data": ["A user with this vendor_data already exists."]} (or "A
// business ..."), never a second execution. A user needs vendor_data
// ("This field is required."); a business may have none (OAS: optional),
// and then it cannot be read back by GET, which takes the vendor_data.
// Validation (OAS 400 examples): status in ACTIVE|FLAGGED|BLOCKED ("Invalid
// status. Valid options are: ACTIVE, FLAGGED, BLOCKED"), metadata an object
// ("Metadata must be a JSON object."). The sandbox's own checks, where the
// OAS gives no message: a string field of the wrong type ("Not a valid
// string."), the maxLength of full_name 512, display_name/legal_name 255,
// registration_number 100, country_code 10 (DRF's "Ensure this field has no
// more than N characters."), date_of_birth as YYYY-MM-DD (DRF's date
// message), the three user arrays of strings ("Expected a list of items but
// got type \"...\"."). Users assembled by Didit from sessions sharing a
// vendor_data are not emulated: only created records exist here. Rate scope:
// generic-write (rate_scopes.cc). Records are entities: memory only.
#include <algorithm>
#include <array>

#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/request_fields.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr char kUser[] = "user";
constexpr char kBusiness[] = "business";

struct StringField {
  const char* name;
  std::size_t max_length;  // 0 = no limit
};

// A nullable string field: absent or null -> null; else validated.
json StringValue(const json& body, const StringField& f, json& errors) {
  auto it = body.find(f.name);
  if (it == body.end() || it->is_null()) return nullptr;
  if (!it->is_string()) {
    errors[f.name].push_back("Not a valid string.");
    return nullptr;
  }
  if (f.max_length && it->get_ref<const std::string&>().size() > f.max_length) {
    errors[f.name].push_back("Ensure this field has no more than " + std::to_string(f.max_length) +
                             " characters.");
    return nullptr;
  }
  return *it;
}

// status, metadata: the two validations the OAS shows for both kinds.
void CommonFields(const json& body, json& record, json& errors) {
  std::string status = "ACTIVE";
  if (auto it = body.find("status"); it != body.end() && !it->is_null()) {
    if (!it->is_string() || (*it != "ACTIVE" && *it != "FLAGGED" && *it != "BLOCKED")) {
      errors["status"].push_back("Invalid status. Valid options are: ACTIVE, FLAGGED, BLOCKED");
    } else {
      status = it->get<std::string>();
    }
  }
  record["status"] = status;
  json metadata = json::object();
  if (auto it = body.find("metadata"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) {
      errors["metadata"].push_back("Metadata must be a JSON object.");
    } else {
      metadata = *it;
    }
  }
  record["metadata"] = std::move(metadata);
}

}  // namespace

App::EndpointResult App::CreateUser(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  json errors = json::object();
  std::string vendor_data;
  if (auto it = body->find("vendor_data"); it == body->end() || it->is_null()) {
    errors["vendor_data"].push_back("This field is required.");
  } else if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    errors["vendor_data"].push_back(it->is_string() ? "This field may not be blank."
                                                    : "Not a valid string.");
  } else {
    vendor_data = it->get<std::string>();
  }
  json record = json::object();
  record["full_name"] = StringValue(*body, {"full_name", 512}, errors);
  record["display_name"] = StringValue(*body, {"display_name", 255}, errors);
  json dob = StringValue(*body, {"date_of_birth", 0}, errors);
  if (dob.is_string() && !IsIsoDate(dob.get<std::string>())) {
    errors["date_of_birth"].push_back(
        "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.");
  }
  CommonFields(*body, record, errors);
  for (const char* list : {"approved_emails", "approved_phones", "issuing_states"}) {
    json items = json::array();
    if (auto it = body->find(list); it != body->end() && !it->is_null()) {
      if (!it->is_array()) {
        errors[list].push_back(std::string("Expected a list of items but got type \"") +
                               PythonTypeName(*it) + "\".");
      } else if (!std::all_of(it->begin(), it->end(),
                              [](const json& v) { return v.is_string(); })) {
        errors[list].push_back("Not a valid string.");
      } else {
        items = *it;
      }
    }
    record[list] = std::move(items);
  }
  if (errors.empty() && FindEntity(kUser, vendor_data)) {
    errors["vendor_data"].push_back("A user with this vendor_data already exists.");
  }
  if (!errors.empty()) return Fail(FieldErrors(config_.profile, errors));

  const std::string id = NewUuidV4();
  const std::string at = IsoTime(now_ms);
  json user = {{"didit_internal_id", id},
               {"vendor_data", vendor_data},
               {"display_name", record["display_name"]},
               {"full_name", record["full_name"]},
               {"date_of_birth", dob},
               {"effective_name",
                record["display_name"].is_null() ? record["full_name"] : record["display_name"]},
               {"status", record["status"]},
               {"metadata", record["metadata"]},
               {"portrait_image_url", nullptr},
               {"session_count", 0},
               {"approved_count", 0},
               {"declined_count", 0},
               {"in_review_count", 0},
               {"issuing_states", record["issuing_states"]},
               {"approved_emails", record["approved_emails"]},
               {"approved_phones", record["approved_phones"]},
               {"features", json::object()},
               {"features_list", json::array()},
               {"last_session_at", nullptr},
               {"last_activity_at", at},
               {"first_session_at", nullptr},
               {"tags", json::array()},
               {"comments", json::array()},
               {"created_at", at},
               {"updated_at", at}};
  out.mutation.entities.push_back({kUser, vendor_data, Dump(user), next_entity_seq_, false});
  RecordExecution(out, vendor_data, id);
  out.response = JsonResponse(201, user);
  return out;
}

App::EndpointResult App::CreateBusiness(const Request& request, std::int64_t now_ms) {
  EndpointResult out;
  auto body = RequireObject(request, out.response);
  if (!body) return out;
  json errors = json::object();
  json vendor_data = StringValue(*body, {"vendor_data", 0}, errors);
  if (vendor_data.is_string() && vendor_data.get_ref<const std::string&>().empty()) {
    vendor_data = nullptr;  // the sandbox's choice: "" is no vendor_data
  }
  json record = json::object();
  for (const StringField& f : std::array<StringField, 4>{{{"display_name", 255},
                                                          {"legal_name", 255},
                                                          {"registration_number", 100},
                                                          {"country_code", 10}}}) {
    record[f.name] = StringValue(*body, f, errors);
  }
  CommonFields(*body, record, errors);
  if (errors.empty() && vendor_data.is_string() &&
      FindEntity(kBusiness, vendor_data.get<std::string>())) {
    errors["vendor_data"].push_back("A business with this vendor_data already exists.");
  }
  if (!errors.empty()) return Fail(FieldErrors(config_.profile, errors));

  const std::string id = NewUuidV4();
  const std::string at = IsoTime(now_ms);
  json business = {{"didit_internal_id", id},
                   {"vendor_data", vendor_data},
                   {"display_name", record["display_name"]},
                   {"legal_name", record["legal_name"]},
                   {"registration_number", record["registration_number"]},
                   {"country_code", record["country_code"]},
                   {"effective_name", record["display_name"].is_null() ? record["legal_name"]
                                                                       : record["display_name"]},
                   {"status", record["status"]},
                   {"session_count", 0},
                   {"approved_count", 0},
                   {"declined_count", 0},
                   {"in_review_count", 0},
                   {"features", json::object()},
                   {"features_list", json::array()},
                   {"last_session_at", nullptr},
                   {"last_activity_at", at},
                   {"first_session_at", nullptr},
                   {"tags", json::array()},
                   {"created_at", at},
                   {"metadata", record["metadata"]},
                   {"updated_at", at}};
  // Without vendor_data the record is kept under its id (never found by GET).
  const std::string key = vendor_data.is_string() ? vendor_data.get<std::string>() : "\n" + id;
  out.mutation.entities.push_back({kBusiness, key, Dump(business), next_entity_seq_, false});
  RecordExecution(
      out, vendor_data.is_string() ? std::optional<std::string>(vendor_data) : std::nullopt, id);
  out.response = JsonResponse(201, business);
  return out;
}

App::EndpointResult App::GetUserOrBusiness(Endpoint endpoint, const std::string& vendor_data) {
  if (vendor_data.empty()) return StoredJson(nullptr);
  return StoredJson(FindEntity(endpoint == Endpoint::kGetUser ? kUser : kBusiness, vendor_data));
}

}  // namespace idem::sandbox
