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

// Parses a JSON body; nullopt when it is not valid JSON, nests deeper than
// kMaxJsonDepth, or is not valid UTF-8. Never throws.
std::optional<nlohmann::json> ParseJsonBody(std::string_view body);

// Serialises without throwing on invalid UTF-8 (replaced by U+FFFD).
std::string Dump(const nlohmann::json& value);

}  // namespace idem::sandbox
