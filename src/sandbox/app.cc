#include "sandbox/app.h"

#include <algorithm>
#include <ctime>

#include "common/crypto.h"
#include "common/idempotency_key_reader.h"
#include "idem/uuid.h"
#include "sandbox/credits.h"
#include "sandbox/multipart.h"
#include "sandbox/profile.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

std::string_view ExecutionKind(Endpoint e) {
  switch (e) {
    case Endpoint::kCreateSession:
      return "create_session";
    case Endpoint::kUpdateStatus:
      return "update_status";
    case Endpoint::kDeleteSession:
      return "delete_session";
    case Endpoint::kAml:
      return "aml";
    case Endpoint::kPassiveLiveness:
      return "passive_liveness";
    case Endpoint::kFaceMatch:
      return "face_match";
    case Endpoint::kIdVerification:
      return "id_verification";
    case Endpoint::kBatchDelete:
      return "batch_delete_sessions";
    case Endpoint::kPhoneSend:
      return "phone_send";
    case Endpoint::kPhoneCheck:
      return "phone_check";
    case Endpoint::kEmailSend:
      return "email_send";
    case Endpoint::kEmailCheck:
      return "email_check";
    case Endpoint::kPoa:
      return "poa";
    case Endpoint::kFaceSearch:
      return "face_search";
    case Endpoint::kAgeEstimation:
      return "age_estimation";
    case Endpoint::kDatabaseValidation:
      return "database_validation";
    case Endpoint::kWalletScreening:
      return "wallet_screening";
    case Endpoint::kKybSelect:
      return "kyb_select";
    case Endpoint::kCreateDestination:
      return "create_webhook_destination";
    case Endpoint::kUpdateDestination:
      return "update_webhook_destination";
    case Endpoint::kDeleteDestination:
      return "delete_webhook_destination";
    case Endpoint::kUpdateWebhook:
      return "update_webhook";
    case Endpoint::kCreateTransaction:
      return "create_transaction";
    case Endpoint::kCreateEvent:
      return "create_event";
    case Endpoint::kCreateEventBatch:
      return "create_event_batch";
    case Endpoint::kCreateUser:
      return "create_user";
    case Endpoint::kCreateBusiness:
      return "create_business";
    case Endpoint::kUpdateSessionData:
      return "update_session_data";
    case Endpoint::kCreateWorkflow:
      return "create_workflow";
    case Endpoint::kImportSharedSession:
      return "import_shared_session";
    default:
      return "";
  }
}

constexpr std::string_view kExecutionKinds[] = {"create_session",
                                                "update_status",
                                                "delete_session",
                                                "aml",
                                                "passive_liveness",
                                                "face_match",
                                                "id_verification",
                                                "batch_delete_sessions",
                                                "phone_send",
                                                "phone_check",
                                                "email_send",
                                                "email_check",
                                                "poa",
                                                "face_search",
                                                "age_estimation",
                                                "database_validation",
                                                "create_webhook_destination",
                                                "update_webhook_destination",
                                                "delete_webhook_destination",
                                                "update_webhook",
                                                "create_transaction",
                                                "create_event",
                                                "create_event_batch",
                                                "create_user",
                                                "create_business",
                                                "update_session_data",
                                                "create_workflow",
                                                "wallet_screening",
                                                "kyb_select",
                                                "import_shared_session"};
constexpr FaultKind kFaultKinds[] = {
    FaultKind::kDropBefore, FaultKind::kDropAfter, FaultKind::kError503, FaultKind::kError500After,
    FaultKind::kRateLimit,  FaultKind::kSlow,      FaultKind::kSlowExec};

Outcome Respond(Response r) {
  Outcome o;
  o.response = std::move(r);
  return o;
}

Outcome Close() {
  Outcome o;
  o.action = Outcome::Action::kClose;
  return o;
}

// Adds the scopes' X-RateLimit-* to a successful answer (status < 400; also
// the one a slow_exec resumes with). Never to an error: a client takes a
// 5xx's or 409's X-RateLimit-Reset as a pushback floor, and the window's
// reset (up to 60 s away) is no reason to wait there.
void AddRateHeaders(Outcome& outcome, const Headers& headers) {
  if (outcome.action == Outcome::Action::kRespond && outcome.response.status < 400 &&
      !FindHeader(outcome.response.headers, "X-RateLimit-Limit")) {
    for (const auto& h : headers) outcome.response.headers.push_back(h);
  }
  if (outcome.resume) {
    outcome.resume = [inner = std::move(outcome.resume), headers] {
      Outcome resumed = inner();
      AddRateHeaders(resumed, headers);
      return resumed;
    };
  }
}

