// The sandbox's application logic, free of sockets and Beast: routing, auth,
// fault decisions, idempotency, the endpoints, stats. The server hands it a
// parsed request and acts on the returned Outcome (respond, close without a
// response, wait first). Unit tests drive it directly.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "idem/http.h"
#include "idem/random.h"
#include "idem/sandbox.h"
#include "sandbox/callbacks.h"
#include "sandbox/fault_spec.h"
#include "sandbox/group_commit.h"
#include "sandbox/rate_scopes.h"
#include "sandbox/router.h"
#include "sandbox/state.h"
#include "server/http_server.h"

namespace idem::sandbox {

// The server core's request and response: the app stays free of sockets.
using Request = server::Request;
using Response = server::Response;

struct Outcome {
  enum class Action { kRespond, kClose };
  Action action = Action::kRespond;
  Response response;
  // slow: wait this long before writing the response.
  std::int64_t delay_ms = 0;
  // slow_exec: wait hold_ms (the key stays in progress), then call `resume`
  // for the real outcome. Empty when there is nothing to resume.
  std::int64_t hold_ms = 0;
  std::function<Outcome()> resume;
};

// The parts of SandboxOptions the logic needs (the rest is the server's).
class WebhookDeliveryLog;  // webhook_log.h

struct AppConfig {
  std::string api_key = "sandbox-key";
  // The two applications (SandboxOptions): ids, the peer's key (empty: no
  // peer) and the workflow id each owns.
  std::string application_id = "dbd20e34-42e9-4f2c-ba91-cf0762016f64";
  std::string workflow_id = "11111111-2222-4333-8444-555555555555";
  std::string peer_application_id = "a5f3bca2-46e2-411e-90ef-a580900a57ee";
  std::string peer_api_key = "sandbox-peer-key";
  std::string peer_workflow_id = "9f9b1234-aaaa-4bbb-8ccc-1234567890ab";
  FaultSpec faults;
  std::uint64_t seed = 1;
  std::chrono::seconds key_ttl{86400};
  SandboxProfile profile = SandboxProfile::kDidit;
  bool idempotency = true;
  bool replay_header = false;  // didit: mark replays (ideal always does)
  SandboxCredits credits = SandboxCredits::kPlenty;
  bool vendor_dedup = true;
  int rate_limit = 0;
  SandboxRateScopes rate_scopes;  // all 0 = off
  std::shared_ptr<Clock> clock;
  std::shared_ptr<SandboxEventSink> event_sink;
  // The webhook sender's stats as a JSON object, shown under "webhooks" in
  // /_sandbox/stats. Empty = webhooks off (no such key).
  std::function<std::string()> webhook_stats;
  std::string base_url;  // for `url`/`next` links when the Host header is missing
  // The webhook sender's per-session delivery log (webhook_log.h); null: the
  // log endpoints answer [] / 404.
  std::shared_ptr<WebhookDeliveryLog> webhook_log;
  // How the unsigned per-request callbacks (a KYB search's webhook_url) are
  // retried and sent (callbacks.h); its clock defaults to `clock`.
  CallbackConfig callbacks;
};

struct CheckOptions;  // check_support.h

class App {
 public:
  // `persistence` may be null (in memory only). Loads its state.
  [[nodiscard]] static Result<std::unique_ptr<App>> Create(
      AppConfig config, std::unique_ptr<Persistence> persistence);

  // Thread-safe.
  Outcome Handle(const Request& request);

  std::string StatsJson();
  std::string ExecutionsJson();
  void set_base_url(std::string url);

  // What POST /_sandbox/sessions/{id}/advance does (commit, then the event
  // sink), for the auto-completer. With `only_from` non-empty, nothing
  // happens (OK) unless the session's status is `only_from` now, so a manual
  // advance wins over a later timer. kNotFound for an unknown or deleted session.
  [[nodiscard]] Status AdvanceSession(const std::string& session_id, const std::string& status,
                                      const std::string& only_from = "");
  // The body GET /v3/session/{id}/decision/ would return now; nullopt when the
  // session is unknown or deleted.
  std::optional<std::string> DecisionJson(const std::string& session_id);

  // What an endpoint produced: the response and the changes to commit.
  struct EndpointResult {
    Response response;
    Mutation mutation;
    std::vector<SandboxSessionEvent> events;
    bool vendor_dedup_hit = false;
    // Unsigned per-request callbacks to send once the result is committed
    // (a KYB search's kyb.registry_search.resolved).
    struct Callback {
      std::string url;
      std::string payload;
    };
    std::vector<Callback> callbacks;
  };

