// multipart/form-data (RFC 7578) parsing for the standalone checks, and the
// boundary-independent canonical form used to fingerprint such a request:
// the same parts under a different boundary are the same request.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idem/status.h"

namespace idem::sandbox {

struct MultipartPart {
  std::string name;          // from Content-Disposition
  std::string filename;      // empty when not a file
  std::string content_type;  // empty when not given
  std::string data;          // exact bytes
};

// The boundary parameter of a multipart/form-data Content-Type (quoted or
// not), or nullopt when the type is not multipart/form-data or has no valid
// boundary (1..70 characters).
std::optional<std::string> MultipartBoundary(std::string_view content_type);

// Parses `body`. kInvalidArgument for a missing opening boundary, a part
// without headers end or Content-Disposition name (or an empty one), a missing closing
// boundary (truncated body) or more than `max_parts` parts.
[[nodiscard]] Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body,
                                                                std::string_view boundary,
                                                                std::size_t max_parts = 64);

// A deterministic byte string of the parts, in order (each field
// length-prefixed); no trace of the boundary.
std::string CanonicalMultipart(const std::vector<MultipartPart>& parts);

}  // namespace idem::sandbox
