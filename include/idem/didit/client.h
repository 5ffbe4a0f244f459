// DiditClient: the typed Didit API over idem::Client. Every mutating call is
// a journaled op (its key and exact bytes are durable before the first send),
// retried under a policy and, when an attempt may have executed, settled the
// way Didit allows for that endpoint (idem/didit/endpoints.h has the table):
// a replay with the key where Didit honours it (AML), a look-up where Didit
// keeps a record (sessions, decisions, saved standalone checks), and where
// neither exists the op stops `unknown` with needs_review and is never re-sent
// (a person settles it: `idem ops resolve`). A billed check is never guessed.
//
// GETs (GetDecision, ListSessions, the PDF) are reads and are not journaled;
// they are retried on 5xx/429/network failures through the same retry types
// as the ops (a policy and a backoff cloned per GET, the Client's budget,
// the server's pushback as a floor). Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "idem/client.h"
#include "idem/didit/check_types.h"
#include "idem/didit/endpoints.h"
#include "idem/didit/errors.h"
#include "idem/didit/types.h"

namespace idem::didit {

// Op kinds as stored in the journal.
inline constexpr std::string_view kCreateSessionKind = "create_session";
inline constexpr std::string_view kUpdateStatusKind = "update_status";
inline constexpr std::string_view kDeleteSessionKind = "delete_session";
inline constexpr std::string_view kAmlKind = "aml";
inline constexpr std::string_view kPassiveLivenessKind = "passive_liveness";
inline constexpr std::string_view kFaceMatchKind = "face_match";
inline constexpr std::string_view kIdVerificationKind = "id_verification";

struct ReconcilerOptions {
  // A listed session counts as created by the op when its created_at is no
  // earlier than the op's creation minus this (clocks of client and server
  // differ), or when it is still unfinished (Didit's own dedup would return
  // it to a new create anyway), or when it has no created_at. Default 5 min.
  std::chrono::milliseconds clock_skew{std::chrono::minutes(5)};
  // Pages followed per look-up before giving up (kFailed, never a guess).
  // Default 20.
  int max_pages = 20;
};

// Registers Didit's endpoints in `options` (using its transport, base_url,
// api_key and journal): a KindPolicy per kind (DiditKindPolicies, added only
// for kinds `kind_policies` does not list yet, so a caller's own entries
// win), default_kind_policy = DiditDefaultKindPolicy() (Didit ignores keys on
// endpoints idem does not know), and the look-ups: create_session,
// update_status, delete_session, and the saved standalone checks (aml,
// passive_liveness, face_match, id_verification). Call it before
// Client::Create for any Client that may drive Didit ops, notably the one
// `idem resume` uses.
// Also registers `options.resource_id_of` for every Didit kind, so a 2xx
// fills Operation::resource_id: session_id (create_session, update_status),
// the id in the path (delete_session, whose 204 has no body), request_id
// (aml and the multipart checks). Also the look-ups of the management API
// and transactions (webhook destinations, the legacy webhook,
// create_transaction), session sharing (share_session: sent again;
// import_shared_session: its look-up, session_sharing.h), and, for each
// profile row with an "already exists" refusal (ExistsRefusalOf: a
// unique_field's 400 (create_webhook_destination: url,
// create_transaction: transaction_id, users and businesses: vendor_data)
// or the row's `exists`, import-shared's 403 "already been shared"),
// `options.exists_refusal`: that refusal after an attempt that may have
// executed is settled by the kind's look-up, not as `failed`.
void AddDiditReconcilers(ClientOptions& options, ReconcilerOptions reconciler = {});

// Per call.
struct CallOptions {
  // The op's business key. Empty: a UUIDv4 is made. Calling again with the
  // same op_id and the same request returns the stored outcome (or resumes
  // the op); with a different request it fails with kAlreadyExists.
  std::string op_id;
};

// The vendor_data a standalone check is sent with when the caller gives
// none: "idem:" + op_id (or "idem:" + SHA-256 hex of it when the op id is
// over 200 bytes). A saved check is then always findable by a look-up after a
// lost response, and no other op shares it.
std::string DerivedVendorData(std::string_view op_id);

struct DiditClientOptions {
  // The driver's options: base_url, api_key, journal and transport are
  // required as in idem::Client; Didit's profiles and look-ups are added here
  // (AddDiditReconcilers) unless `client.reconcilers` already has them.
  ClientOptions client;
  ReconcilerOptions reconciler;
  // GET retries (GetDecision, ListSessions and its pages, the PDF). A GET is
  // retried after a network failure, a 5xx or a 429 (ClassifyTransportFailure,
  // ClassifyStatus, as the ops), with the same URL and headers; any other
  // answer returns at once. Each retry takes its cost from client.budget, the
  // bucket the Client's ops draw from (Create puts a new RetryBudget there
  // when it is null, before the Client is made, so both share it), and a 2xx
  // refunds it; an empty bucket ends the GET's retries as it ends an op's.
  // The wait is the backoff's, raised to the server's Retry-After or
  // X-RateLimit-Reset (ServerPushback, capped at client.max_pushback). Crash
  // semantics: a GET is a read and nothing of it is journaled; a process
  // killed mid-GET loses only the answer, and asking again is safe.
  //
  // Whether another attempt is allowed: a prototype cloned per GET, so its
  // attempts and elapsed time count per GET. Default (null):
  // LimitedAttemptsRetryPolicy(get_attempts, kNoElapsedLimit, client.clock):
  // attempts only, since one attempt of a PDF may take 60 s.
  std::shared_ptr<const RetryPolicy> get_retry_policy;
  // The wait before the next attempt: a prototype cloned per GET. Default
  // (null): FullJitterBackoff(get_backoff, 2 s, client.random): retry n
  // (n = 0, 1, ...) waits random(0, min(2 s, get_backoff * 2^n)).
  std::shared_ptr<const BackoffPolicy> get_backoff_policy;
  // Attempts per GET, the first included, when get_retry_policy is null
  // (values below 1 count as 1). Default 3.
  int get_attempts = 3;
  // The backoff's base when get_backoff_policy is null. Default 100 ms.
  std::chrono::milliseconds get_backoff{100};
  // Waits between GET attempts (a GET blocks its caller's thread). Default: a
  // real sleeper.
  std::shared_ptr<Sleeper> sleeper;
};

// The OpRequest that CreateSession / AmlScreening submit (kind, path, exact
// body bytes, natural key), for the producer side: idem::Enqueue stores it
// and a worker drives it later (include/idem/enqueue.h). kInvalidArgument
// when the request cannot be encoded.
[[nodiscard]] Result<OpRequest> CreateSessionOp(const CreateSessionRequest& request,
                                                CallOptions call = {});
// The AML op: without vendor_data it gets DerivedVendorData (so it needs an
// op id; one is made when `call` has none). Its natural key
// (CheckNaturalKey("AML", vendor_data)) is set unless save_api_request is
// false (nothing saved to look up).
[[nodiscard]] Result<OpRequest> AmlScreeningOp(AmlRequest request, CallOptions call = {});
// The session calls' ops (kind update_status, delete_session).
[[nodiscard]] Result<OpRequest> UpdateStatusOp(std::string_view session_id,
                                               const UpdateStatusRequest& request,
                                               CallOptions call = {});
[[nodiscard]] Result<OpRequest> DeleteSessionOp(std::string_view session_id, CallOptions call = {});
// The multipart checks' ops, the same way (their boundary derives from the
// op id, so the same op id and files give the same bytes).
[[nodiscard]] Result<OpRequest> PassiveLivenessOp(PassiveLivenessRequest request,
                                                  CallOptions call = {});
[[nodiscard]] Result<OpRequest> FaceMatchOp(FaceMatchRequest request, CallOptions call = {});
[[nodiscard]] Result<OpRequest> IdVerificationOp(IdVerificationRequest request,
                                                 CallOptions call = {});
// Proof of Address, face search, age estimation, database validation
// (check_types.h), the same way.
[[nodiscard]] Result<OpRequest> PoaOp(PoaRequest request, CallOptions call = {});
[[nodiscard]] Result<OpRequest> FaceSearchOp(FaceSearchRequest request, CallOptions call = {});
[[nodiscard]] Result<OpRequest> AgeEstimationOp(AgeEstimationRequest request,
                                                CallOptions call = {});
[[nodiscard]] Result<OpRequest> DatabaseValidationOp(DatabaseValidationRequest request,
                                                     CallOptions call = {});

class SessionPages;

class DiditClient {
 public:
  // Errors as Client::Create.
  [[nodiscard]] static Result<std::unique_ptr<DiditClient>> Create(DiditClientOptions options);
  ~DiditClient();