 private:
  struct KeyContext {
    std::string key;
    std::string scope;
    std::string fingerprint;
    std::int64_t token = 0;  // the claim in a SharedStore
  };

  explicit App(AppConfig config, std::unique_ptr<Persistence> persistence);

  Outcome HandleControl(const Request& request, const Route& route, std::string_view query);
  // Didit's rate-limit scopes first (when on), then HandleAdmitted; an
  // admitted answer carries the scopes' X-RateLimit-* headers.
  Outcome HandleApi(const Request& request, const Route& route, std::string_view path,
                    std::string_view query);
  // Authentication, faults, --rate-limit, idempotency and the endpoint.
  Outcome HandleAdmitted(const Request& request, const Route& route, std::string_view path,
                         std::string_view query);
  Outcome Execute(const Request& request, const Route& route, std::string_view path,
                  std::string_view query, std::optional<KeyContext> key, FaultDecision fault);
  Outcome ExecuteShared(const Request& request, const Route& route, std::string_view query,
                        std::optional<KeyContext> key, FaultDecision fault);
  // The endpoint's result, its execution record and stored key filled in.
  EndpointResult RunEndpoint(const Request& request, const Route& route, std::string_view query,
                             const std::optional<KeyContext>& key, std::int64_t now);
  // Merges what other processes committed to a SharedStore.
  void MergeLocked(LoadedState changes);
  void RefreshSharedLocked();
  Outcome ApplyAfterFault(Response response, FaultDecision fault);
  bool ReplayMarker() const {
    return config_.profile == SandboxProfile::kIdeal || config_.replay_header;
  }
  // A key reused for another request: 409 in didit, 422 in ideal.
  void CountMismatchLocked();
  std::optional<Response> CheckRateLimit();
  std::string Fingerprint(const Request& request, std::string_view path) const;

