#include "sandbox/session_codec.h"

#include <nlohmann/json.hpp>

#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

using nlohmann::json;

constexpr char kType[] = "session_type";
constexpr char kService[] = "api_service";
constexpr char kCheck[] = "check";
constexpr char kReviews[] = "reviews";
constexpr char kApplication[] = "application_id";

json ParseOr(const std::string& text, json fallback) {
  if (text.empty()) return fallback;
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? fallback : parsed;
}

}  // namespace

std::string StoredDetails(const SessionRecord& s) {
  json details = ParseOr(s.details_json, json::object());
  if (!details.is_object()) details = json::object();
  details[kType] = s.session_type;
  if (s.is_check()) {
    details[kService] = s.api_service;
    details[kCheck] = ParseOr(s.check_json, nullptr);
  }
  json reviews = ParseOr(s.reviews_json, json::array());
  if (reviews.is_array() && !reviews.empty()) details[kReviews] = std::move(reviews);
  if (!s.application_id.empty()) details[kApplication] = s.application_id;
  return Dump(details);
}

void LoadStoredDetails(SessionRecord& s, const std::string& stored) {
  json details = ParseOr(stored, nullptr);
  if (!details.is_object()) {
    s.details_json = stored;
    return;
  }
  auto take_string = [&](const char* key, std::string& field) {
    if (auto it = details.find(key); it != details.end()) {
      if (it->is_string()) field = it->get<std::string>();
      details.erase(it);
    }
  };
  take_string(kType, s.session_type);
  take_string(kService, s.api_service);
  take_string(kApplication, s.application_id);
  if (auto it = details.find(kCheck); it != details.end()) {
    s.check_json = Dump(*it);
    details.erase(it);
  }
  if (auto it = details.find(kReviews); it != details.end()) {
    if (it->is_array()) s.reviews_json = Dump(*it);
    details.erase(it);
  }
  s.details_json = Dump(details);
}

}  // namespace idem::sandbox
