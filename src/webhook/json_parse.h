// Internal: strict, bounded JSON parsing for webhook bodies and the canonical
// serializer behind X-Signature-V2.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "idem/status.h"

namespace idem::webhook {

// Nesting deeper than this is refused (the serializer recurses).
inline constexpr std::size_t kMaxJsonDepth = 128;

// Parses `text` as one JSON value. Integers too large for 64 bits are kept
// digit for digit (stored as a binary value holding their text) so that the
// canonical form does not round them through a double. Never throws:
// malformed or too deeply nested input, or an object with a duplicate key,
// gives kInvalidArgument.
[[nodiscard]] Result<nlohmann::json> ParseJson(std::string_view text);

// The canonical form (see idem::CanonicalJson) of a value from ParseJson.
std::string Canonicalize(const nlohmann::json& value, bool ascii_escape = false);

}  // namespace idem::webhook
