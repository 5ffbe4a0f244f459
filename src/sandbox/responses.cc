#include "sandbox/responses.h"

#include "common/json_depth.h"

namespace idem::sandbox {

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Response JsonResponse(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = Dump(body);
  return r;
}

Response DetailResponse(int status, std::string_view detail) {
  return JsonResponse(status, nlohmann::json{{"detail", detail}});
}

Response ProblemResponse(int status, std::string_view type, std::string_view title,
                         std::string_view detail) {
  Response r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/problem+json"});
  r.body = Dump(nlohmann::json{{"type", "https://idem.dev/problems/" + std::string(type)},
                               {"title", title},
                               {"status", status},
                               {"detail", detail}});
  return r;
}

Response FieldErrors(SandboxProfile profile, const nlohmann::json& errors) {
  if (profile == SandboxProfile::kDidit || !errors.is_object() || errors.empty()) {
    return JsonResponse(400, errors);
  }
  nlohmann::json body = errors;
  const auto first = errors.begin();
  std::string message;
  if (first->is_array() && !first->empty() && first->front().is_string()) {
    message = first->front().get<std::string>();
  } else {
    message = Dump(*first);
  }
  body["detail"] = first.key() + ": " + message;
  return JsonResponse(400, body);
}

Response FieldError(SandboxProfile profile, std::string_view field, std::string_view message) {
  return FieldErrors(profile,
                     nlohmann::json{{std::string(field), nlohmann::json::array({message})}});
}

const char* PythonTypeName(const nlohmann::json& v) {
  if (v.is_string()) return "str";
  if (v.is_object()) return "dict";
  if (v.is_array()) return "list";
  if (v.is_boolean()) return "bool";
  if (v.is_number_float()) return "float";
  if (v.is_number()) return "int";
  return "NoneType";
}

std::optional<nlohmann::json> ParseJsonBody(std::string_view body) {
  // Reject deep nesting before the parser sees it.
  if (!JsonNestingWithin(body, kMaxJsonDepth)) return std::nullopt;
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

}  // namespace idem::sandbox
