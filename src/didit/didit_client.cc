#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "common/crypto.h"
#include "didit/json_util.h"
#include "didit/reconcilers.h"
#include "didit/resend_reconciler.h"
#include "didit/surface_reconcilers.h"
#include "idem/didit/client.h"
#include "idem/didit/kyb_registry.h"
#include "idem/didit/op_outcome.h"
#include "idem/didit/session_sharing.h"
#include "idem/natural_key.h"
#include "idem/retry.h"
#include "idem/uuid.h"
#include "retry/retry_loop.h"

namespace idem::didit {
namespace {

DiditError PlainError(const Error& error, std::string op_id = {}) {
  return DiditError{error, std::nullopt, std::move(op_id)};
}

OpRequest MakeOp(std::string_view kind, std::string method, std::string path, EncodedBody body,
                 std::string op_id, std::string natural_key = {}) {
  OpRequest request;
  request.op_id = std::move(op_id);
  request.kind = std::string(kind);
  request.method = std::move(method);
  request.path = std::move(path);
  request.content_type = std::move(body.content_type);
  request.body = std::move(body.body);
  request.natural_key = std::move(natural_key);
  return request;
}

template <typename T>
[[nodiscard]] DiditResult<T> ParsedOr(Result<T> parsed, const std::string& op_id) {
  if (!parsed) {
    return tl::unexpected(
        PlainError(Error(ErrorCode::kCorruption,
                         "succeeded but the response is unreadable: " + parsed.error().message()),
                   op_id));
  }
  return std::move(*parsed);
}

// A top-level string field of a JSON response body; empty when absent.
std::string BodyField(const Operation& op, const char* field) {
  auto parsed = internal::SafeParse(op.response_body);
  if (!parsed || !parsed->is_object()) return {};
  auto it = parsed->find(field);
  return it != parsed->end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "/v3/session/{id}/delete/" -> id: a 204 has no body to read it from.
std::string SessionIdInPath(const Operation& op) {
  constexpr std::string_view kPrefix = "/v3/session/";
  std::string_view path(op.path);
  if (path.substr(0, kPrefix.size()) != kPrefix) return {};
  path.remove_prefix(kPrefix.size());
  return std::string(path.substr(0, path.find('/')));
}

// A GET attempt that got no 2xx: the error its caller gets if no retry
// follows, and whether one may (the ops' classification) and when at the
// earliest (the server's pushback).
struct GetFailure {
  DiditError error;
  bool retry = false;
  bool after_timeout = false;
  std::optional<std::chrono::milliseconds> pushback;
};

GetFailure ClassifyGetFailure(const TransportResult& result, std::string_view path_or_url,
                              std::chrono::system_clock::time_point now,
                              std::chrono::milliseconds max_pushback) {
  if (!result) {
    const TransportError& e = result.error();
    const bool timeout = e.failure == TransportFailure::kTimeout;
    return GetFailure{
        PlainError(Error(timeout ? ErrorCode::kDeadlineExceeded : ErrorCode::kUnavailable,
                         "GET " + std::string(path_or_url) + ": " + e.message)),
        ClassifyTransportFailure(e.failure) == Verdict::kRetry, timeout, std::nullopt};
  }
  ApiError api = ParseApiError(result->status, result->body, result->headers);
  const bool retry = ClassifyStatus(result->status) == Verdict::kRetry;
  const bool denied = result->status == 401 || result->status == 403;
  const ErrorCode code = retry    ? ErrorCode::kUnavailable
                         : denied ? ErrorCode::kPermissionDenied
                                  : ErrorCode::kRefused;
  std::string summary = api.Summary();
  return GetFailure{DiditError{Error(code, std::move(summary)), std::move(api), {}}, retry, false,
                    retry ? ServerPushback(result->headers, now, max_pushback) : std::nullopt};
}

}  // namespace

void AddDiditReconcilers(ClientOptions& options, ReconcilerOptions reconciler) {
  for (auto& [kind, policy] : DiditKindPolicies()) options.kind_policies.try_emplace(kind, policy);
  options.default_kind_policy = DiditDefaultKindPolicy();
  auto session_id = [](const Operation& op) { return BodyField(op, "session_id"); };
  auto request_id = [](const Operation& op) { return BodyField(op, "request_id"); };
  options.resource_id_of[std::string(kCreateSessionKind)] = session_id;
  options.resource_id_of[std::string(kUpdateStatusKind)] = [](const Operation& op) {
    std::string id = BodyField(op, "session_id");
    return id.empty() ? SessionIdInPath(op) : id;
  };
  options.resource_id_of[std::string(kDeleteSessionKind)] = SessionIdInPath;
  // The clone's fresh id (a share mints a token: the source's id is in the path).
  options.resource_id_of[std::string(kImportSharedSessionKind)] = session_id;
  options.resource_id_of[std::string(kShareSessionKind)] = SessionIdInPath;
  for (auto kind : {kAmlKind, kPassiveLivenessKind, kFaceMatchKind, kIdVerificationKind, kPoaKind,
                    kFaceSearchKind, kAgeEstimationKind, kDatabaseValidationKind, kKybSelectKind,
                    kKybSearchKind}) {
    options.resource_id_of[std::string(kind)] = request_id;
  }
  internal::LookupTarget target{options.transport, options.base_url, options.api_key,
                                options.journal};
  options.reconcilers[std::string(kCreateSessionKind)] =
      std::make_shared<internal::CreateSessionReconciler>(target, reconciler);
  options.reconcilers[std::string(kUpdateStatusKind)] =
      std::make_shared<internal::UpdateStatusReconciler>(target, reconciler);
  options.reconcilers[std::string(kDeleteSessionKind)] =
      std::make_shared<internal::DeleteSessionReconciler>(target);
  // The response key of each check, the decision array its saved session
  // shows it in, and the status of a saved record that executed nothing.
  struct CheckLookup {
    std::string_view kind;
    const char* result_key;
    const char* decision_array;
    const char* unbilled_status = "";
    const char* session_kind = "";
  };
  const CheckLookup checks[] = {
      {kAmlKind, "aml", "aml_screenings"},
      {kPassiveLivenessKind, "liveness", "liveness_checks"},
      {kFaceMatchKind, "face_match", "face_matches"},
      {kIdVerificationKind, "id_verification", "id_verifications"},
      {kPoaKind, "poa", "poa_verifications"},
      // Didit documents no decision array for face search; the sandbox
      // shows it in face_matches (docs/sandbox.md).
      {kFaceSearchKind, "face_search", "face_matches"},
      // Didit shows a saved age estimation in liveness_checks (OAS).
      {kAgeEstimationKind, "age_estimation", "liveness_checks"},
      // Its 502 (no service answered, not billed) is saved `Not Finished`
      // (OAS): when that answer is lost, the record is no check result.
      {kDatabaseValidationKind, "database_validation", "database_validations", "Not Finished"},
      // A KYB registry select is saved as a business session, listed only
      // with session_kind=business; its decision's registry_checks holds the
      // profile (fact sheet section 4; the array is inferred).
      {kKybSelectKind, "kyb_registry", "registry_checks", "", "business"},
  };
  for (const CheckLookup& c : checks) {
    options.reconcilers[std::string(c.kind)] = std::make_shared<internal::CheckReconciler>(
        target, reconciler, c.result_key, c.decision_array, c.unbilled_status, c.session_kind);
  }
  internal::AddResendReconcilers(options);  // batch delete, OTP send and check
  // The management API and transactions.
  internal::AddSurfaceReconcilers(options);
  // Session sharing: share is sent again; import is sent again and its
  // "already been shared" 403 goes to the look-up (session_sharing.h).
  options.reconcilers[std::string(kShareSessionKind)] =
      std::make_shared<internal::ResendReconciler>(0, "");
  options.reconcilers[std::string(kImportSharedSessionKind)] =
      std::make_shared<internal::ImportSharedReconciler>(target, reconciler);
  // Creates whose natural key Didit keeps unique, and the import's one
  // redeem per receiver: a retry's "already exists" refusal goes to the
  // look-up above, not to `failed`.
  for (const EndpointProfile& e : DiditEndpoints()) {
    const ExistsRefusal rule = ExistsRefusalOf(e);
    if (rule.status != 0) {
      options.exists_refusal[std::string(e.kind)] = internal::ExistsRefusalOf(rule);
    }
  }
}

std::string DerivedVendorData(std::string_view op_id) {
  if (op_id.size() <= 200) return "idem:" + std::string(op_id);
  return "idem:" + crypto::Sha256Hex(op_id);
}

struct DiditClient::Impl {
  DiditClientOptions options;
  std::unique_ptr<Client> client;

