// Internal: the look-up of create_workflow (issue 14). The rules are in
// include/idem/didit/workflows.h and the profile row (endpoints.cc).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "didit/reconcilers.h"
#include "idem/client.h"

namespace idem::didit::internal {

// The " + "-joined features of a stored create_workflow request, as Didit
// shows them ("OCR + LIVENESS"); empty when unreadable.
std::string JoinedFeatures(const nlohmann::json& sent);

// Pages GET /v3/workflows/?limit=100 (newest first, at most `max_pages`)
// for rows with the op's workflow_label (Didit's default when none) and
// features, updated no earlier than the op minus five minutes, that no other
// op of the journal with the same natural key holds. One, and no other
// unsettled sibling that may have been sent: kFound (the configuration by GET
// {uuid}, status 201). None: kNotFound (the driver waits settle_after first).
// Several, or one and a sibling: kUnresolvable.
class WorkflowReconciler final : public Reconciler {
 public:
  WorkflowReconciler(LookupTarget target, int max_pages)
      : target_(std::move(target)), max_pages_(max_pages) {}
  void Lookup(const Operation& op, Done done) override;

 private:
  LookupTarget target_;
  int max_pages_;
};

}  // namespace idem::didit::internal
