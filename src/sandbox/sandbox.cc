#include "idem/sandbox.h"

#include <mutex>

#include "idem/journal.h"
#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/pg_store.h"
#include "sandbox/sqlite_store.h"
#include "sandbox/webhook_dispatch.h"
#include "server/http_server.h"

namespace idem {
namespace {

// Carries out what the app decided for one request: answer, close without an
// answer, or wait first (slow: before writing; slow_exec: the key stays in
// progress while the timer runs, then `resume` gives the real outcome). The
// waits hold no I/O thread, so other connections (and their 409s) go on.
void Act(std::shared_ptr<server::Exchange> exchange, sandbox::Outcome outcome) {
  if (outcome.resume) {
    auto* raw = exchange.get();
    raw->After(std::chrono::milliseconds(outcome.hold_ms),
               [exchange = std::move(exchange), resume = std::move(outcome.resume)] {
                 Act(exchange, resume());
               });
    return;
  }
  if (outcome.action == sandbox::Outcome::Action::kClose) return exchange->Close();
  if (outcome.delay_ms > 0) {
    auto* raw = exchange.get();
    raw->After(std::chrono::milliseconds(outcome.delay_ms),
               [exchange = std::move(exchange), r = std::move(outcome.response)]() mutable {
                 exchange->Respond(std::move(r));
               });
    return;
  }
  exchange->Respond(std::move(outcome.response));
}

// The server's own errors in Didit's shape ({"detail": ...}).
std::string DiditErrorBody(int status) {
  switch (status) {
    case 413:
      return R"({"detail":"Request body is larger than the limit."})";
    case 431:
      return R"({"detail":"Request headers are larger than the limit."})";
    case 400:
      return R"({"detail":"Malformed HTTP request."})";
    default:
      return R"({"detail":"Internal server error."})";
  }
}

class SandboxImpl final : public Sandbox {
 public:
  SandboxImpl(std::unique_ptr<sandbox::App> app, std::string host,
              std::shared_ptr<sandbox::WebhookDispatch> dispatch)
      : app_(std::move(app)), host_(std::move(host)), dispatch_(std::move(dispatch)) {}
  ~SandboxImpl() override { Stop(); }

  Status Listen(server::ServerOptions options) {
    sandbox::App* app = app_.get();
    auto server = server::HttpServer::Start(
        std::move(options),
        [app](server::Request request, std::shared_ptr<server::Exchange> exchange) {
          Act(std::move(exchange), app->Handle(request));
        });
    if (!server) return tl::unexpected(server.error());
    server_ = std::move(*server);
    app_->set_base_url(base_url());
    return {};
  }

  std::uint16_t port() const override { return server_->port(); }
  std::string base_url() const override {
    const bool v6 = host_.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port());
  }
  void Stop() override {
    if (server_) server_->Stop();
    // After the server: no request can emit an event any more.
    if (dispatch_) dispatch_->Stop();
  }
  std::string StatsJson() override { return app_->StatsJson(); }
  std::string ExecutionsJson() override { return app_->ExecutionsJson(); }
  bool WaitWebhooksIdle(std::chrono::milliseconds timeout) override {
    return dispatch_ ? dispatch_->WaitIdle(timeout) : true;
  }

 private:
  // Destroyed in reverse order: the server (and its connections) before the app.
  std::unique_ptr<sandbox::App> app_;
  std::unique_ptr<server::HttpServer> server_;
  std::string host_;
  // Also held by the app as its event sink; stopped before the app goes.
  std::shared_ptr<sandbox::WebhookDispatch> dispatch_;
};

}  // namespace

void UseFastWebhookRetries(SandboxOptions& options) {
  options.webhook_backoff =
      std::make_shared<FullJitterBackoff>(std::chrono::milliseconds(50), std::chrono::seconds(2));
  options.webhook_max_attempts = 30;
}

