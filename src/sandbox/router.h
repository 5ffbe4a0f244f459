// Routing of request targets to endpoints, query-string parsing and the
// pagination maths of `GET /v3/sessions/`. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace idem::sandbox {

enum class Endpoint {
  kNotFound,
  kCreateSession,    // POST   /v3/session/
  kDecision,         // GET    /v3/session/{id}/decision/
  kUpdateStatus,     // PATCH  /v3/session/{id}/update-status/
  kDeleteSession,    // DELETE /v3/session/{id}/delete/
  kListSessions,     // GET    /v3/sessions/
  kListRedirect,     // any    /v3/sessions  (301 to the trailing slash, as Didit)
  kAml,              // POST   /v3/aml/
  kPassiveLiveness,  // POST   /v3/passive-liveness/
  kFaceMatch,        // POST   /v3/face-match/
  kIdVerification,   // POST   /v3/id-verification/
  kHealth,           // GET    /_sandbox/health
  kStats,            // GET    /_sandbox/stats
  kExecutions,       // GET    /_sandbox/executions
  kAdvance,          // POST   /_sandbox/sessions/{id}/advance
  kDataUpdated,      // POST   /_sandbox/sessions/{id}/data-updated
  kGeneratePdf,      // GET    /v3/session/{id}/generate-pdf/
  kPdfRedirect,      // any    /v3/session/{id}/generate-pdf  (301 to the slash, as Didit)
  kBatchDelete,      // POST   /v3/sessions/delete/
  kPhoneSend,        // POST   /v3/phone/send/
  kPhoneCheck,       // POST   /v3/phone/check/
  kEmailSend,        // POST   /v3/email/send/
  kEmailCheck,       // POST   /v3/email/check/

  // The newer standalone checks (poa.cc, face_checks.cc, database_validation.cc).
  kPoa,                  // POST   /v3/poa/
  kFaceSearch,           // POST   /v3/face-search/
  kAgeEstimation,        // POST   /v3/age-estimation/
  kDatabaseValidation,   // POST   /v3/database-validation/
  kWalletScreening,      // POST   /v3/wallet-screening/  (wallet_screening.cc)
  kKybSearch,            // POST   /v3/kyb/search/  (kyb_registry.cc; free, nothing executed)
  kKybSelect,            // POST   /v3/kyb/select/  (billed; a business session)
  kShareSession,         // POST   /v3/session/{id}/share/  (session_sharing.cc)
  kImportSharedSession,  // POST  /v3/session/import-shared/

  // The management API and transactions (management.cc, transactions.cc).
  kListDestinations,   // GET    /v3/webhook/destinations/
  kCreateDestination,  // POST   /v3/webhook/destinations/
  kGetDestination,     // GET    /v3/webhook/destinations/{uuid}/
  kUpdateDestination,  // PATCH  /v3/webhook/destinations/{uuid}/
  kDeleteDestination,  // DELETE /v3/webhook/destinations/{uuid}/
  kGetWebhook,         // GET    /v3/webhook/
  kUpdateWebhook,      // PATCH  /v3/webhook/
  kListTransactions,   // GET    /v3/transactions/
  kCreateTransaction,  // POST   /v3/transactions/
  kGetTransaction,     // GET    /v3/transactions/{uuid}/
  kCreateEvent,        // POST   /v3/events/  (monitoring_events.cc)
  kCreateEventBatch,   // POST   /v3/events/batch/
  kSessionWebhooks,    // GET    /v3/session/{id}/webhooks/  (webhook_log.h)
  kResendWebhook,      // POST   /v3/session/{id}/webhook/{delivery_uuid}/resend

  // Users, businesses and session sub-resources (users.cc, update_data.cc).
  kCreateUser,         // POST   /v3/users/create/
  kGetUser,            // GET    /v3/users/{vendor_data}/
  kCreateBusiness,     // POST   /v3/businesses/create/
  kGetBusiness,        // GET    /v3/businesses/{vendor_data}/
  kUpdateSessionData,  // PATCH  /v3/session/{id}/update-data/
  kListWorkflows,      // GET    /v3/workflows/  (workflows.cc)
  kCreateWorkflow,     // POST   /v3/workflows/
  kGetWorkflow,        // GET    /v3/workflows/{settings_uuid}/
};

struct Route {
  Endpoint endpoint = Endpoint::kNotFound;
  std::string session_id;  // for the {id} endpoints (a destination's or transaction's uuid, a
                           // user's or business's vendor_data, percent-decoded, too)
  std::string item_id;     // kResendWebhook: the delivery uuid
  bool method_allowed = false;
  std::string_view allowed;  // the method the path accepts, for 405's Allow
  bool control = false;      // /_sandbox/*: no auth, no faults
};

// `path` without the query string.
Route Resolve(std::string_view method, std::string_view path);

// Splits "a=1&b=x%20y" into decoded pairs (first wins; '+' is a space).
// nullopt on malformed percent-encoding.
std::optional<std::map<std::string, std::string>> ParseQuery(std::string_view query);
std::string PercentEncode(std::string_view text);

struct Page {
  std::size_t begin = 0;  // first index (clamped to count)
  std::size_t end = 0;    // one past the last index
  std::optional<std::size_t> next_offset;
  std::optional<std::size_t> previous_offset;
};

// Items [offset, offset + limit) of `count`; next when more remain, previous
// when offset > 0 (pointing at max(0, offset - limit)).
Page Paginate(std::size_t count, std::size_t limit, std::size_t offset);

}  // namespace idem::sandbox
