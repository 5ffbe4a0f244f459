// Natural keys: how an op can be found on the server (reconciliation) and
// matched by a webhook (the lost-response heal) without its response.
#pragma once

#include <string>
#include <string_view>

namespace idem {

// The natural key of a CreateSession op. Didit dedups unfinished sessions by
// (workflow_id, vendor_data), and webhooks carry both, so that pair finds the
// session. workflow_id is a fixed-width UUID, so the join is unambiguous.
inline std::string SessionNaturalKey(std::string_view workflow_id, std::string_view vendor_data) {
  std::string key = "session:";
  key += workflow_id;
  key += ':';
  key += vendor_data;
  return key;
}

}  // namespace idem
