// The sandbox's query-string parser: whatever it decodes, PercentEncode
// spells so that it decodes back to the same pairs.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "sandbox/router.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  auto pairs = idem::sandbox::ParseQuery(query);
  if (!pairs) return 0;
  std::string encoded;
  for (const auto& [key, value] : *pairs) {
    if (!encoded.empty()) encoded += '&';
    encoded += idem::sandbox::PercentEncode(key) + '=' + idem::sandbox::PercentEncode(value);
  }
  auto again = idem::sandbox::ParseQuery(encoded);
  FUZZ_CHECK(again.has_value());
  // An empty key is dropped or kept alike by both parses; compare what both hold.
  for (const auto& [key, value] : *pairs) {
    auto it = again->find(key);
    if (key.empty() && it == again->end()) continue;
    FUZZ_CHECK(it != again->end() && it->second == value);
  }
  return 0;
}
