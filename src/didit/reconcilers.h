// Internal: the look-ups that settle ambiguous Didit ops (see
// include/idem/didit/client.h for the rules per kind).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "idem/client.h"
#include "idem/didit/client.h"
#include "idem/didit/types.h"

namespace idem::didit::internal {

// Where a reconciler sends its GETs.
struct LookupTarget {
  std::shared_ptr<Transport> transport;
  std::string base_url;
  std::string api_key;
};

// Finds the session a create_session op made: GET /v3/sessions/ filtered by
// the vendor_data and workflow_id in the op's stored body.
class CreateSessionReconciler final : public Reconciler {
 public:
  CreateSessionReconciler(LookupTarget target, ReconcilerOptions options)
      : target_(std::move(target)), options_(options) {}
  void Lookup(const Operation& op, Done done) override;

 private:
  // Static: the callback chain owns copies, never the reconciler itself.
  static void FetchPage(LookupTarget target, ReconcilerOptions options, std::string url,
                        std::string vendor_data, std::string workflow_id, std::int64_t created_ms,
                        int page, Done done);
  LookupTarget target_;
  ReconcilerOptions options_;
};

// A delete_session op executed iff the session is gone (404 on its decision).
class DeleteSessionReconciler final : public Reconciler {
 public:
  explicit DeleteSessionReconciler(LookupTarget target) : target_(std::move(target)) {}
  void Lookup(const Operation& op, Done done) override;

 private:
  LookupTarget target_;
};

// Milliseconds since the epoch from "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm)".
std::optional<std::int64_t> ParseIsoMillis(std::string_view text);

// The session id in "/v3/session/{id}/delete/", or nullopt.
std::optional<std::string> SessionIdFromDeletePath(std::string_view path);

// True when `url` has the same scheme://host:port as `base_url`.
bool SameOrigin(std::string_view url, std::string_view base_url);

}  // namespace idem::didit::internal
