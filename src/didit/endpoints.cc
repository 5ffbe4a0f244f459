#include "idem/didit/endpoints.h"

#include <algorithm>
#include <array>
#include <vector>

#include "didit/json_util.h"
#include "idem/didit/users.h"
#include "idem/didit/workflows.h"
#include "idem/natural_key.h"

namespace idem::didit {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kLookUpCheck =
    "look-up GET /v3/sessions/?vendor_data=&api_service= (saved checks only); "
    "nothing to look up: unknown, needs review";

// A plain array: its length is the rows below (no count to keep in step).
const EndpointProfile kEndpoints[] = {
    {"create_session", "POST", "/v3/session/", false, false, false, "",
     "look-up GET /v3/sessions/?vendor_data=&workflow_id= (adopt the session)", milliseconds(30000),
     "session-v2-create", ""},
    {"update_status", "PATCH", "/v3/session/{id}/update-status/", false, false, true, "",
     "look-up of the decision: status = target, or an API review to it since the op began",
     milliseconds(30000), "generic-write", ""},
    {"delete_session", "DELETE", "/v3/session/{id}/delete/", false, false, true, "",
     "look-up of the decision: 404 = done", milliseconds(30000), "generic-write", ""},
    {"aml", "POST", "/v3/aml/", true, true, false, "AML",
     "replay with the key; past the key window look-up by vendor_data + api_service=AML",
     milliseconds(60000), "generic-write", ""},
    {"passive_liveness", "POST", "/v3/passive-liveness/", false, true, false, "PASSIVE_LIVENESS",
     kLookUpCheck, milliseconds(30000), "generic-write", ""},
    {"face_match", "POST", "/v3/face-match/", false, true, false, "FACE_MATCH", kLookUpCheck,
     milliseconds(30000), "generic-write", ""},
    {"id_verification", "POST", "/v3/id-verification/", false, true, false, "ID_VERIFICATION",
     kLookUpCheck, milliseconds(60000), "generic-write", ""},
    // Issue 14's session calls and OTP verification: a repeat is harmless by
    // Didit's rules (repeat_refused: no settle wait), so an ambiguous attempt
    // is sent again (didit/resend_reconciler.h).
    {"batch_delete_sessions", "POST", "/v3/sessions/delete/", false, false, true, "",
     "send again: always 204, a repeat deletes nothing more", milliseconds(30000), "generic-write",
     ""},
    {"phone_send", "POST", "/v3/phone/send/", false, true, true, "PHONE_VERIFICATION",
     "send once more (Retry, same request_id, within 5 min); a second ambiguous send: unknown, "
     "needs review",
     milliseconds(30000), "generic-write", ""},
    {"phone_check", "POST", "/v3/phone/check/", false, false, true, "",
     "check again (free; a wrong code costs 1 of 3 attempts)", milliseconds(30000), "generic-write",
     ""},
    {"email_send", "POST", "/v3/email/send/", false, true, true, "EMAIL_VERIFICATION",
     "send once more (Retry, same request_id, within 5 min); a second ambiguous send: unknown, "
     "needs review",
     milliseconds(30000), "generic-write", ""},
    {"email_check", "POST", "/v3/email/check/", false, false, true, "",
     "check again (free; a wrong code costs 1 of 3 attempts)", milliseconds(30000), "generic-write",
     ""},
    // Didit: PoA takes 5-15 s, PDFs ~30 s; "do not retry before the call
    // completes" (client timeout >= 45 s). 60 s leaves a slow PDF room.
    {"poa", "POST", "/v3/poa/", false, true, false, "POA", kLookUpCheck, milliseconds(60000),
     "generic-write", ""},
    {"face_search", "POST", "/v3/face-search/", false, true, false, "FACE_SEARCH", kLookUpCheck,
     milliseconds(30000), "generic-write", ""},
    {"age_estimation", "POST", "/v3/age-estimation/", false, true, false, "AGE_ESTIMATION",
     kLookUpCheck, milliseconds(30000), "generic-write", ""},
    // Its 502 with `validation_errors` is Didit's definite "no service
    // returned a usable result; not billed" (OAS): failed, never retried or
    // looked up (a saved one is recorded `Not Finished`, which a look-up
    // would take for the check).
    {"database_validation", "POST", "/v3/database-validation/", false, true, false,
     "DATABASE_VALIDATION", kLookUpCheck, milliseconds(30000), "generic-write", "", 502,
     "validation_errors"},
    // The management API and transactions (didit/surface_reconcilers.h).
    // Didit keeps a destination's url and a transaction's transaction_id
    // unique (a repeat is refused with 400), so a re-send racing the first
    // attempt cannot execute twice: repeat_refused, no settle wait; and that
    // 400 after an attempt that may have executed is asked of the look-up
    // (unique_field, ClientOptions::exists_refusal), not taken as a failure.
    {"create_webhook_destination", "POST", "/v3/webhook/destinations/", false, false, true, "",
     "look-up GET /v3/webhook/destinations/ (match url, created since the op), secret by GET "
     "{uuid}; a retry's duplicate-url 400 is looked up the same way",
     milliseconds(30000), "generic-write", "url"},
    {"update_webhook_destination", "PATCH", "/v3/webhook/destinations/{id}/", false, false, true,
     "", "send again (a PATCH sets the same fields again)", milliseconds(30000), "generic-write",
     ""},
    {"delete_webhook_destination", "DELETE", "/v3/webhook/destinations/{id}/", false, false, true,
     "", "look-up GET /v3/webhook/destinations/{uuid}/: 404 = done", milliseconds(30000),
     "generic-write", ""},
    {"update_webhook", "PATCH", "/v3/webhook/", false, false, true, "",
     "send again (rotate_secret_key rotates again: nobody got the lost secret)",
     milliseconds(30000), "generic-write", ""},
    {"create_transaction", "POST", "/v3/transactions/", false, true, true, "",
     "look-up by transaction_id in GET /v3/transactions/ (same request: done; another: unknown, "
     "needs review); not listed: send again (Didit refuses a second one with the id)",
     milliseconds(30000), "ingest-write", "transaction_id"},
    // Monitoring events (monitoring_events.h): in neither the OAS nor the
    // fact sheet's endpoint sections (only its rate-limit table: scope
    // ingest-write). No key, no documented unique id and no read endpoint:
    // an attempt that may have executed stops `unknown` for review, never
    // re-sent. Billing undocumented: not billed.
    {"create_event", "POST", "/v3/events/", false, false, false, "",
     "nothing to look up and no documented unique id: unknown, needs review (never re-sent)",
     milliseconds(30000), "ingest-write", ""},
    {"create_event_batch", "POST", "/v3/events/batch/", false, false, false, "",
     "nothing to look up and no documented unique id: unknown, needs review (never re-sent)",
     milliseconds(30000), "ingest-write", ""},
    // Users and businesses (didit/entity_reconcilers.h): "not idempotent"
    // (OAS), but vendor_data is unique per kind (a repeat is 400), so a
    // re-send cannot make a second record: repeat_refused, no settle wait.
    {"create_user", "POST", "/v3/users/create/", false, false, true, "",
     "look-up GET /v3/users/{vendor_data}/ (created since the op with the op's names: done; "
     "another's: unknown, needs review; 404: send again); a retry's duplicate 400 likewise",
     milliseconds(30000), "generic-write", "vendor_data"},
    {"create_business", "POST", "/v3/businesses/create/", false, false, true, "",
     "look-up GET /v3/businesses/{vendor_data}/ as create_user; without vendor_data nothing to "
     "look up: unknown, needs review",
     milliseconds(30000), "generic-write", "vendor_data"},
    // A PATCH of absolute values: a repeat leaves the same record (one more
    // data.updated webhook).
    {"update_session_data", "PATCH", "/v3/session/{id}/update-data/", false, false, true, "",
     "look-up of the decision: its KYC record holds every value sent = done; else send again "
     "(a PATCH of absolute values; Didit fires data.updated again)",
     milliseconds(30000), "session-update-kyc", ""},
    // Not idempotent and nothing unique (OAS): an empty look-up waits out
    // the attempt (settle_after) before a re-send.
    {"create_workflow", "POST", "/v3/workflows/", false, false, false, "",
     "look-up GET /v3/workflows/ (label and features, updated since the op, not another op's): "
     "one = done; several = unknown, needs review; none (after the timeout) = send again",
     milliseconds(30000), "generic-write", ""},
    // Billed per successful screening and saved nowhere (OAS): no key
    // documented on this route (the fact sheet's keyed "wallet" is Digital
    // ID wallet verification), nothing to look up, so an attempt that may
    // have executed stops for review (wallet_screening.h).
    {"wallet_screening", "POST", "/v3/wallet-screening/", false, true, false, "",
     "nothing saved at Didit, no key documented: unknown, needs review, never re-sent (a server "
     "honouring keys here: replay)",
     milliseconds(30000), "generic-write", ""},
    // KYB registry (kyb_registry.h). The search is free, saves nothing
    // without webhook_url and gets a new request_id each time (OAS): a
    // repeat is harmless, so an ambiguous attempt is sent again (with
    // webhook_url a repeat makes one more unsigned callback, under its own
    // request_id).
    {"kyb_search", "POST", "/v3/kyb/search/", false, false, true, "",
     "send again (free, nothing billed; a new request_id each time; with webhook_url one more "
     "unsigned callback)",
     milliseconds(60000), "generic-write", ""},
    // The select is billed and documents no key, but is always saved as a
    // business session (its id is the request_id, OAS): looked up by
    // vendor_data + api_service=KYB_REGISTRY + session_kind=business. The
    // listing of a select under that api_service is inferred, not documented.
    {"kyb_select", "POST", "/v3/kyb/select/", false, true, false, "KYB_REGISTRY",
     "look-up GET /v3/sessions/?vendor_data=&api_service=KYB_REGISTRY&session_kind=business "
     "(inferred: Didit documents the business session, not its listing); without vendor_data "
     "nothing to look up: unknown, needs review",
     milliseconds(60000), "generic-write", ""},
    // The per-session delivery log's resend (webhook_deliveries.h): not
    // billed; a repeat only makes one more delivery of the same body, which
    // an idempotent receiver absorbs, so an ambiguous attempt is sent again
    // (ResendReconciler), and a racing repeat is harmless: repeat_refused.
    {"resend_webhook", "POST", "/v3/session/{id}/webhook/{id}/resend", false, false, true, "",
     "send again (one more delivery of the same body: harmless to a receiver that "
     "deduplicates, as every Didit receiver must)",
     milliseconds(30000), "generic-write", ""},
    // Session sharing (session_sharing.h). Share: free, saves nothing, a
    // repeat mints another token (documented: OAS), so send again. Import:
    // "not idempotent" (OAS, fact sheet section 3), but one redeem per
    // receiver (documented: 403 "already been shared with your
    // application"), so a re-send cannot clone twice (inferred: also for two
    // imports racing each other): repeat_refused, no settle wait; that 403
    // after an attempt that may have executed goes to the look-up (`exists`),
    // which finds the clone by the request's vendor_data (inferred: listed
    // in the caller's sessions with the request's workflow_id, created at
    // the import).
    {"share_session", "POST", "/v3/session/{id}/share/", false, false, true, "",
     "send again (free; a repeat mints another token)", milliseconds(30000), "generic-write", ""},
    {"import_shared_session", "POST", "/v3/session/import-shared/", false, false, true, "",
     "send again (one redeem per receiver: a repeat is 403 \"already been shared\"); that 403 "
     "after a lost answer: look-up GET /v3/sessions/?vendor_data=&workflow_id= in the caller's "
     "application since the op (one = done; none, several or no vendor_data: unknown, needs "
     "review)",
     milliseconds(30000), "generic-write", "", 0, "",
     ExistsRefusal{403, "detail", "already been shared with your application"}},
};

// `path` (query stripped) against a pattern whose every "{id}" is one
// non-empty segment.
bool PathMatches(std::string_view pattern, std::string_view path) {
  path = path.substr(0, path.find('?'));
  while (true) {
    const std::size_t hole = pattern.find("{id}");
    if (hole == std::string_view::npos) return path == pattern;
    if (path.substr(0, hole) != pattern.substr(0, hole)) return false;
    path.remove_prefix(hole);
    pattern.remove_prefix(hole + 4);
    const std::size_t end = std::min(path.find('/'), path.size());
    if (end == 0) return false;
    path.remove_prefix(end);
  }
}

}  // namespace