bool ReadOnly(Endpoint e) {
  return e == Endpoint::kDecision || e == Endpoint::kListSessions || e == Endpoint::kGeneratePdf ||
         e == Endpoint::kListDestinations || e == Endpoint::kGetDestination ||
         e == Endpoint::kListTransactions || e == Endpoint::kGetTransaction ||
         e == Endpoint::kGetUser || e == Endpoint::kGetBusiness || e == Endpoint::kListWorkflows ||
         e == Endpoint::kGetWorkflow || e == Endpoint::kSessionWebhooks;
}

}  // namespace

std::string IsoTime(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

App::App(AppConfig config, std::unique_ptr<Persistence> persistence)
    : config_(std::move(config)),
      persistence_(std::move(persistence)),
      fault_random_(config_.seed),
      api_key_digest_(crypto::Sha256Hex(config_.api_key).substr(0, 16)),
      peer_key_digest_(crypto::Sha256Hex(config_.peer_api_key).substr(0, 16)),
      base_url_(config_.base_url) {
  if (!config_.clock) config_.clock = DefaultClock();
  if (config_.rate_scopes.enabled()) {
    scope_limiter_ = std::make_unique<ScopeLimiter>(config_.rate_scopes);
  }
  CallbackConfig callbacks = config_.callbacks;
  if (!callbacks.clock) callbacks.clock = config_.clock;
  callbacks_ = std::make_unique<CallbackDispatch>(std::move(callbacks));
}

Result<std::unique_ptr<App>> App::Create(AppConfig config,
                                         std::unique_ptr<Persistence> persistence) {
  std::unique_ptr<App> app(new App(std::move(config), std::move(persistence)));
  if (app->persistence_) {
    // A shared store commits each execution itself, inside its exclusive
    // section: no group commit (the lock already serialises the writers).
    app->shared_ = dynamic_cast<SharedStore*>(app->persistence_.get());
    if (!app->shared_) app->committer_ = std::make_unique<GroupCommitter>(*app->persistence_);
    auto loaded = app->persistence_->Load();
    if (!loaded) return tl::unexpected(loaded.error());
    std::lock_guard<std::mutex> lock(app->mu_);
    app->MergeLocked(std::move(*loaded));
  }
  return app;
}

void App::MergeLocked(LoadedState changes) {
  for (auto& s : changes.sessions) {
    auto it = sessions_.find(s.session_id);
    if (it == sessions_.end()) {
      next_session_number_ = std::max(next_session_number_, s.session_number + 1);
      IndexSession(s);
      sessions_.emplace(s.session_id, std::move(s));
    } else {
      it->second = std::move(s);
    }
  }
  for (auto& k : changes.keys) keys_[k.scope] = std::move(k);
  for (auto& e : changes.executions) {
    // A shared store returns this process's own commits too: seq is dense.
    if (!executions_.empty() && e.seq <= executions_.back().seq) continue;
    ++executions_by_fingerprint_[e.fingerprint];
    executions_.push_back(std::move(e));
  }
}

void App::RefreshSharedLocked() {
  if (!shared_) return;
  // A failed read leaves the local copy as it was (stale, never wrong).
  if (auto changes = shared_->Changes()) MergeLocked(std::move(*changes));
}

void App::set_base_url(std::string url) {
  std::lock_guard<std::mutex> lock(mu_);
  base_url_ = std::move(url);
}

std::int64_t App::NowMs() const { return ToUnixMillis(config_.clock->Now()); }

std::string App::CallerApplication(const Request& request) const {
  const auto key = FindHeader(request.headers, "x-api-key");
  if (key && !config_.peer_api_key.empty() &&
      crypto::ConstantTimeEquals(*key, config_.peer_api_key)) {
    return config_.peer_application_id;
  }
  return config_.application_id;
}

std::string App::BaseUrl(const Request& request) const {
  if (auto host = FindHeader(request.headers, "Host");
      host && !host->empty() && host->find_first_of(" /\\\"") == std::string_view::npos) {
    return "http://" + std::string(*host);
  }
  return base_url_;
}

void App::Emit(const std::vector<SandboxSessionEvent>& events) {
  if (!config_.event_sink) return;
  for (const auto& e : events) config_.event_sink->OnSessionEvent(e);
}

void App::SendCallbacks(std::vector<EndpointResult::Callback>& callbacks) {
  for (auto& c : callbacks) {
    // Lost only when the sender cannot be made or is shutting down, as
    // Didit loses a callback its sender gives up on.
    (void)callbacks_->Send(std::move(c.url), std::move(c.payload));
  }
}

Outcome App::Handle(const Request& request) {
  const std::size_t q = request.target.find('?');
  const std::string_view target(request.target);
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string::npos ? std::string_view() : target.substr(q + 1);
  const Route route = Resolve(request.method, path);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
  }
  if (route.control) return HandleControl(request, route, query);
  return HandleApi(request, route, path, query);
}

