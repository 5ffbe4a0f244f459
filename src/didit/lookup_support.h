// Internal: the pieces every Didit look-up is built from (reconcilers.cc,
// surface_reconcilers.cc, entity_reconcilers.cc, workflow_reconciler.cc):
// where its GETs go, how one GET is made and read, how a result is written,
// and which other ops of the journal share the op's natural key.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "idem/client.h"
#include "idem/http.h"
#include "idem/journal.h"
#include "idem/transport.h"

namespace idem::didit::internal {

// Where a reconciler sends its GETs, and the journal it may read (to tell
// its op's result from a sibling op's).
struct LookupTarget {
  std::shared_ptr<Transport> transport;
  std::string base_url;
  std::string api_key;
  std::shared_ptr<Journal> journal;  // may be null
};

// A look-up's answer without a resource: kNotFound, kFailed (look again
// later; `headers` carry a 429's or 503's Retry-After for the driver) or
// kUnresolvable (a person decides), with why.
ReconcileResult LookupAnswer(ReconcileResult::Outcome outcome, std::string why = {},
                             Headers headers = {});

// kFound: the resource the op made, and the answer it stands in for.
ReconcileResult FoundResource(std::string resource_id, int status, std::string body,
                              std::string note);

// A GET of `url` authenticated as `target`.
HttpRequest MakeGet(const LookupTarget& target, std::string url);

// One GET, read as JSON: (HTTP status, the parsed body when 200 and JSON).
// Status 0 = no answer. A non-200's headers ride along for the driver's
// pushback; `why` says what went wrong ("" on success).
using GotJson = std::function<void(int status, std::optional<nlohmann::json> body, Headers headers,
                                   std::string why)>;
void GetJson(const LookupTarget& target, std::string url, GotJson done);

// A string field's text; absent, null or another type is "".
std::string StringField(const nlohmann::json& obj, const char* field);

// The other ops of the journal with `op`'s natural key: the resources they
// already own (a found candidate among them is theirs, not this op's), and
// how many are unsettled after a send (their resource may be any candidate).
struct SiblingOps {
  std::vector<std::string> taken;
  std::size_t pending = 0;
};
// Empty without a journal or a natural key; the journal's error otherwise.
[[nodiscard]] Result<SiblingOps> FindSiblingOps(const std::shared_ptr<Journal>& journal,
                                                const Operation& op);

}  // namespace idem::didit::internal
