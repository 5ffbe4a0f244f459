// Small helpers shared by the app and its endpoints: JSON, problem and
// `{"detail": ...}` responses, and a hardened JSON body parser.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "sandbox/app.h"

namespace idem::sandbox {

inline constexpr int kMaxJsonDepth = 64;

Response JsonResponse(int status, const nlohmann::json& body);
// {"detail": detail}
Response DetailResponse(int status, std::string_view detail);
// RFC 7807 application/problem+json.
Response ProblemResponse(int status, std::string_view type, std::string_view title,
                         std::string_view detail);

// A 400 for invalid fields; `errors` is {"field": ["message", ...], ...}.
// didit: exactly that (Django REST framework's shape). ideal: the shape the
// sandbox always had, the same plus "detail": "<field>: <message>" of the
// first field.
Response FieldErrors(SandboxProfile profile, const nlohmann::json& errors);
Response FieldError(SandboxProfile profile, std::string_view field, std::string_view message);

// Python's name of a JSON value's type ("str", "dict", "list", "int",
// "float", "bool", "NoneType"), as Django REST framework's messages print it.
const char* PythonTypeName(const nlohmann::json& value);

// Parses a JSON body; nullopt when it is not valid JSON, nests deeper than
// kMaxJsonDepth, or is not valid UTF-8. Never throws.
std::optional<nlohmann::json> ParseJsonBody(std::string_view body);

// Serialises without throwing on invalid UTF-8 (replaced by U+FFFD).
std::string Dump(const nlohmann::json& value);

}  // namespace idem::sandbox