std::span<const EndpointProfile> DiditEndpoints() { return kEndpoints; }

ExistsRefusal ExistsRefusalOf(const EndpointProfile& endpoint) {
  if (endpoint.exists.status != 0) return endpoint.exists;
  if (!endpoint.unique_field.empty()) return {400, endpoint.unique_field, "already exists"};
  return {};
}

const EndpointProfile* FindDiditEndpoint(std::string_view kind) {
  for (const EndpointProfile& e : kEndpoints) {
    if (e.kind == kind) return &e;
  }
  return nullptr;
}

const EndpointProfile* DiditEndpointFor(std::string_view method, std::string_view path) {
  for (const EndpointProfile& e : kEndpoints) {
    if (e.method == method && PathMatches(e.path, path)) return &e;
  }
  return nullptr;
}

KindPolicy DiditKindPolicy(const EndpointProfile& endpoint) {
  KindPolicy policy;
  policy.server_honours_key = endpoint.honours_key;
  policy.billed = endpoint.billed;
  policy.timeout = endpoint.timeout;
  // A call re-sent while its first attempt still runs executes twice (a
  // billed check is charged twice, a create makes a second session: Didit's
  // vendor_data dedup is no guarantee, see EndpointProfile), so an empty
  // look-up waits out the attempt. Only a call whose repeat Didit refuses
  // needs no wait (update-status to the same status: 400; delete: 404).
  if (!endpoint.honours_key && !endpoint.repeat_refused) policy.settle_after = endpoint.timeout;
  policy.rate_limit_scope = std::string(endpoint.rate_limit_scope);
  if (endpoint.definite_status != 0) {
    policy.definite_errors.push_back(
        {endpoint.definite_status, std::string(endpoint.definite_field)});
  }
  return policy;
}