Outcome App::HandleControl(const Request& request, const Route& route, std::string_view) {
  if (route.endpoint == Endpoint::kNotFound) return Respond(DetailResponse(404, "Not found."));
  if (!route.method_allowed) {
    Response r = DetailResponse(405, "Method \"" + request.method + "\" not allowed.");
    r.headers.push_back({"Allow", std::string(route.allowed)});
    return Respond(std::move(r));
  }
  switch (route.endpoint) {
    case Endpoint::kHealth:
      return Respond(JsonResponse(200, {{"status", "ok"}}));
    case Endpoint::kStats: {
      Response r;
      r.headers.push_back({"Content-Type", "application/json"});
      r.body = StatsJson();
      return Respond(std::move(r));
    }
    case Endpoint::kExecutions: {
      Response r;
      r.headers.push_back({"Content-Type", "application/json"});
      r.body = ExecutionsJson();
      return Respond(std::move(r));
    }
    case Endpoint::kAdvance: {
      std::vector<SandboxSessionEvent> events;
      Response r = Advance(request, route.session_id, events);
      Emit(events);
      return Respond(std::move(r));
    }
    case Endpoint::kDataUpdated: {
      std::vector<SandboxSessionEvent> events;
      Response r = DataUpdated(route.session_id, events);
      Emit(events);
      return Respond(std::move(r));
    }
    default:
      return Respond(DetailResponse(404, "Not found."));
  }
}

std::optional<Response> App::CheckRateLimit() {
  if (config_.rate_limit <= 0) return std::nullopt;
  const std::int64_t now = NowMs();
  constexpr std::int64_t kWindowMs = 60'000;
  std::lock_guard<std::mutex> lock(mu_);
  while (!rate_window_ms_.empty() && rate_window_ms_.front() <= now - kWindowMs) {
    rate_window_ms_.pop_front();
  }
  if (rate_window_ms_.size() < static_cast<std::size_t>(config_.rate_limit)) {
    rate_window_ms_.push_back(now);
    return std::nullopt;
  }
  ++rate_limited_429_;
  const std::int64_t reset_ms = rate_window_ms_.front() + kWindowMs;
  const std::int64_t wait_s = std::max<std::int64_t>(1, (reset_ms - now + 999) / 1000);
  Response r = DetailResponse(429, "Request was throttled.");
  r.headers.push_back({"Retry-After", std::to_string(wait_s)});
  r.headers.push_back({"X-RateLimit-Limit", std::to_string(config_.rate_limit)});
  r.headers.push_back({"X-RateLimit-Remaining", "0"});
  r.headers.push_back({"X-RateLimit-Reset", std::to_string((reset_ms + 999) / 1000)});
  return r;
}

std::string App::Fingerprint(const Request& request, std::string_view path) const {
  if (auto ct = FindHeader(request.headers, "Content-Type")) {
    if (auto boundary = MultipartBoundary(*ct)) {
      if (auto parts = ParseMultipart(request.body, *boundary)) {
        return RequestFingerprint(request.method, path, CanonicalMultipart(*parts));
      }
    }
  }
  return RequestFingerprint(request.method, path, request.body);
}

Outcome App::HandleApi(const Request& request, const Route& route, std::string_view path,
                       std::string_view query) {
  if (route.endpoint == Endpoint::kNotFound) return Respond(DetailResponse(404, "Not found."));
  if (!route.method_allowed) {
    Response r = DetailResponse(405, "Method \"" + request.method + "\" not allowed.");
    r.headers.push_back({"Allow", std::string(route.allowed)});
    return Respond(std::move(r));
  }
  if (!scope_limiter_) return HandleAdmitted(request, route, path, query);
  // Before authentication: Didit's identifier is the raw x-api-key header
  // (else the client's address), so an unknown key has windows of its own.
  const auto verdict = scope_limiter_->Admit(RateIdentifier(request.headers, request.remote_ip),
                                             request.method, route.endpoint, NowMs());
  if (!verdict) return HandleAdmitted(request, route, path, query);
  Headers headers{{"X-RateLimit-Limit", std::to_string(verdict->limit)},
                  {"X-RateLimit-Remaining", std::to_string(verdict->remaining)},
                  {"X-RateLimit-Reset", std::to_string(verdict->reset_s)}};
  if (!verdict->admitted) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++rate_limited_429_;
    }
    Response r = DetailResponse(429, RateScopeDetail(verdict->scope, verdict->limit));
    r.headers.push_back({"Retry-After", std::to_string(verdict->retry_after)});
    for (auto& h : headers) r.headers.push_back(std::move(h));
    return Respond(std::move(r));
  }
  Outcome outcome = HandleAdmitted(request, route, path, query);
  AddRateHeaders(outcome, headers);
  return outcome;
}

