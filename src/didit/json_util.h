// Internal: defensive JSON helpers for the didit component. Bodies come from
// the network, so nothing here trusts shape, type, size or depth.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "idem/status.h"

// Propagates the error of a Result expression; otherwise declares `var` with
// its value. For the parsers, which read many fields in a row.
#define IDEM_JSON_TRY(var, expr)                                  \
  auto var##_result = (expr);                                     \
  if (!var##_result) return tl::unexpected(var##_result.error()); \
  auto var = std::move(*var##_result)

// Parses one field straight into `target`, or returns the parser's error.
#define IDEM_JSON_SET(target, expr)                                 \
  do {                                                              \
    auto field_result = (expr);                                     \
    if (!field_result) return tl::unexpected(field_result.error()); \
    target = std::move(*field_result);                              \
  } while (0)

namespace idem::didit::internal {

// Deeper nesting is refused before parsing, so a hostile "[[[[..." cannot
// exhaust the stack in code that walks the result recursively.
inline constexpr int kMaxJsonDepth = 64;

// Parses without throwing: kCorruption on invalid JSON or nesting deeper than
// `max_depth`.
[[nodiscard]] Result<nlohmann::json> SafeParse(std::string_view text,
                                               int max_depth = kMaxJsonDepth);

// SafeParse, and kCorruption "the <what> is not an object" unless the value
// is a JSON object (every Didit answer the typed calls read is one).
[[nodiscard]] Result<nlohmann::json> ParseObject(std::string_view text,
                                                 const char* what = "response");

// Serialises without throwing: kInvalidArgument on invalid UTF-8.
[[nodiscard]] Result<std::string> SafeDump(const nlohmann::json& value);

// Typed field readers over an object. Absent or null -> nullopt; the wrong
// type -> kCorruption naming the field.
[[nodiscard]] Result<std::optional<std::string>> OptString(const nlohmann::json& obj,
                                                           const char* field);
[[nodiscard]] Result<std::optional<std::int64_t>> OptInt(const nlohmann::json& obj,
                                                         const char* field);
[[nodiscard]] Result<std::optional<bool>> OptBool(const nlohmann::json& obj, const char* field);
[[nodiscard]] Result<std::optional<double>> OptNumber(const nlohmann::json& obj, const char* field);
[[nodiscard]] Result<std::optional<nlohmann::json>> OptObject(const nlohmann::json& obj,
                                                              const char* field);
[[nodiscard]] Result<std::optional<nlohmann::json>> OptAny(const nlohmann::json& obj,
                                                           const char* field);
[[nodiscard]] Result<std::string> RequiredString(const nlohmann::json& obj, const char* field);

// For a request's free-form field (`metadata`, `details`): kInvalidArgument
// naming `name` when it is set and not a JSON object.
[[nodiscard]] Status RequireObject(const std::optional<nlohmann::json>& value, const char* name);

}  // namespace idem::didit::internal
