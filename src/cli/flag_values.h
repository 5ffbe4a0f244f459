// Internal to the CLI: a flag's text into a request field, for the typed
// commands (`idem transaction`, `idem user`, `idem business`, `idem
// workflow`). An empty flag is "not given": the field stays unset, so the
// request does not send it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace idem::cli {

void SetIfGiven(std::optional<std::string>& field, const std::string& value);
void SetIfGiven(std::optional<std::vector<std::string>>& field,
                const std::vector<std::string>& value);

// `value` parsed into `field` when given; false (and the error reported,
// its exit code in `exit_code`) when it is not a JSON object. `flag` names
// the flag in the error.
bool SetObject(std::optional<nlohmann::json>& field, const std::string& value, const char* flag,
               int& exit_code);

}  // namespace idem::cli