Result<std::unique_ptr<Sandbox>> Sandbox::Start(SandboxOptions options) {
  auto faults = sandbox::FaultSpec::Parse(options.faults);
  if (!faults) return tl::unexpected(faults.error());
  if (options.threads < 1 || options.threads > 64) {
    return MakeError(ErrorCode::kInvalidArgument, "threads must be in [1, 64]");
  }
  if (options.rate_limit < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "rate_limit must be >= 0");
  }
  for (int limit : {options.rate_scopes.generic_get, options.rate_scopes.generic_write,
                    options.rate_scopes.session_create, options.rate_scopes.session_decision}) {
    if (limit < 0) return MakeError(ErrorCode::kInvalidArgument, "rate_scopes must be >= 0");
  }
  if (options.rate_scopes.window_ms < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "rate_scopes.window_ms must be >= 1");
  }
  if (options.api_key.empty()) return MakeError(ErrorCode::kInvalidArgument, "api_key is empty");
  if (!options.peer_api_key.empty() && options.peer_api_key == options.api_key) {
    return MakeError(ErrorCode::kInvalidArgument, "peer_api_key must differ from api_key");
  }
  for (const std::string* id : {&options.application_id, &options.workflow_id,
                                &options.peer_application_id, &options.peer_workflow_id}) {
    if (!IsUuid(*id)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "application and workflow ids must be UUIDs: " + *id);
    }
  }
  if (options.application_id == options.peer_application_id) {
    return MakeError(ErrorCode::kInvalidArgument, "peer_application_id must differ");
  }
  if (options.profile != SandboxProfile::kDidit && options.profile != SandboxProfile::kIdeal) {
    return MakeError(ErrorCode::kInvalidArgument, "profile must be kDidit or kIdeal");
  }
  std::unique_ptr<sandbox::Persistence> persistence;
  if (IsPostgresUrl(options.db_path)) {
    if (options.key_claim_timeout.count() <= 0) {
      return MakeError(ErrorCode::kInvalidArgument, "key_claim_timeout must be > 0");
    }
    auto store = sandbox::OpenPgStore(options.db_path, options.key_claim_timeout);
    if (!store) return tl::unexpected(store.error());
    persistence = std::move(*store);
  } else if (!options.db_path.empty()) {
    auto store = sandbox::OpenSqliteStore(options.db_path);
    if (!store) return tl::unexpected(store.error());
    persistence = std::move(*store);
  }
  sandbox::AppConfig config;
  config.api_key = options.api_key;
  config.application_id = options.application_id;
  config.workflow_id = options.workflow_id;
  config.peer_application_id = options.peer_application_id;
  config.peer_api_key = options.peer_api_key;
  config.peer_workflow_id = options.peer_workflow_id;
  config.faults = std::move(*faults);
  config.seed = options.seed;
  config.key_ttl = options.key_ttl;
  config.profile = options.profile;
  config.idempotency = options.idempotency;
  config.replay_header = options.replay_header;
  config.credits = options.credits;
  config.vendor_dedup = options.vendor_dedup;
  config.rate_limit = options.rate_limit;
  config.rate_scopes = options.rate_scopes;
  config.clock = options.clock ? options.clock : DefaultClock();
  config.event_sink = options.event_sink;
  // The per-session delivery log: empty unless the sandbox sends webhooks.
  config.webhook_log = std::make_shared<sandbox::WebhookDeliveryLog>();
  // A KYB search's unsigned callback to its own webhook_url: with the
  // webhooks' retry schedule and transport (Didit documents none of its own).
  config.callbacks.max_attempts = options.webhook_max_attempts;
  config.callbacks.backoff = options.webhook_backoff;
  config.callbacks.transport = options.webhook_transport;
  std::shared_ptr<sandbox::WebhookDispatch> dispatch;
  if (!options.webhook_url.empty() || options.auto_complete.count() != 0) {
    sandbox::WebhookDispatchConfig wh;
    if (!options.webhook_url.empty()) {
      if (options.webhook_secret.empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "webhook_url needs webhook_secret");
      }
      if (options.webhook_url.rfind("http://", 0) != 0 &&
          options.webhook_url.rfind("https://", 0) != 0) {
        return MakeError(ErrorCode::kInvalidArgument, "webhook_url must be http:// or https://");
      }
      auto webhook_faults = ParseWebhookFaults(options.webhook_faults);
      if (!webhook_faults) return tl::unexpected(webhook_faults.error());
      wh.url = options.webhook_url;
      wh.secret = options.webhook_secret;
      wh.faults = *webhook_faults;
      wh.max_attempts = options.webhook_max_attempts;
      wh.backoff = options.webhook_backoff;
      wh.transport = options.webhook_transport;
    }
    wh.auto_complete = options.auto_complete;
    wh.seed = options.seed;
    wh.clock = config.clock;
    wh.user_sink = options.event_sink;
    wh.log = config.webhook_log;
    auto created = sandbox::WebhookDispatch::Create(std::move(wh));
    if (!created) return tl::unexpected(created.error());
    dispatch = std::move(*created);
    config.event_sink = dispatch;
    if (dispatch->sending()) {
      sandbox::WebhookDispatch* raw = dispatch.get();
      config.webhook_stats = [raw] { return raw->StatsJson(); };
    }
  } else if (!options.webhook_faults.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "webhook_faults needs webhook_url");
  }
  auto app = sandbox::App::Create(std::move(config), std::move(persistence));
  if (!app) return tl::unexpected(app.error());
  if (dispatch) dispatch->Attach(app->get());

  server::ServerOptions server;
  server.server_name = "idem-sandbox";
  server.error_body = DiditErrorBody;
  server.host = options.host;
  server.port = options.port;
  server.threads = options.threads;
  server.max_body_bytes = options.max_body_bytes;
  server.max_header_bytes = options.max_header_bytes;
  server.read_timeout = options.read_timeout;
  server.max_connections = options.max_connections;
  auto sandbox = std::make_unique<SandboxImpl>(std::move(*app), options.host, dispatch);
  if (auto st = sandbox->Listen(server); !st) return tl::unexpected(st.error());
  return std::unique_ptr<Sandbox>(std::move(sandbox));
}

}  // namespace idem