  // Sends a check's op and reads the answer as a CheckResult.
  DiditResult<CheckResult> Check(Result<OpRequest> op_request) {
    if (!op_request) return tl::unexpected(PlainError(op_request.error()));
    auto op = OpOutcome(client->Call(std::move(*op_request)));
    if (!op) return tl::unexpected(op.error());
    return ParsedOr(ParseCheckResult(op->response_body), op->op_id);
  }
};

DiditClient::DiditClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DiditClient::~DiditClient() = default;

Result<std::unique_ptr<DiditClient>> DiditClient::Create(DiditClientOptions options) {
  if (!options.client.transport) {
    return MakeError(ErrorCode::kInvalidArgument, "DiditClient needs a transport");
  }
  while (!options.client.base_url.empty() && options.client.base_url.back() == '/') {
    options.client.base_url.pop_back();
  }
  if (!options.sleeper) options.sleeper = std::make_shared<RealSleeper>();
  options.get_attempts = std::max(1, options.get_attempts);
  // The Client's budget, made here when the caller gave none, so the Client
  // below and Get share one bucket.
  if (!options.client.budget) options.client.budget = std::make_shared<RetryBudget>();
  if (!options.get_retry_policy) {
    options.get_retry_policy = std::make_shared<LimitedAttemptsRetryPolicy>(
        options.get_attempts, kNoElapsedLimit, options.client.clock);
  }
  if (!options.get_backoff_policy) {
    options.get_backoff_policy = std::make_shared<FullJitterBackoff>(
        options.get_backoff, std::chrono::seconds(2), options.client.random);
  }
  // Unless the caller registered (and adjusted) them already.
  if (!options.client.reconcilers.contains(std::string(kCreateSessionKind))) {
    AddDiditReconcilers(options.client, options.reconciler);
  }
  auto client = Client::Create(options.client);
  if (!client) return tl::unexpected(client.error());
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->client = std::move(*client);
  return std::unique_ptr<DiditClient>(new DiditClient(std::move(impl)));
}

Client& DiditClient::client() { return *impl_->client; }

DiditResult<HttpResponse> DiditClient::Get(std::string_view path_or_url,
                                           std::chrono::milliseconds timeout,
                                           std::shared_ptr<BodySink> body_sink) {
  const ClientOptions& co = impl_->options.client;
  std::string url;
  if (path_or_url.starts_with("/")) {
    url = co.base_url + std::string(path_or_url);
  } else if (internal::SameOrigin(path_or_url, co.base_url)) {
    url = std::string(path_or_url);
  } else {
    // Never send the API key to another origin a response pointed at.
    return MakeDiditError(ErrorCode::kInvalidArgument, "URL outside the base URL's origin");
  }
  const DiditClientOptions& o = impl_->options;
  // A clone of each prototype for this GET; the budget is the Client's.
  idem::internal::RetryLoop loop(*o.get_retry_policy, *o.get_backoff_policy, co.budget);
  for (;;) {
    HttpRequest request;
    request.method = "GET";
    request.url = url;
    request.timeout = timeout;
    request.body_sink = body_sink;
    if (!co.api_key.empty()) request.headers.push_back({"x-api-key", co.api_key});
    TransportResult result = co.transport->SendAndWait(std::move(request));
    if (result && ClassifyStatus(result->status) == Verdict::kSuccess) {
      loop.OnSuccess();
      return std::move(*result);
    }
    GetFailure failure = ClassifyGetFailure(
        result, path_or_url, co.clock ? co.clock->Now() : DefaultClock()->Now(), co.max_pushback);
    if (!failure.retry) return tl::unexpected(std::move(failure.error));
    auto delay = loop.NextDelay(failure.after_timeout, failure.pushback);
    if (!delay) {
      const Error& e = failure.error.error;
      failure.error.error =
          Error(e.code(), e.message() + std::string(idem::internal::StopSuffix(loop.stop())));
      return tl::unexpected(std::move(failure.error));
    }
    o.sleeper->SleepFor(*delay);
  }
}

[[nodiscard]] Result<OpRequest> CreateSessionOp(const CreateSessionRequest& request,
                                                CallOptions call) {
  auto body = Encode(request);
  if (!body) return tl::unexpected(body.error());
  std::string natural_key = request.vendor_data.empty()
                                ? ""
                                : SessionNaturalKey(request.workflow_id, request.vendor_data);
  return MakeOp(kCreateSessionKind, "POST", "/v3/session/", std::move(*body), std::move(call.op_id),
                std::move(natural_key));
}

namespace {

// A check's vendor_data (derived from the op id when the caller gave none)
// and its natural key, which the look-up after a lost response reads; a check
// not saved (save_api_request=false) has nothing to look up. Fixes the op id
// first, since both (and a multipart boundary) derive from it.
template <typename Request>
std::string PrepareCheck(Request& request, CallOptions& call, std::string_view api_service) {
  if (call.op_id.empty()) call.op_id = NewUuidV4();
  if (!request.vendor_data || request.vendor_data->empty()) {
    request.vendor_data = DerivedVendorData(call.op_id);
  }
  if (request.save_api_request == false) return {};
  return CheckNaturalKey(api_service, *request.vendor_data);
}

template <typename Request>
[[nodiscard]] Result<OpRequest> MultipartCheckOp(std::string_view kind, Request request,
                                                 CallOptions call) {
  const EndpointProfile* endpoint = FindDiditEndpoint(kind);
  std::string natural_key = PrepareCheck(request, call, endpoint->api_service);
  auto body = Encode(request, call.op_id);
  if (!body) return tl::unexpected(body.error());
  return MakeOp(kind, "POST", std::string(endpoint->path), std::move(*body), std::move(call.op_id),
                std::move(natural_key));
}

}  // namespace

[[nodiscard]] Result<OpRequest> AmlScreeningOp(AmlRequest request, CallOptions call) {
  std::string natural_key = PrepareCheck(request, call, FindDiditEndpoint(kAmlKind)->api_service);
  auto body = Encode(request);
  if (!body) return tl::unexpected(body.error());
  return MakeOp(kAmlKind, "POST", "/v3/aml/", std::move(*body), std::move(call.op_id),
                std::move(natural_key));
}

[[nodiscard]] Result<OpRequest> PassiveLivenessOp(PassiveLivenessRequest request,
                                                  CallOptions call) {
  return MultipartCheckOp(kPassiveLivenessKind, std::move(request), std::move(call));
}

[[nodiscard]] Result<OpRequest> FaceMatchOp(FaceMatchRequest request, CallOptions call) {
  return MultipartCheckOp(kFaceMatchKind, std::move(request), std::move(call));
}

[[nodiscard]] Result<OpRequest> IdVerificationOp(IdVerificationRequest request, CallOptions call) {
  return MultipartCheckOp(kIdVerificationKind, std::move(request), std::move(call));
}

DiditResult<Session> DiditClient::CreateSession(const CreateSessionRequest& request,
                                                CallOptions call) {
  auto op_request = CreateSessionOp(request, std::move(call));
  if (!op_request) return tl::unexpected(PlainError(op_request.error()));
  auto op = OpOutcome(impl_->client->Call(std::move(*op_request)));
  if (!op) return tl::unexpected(op.error());
  return ParsedOr(ParseSession(op->response_body), op->op_id);
}

DiditResult<Decision> DiditClient::GetDecision(std::string_view session_id) {
  if (session_id.empty()) return MakeDiditError(ErrorCode::kInvalidArgument, "empty session id");
  auto response = Get("/v3/session/" + UrlEncode(session_id) + "/decision/");
  if (!response) return tl::unexpected(response.error());
  return ParsedOr(ParseDecision(response->body), "");
}

DiditResult<SessionList> DiditClient::ListSessions(const ListSessionsRequest& request) {
  auto response = Get(ListSessionsPath(request));
  if (!response) return tl::unexpected(response.error());
  return ParsedOr(ParseSessionList(response->body), "");
}

SessionPages DiditClient::ListAllSessions(ListSessionsRequest request) {
  return SessionPages(*this, std::move(request));
}

std::optional<DiditResult<SessionList>> SessionPages::Next() {
  if (done_) return std::nullopt;
  if (pages_ >= max_pages_) {
    done_ = true;
    return DiditResult<SessionList>(
        MakeDiditError(ErrorCode::kFailedPrecondition, "stopped after max_pages pages"));
  }
  DiditResult<SessionList> page = [&]() -> DiditResult<SessionList> {
    if (pages_ == 0) return client_.ListSessions(first_);
    auto response = client_.Get(*next_url_);
    if (!response) return tl::unexpected(response.error());
    return ParsedOr(ParseSessionList(response->body), "");
  }();
  ++pages_;
  if (!page || !page->next || page->next->empty()) {
    done_ = true;
  } else {
    next_url_ = *page->next;
  }
  return page;
}

[[nodiscard]] Result<OpRequest> UpdateStatusOp(std::string_view session_id,
                                               const UpdateStatusRequest& request,
                                               CallOptions call) {
  if (session_id.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty session id");
  auto body = Encode(request);
  if (!body) return tl::unexpected(body.error());
  return MakeOp(kUpdateStatusKind, "PATCH",
                "/v3/session/" + UrlEncode(session_id) + "/update-status/", std::move(*body),
                std::move(call.op_id));
}

[[nodiscard]] Result<OpRequest> DeleteSessionOp(std::string_view session_id, CallOptions call) {
  if (session_id.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty session id");
  return MakeOp(kDeleteSessionKind, "DELETE", "/v3/session/" + UrlEncode(session_id) + "/delete/",
                EncodedBody{"", ""}, std::move(call.op_id));
}

DiditResult<UpdateStatusResult> DiditClient::UpdateStatus(std::string_view session_id,
                                                          const UpdateStatusRequest& request,
                                                          CallOptions call) {
  auto op_request = UpdateStatusOp(session_id, request, std::move(call));
  if (!op_request) return tl::unexpected(PlainError(op_request.error()));
  auto op = OpOutcome(impl_->client->Call(std::move(*op_request)));
  if (!op) return tl::unexpected(op.error());
  return ParsedOr(ParseUpdateStatusResult(op->response_body), op->op_id);
}

DiditResult<DeleteResult> DiditClient::DeleteSession(std::string_view session_id,
                                                     CallOptions call) {
  auto op_request = DeleteSessionOp(session_id, std::move(call));
  if (!op_request) return tl::unexpected(PlainError(op_request.error()));
  auto op = OpOutcome(impl_->client->Call(std::move(*op_request)));
  if (!op) return tl::unexpected(op.error());
  return DeleteResult{std::string(session_id), op->response_status == 404};
}

DiditResult<AmlResult> DiditClient::AmlScreening(const AmlRequest& request, CallOptions call) {
  return impl_->Check(AmlScreeningOp(request, std::move(call)));
}

DiditResult<CheckResult> DiditClient::PassiveLiveness(const PassiveLivenessRequest& request,
                                                      CallOptions call) {
  return impl_->Check(PassiveLivenessOp(request, std::move(call)));
}

DiditResult<CheckResult> DiditClient::FaceMatch(const FaceMatchRequest& request, CallOptions call) {
  return impl_->Check(FaceMatchOp(request, std::move(call)));
}

DiditResult<CheckResult> DiditClient::IdVerification(const IdVerificationRequest& request,
                                                     CallOptions call) {
  return impl_->Check(IdVerificationOp(request, std::move(call)));
}

}  // namespace idem::didit
