#include "cli/flag_values.h"

#include <utility>

#include "cli/error_report.h"
#include "idem/status.h"

namespace idem::cli {

void SetIfGiven(std::optional<std::string>& field, const std::string& value) {
  if (!value.empty()) field = value;
}

void SetIfGiven(std::optional<std::vector<std::string>>& field,
                const std::vector<std::string>& value) {
  if (!value.empty()) field = value;
}

bool SetObject(std::optional<nlohmann::json>& field, const std::string& value, const char* flag,
               int& exit_code) {
  if (value.empty()) return true;
  auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    exit_code = ReportError(
        Error(ErrorCode::kInvalidArgument, std::string(flag) + " must be a JSON object"));
    return false;
  }
  field = std::move(parsed);
  return true;
}

}  // namespace idem::cli