std::map<std::string, KindPolicy> DiditKindPolicies() {
  std::map<std::string, KindPolicy> policies;
  for (const EndpointProfile& e : kEndpoints) {
    policies.emplace(std::string(e.kind), DiditKindPolicy(e));
  }
  return policies;
}

KindPolicy DiditDefaultKindPolicy() {
  KindPolicy policy;
  policy.server_honours_key = false;
  policy.rate_limit_scope = "generic-write";
  return policy;
}

void KeysHonouredEverywhere(ClientOptions& options) {
  for (auto& [kind, policy] : options.kind_policies) policy.server_honours_key = true;
  options.default_kind_policy.server_honours_key = true;
}

[[nodiscard]] Status SetKeyedKinds(ClientOptions& options, std::string_view kinds) {
  if (kinds == "all") {
    KeysHonouredEverywhere(options);
    return {};
  }
  std::vector<std::string> keyed;
  if (kinds != "none") {
    std::size_t start = 0;
    while (start <= kinds.size()) {
      const std::size_t comma = std::min(kinds.find(',', start), kinds.size());
      const std::string_view kind = kinds.substr(start, comma - start);
      if (!FindDiditEndpoint(kind)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "keyed kinds: '" + std::string(kind) +
                             "' is not a Didit kind (all, none, or a comma list of: "
                             "create_session, update_status, delete_session, aml, "
                             "passive_liveness, face_match, id_verification, "
                             "batch_delete_sessions, phone_send, phone_check, email_send, "
                             "email_check, poa, face_search, age_estimation, "
                             "database_validation, create_webhook_destination, "
                             "update_webhook_destination, delete_webhook_destination, "
                             "update_webhook, create_transaction, create_event, "
                             "create_event_batch, resend_webhook, create_user, "
                             "create_business, update_session_data, create_workflow, "
                             "wallet_screening, kyb_search, kyb_select, share_session, "
                             "import_shared_session)");
      }
      keyed.emplace_back(kind);
      start = comma + 1;
    }
  }
  for (auto& [kind, policy] : options.kind_policies) {
    policy.server_honours_key = std::find(keyed.begin(), keyed.end(), kind) != keyed.end();
  }
  for (const std::string& kind : keyed) {
    auto [it, added] =
        options.kind_policies.try_emplace(kind, DiditKindPolicy(*FindDiditEndpoint(kind)));
    it->second.server_honours_key = true;
  }
  options.default_kind_policy.server_honours_key = false;
  return {};
}

