#include "didit/json_util.h"

#include <string>

#include "common/json_depth.h"

namespace idem::didit::internal {

[[nodiscard]] Result<nlohmann::json> SafeParse(std::string_view text, int max_depth) {
  if (!JsonNestingWithin(text, max_depth)) {
    return MakeError(ErrorCode::kCorruption,
                     "JSON nested deeper than " + std::to_string(max_depth));
  }
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return MakeError(ErrorCode::kCorruption, "not valid JSON");
  return value;
}

[[nodiscard]] Result<nlohmann::json> ParseObject(std::string_view text, const char* what) {
  auto parsed = SafeParse(text);
  if (!parsed) return tl::unexpected(parsed.error());
  if (!parsed->is_object()) {
    return MakeError(ErrorCode::kCorruption, std::string("the ") + what + " is not an object");
  }
  return std::move(*parsed);
}

[[nodiscard]] Result<std::string> SafeDump(const nlohmann::json& value) {
  try {
    return value.dump();
  } catch (const nlohmann::json::exception&) {
    return MakeError(ErrorCode::kInvalidArgument, "a string is not valid UTF-8");
  }
}

namespace {
tl::unexpected<Error> WrongType(const char* field, const char* expected) {
  return MakeError(ErrorCode::kCorruption, std::string("field '") + field + "' is not " + expected);
}
}  // namespace

[[nodiscard]] Result<std::optional<std::string>> OptString(const nlohmann::json& obj,
                                                           const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return WrongType(field, "a string");
  return std::optional<std::string>(it->get_ref<const std::string&>());
}

[[nodiscard]] Result<std::optional<std::int64_t>> OptInt(const nlohmann::json& obj,
                                                         const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<std::int64_t>();
  if (it->is_number_integer()) return std::optional<std::int64_t>(it->get<std::int64_t>());
  if (it->is_number_unsigned()) {
    auto u = it->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return WrongType(field, "a 64-bit integer");
    return std::optional<std::int64_t>(static_cast<std::int64_t>(u));
  }
  return WrongType(field, "an integer");
}

[[nodiscard]] Result<std::optional<nlohmann::json>> OptObject(const nlohmann::json& obj,
                                                              const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<nlohmann::json>();
  if (!it->is_object()) return WrongType(field, "an object");
  return std::optional<nlohmann::json>(*it);
}

[[nodiscard]] Result<std::optional<bool>> OptBool(const nlohmann::json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return WrongType(field, "a boolean");
  return std::optional<bool>(it->get<bool>());
}

[[nodiscard]] Result<std::optional<double>> OptNumber(const nlohmann::json& obj,
                                                      const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return WrongType(field, "a number");
  return std::optional<double>(it->get<double>());
}

[[nodiscard]] Result<std::optional<nlohmann::json>> OptAny(const nlohmann::json& obj,
                                                           const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<nlohmann::json>();
  return std::optional<nlohmann::json>(*it);
}

[[nodiscard]] Status RequireObject(const std::optional<nlohmann::json>& value, const char* name) {
  if (value && !value->is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(name) + " must be a JSON object");
  }
  return {};
}

[[nodiscard]] Result<std::string> RequiredString(const nlohmann::json& obj, const char* field) {
  auto value = OptString(obj, field);
  if (!value) return tl::unexpected(value.error());
  if (!*value || (*value)->empty()) {
    return MakeError(ErrorCode::kCorruption, std::string("field '") + field + "' is missing");
  }
  return std::move(**value);
}

}  // namespace idem::didit::internal
