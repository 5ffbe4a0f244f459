// Internal: the look-ups that settle ambiguous Didit ops (see
// include/idem/didit/client.h for the rules per kind).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "didit/lookup_support.h"
#include "idem/client.h"
#include "idem/didit/client.h"
#include "idem/didit/types.h"

namespace idem::didit::internal {

// Finds the session a create_session op made: GET /v3/sessions/ filtered by
// the vendor_data and workflow_id in the op's stored body (every page). A
// request without vendor_data cannot be looked up: kUnresolvable.
class CreateSessionReconciler final : public Reconciler {
 public:
  CreateSessionReconciler(LookupTarget target, ReconcilerOptions options)
      : target_(std::move(target)), options_(options) {}
  // The callback chain owns copies, never the reconciler itself.
  void Lookup(const Operation& op, Done done) override;

 private:
  LookupTarget target_;
  ReconcilerOptions options_;
};

// An update_status op executed iff the session's decision shows it: its
// status is the target, or a review by "API Client" to the target dated no
// earlier than the op (minus clock_skew). Didit refuses to set the status a
// session already has (400), so after a lost 200 a re-send cannot help; and
// a Resubmitted session moves on to In Progress once the user resumes, which
// only the review still shows.
class UpdateStatusReconciler final : public Reconciler {
 public:
  UpdateStatusReconciler(LookupTarget target, ReconcilerOptions options)
      : target_(std::move(target)), options_(options) {}
  void Lookup(const Operation& op, Done done) override;

 private:
  LookupTarget target_;
  ReconcilerOptions options_;
};

// A saved standalone check (aml, passive_liveness, face_match,
// id_verification) is a session Didit lists by vendor_data and api_service.
// The op's natural key (CheckNaturalKey) names both; an op without one (no
// vendor_data, or save_api_request=false) cannot be looked up:
// kUnresolvable. Candidates: listed sessions with that vendor_data, created
// no earlier than the op (minus clock_skew), not already the resource of
// another op of the journal with the same natural key. None: kNotFound. One,
// and no other unsettled op with the natural key that may have been sent:
// kFound, with a response rebuilt from its decision in the check's own shape
// ({request_id, <result_key>: ..., vendor_data, metadata, created_at}).
// Anything else cannot be told apart: kUnresolvable.
class CheckReconciler final : public Reconciler {
 public:
  CheckReconciler(LookupTarget target, ReconcilerOptions options, std::string result_key,
                  std::string decision_array, std::string unbilled_status = {},
                  std::string session_kind = {})
      : target_(std::move(target)),
        options_(options),
        result_key_(std::move(result_key)),
        decision_array_(std::move(decision_array)),
        unbilled_status_(std::move(unbilled_status)),
        session_kind_(std::move(session_kind)) {}
  void Lookup(const Operation& op, Done done) override;

 private:
  LookupTarget target_;
  ReconcilerOptions options_;
  std::string result_key_;      // "liveness"
  std::string decision_array_;  // "liveness_checks"
  // The status a saved record of this check keeps when the check answered a
  // definite failure that executed nothing (database validation's 502:
  // "Not Finished"): such a record is no result of the op, so the look-up
  // passes over it. Empty: every record counts.
  std::string unbilled_status_;
  // The list's session_kind filter: "business" for a KYB registry select
  // (Didit lists user sessions only by default); empty: not sent.
  std::string session_kind_;
};

// An import_shared_session op (session_sharing.h). Before any refusal: kNotFound
// without a GET (send again: Didit redeems a token once per receiver, so a
// repeat is refused 403 rather than cloning twice). After that 403 (the op's
// last answer): the clone is looked for in the caller's GET /v3/sessions/ by
// the stored request's vendor_data and workflow_id, created no earlier than
// the op (minus clock_skew), not another op's of the journal: one, with no
// other unsettled op of the natural key = kFound with its decision (201);
// none, several, or a request without vendor_data = kUnresolvable (the
// source was imported, by this op or before it: a person decides).
class ImportSharedReconciler final : public Reconciler {
 public:
  ImportSharedReconciler(LookupTarget target, ReconcilerOptions options)
      : target_(std::move(target)), options_(options) {}
  void Lookup(const Operation& op, Done done) override;

 private:
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

// The session id in "/v3/session/{id}/<anything>", or nullopt.
std::optional<std::string> SessionIdFromPath(std::string_view path);

// "check:API_SERVICE:vendor_data" -> {api_service, vendor_data}; nullopt for
// any other natural key.
std::optional<std::pair<std::string, std::string>> ParseCheckNaturalKey(std::string_view key);

// True when `url` has the same scheme://host:port as `base_url`.
bool SameOrigin(std::string_view url, std::string_view base_url);

}  // namespace idem::didit::internal