void SetAttemptTimeout(ClientOptions& options, std::chrono::milliseconds timeout) {
  auto apply = [&](KindPolicy& policy) {
    policy.timeout = timeout;
    if (policy.settle_after.count() > 0) policy.settle_after = timeout;
  };
  for (auto& [kind, policy] : options.kind_policies) apply(policy);
  apply(options.default_kind_policy);
}

std::string NaturalKeyForBody(std::string_view kind, std::string_view body) {
  auto parsed = internal::SafeParse(body);
  if (!parsed || !parsed->is_object()) return {};
  auto text = [&](const char* field) -> std::string {
    auto it = parsed->find(field);
    return it != parsed->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  // Keys Didit itself keeps unique, which the look-ups of these kinds read.
  if (kind == "create_transaction") {
    const std::string id = text("transaction_id");
    return id.empty() ? std::string() : "transaction:" + id;
  }
  if (kind == "create_user" || kind == "create_business") {
    const std::string vendor_data = text("vendor_data");
    if (vendor_data.empty()) return {};
    return kind == "create_user" ? UserNaturalKey(vendor_data) : BusinessNaturalKey(vendor_data);
  }
  if (kind == "create_workflow") return WorkflowNaturalKey(text("workflow_label"));
  if (kind == "create_webhook_destination") {
    const std::string url = text("url");
    return url.empty() ? std::string() : "webhook_destination:" + url;
  }
  const std::string vendor_data = text("vendor_data");
  if (vendor_data.empty()) return {};
  if (kind == "create_session") {
    const std::string workflow_id = text("workflow_id");
    return workflow_id.empty() ? std::string() : SessionNaturalKey(workflow_id, vendor_data);
  }
  if (kind == "aml") {
    if (auto save = parsed->find("save_api_request"); save != parsed->end() && *save == false) {
      return {};
    }
    return CheckNaturalKey("AML", vendor_data);
  }
  if (kind == "kyb_select") {
    if (auto save = parsed->find("save_api_request"); save != parsed->end() && *save == false) {
      return {};
    }
    return CheckNaturalKey("KYB_REGISTRY", vendor_data);
  }
  // The one other JSON check (multipart ones are set by the typed calls).
  if (kind == "database_validation") {
    if (auto save = parsed->find("save_api_request"); save != parsed->end() && *save == false) {
      return {};
    }
    return CheckNaturalKey("DATABASE_VALIDATION", vendor_data);
  }
  return {};
}

std::string CheckNaturalKey(std::string_view api_service, std::string_view vendor_data) {
  std::string key = "check:";
  key += api_service;
  key += ':';
  key += vendor_data;
  return key;
}

}  // namespace idem::didit