  // Endpoints; called with mu_ held. They read state_ and describe changes
  // in the result's mutation (applied by Execute after it is persisted).
  EndpointResult CreateSession(const Request& request, std::int64_t now_ms);
  // `app`: the caller's application (another's session is 404); null: any
  // (the sandbox's own reads, DecisionJson).
  EndpointResult Decision(const std::string& session_id, const std::string* app);
  EndpointResult UpdateStatus(const Request& request, const std::string& session_id,
                              std::int64_t now_ms);
  EndpointResult DeleteSession(const std::string& session_id, std::int64_t now_ms);
  EndpointResult ListSessions(const Request& request, std::string_view query);
  EndpointResult Aml(const Request& request, std::int64_t now_ms);
  EndpointResult PassiveLiveness(const Request& request, std::int64_t now_ms);
  EndpointResult FaceMatch(const Request& request, std::int64_t now_ms);
  EndpointResult IdVerification(const Request& request, std::int64_t now_ms);
  // pdf.cc, batch_delete.cc, otp.cc (issue 14's session calls).
  EndpointResult GeneratePdf(const std::string& session_id, std::int64_t now_ms);
  // The path without its trailing slash: Django's APPEND_SLASH 301 to
  // `path` + "/" (the query kept) when that path exists, i.e. for a
  // lowercase UUID; else the router's HTML 404. Whether the session exists
  // is not looked at (the redirect comes before the view).
  static Response PdfRedirect(const std::string& session_id, std::string_view path,
                              std::string_view query);
  EndpointResult BatchDelete(const Request& request, std::int64_t now_ms);
  EndpointResult OtpSend(const Request& request, Endpoint endpoint, std::int64_t now_ms);
  EndpointResult OtpCheck(const Request& request, Endpoint endpoint, std::int64_t now_ms);
  // otp.cc: the phone anti-abuse window (true: admitted, a slot taken) and
  // the latest verification of a number/address (nullptr when none).
  bool AdmitPhoneAttempt(const std::string& number, std::int64_t now_ms);
  const SessionRecord* LatestOtpSession(std::string_view service, const std::string& target) const;
  EndpointResult Poa(const Request& request, std::int64_t now_ms);
  EndpointResult FaceSearch(const Request& request, std::int64_t now_ms);
  EndpointResult AgeEstimation(const Request& request, std::int64_t now_ms);
  EndpointResult DatabaseValidation(const Request& request, std::int64_t now_ms);
  EndpointResult WalletScreening(const Request& request, std::int64_t now_ms);
  // kyb_registry.cc: the registry search (free) and select (billed, saved).
  EndpointResult KybSearch(const Request& request, std::int64_t now_ms);
  EndpointResult KybSelect(const Request& request, std::int64_t now_ms);
  // session_sharing.cc: share a finished session with the other application
  // (an HS256 JWT), and import one shared with the caller.
  EndpointResult ShareSession(const Request& request, const std::string& session_id,
                              std::int64_t now_ms);
  EndpointResult ImportSharedSession(const Request& request, std::int64_t now_ms);
  // The JWT's signing key: derived from both API keys, so every sandbox
  // process with the same keys (a shared PostgreSQL store, a restart) takes
  // the tokens the others minted.
  std::string ShareSecret() const;
  // database_validation.cc: Didit's 502 when no service answers.
  EndpointResult NoUsableService(const nlohmann::json& body, nlohmann::json services,
                                 CheckOptions options, std::int64_t now_ms);
  // management.cc: webhook destinations and the legacy webhook;
  // transactions.cc: transaction monitoring. Their records are entities_.
  EndpointResult ListDestinations();
  EndpointResult CreateDestination(const Request& request, std::int64_t now_ms);
  EndpointResult GetDestination(const std::string& uuid);
  EndpointResult UpdateDestination(const Request& request, const std::string& uuid,
                                   std::int64_t now_ms);
  EndpointResult DeleteDestination(const std::string& uuid, std::int64_t now_ms);
  EndpointResult GetWebhook(std::int64_t now_ms);
  EndpointResult UpdateWebhook(const Request& request, std::int64_t now_ms);
  EndpointResult ListTransactions(const Request& request, std::string_view query);
  EndpointResult CreateTransaction(const Request& request, std::int64_t now_ms);
  EndpointResult GetTransaction(const std::string& uuid);
  // monitoring_events.cc: transaction-monitoring events (entities keyed by
  // event_id).
  EndpointResult CreateMonitoringEvent(const Request& request, std::int64_t now_ms);
  EndpointResult CreateMonitoringEventBatch(const Request& request, std::int64_t now_ms);
  // webhook_log.cc's endpoints (in webhook_log_endpoints.cc).
  EndpointResult ListSessionWebhooks(const std::string& session_id);
  EndpointResult ResendWebhook(const std::string& session_id, const std::string& delivery_uuid,
                               std::int64_t now_ms);
  std::optional<nlohmann::json> StoredMonitoringEvent(const std::string& event_id) const;
  nlohmann::json IngestMonitoringEvent(const nlohmann::json& event, std::int64_t now_ms,
                                       EndpointResult& out,
                                       std::map<std::string, nlohmann::json>& pending);
  // users.cc: users and businesses (entities keyed by vendor_data);
  // update_data.cc: the KYC record of a session.
  EndpointResult CreateUser(const Request& request, std::int64_t now_ms);
  EndpointResult CreateBusiness(const Request& request, std::int64_t now_ms);
  EndpointResult GetUserOrBusiness(Endpoint endpoint, const std::string& vendor_data);
  EndpointResult UpdateSessionData(const Request& request, const std::string& session_id,
                                   std::int64_t now_ms);
  // workflows.cc: workflows (entities).
  EndpointResult CreateWorkflow(const Request& request, std::int64_t now_ms);
  EndpointResult GetWorkflow(const std::string& uuid);
  EndpointResult ListWorkflows(const Request& request, std::string_view query);
  // The live entities of `kind`, oldest first.
  std::vector<const EntityRecord*> Entities(std::string_view kind) const;
  const EntityRecord* FindEntity(std::string_view kind, const std::string& id) const;
  // The 200 answer of a standalone check, its execution record and, when
  // `save`, the check session (session_id = request_id) with its event.
  EndpointResult CheckAnswer(Endpoint endpoint, nlohmann::json result,
                             std::optional<std::string> vendor_data,
                             std::optional<nlohmann::json> metadata, bool save,
                             std::int64_t now_ms);
  Response Advance(const Request& request, const std::string& session_id,
                   std::vector<SandboxSessionEvent>& events);
  // POST /_sandbox/sessions/{id}/data-updated: a reviewer edited the
  // session's data (the edit itself is not emulated); the event only. Takes
  // mu_ itself.
  Response DataUpdated(const std::string& session_id, std::vector<SandboxSessionEvent>& events);
  // Takes mu_ itself (unlike the endpoints above).
  Response AdvanceTo(const std::string& session_id, const std::string& status,
                     std::vector<SandboxSessionEvent>& events, const std::string* only_from);