Outcome App::HandleAdmitted(const Request& request, const Route& route, std::string_view path,
                            std::string_view query) {
  const auto api_key = FindHeader(request.headers, "x-api-key");
  if (!api_key) {
    return Respond(DetailResponse(403, "Authentication credentials were not provided."));
  }
  const bool peer =
      !config_.peer_api_key.empty() && crypto::ConstantTimeEquals(*api_key, config_.peer_api_key);
  if (!peer && !crypto::ConstantTimeEquals(*api_key, config_.api_key)) {
    return Respond(DetailResponse(401, "Invalid API key."));
  }

  const FaultDecision fault = config_.faults.Decide(
      fault_random_, request.method == "GET" ? RequestKind::kRead : RequestKind::kWrite);
  if (fault.kind != FaultKind::kNone) {
    std::lock_guard<std::mutex> lock(mu_);
    ++faults_[std::string(FaultKindName(fault.kind))];
  }
  switch (fault.kind) {
    case FaultKind::kDropBefore:
      return Close();
    case FaultKind::kError503: {
      Response r = DetailResponse(503, "Service temporarily unavailable.");
      bool with_retry_after;
      {
        std::lock_guard<std::mutex> lock(mu_);
        with_retry_after = (error_503_count_++ % 2) == 0;
      }
      if (with_retry_after) {
        r.headers.push_back({"Retry-After", std::to_string(config_.faults.retry_after_seconds())});
      }
      return Respond(std::move(r));
    }
    case FaultKind::kRateLimit: {
      const int retry = config_.faults.retry_after_seconds();
      Response r = DetailResponse(429, "Request was throttled.");
      r.headers.push_back({"Retry-After", std::to_string(retry)});
      r.headers.push_back({"X-RateLimit-Limit", "300"});
      r.headers.push_back({"X-RateLimit-Remaining", "0"});
      r.headers.push_back({"X-RateLimit-Reset", std::to_string(NowMs() / 1000 + retry)});
      return Respond(std::move(r));
    }
    default:
      break;
  }
  if (auto limited = CheckRateLimit()) return Respond(std::move(*limited));

  if (route.endpoint == Endpoint::kPdfRedirect) {
    return Respond(PdfRedirect(route.session_id, path, query));
  }
  if (route.endpoint == Endpoint::kListRedirect) {
    Response r = DetailResponse(301, "Moved permanently.");
    std::string location = "/v3/sessions/";
    if (!query.empty()) location += "?" + std::string(query);
    r.headers.push_back({"Location", location});
    return Respond(std::move(r));
  }

  std::optional<KeyContext> key;
  // Elsewhere the header is ignored as an unknown header would be: not
  // parsed, not stored.
  if (config_.idempotency && KeyedRoute(config_.profile, route.endpoint, request.method)) {
    if (auto header = FindHeader(request.headers, "Idempotency-Key")) {
      auto parsed = internal::ReadIdempotencyKey(*header);
      if (!parsed) {
        std::lock_guard<std::mutex> lock(mu_);
        ++bad_keys_400_;
        return Respond(BadKeyResponse(config_.profile, parsed.error().message()));
      }
      key = KeyContext{*parsed, (peer ? peer_key_digest_ : api_key_digest_) + ":" + *parsed,
                       Fingerprint(request, path)};
      const std::int64_t now = NowMs();
      const std::int64_t ttl_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(config_.key_ttl).count();
      std::unique_lock<std::mutex> lock(mu_);
      if (shared_) {
        // The key's state lives in the shared database: a duplicate sent to
        // another sandbox process sees this claim.
        auto claim = shared_->ClaimKey(key->scope, key->fingerprint, now, ttl_ms);
        if (!claim) {
          return Respond(
              DetailResponse(503, "The sandbox store is unavailable: " + claim.error().message()));
        }
        switch (claim->state) {
          case SharedStore::KeyState::kReplay:
            ++replays_;
            lock.unlock();
            return ApplyAfterFault(ReplayedResponse(claim->response, ReplayMarker()), fault);
          case SharedStore::KeyState::kMismatch:
            CountMismatchLocked();
            return Respond(KeyReusedResponse(config_.profile));
          case SharedStore::KeyState::kInProgress:
            ++conflicts_409_;
            return Respond(KeyInUseResponse(config_.profile));
          case SharedStore::KeyState::kClaimed:
            key->token = claim->token;
            break;
        }
      } else {
        auto it = keys_.find(key->scope);
        if (it != keys_.end() && it->second.created_ms + ttl_ms <= now) {
          // Forgotten in memory now; on disk with the next commit (this
          // request's own execution follows and waits for it).
          if (committer_) {
            Mutation expire;
            expire.expired_keys.push_back(key->scope);
            committer_->Enqueue(std::move(expire));
          }
          keys_.erase(it);
          it = keys_.find(key->scope);
        }
        if (it != keys_.end()) {
          if (it->second.fingerprint != key->fingerprint) {
            CountMismatchLocked();
            lock.unlock();
            return Respond(KeyReusedResponse(config_.profile));
          }
          ++replays_;
          const StoredResponse stored = it->second.response;
          lock.unlock();
          return ApplyAfterFault(ReplayedResponse(stored, ReplayMarker()), fault);
        }
        if (in_progress_.count(key->scope) != 0) {
          ++conflicts_409_;
          lock.unlock();
          return Respond(KeyInUseResponse(config_.profile));
        }
        in_progress_.insert(key->scope);
      }
    }
  }

  if (fault.kind == FaultKind::kSlowExec && fault.delay_ms > 0) {
    Outcome held;
    held.hold_ms = fault.delay_ms;
    // Copies: the caller's request does not outlive this call.
    held.resume = [this, request, route, path = std::string(path), query = std::string(query), key,
                   fault]() { return Execute(request, route, path, query, key, fault); };
    return held;
  }
  return Execute(request, route, path, query, key, fault);
}