  // POST /v3/session/ (kind create_session; natural key
  // SessionNaturalKey(workflow_id, vendor_data)). A session adopted by a
  // look-up comes from the list endpoint: its url is the row's session_url,
  // and fields only create returns (session_token) may be empty.
  [[nodiscard]] DiditResult<Session> CreateSession(const CreateSessionRequest& request,
                                                   CallOptions call = {});
  // GET /v3/session/{id}/decision/
  [[nodiscard]] DiditResult<Decision> GetDecision(std::string_view session_id);
  // GET /v3/sessions/ (one page)
  [[nodiscard]] DiditResult<SessionList> ListSessions(const ListSessionsRequest& request);
  // Every page, following `next` (see SessionPages).
  SessionPages ListAllSessions(ListSessionsRequest request);
  // PATCH /v3/session/{id}/update-status/ (kind update_status). After an
  // ambiguous attempt the decision is read: already the target -> succeeded.
  [[nodiscard]] DiditResult<UpdateStatusResult> UpdateStatus(std::string_view session_id,
                                                             const UpdateStatusRequest& request,
                                                             CallOptions call = {});
  // DELETE /v3/session/{id}/delete/ (kind delete_session). A 404 after an
  // ambiguous attempt is success with already_deleted = true; a 404 on the
  // first attempt is kRefused (no such session).
  [[nodiscard]] DiditResult<DeleteResult> DeleteSession(std::string_view session_id,
                                                        CallOptions call = {});
  // POST /v3/aml/ (kind aml, billed; Didit honours the key). See
  // AmlScreeningOp for the vendor_data and natural key it is sent with.
  [[nodiscard]] DiditResult<AmlResult> AmlScreening(const AmlRequest& request,
                                                    CallOptions call = {});
  // Multipart, billed, no key at Didit: settled by a look-up of the saved
  // check, else stopped for review. The boundary derives from the op id, so
  // the journaled bytes are what every retry sends.
  [[nodiscard]] DiditResult<CheckResult> PassiveLiveness(const PassiveLivenessRequest& request,
                                                         CallOptions call = {});
  [[nodiscard]] DiditResult<CheckResult> FaceMatch(const FaceMatchRequest& request,
                                                   CallOptions call = {});
  [[nodiscard]] DiditResult<CheckResult> IdVerification(const IdVerificationRequest& request,
                                                        CallOptions call = {});
  // Billed, no key at Didit, settled like the checks above (check_types.h).
  // Proof of Address takes 5-15 s at Didit (PDFs ~30 s): its timeout is 60 s.
  [[nodiscard]] DiditResult<PoaResult> ProofOfAddress(const PoaRequest& request,
                                                      CallOptions call = {});
  [[nodiscard]] DiditResult<FaceSearchResult> FaceSearch(const FaceSearchRequest& request,
                                                         CallOptions call = {});
  [[nodiscard]] DiditResult<AgeEstimationResult> AgeEstimation(const AgeEstimationRequest& request,
                                                               CallOptions call = {});
  [[nodiscard]] DiditResult<DatabaseValidationResult> DatabaseValidation(
      const DatabaseValidationRequest& request, CallOptions call = {});

