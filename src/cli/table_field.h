// Internal to the CLI: one field of a text table (`webhook events`, `webhook
// destinations list`). What others stored arrives here, so control
// characters, backslashes and bytes outside ASCII are escaped (a raw ESC or
// newline would let stored text rewrite the terminal or forge table lines);
// empty is "-".
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace idem::cli {

inline std::string TableField(std::string_view text) {
  if (text.empty()) return "-";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (byte < 0x20 || byte >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace idem::cli