App::EndpointResult App::RunEndpoint(const Request& request, const Route& route,
                                     std::string_view query, const std::optional<KeyContext>& key,
                                     std::int64_t now) {
  EndpointResult result;
  caller_app_ = CallerApplication(request);
  // The balance first: a call refused for want of credits did not run, so
  // its body is never looked at (Didit's order of the two is unconfirmed),
  // and no Idempotency-Key is bound to the refusal (as after a 400): the
  // same request may run after a top-up.
  if (auto refused = CreditRefusal(config_.credits, route.endpoint)) {
    result.response = std::move(*refused);
    return result;
  }
  switch (route.endpoint) {
    case Endpoint::kCreateSession:
      result = CreateSession(request, now);
      break;
    case Endpoint::kDecision:
      result = Decision(route.session_id, &caller_app_);
      break;
    case Endpoint::kUpdateStatus:
      result = UpdateStatus(request, route.session_id, now);
      break;
    case Endpoint::kDeleteSession:
      result = DeleteSession(route.session_id, now);
      break;
    case Endpoint::kListSessions:
      result = ListSessions(request, query);
      break;
    case Endpoint::kAml:
      result = Aml(request, now);
      break;
    case Endpoint::kPassiveLiveness:
      result = PassiveLiveness(request, now);
      break;
    case Endpoint::kFaceMatch:
      result = FaceMatch(request, now);
      break;
    case Endpoint::kIdVerification:
      result = IdVerification(request, now);
      break;
    case Endpoint::kGeneratePdf:
      result = GeneratePdf(route.session_id, now);
      break;
    case Endpoint::kBatchDelete:
      result = BatchDelete(request, now);
      break;
    case Endpoint::kPhoneSend:
    case Endpoint::kEmailSend:
      result = OtpSend(request, route.endpoint, now);
      break;
    case Endpoint::kPhoneCheck:
    case Endpoint::kEmailCheck:
      result = OtpCheck(request, route.endpoint, now);
      break;
    case Endpoint::kPoa:
      result = Poa(request, now);
      break;
    case Endpoint::kFaceSearch:
      result = FaceSearch(request, now);
      break;
    case Endpoint::kAgeEstimation:
      result = AgeEstimation(request, now);
      break;
    case Endpoint::kDatabaseValidation:
      result = DatabaseValidation(request, now);
      break;
    case Endpoint::kWalletScreening:
      result = WalletScreening(request, now);
      break;
    case Endpoint::kKybSearch:
      result = KybSearch(request, now);
      break;
    case Endpoint::kKybSelect:
      result = KybSelect(request, now);
      break;
    case Endpoint::kShareSession:
      result = ShareSession(request, route.session_id, now);
      break;
    case Endpoint::kImportSharedSession:
      result = ImportSharedSession(request, now);
      break;
    case Endpoint::kListDestinations:
      result = ListDestinations();
      break;
    case Endpoint::kCreateDestination:
      result = CreateDestination(request, now);
      break;
    case Endpoint::kGetDestination:
      result = GetDestination(route.session_id);
      break;
    case Endpoint::kUpdateDestination:
      result = UpdateDestination(request, route.session_id, now);
      break;
    case Endpoint::kDeleteDestination:
      result = DeleteDestination(route.session_id, now);
      break;
    case Endpoint::kGetWebhook:
      result = GetWebhook(now);
      break;
    case Endpoint::kUpdateWebhook:
      result = UpdateWebhook(request, now);
      break;
    case Endpoint::kListTransactions:
      result = ListTransactions(request, query);
      break;
    case Endpoint::kCreateTransaction:
      result = CreateTransaction(request, now);
      break;
    case Endpoint::kGetTransaction:
      result = GetTransaction(route.session_id);
      break;
    case Endpoint::kCreateEvent:
      result = CreateMonitoringEvent(request, now);
      break;
    case Endpoint::kSessionWebhooks:
      result = ListSessionWebhooks(route.session_id);
      break;
    case Endpoint::kResendWebhook:
      result = ResendWebhook(route.session_id, route.item_id, now);
      break;
    case Endpoint::kCreateEventBatch:
      result = CreateMonitoringEventBatch(request, now);
      break;
    case Endpoint::kCreateUser:
      result = CreateUser(request, now);
      break;
    case Endpoint::kCreateBusiness:
      result = CreateBusiness(request, now);
      break;
    case Endpoint::kGetUser:
    case Endpoint::kGetBusiness:
      result = GetUserOrBusiness(route.endpoint, route.session_id);
      break;
    case Endpoint::kUpdateSessionData:
      result = UpdateSessionData(request, route.session_id, now);
      break;
    case Endpoint::kCreateWorkflow:
      result = CreateWorkflow(request, now);
      break;
    case Endpoint::kGetWorkflow:
      result = GetWorkflow(route.session_id);
      break;
    case Endpoint::kListWorkflows:
      result = ListWorkflows(request, query);
      break;
    default:
      result.response = DetailResponse(404, "Not found.");
  }
  // What a request creates belongs to the caller's application (the
  // sandbox's own stays empty, as every older row).
  if (caller_app_ != config_.application_id) {
    for (SessionRecord& s : result.mutation.sessions) {
      if (s.application_id.empty() && sessions_.count(s.session_id) == 0) {
        s.application_id = caller_app_;
      }
    }
  }
  if (result.mutation.execution) {
    Execution& e = *result.mutation.execution;
    e.kind = std::string(ExecutionKind(route.endpoint));
    e.endpoint = request.method + " " + request.target.substr(0, request.target.find('?'));
    e.fingerprint = key ? key->fingerprint
                        : Fingerprint(request, request.target.substr(0, request.target.find('?')));
    if (key) e.idempotency_key = key->key;
    e.at_ms = now;
    e.seq = static_cast<std::int64_t>(executions_.size()) + 1;
  }
  // Validation failures (400) are not stored: the same key may be used again
  // with a corrected request.
  if (key && result.response.status != 400) {
    KeyRecord record;
    record.scope = key->scope;
    record.fingerprint = key->fingerprint;
    record.response.status = result.response.status;
    if (auto ct = FindHeader(result.response.headers, "Content-Type")) {
      record.response.content_type = std::string(*ct);
    }
    record.response.body = result.response.body;
    record.created_ms = now;
    result.mutation.key = std::move(record);
  }
  return result;
}

