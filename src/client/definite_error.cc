// KindPolicy::definite_errors: which 5xx answers are a server's final word.
#include <nlohmann/json.hpp>

#include "idem/client.h"

namespace idem {

bool IsDefiniteError(const KindPolicy& policy, int status, std::string_view body) {
  if (policy.definite_errors.empty()) return false;
  bool status_listed = false;
  for (const KindPolicy::DefiniteError& e : policy.definite_errors) {
    status_listed = status_listed || e.status == status;
  }
  if (!status_listed) return false;
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return false;
  for (const KindPolicy::DefiniteError& e : policy.definite_errors) {
    if (e.status == status && parsed.contains(e.body_field)) return true;
  }
  return false;
}

}  // namespace idem
