// The sandbox's multipart/form-data parser (the billed checks' uploads):
// first line the Content-Type, the rest the body.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "sandbox/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) {
    (void)idem::sandbox::MultipartBoundary(input);
    return 0;
  }
  auto boundary = idem::sandbox::MultipartBoundary(input.substr(0, newline));
  if (!boundary) return 0;
  FUZZ_CHECK(!boundary->empty() && boundary->size() <= 70);
  const std::string_view body = input.substr(newline + 1);
  auto parts = idem::sandbox::ParseMultipart(body, *boundary, 8);
  if (!parts) return 0;
  FUZZ_CHECK(parts->size() <= 8);
  std::size_t bytes = 0;
  for (const auto& part : *parts) {
    FUZZ_CHECK(!part.name.empty());
    bytes += part.data.size();
  }
  FUZZ_CHECK(bytes <= body.size());
  FUZZ_CHECK(idem::sandbox::CanonicalMultipart(*parts) ==
             idem::sandbox::CanonicalMultipart(*parts));
  return 0;
}