Outcome App::Execute(const Request& request, const Route& route, std::string_view,
                     std::string_view query, std::optional<KeyContext> key, FaultDecision fault) {
  if (shared_) return ExecuteShared(request, route, query, std::move(key), fault);
  EndpointResult result;
  std::shared_ptr<GroupCommitter::Ticket> ticket;
  {
    std::lock_guard<std::mutex> lock(mu_);
    result = RunEndpoint(request, route, query, key, NowMs());
    if (key) in_progress_.erase(key->scope);
    if (result.vendor_dedup_hit) ++vendor_dedup_hits_;
    if (!result.mutation.empty()) {
      // Memory first (later requests see it at once), then the store, in the
      // same order; the response waits below until the change is durable.
      ApplyLocked(result.mutation);
      if (committer_) ticket = committer_->Enqueue(std::move(result.mutation));
    }
  }
  if (ticket) {
    if (auto st = committer_->Wait(ticket); !st) {
      return Respond(DetailResponse(500, "The sandbox store failed: " + st.error().message()));
    }
  }
  Emit(result.events);
  SendCallbacks(result.callbacks);
  return ApplyAfterFault(std::move(result.response), fault);
}

// With a SharedStore the database is the truth: a write runs inside the
// store's exclusive section (a transaction under a database-wide lock), on a
// copy first brought up to date with what other processes committed, and is
// applied to memory only once committed. Reads merge the latest changes
// without the lock. mu_ is held throughout: it also guards the one connection.
Outcome App::ExecuteShared(const Request& request, const Route& route, std::string_view query,
                           std::optional<KeyContext> key, FaultDecision fault) {
  EndpointResult result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool read_only = ReadOnly(route.endpoint) && !key;
    auto changes = read_only ? shared_->Changes() : shared_->BeginExclusive();
    if (!changes) {
      // Nothing executed. A key claimed for this request stays claimed until
      // the claim timeout (the store is unreachable anyway).
      return Respond(
          DetailResponse(503, "The sandbox store is unavailable: " + changes.error().message()));
    }
    MergeLocked(std::move(*changes));
    result = RunEndpoint(request, route, query, key, NowMs());
    if (!read_only) {
      std::optional<SharedStore::KeyFence> fence;
      if (key) fence = SharedStore::KeyFence{key->scope, key->token};
      if (auto st = shared_->CommitExclusive(result.mutation, fence); !st) {
        if (st.error().code() == ErrorCode::kFailedPrecondition) {
          // The claim timed out and another request took the key over: it
          // executes (or executed) instead of this one.
          ++conflicts_409_;
          return Respond(KeyInUseResponse(config_.profile));
        }
        return Respond(DetailResponse(500, "The sandbox store failed: " + st.error().message()));
      }
      result.mutation.key.reset();  // kept in the database only
      ApplyLocked(result.mutation);
      if (result.vendor_dedup_hit) ++vendor_dedup_hits_;
    }
  }
  Emit(result.events);
  SendCallbacks(result.callbacks);
  return ApplyAfterFault(std::move(result.response), fault);
}

