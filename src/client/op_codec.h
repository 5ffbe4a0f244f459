// Internal: JSON views of ops and headers, for the journal's response_headers
// column and for `idem ops` output.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "idem/http.h"
#include "idem/journal.h"

namespace idem::internal {

// A JSON object {"name": "value", ...}; repeated names are joined with ", "
// (RFC 9110 5.3). Invalid UTF-8 is replaced, never thrown on.
std::string HeadersToJson(const Headers& headers);

// Every field of `op` (the journal holds no secrets). The body and response
// body are strings, raw; `response_json` is added when the response body
// parses as JSON.
nlohmann::json OperationToJson(const Operation& op);

// JSON text that never throws on invalid UTF-8.
std::string DumpJson(const nlohmann::json& j, int indent = -1);

}  // namespace idem::internal