  // The driver underneath (Resume, Get, List).
  Client& client();

  // Internal: one GET with retries (see DiditClientOptions::get_retry_policy);
  // `path_or_url` is a path under base_url or an absolute URL on the same
  // origin (a `next` link). `timeout` per attempt; 0 = the transport's. When
  // the retries end without an answer, the last attempt's error, its message
  // ending in " (retries exhausted)" or " (retry budget empty)". With a
  // `body_sink`, a 2xx body goes there instead of HttpResponse::body
  // (HttpRequest::body_sink; each attempt that gets one begins it again).
  [[nodiscard]] DiditResult<HttpResponse> Get(
      std::string_view path_or_url,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0),
      std::shared_ptr<BodySink> body_sink = nullptr);

 private:
  struct Impl;
  explicit DiditClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// All sessions matching a filter, page by page:
//
//   auto pages = didit->ListAllSessions({.vendor_data = "user-1"});
//   while (auto page = pages.Next()) {
//     if (!*page) { /* (*page).error() */ break; }
//     for (const Session& s : (*page)->results) ...
//   }
//
// Next() returns nullopt when there is no further page, an error once (and
// then nullopt) when a page fails. It stops after `max_pages` (default 10000)
// or when `next` leaves the base URL's origin, so a hostile server cannot
// loop it forever or redirect the API key elsewhere.
class SessionPages {
 public:
  SessionPages(DiditClient& client, ListSessionsRequest first, int max_pages = 10000)
      : client_(client), first_(std::move(first)), max_pages_(max_pages) {}
  std::optional<DiditResult<SessionList>> Next();

 private:
  DiditClient& client_;
  ListSessionsRequest first_;
  std::optional<std::string> next_url_;
  int pages_ = 0;
  int max_pages_;
  bool done_ = false;
};

}  // namespace idem::didit