Outcome App::ApplyAfterFault(Response response, FaultDecision fault) {
  switch (fault.kind) {
    case FaultKind::kDropAfter:
      return Close();
    case FaultKind::kError500After: {
      Response r;
      r.status = 500;
      r.headers.push_back({"Content-Type", "text/plain"});
      r.body = "Internal Server Error";
      return Respond(std::move(r));
    }
    case FaultKind::kSlow: {
      Outcome o = Respond(std::move(response));
      o.delay_ms = fault.delay_ms;
      return o;
    }
    default:
      return Respond(std::move(response));
  }
}

void App::ApplyLocked(const Mutation& m) {
  for (const auto& s : m.sessions) {
    auto [it, inserted] = sessions_.insert_or_assign(s.session_id, s);
    if (inserted) {
      IndexSession(s);
      next_session_number_ = std::max(next_session_number_, s.session_number + 1);
    }
  }
  for (const auto& k : m.expired_keys) keys_.erase(k);
  if (m.key) keys_[m.key->scope] = *m.key;
  if (m.execution) {
    ++executions_by_fingerprint_[m.execution->fingerprint];
    executions_.push_back(*m.execution);
  }
  for (const EntityRecord& e : m.entities) {
    EntityRecord& stored = entities_[e.kind + '\n' + e.id];
    stored = e;
    if (stored.seq == 0) stored.seq = next_entity_seq_;
    next_entity_seq_ = std::max(next_entity_seq_, stored.seq + 1);
  }
}

std::vector<const EntityRecord*> App::Entities(std::string_view kind) const {
  std::vector<const EntityRecord*> out;
  for (const auto& [key, e] : entities_) {
    if (e.kind == kind && !e.deleted) out.push_back(&e);
  }
  std::sort(out.begin(), out.end(),
            [](const EntityRecord* a, const EntityRecord* b) { return a->seq < b->seq; });
  return out;
}

const EntityRecord* App::FindEntity(std::string_view kind, const std::string& id) const {
  auto it = entities_.find(std::string(kind) + '\n' + id);
  return it == entities_.end() || it->second.deleted ? nullptr : &it->second;
}

void App::IndexSession(const SessionRecord& s) {
  sessions_by_number_[s.session_number] = s.session_id;
  IndexImport(s);
  if (!s.vendor_data) return;
  sessions_by_vendor_data_[*s.vendor_data].push_back(s.session_id);
  if (!s.is_check() && !s.vendor_data->empty()) {
    sessions_by_vendor_[*s.vendor_data + '\n' + s.workflow_id].push_back(s.session_id);
  }
}

std::vector<const SessionRecord*> App::NewestFirst(
    const std::optional<std::string>& vendor_data) const {
  std::vector<const SessionRecord*> out;
  auto keep = [&](const std::string& id) {
    const SessionRecord& s = sessions_.at(id);
    if (!s.deleted) out.push_back(&s);
  };
  if (!vendor_data) {
    for (auto it = sessions_by_number_.rbegin(); it != sessions_by_number_.rend(); ++it) {
      keep(it->second);
    }
    return out;
  }
  // Sessions without vendor_data match "" (as they always have here).
  if (vendor_data->empty()) {
    for (auto it = sessions_by_number_.rbegin(); it != sessions_by_number_.rend(); ++it) {
      const SessionRecord& s = sessions_.at(it->second);
      if (!s.deleted && s.vendor_data.value_or("").empty()) out.push_back(&s);
    }
    return out;
  }
  auto found = sessions_by_vendor_data_.find(*vendor_data);
  if (found == sessions_by_vendor_data_.end()) return out;
  for (const auto& id : found->second) keep(id);
  // Merged from a shared store, ids arrive in change order, not number order.
  std::sort(out.begin(), out.end(), [](const SessionRecord* a, const SessionRecord* b) {
    return a->session_number > b->session_number;
  });
  return out;
}

