// Didit's endpoints as idem drives them: one row per journaled op kind, from
// Didit's documented behaviour (docs/didit.md has the same table with its
// sources). The generic driver takes each row as data (a KindPolicy plus the
// kind's Reconciler, registered by AddDiditReconcilers), never as a special
// case:
//
//   kind              key?  billed  an attempt that may have executed is settled by
//   create_session    no    no*     look-up GET /v3/sessions/?vendor_data=&workflow_id=
//   update_status     no    no      look-up of the decision: status = target, or a
//                                   review by "API Client" to it since the op began
//   delete_session    no    no      look-up of the decision: 404 = done
//   aml               yes   yes     replay with the key; past the key window a
//                                   look-up by vendor_data + api_service=AML
//   passive_liveness  no    yes     look-up by vendor_data + api_service (saved
//   face_match        no    yes       checks only: save_api_request, true by
//   id_verification   no    yes       default); nothing to look up -> unknown,
//                                     needs review, never re-sent
//   batch_delete_sessions no no    send again (always 204; a repeat deletes nothing more)
//   phone_send        no    yes     send once more (Retry + the same request_id within
//   email_send        no    yes       5 min); a second ambiguous send: needs review
//   phone_check       no    no      check again (free; a wrong code costs 1 of 3 attempts)
//   email_check       no    no
//   poa               no    yes     the same, api_service=POA; timeout 60 s (Didit:
//                                   >= 45 s, never retry before the call completes)
//   face_search       no    yes     the same, api_service=FACE_SEARCH
//   age_estimation    no    yes     the same, api_service=AGE_ESTIMATION
//   database_         no    yes*    the same, api_service=DATABASE_VALIDATION
//     validation                    (*) per service; failed services are free;
//                                   its 502 with validation_errors (no service
//                                   answered, not billed) is final: failed
//   create_webhook_   no    no      look-up GET /v3/webhook/destinations/ by url (Didit
//     destination                   keeps urls unique: a retry's duplicate-url 400 is
//                                   looked up the same way, by the driver: unique_field)
//   update_webhook_   no    no      send again (a PATCH sets the same fields again)
//     destination
//   delete_webhook_   no    no      look-up GET .../destinations/{uuid}/: 404 = done
//     destination
//   update_webhook    no    no      send again (a repeated rotate_secret_key is harmless)
//   create_transaction no   yes     look-up by transaction_id (unique at Didit) in
//                                   GET /v3/transactions/; same request: done, another:
//                                   unknown, needs review; a retry's duplicate-id 400
//                                   is looked up the same way (unique_field); rate
//                                   scope ingest-write (only)
//   create_event      no    no      nothing to look up, no documented unique id:
//   create_event_     no    no        unknown, needs review, never re-sent; rate
//     batch                           scope ingest-write (only)
//   create_user       no    no      look-up GET /v3/users/{vendor_data}/ (unique at Didit:
//   create_business   no    no        a repeat is 400); created since the op with the op's
//                                     names: done; another's: unknown, needs review; 404:
//                                     send again; a business without vendor_data: review
//   update_session_   no    no      look-up of the decision: the KYC record holds every
//     data                            value sent = done; else send again (a PATCH of absolute
//                                     values; one more data.updated); scope session-update-kyc
//   create_workflow   no    no      look-up GET /v3/workflows/ by label + features since
//                                   the op: one = done, several = review, none (after the
//                                   timeout: nothing unique at Didit) = send again
//   wallet_screening  no    yes     nothing saved at Didit (no session, no request_id)
//                                   and no key documented on this route: unknown,
//                                   needs review, never re-sent (wallet_screening.h)
//   kyb_search        no    no      send again (free, nothing billed, a new request_id
//                                   each time; with webhook_url one more unsigned
//                                   callback, under its own request_id)
//   kyb_select        no    yes     look-up GET /v3/sessions/?vendor_data=&api_service=
//                                   KYB_REGISTRY&session_kind=business (the business
//                                   session a select always saves; its listing there is
//                                   inferred); without vendor_data: unknown, needs
//                                   review, never re-sent (kyb_registry.h)
//   resend_webhook    no    no      send again (one more delivery of the same body:
//                                   harmless to a receiver that deduplicates)
//   share_session     no    no      send again (free; a repeat mints another token)
//   import_shared_    no    no      send again: one redeem per receiver, so a repeat
//     session                       is refused 403 "already been shared" (the row's
//                                   `exists` refusal), which the look-up settles:
//                                   GET /v3/sessions/?vendor_data=&workflow_id= in the
//                                   caller's application since the op: one = done;
//                                   none, several, or no vendor_data = unknown,
//                                   needs review (session_sharing.h)
//
// (*) Didit checks credits at create and bills completed verifications.
#pragma once

#include <chrono>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "idem/client.h"

