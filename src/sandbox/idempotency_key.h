// Parsing of the `Idempotency-Key` request header (IETF
// draft-ietf-httpapi-idempotency-key-header) on the sandbox's side.
#pragma once

#include <string>
#include <string_view>

#include "idem/status.h"

namespace idem::sandbox {

// The key's value, or kInvalidArgument saying why: the reader the client
// uses too (common/idempotency_key_reader.h), so both read one header alike.
Result<std::string> ParseIdempotencyKey(std::string_view header_value);

}  // namespace idem::sandbox
