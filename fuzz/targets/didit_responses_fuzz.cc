// What Didit (or anything at the base URL) answers: every typed parser of a
// response body takes hostile bytes without crashing, and the bounded JSON
// reader refuses nesting deeper than its limit instead of recursing.
#include <cstdint>
#include <string_view>

#include "didit/json_util.h"
#include "fuzz_check.h"
#include "idem/didit/check_types.h"
#include "idem/didit/types.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)idem::didit::ParseSession(body);
  (void)idem::didit::ParseDecision(body);
  (void)idem::didit::ParseSessionList(body);
  (void)idem::didit::ParseUpdateStatusResult(body);
  (void)idem::didit::ParseCheckResult(body);
  (void)idem::didit::ParsePoaResult(body);
  (void)idem::didit::ParseFaceSearchResult(body);
  (void)idem::didit::ParseAgeEstimationResult(body);
  (void)idem::didit::ParseDatabaseValidationResult(body);
  auto shallow = idem::didit::internal::SafeParse(body, 4);
  auto deep = idem::didit::internal::SafeParse(body);
  // What parses within 4 levels parses within the default limit too.
  if (shallow) FUZZ_CHECK(deep.has_value());
  return 0;
}