  void ApplyLocked(const Mutation& mutation);
  void IndexSession(const SessionRecord& session);
  // session_sharing.cc: notes a clone's source in imports_.
  void IndexImport(const SessionRecord& session);
  // Live sessions in the list's order (newest first), narrowed by vendor_data
  // through its index when given.
  std::vector<const SessionRecord*> NewestFirst(
      const std::optional<std::string>& vendor_data) const;
  std::string BaseUrl(const Request& request) const;
  // The application a request authenticated as (its x-api-key; the peer's
  // key -> the peer, anything else -> the sandbox's own).
  std::string CallerApplication(const Request& request) const;
  // The application that owns `s` (empty application_id: the sandbox's own).
  const std::string& OwnerOf(const SessionRecord& s) const {
    return s.application_id.empty() ? config_.application_id : s.application_id;
  }
  std::int64_t NowMs() const;
  void Emit(const std::vector<SandboxSessionEvent>& events);
  void SendCallbacks(std::vector<EndpointResult::Callback>& callbacks);

  AppConfig config_;
  std::unique_ptr<Persistence> persistence_;
  std::unique_ptr<GroupCommitter> committer_;  // set when persistence_ is, unless shared
  SharedStore* shared_ = nullptr;              // persistence_ when it is a SharedStore (PostgreSQL)
  SeededRandom fault_random_;
  std::string api_key_digest_;
  std::string peer_key_digest_;  // idempotency keys are scoped per application's key

  std::mutex mu_;
  // The application of the request RunEndpoint is running (mu_ held): the
  // endpoints read it to scope sessions.
  std::string caller_app_;
  // state
  std::unordered_map<std::string, SessionRecord> sessions_;
  // session_number -> session_id: the list's order (Didit lists by number).
  std::map<std::int64_t, std::string> sessions_by_number_;
  // vendor_data + '\n' + workflow_id -> hosted session ids, for the dedup
  // look-up (check sessions never take part in it).
  std::unordered_map<std::string, std::vector<std::string>> sessions_by_vendor_;
  // vendor_data -> every session id with it: a client looks a lost answer up
  // by vendor_data (+ api_service) after each ambiguous call, thousands of
  // times in a chaos run, so that is no full scan.
  std::unordered_map<std::string, std::vector<std::string>> sessions_by_vendor_data_;
  std::int64_t next_session_number_ = 1;
  // application + '\n' + source session id, for every import (one redeem per
  // receiver; a deleted clone still counts).
  std::set<std::string> imports_;
  std::unordered_map<std::string, KeyRecord> keys_;
  std::set<std::string> in_progress_;
  std::vector<Execution> executions_;
  std::unordered_map<std::string, int> executions_by_fingerprint_;
  std::deque<std::int64_t> rate_window_ms_;
  std::unique_ptr<ScopeLimiter> scope_limiter_;  // set when config_.rate_scopes is on
  std::unique_ptr<CallbackDispatch> callbacks_;  // always set; its sender made on first use
  // counters (since start)
  std::uint64_t requests_ = 0;
  std::uint64_t replays_ = 0;
  std::uint64_t conflicts_409_ = 0;
  std::uint64_t mismatches_422_ = 0;
  std::uint64_t mismatches_409_ = 0;
  std::uint64_t bad_keys_400_ = 0;
  std::uint64_t rate_limited_429_ = 0;
  std::uint64_t vendor_dedup_hits_ = 0;
  std::uint64_t error_503_count_ = 0;
  std::map<std::string, std::uint64_t> faults_;
  std::string base_url_;
  // kind + '\n' + id -> record (EntityRecord: memory only).
  std::unordered_map<std::string, EntityRecord> entities_;
  std::int64_t next_entity_seq_ = 1;
  // Phone anti-abuse (otp.cc): number -> its sends and checks in the last hour.
  std::unordered_map<std::string, std::deque<std::int64_t>> phone_attempts_;
};

// "2026-11-27T23:15:55.123Z".
std::string IsoTime(std::int64_t unix_ms);

}  // namespace idem::sandbox