namespace idem::didit {

// A definitive refusal that says what the op creates already exists: its
// HTTP status, where the message is (a request field's error list, or
// "detail": a string or a list of strings) and a phrase of it. After an
// attempt that may have executed, AddDiditReconcilers registers it as the
// kind's ClientOptions::exists_refusal (the look-up settles the op).
struct ExistsRefusal {
  int status = 0;           // 0: none
  std::string_view where;   // "url", "vendor_data", ... or "detail"
  std::string_view phrase;  // "already exists"
};

struct EndpointProfile {
  std::string_view kind;    // the journaled op kind
  std::string_view method;  // "POST"
  std::string_view path;    // "/v3/aml/", "/v3/session/{id}/update-status/"
  // Didit deduplicates by Idempotency-Key (documented for POST /v3/aml/ only).
  bool honours_key = false;
  // Each execution costs credits.
  bool billed = false;
  // Didit refuses a repeat of an executed call (update-status to the status
  // it already has: 400; delete of a deleted session: 404) or makes it
  // harmless (batch delete: 204, nothing more deleted; an OTP send within its
  // window: Retry with the same request_id; an OTP check: free), so a re-send
  // racing a first attempt still running cannot execute twice. Not so for a
  // create: Didit's vendor_data dedup returns an existing session only when
  // it is unfinished, on the latest workflow version and already has a
  // hosted URL (OAS), and cannot see a create still running.
  bool repeat_refused = false;
  // The list filter `api_service` of a saved standalone check ("AML"); empty
  // for session calls.
  std::string_view api_service;
  // How an attempt that may have executed is settled (for docs and help).
  std::string_view resolution;
  // Time per attempt, as Didit advises (AML with adverse media: >= 60 s).
  std::chrono::milliseconds timeout{30000};
  // Didit's rate-limit scope (per API key, sliding 60 s window).
  std::string_view rate_limit_scope;
  // The request field Didit keeps unique per application, for a create
  // without Idempotency-Key ("url" of a webhook destination, "transaction_id"
  // of a transaction): a repeat is refused with 400 {field: ["... already
  // exists ..."]}. After an attempt that may have executed that refusal may
  // be this op's own doing, so AddDiditReconcilers registers it as the
  // kind's ClientOptions::exists_refusal: the look-up settles the op
  // (succeeded when it finds the op's resource), never `failed` blindly.
  // Empty for every other kind. Shorthand for exists = {400, unique_field,
  // "already exists"} (ExistsRefusalOf).
  std::string_view unique_field;
  // A 5xx that is Didit's definite answer (KindPolicy::definite_errors): this
  // status with a JSON body holding `definite_field`. Database validation:
  // 502 + `validation_errors`, "no service returned a usable result; not
  // billed" (OAS; ERR: read validation_errors before retrying). 0: none.
  int definite_status = 0;
  std::string_view definite_field = {};
  // An "already exists" refusal of another shape than unique_field's
  // (import-shared: 403 {"detail": "... already been shared with your
  // application."}). status 0: none (unique_field's, if any, applies).
  ExistsRefusal exists = {};
};

// The row's "already exists" refusal: `exists` when set, else unique_field's
// 400, else none (status 0).
ExistsRefusal ExistsRefusalOf(const EndpointProfile& endpoint);

// Every row, in the order of the table above.
std::span<const EndpointProfile> DiditEndpoints();

// The row of an op kind; nullptr for a kind idem does not know.
const EndpointProfile* FindDiditEndpoint(std::string_view kind);

// The row a raw request matches (`idem call POST /v3/aml/`), by method and
// path (each "{id}" matches one non-empty path segment; a query is ignored);
// nullptr when none does.
const EndpointProfile* DiditEndpointFor(std::string_view method, std::string_view path);

// What the driver needs of a row: keys honoured, billed, timeout, and (for a
// call without a key whose repeat Didit does not refuse: creates and billed
// checks) settle_after = the timeout: a look-up that finds nothing is trusted
// only once the attempt cannot still be running.
KindPolicy DiditKindPolicy(const EndpointProfile& endpoint);

// Policies for every Didit kind, to adjust before use (for instance an
// account with keys enabled on more endpoints, or the sandbox's `ideal`
// profile, which honours keys everywhere: see KeysHonouredEverywhere).
std::map<std::string, KindPolicy> DiditKindPolicies();

// The policy for kinds not in the table (a raw `idem call` to another Didit
// endpoint): Didit ignores Idempotency-Key there, so an ambiguous attempt
// stops for review.
KindPolicy DiditDefaultKindPolicy();

// Marks every policy (and the default) as honouring keys, for a server that
// deduplicates every mutating request (`idem sandbox --profile ideal`).
void KeysHonouredEverywhere(ClientOptions& options);

// Says which kinds the server deduplicates by Idempotency-Key, overriding
// Didit's documented set: "all" (KeysHonouredEverywhere), "none", or a comma
// list of kinds from the table ("aml,create_session"); every other kind, and
// the default policy, then does not. kInvalidArgument for an unknown kind.
// Call after AddDiditReconcilers.
[[nodiscard]] Status SetKeyedKinds(ClientOptions& options, std::string_view kinds);

// One time per attempt for every kind (and the default policy), for a server
// whose answers are known to come sooner than Didit's advice (a local
// sandbox) or later: each policy's settle_after, where it has one, becomes
// the same time, since it is "as long as an attempt may still run". Call
// after AddDiditReconcilers. `idem --timeout-ms` uses it.
void SetAttemptTimeout(ClientOptions& options, std::chrono::milliseconds timeout);

// The natural key a look-up needs, read from a raw JSON request body (for
// `idem call`): create_session -> SessionNaturalKey(workflow_id,
// vendor_data); aml -> CheckNaturalKey("AML", vendor_data) unless
// save_api_request is false. Empty when the body lacks them, is not JSON, or
// the kind takes multipart (the typed calls set theirs).
std::string NaturalKeyForBody(std::string_view kind, std::string_view body);

// The natural key of a saved standalone check, which its look-up reads:
// "check:" + api_service + ":" + vendor_data. api_service has no ':', so the
// join is unambiguous; it never equals a session's natural key ("session:...").
std::string CheckNaturalKey(std::string_view api_service, std::string_view vendor_data);

}  // namespace idem::didit