void App::CountMismatchLocked() {
  if (config_.profile == SandboxProfile::kDidit) {
    ++mismatches_409_;
  } else {
    ++mismatches_422_;
  }
}

std::string App::StatsJson() {
  // Outside mu_: the sender has its own lock.
  const std::string webhooks = config_.webhook_stats ? config_.webhook_stats() : std::string();
  std::lock_guard<std::mutex> lock(mu_);
  // Shared store: sessions and executions of every process; the request
  // counters below are this process's own.
  RefreshSharedLocked();
  std::int64_t stored_keys = static_cast<std::int64_t>(keys_.size());
  std::int64_t keys_in_progress = static_cast<std::int64_t>(in_progress_.size());
  if (shared_) {
    if (auto counts = shared_->CountKeys()) {
      stored_keys = counts->stored;
      keys_in_progress = counts->executing;
    }
  }
  nlohmann::json executions = nlohmann::json::object();
  for (auto kind : kExecutionKinds) executions[std::string(kind)] = 0;
  for (const auto& e : executions_) executions[e.kind] = executions[e.kind].get<int>() + 1;
  nlohmann::json faults = nlohmann::json::object();
  for (auto kind : kFaultKinds) {
    const std::string name(FaultKindName(kind));
    auto it = faults_.find(name);
    faults[name] = it == faults_.end() ? 0 : it->second;
  }
  // Duplicate creates are what duplicate_vendor_data looks for: check
  // sessions share their user's vendor_data by design and do not count.
  std::map<std::string, int> by_vendor_data;
  std::size_t live = 0;
  std::size_t checks = 0;
  for (const auto& [id, s] : sessions_) {
    if (!s.deleted) ++live;
    if (s.is_check()) {
      ++checks;
    } else if (s.vendor_data && !s.vendor_data->empty()) {
      // Per application: an import into the peer keeps the source's vendor_data.
      ++by_vendor_data[OwnerOf(s) + '\n' + *s.vendor_data];
    }
  }
  int duplicate_vendor_data = 0;
  for (const auto& [v, n] : by_vendor_data) duplicate_vendor_data += n > 1 ? 1 : 0;
  int duplicate_executions = 0;
  for (const auto& [fp, n] : executions_by_fingerprint_) duplicate_executions += n > 1 ? 1 : 0;
  nlohmann::json stats = {
      {"profile", SandboxProfileName(config_.profile)},
      {"executions", executions},
      {"executions_total", executions_.size()},
      {"sessions_total", sessions_.size()},
      {"sessions_live", live},
      {"check_sessions", checks},
      {"requests", requests_},
      {"replays", replays_},
      {"conflicts_409", conflicts_409_},
      {"mismatches_422", mismatches_422_},
      {"mismatches_409", mismatches_409_},
      {"bad_keys_400", bad_keys_400_},
      {"rate_limited_429", rate_limited_429_},
      {"vendor_dedup_hits", vendor_dedup_hits_},
      {"faults", faults},
      {"duplicate_vendor_data", duplicate_vendor_data},
      {"duplicate_executions", duplicate_executions},
      {"stored_keys", stored_keys},
      {"keys_in_progress", keys_in_progress},
  };
  // Didit's rate-limit scopes: 429s per scope and each window's current
  // requests (this process's windows). Empty objects when the scopes are off.
  if (scope_limiter_) {
    scope_limiter_->AddStats(stats, NowMs());
  } else {
    stats["rate_limited"] = nlohmann::json::object();
    stats["rate_scopes"] = nlohmann::json::object();
  }
  if (!webhooks.empty()) stats["webhooks"] = nlohmann::json::parse(webhooks, nullptr, false);
  return Dump(stats);
}

std::string App::ExecutionsJson() {
  std::lock_guard<std::mutex> lock(mu_);
  RefreshSharedLocked();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : executions_) {
    list.push_back({
        {"seq", e.seq},
        {"kind", e.kind},
        {"endpoint", e.endpoint},
        {"idempotency_key", e.idempotency_key ? nlohmann::json(*e.idempotency_key) : nullptr},
        {"fingerprint", e.fingerprint},
        {"vendor_data", e.vendor_data ? nlohmann::json(*e.vendor_data) : nullptr},
        {"resource_id", e.resource_id},
        {"timestamp_ms", e.at_ms},
        {"timestamp", IsoTime(e.at_ms)},
    });
  }
  return Dump(nlohmann::json{{"count", executions_.size()}, {"executions", list}});
}

}  // namespace idem::sandbox
