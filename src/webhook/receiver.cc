#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "idem/transport.h"
#include "idem/webhook_receiver.h"
#include "idem/webhook_signature.h"
#include "server/http_server.h"
#include "webhook/inbox_event.h"
#include "webhook/staged_inbox.h"

namespace idem {
namespace {

std::string PathOf(const std::string& target) { return target.substr(0, target.find('?')); }

// The forward URL as logs may show it: no user, password or query (they may
// hold a token).
std::string LoggableUrl(const std::string& url) {
  std::string out = url.substr(0, url.find_first_of("?#"));
  const std::size_t authority = out.find("://");
  if (authority == std::string::npos) return out;
  const std::size_t end = out.find('/', authority + 3);
  const std::size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
  if (at != std::string::npos && at > authority) out.erase(authority + 3, at + 1 - authority - 3);
  return out;
}

server::Response Json(int status, std::string body) {
  server::Response r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = std::move(body);
  return r;
}

// Answers one request, from any thread.
using Responder = std::shared_ptr<server::Exchange>;

class Receiver final : public WebhookReceiver {
 public:
  Receiver(WebhookReceiverOptions options, WebhookVerifier verifier,
           std::unique_ptr<WebhookInbox> inbox)
      : options_(std::move(options)),
        forward_secret_(!options_.forward_secret.empty()    ? options_.forward_secret
                        : options_.verifier.secrets.empty() ? std::string()
                                                            : options_.verifier.secrets.front()),
        forward_label_(LoggableUrl(options_.forward_to)),
        forward_transport_(options_.forward_to.empty() ? nullptr : MakeCurlTransport({})),
        clock_(options_.verifier.clock ? options_.verifier.clock : DefaultClock()),
        verifier_(std::move(verifier)),
        inbox_(std::move(inbox)),
        staged_(dynamic_cast<webhook::StagedInbox*>(inbox_.get())),
        path_(std::string("/webhooks/") + std::string(WebhookSchemeName(options_.scheme))) {}
  ~Receiver() override { Stop(); }

  Status Start() {
    server::ServerOptions so;
    so.host = options_.host;
    so.port = options_.port;
    so.threads = options_.threads;
    so.max_body_bytes = options_.max_body_bytes;
    so.max_header_bytes = options_.max_header_bytes;
    so.read_timeout = options_.read_timeout;
    so.max_connections = options_.max_connections;
    answer_ = std::thread([this] { RunAnswer(); });
    store_ = std::thread([this] { RunStore(); });
    auto server = server::HttpServer::Start(
        std::move(so), [this](server::Request r, std::shared_ptr<server::Exchange> respond) {
          Handle(std::move(r), std::move(respond));
        });
    if (!server) {
      StopStore();
      return tl::unexpected(server.error());
    }
    server_ = std::move(*server);
    tasks_ = std::thread([this] { RunTasks(); });
    if (options_.catch_up.after > std::chrono::milliseconds::zero()) {
      CatchUpOptions co = options_.catch_up;
      if (!co.clock) co.clock = clock_;
      auto catch_up = CatchUp::Create(*inbox_, std::move(co));
      if (!catch_up) {
        Stop();
        return tl::unexpected(catch_up.error());
      }
      catch_up_ = std::move(*catch_up);
      catch_up_thread_ = std::thread([this] { RunCatchUp(); });
    }
    return {};
  }

  std::uint16_t port() const override { return server_->port(); }
  std::string url() const override {
    return "http://" + server_->host() + ":" + std::to_string(server_->port());
  }
  WebhookInbox& inbox() override { return *inbox_; }

  ReceiverStats stats() const override {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ReceiverStats stats = stats_;
    stats.catch_up = catch_up_stats_;
    return stats;
  }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(stop_mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    stop_cv_.notify_all();
    // Commit and answer what is queued, then stop the I/O threads (they
    // answer 503 meanwhile).
    StopStore();
    if (server_) server_->Stop();
    if (tasks_.joinable()) tasks_.join();
    if (catch_up_thread_.joinable()) catch_up_thread_.join();
  }

 private:
  void Count(std::uint64_t ReceiverStats::*field, std::uint64_t n = 1) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.*field += n;
  }

  // On an I/O thread: cheap checks, the signature, then the JSON (parsed,
  // validated and hashed here, so the store thread only writes); the delivery
  // waits for the store thread while the I/O thread serves other connections.
  void Handle(server::Request request, Responder respond) {
    Count(&ReceiverStats::requests);
    const std::string path = PathOf(request.target);
    // For load balancers and `curl --retry`: up means accepting deliveries.
    if (path == "/healthz" && (request.method == "GET" || request.method == "HEAD")) {
      return respond->Respond(Json(200, R"({"status":"ok"})"));
    }
    if (path != path_) return respond->Respond(Json(404, R"({"error":"not found"})"));
    if (request.method != "POST") {
      return respond->Respond(Json(405, R"({"error":"method not allowed"})"));
    }
    // Verify the raw bytes before anything looks inside them.
    auto verified = verifier_.Verify(request.headers, request.body);
    if (!verified) {
      Count(&ReceiverStats::unauthorized);
      // The reason names what failed, never a secret or a signature.
      spdlog::warn("webhook rejected (401): {}", verified.error().message());
      return respond->Respond(Json(401, R"({"error":"invalid signature"})"));
    }
    auto parsed = webhook::ParseEvent(request.body, verified->delivery_id);
    if (!parsed) {
      return respond->Respond(Answer(Result<AcceptResult>(tl::unexpected(parsed.error()))));
    }
    {
      std::lock_guard<std::mutex> lock(store_mu_);
      if (!store_stopping_) {
        store_queue_.push_back({std::move(*parsed), std::move(respond)});
        store_cv_.notify_one();
        return;
      }
    }
    Count(&ReceiverStats::unavailable);
    respond->Respond(Json(503, R"({"error":"shutting down, retry"})"));
  }

  // The store thread: everything that arrived while the previous commit ran
  // goes into the next one (one fsync for all). Then the batch goes to the
  // answer thread, which heals it and answers each request (only after its
  // commit returned) while this thread commits the next batch. One store
  // thread suffices: the wait is the fsync, and the batch grows with the load.
  void RunStore() {
    std::unique_lock<std::mutex> lock(store_mu_);
    while (true) {
      store_cv_.wait(lock, [this] { return store_stopping_ || !store_queue_.empty(); });
      if (store_queue_.empty()) break;  // stopping, and all committed
      std::vector<Queued> queued;
      queued.swap(store_queue_);
      lock.unlock();
      Committed committed;
      webhook::ParsedBatch& batch = committed.batch;
      batch.events.reserve(queued.size());
      committed.responders.reserve(queued.size());
      for (std::size_t i = 0; i < queued.size(); ++i) {
        batch.events.push_back(std::move(queued[i].event));
        batch.index.push_back(i);
        committed.responders.push_back(std::move(queued[i].respond));
      }
      if (staged_ != nullptr) {
        batch.results.assign(queued.size(), MakeError(ErrorCode::kInternal, "not committed"));
        staged_->Commit(batch);
      } else {
        // Another backend: AcceptMany parses again and heals inline.
        std::vector<WebhookInbox::Delivery> deliveries;
        deliveries.reserve(batch.events.size());
        for (const auto& p : batch.events)
          deliveries.push_back({p.event.body, p.event.delivery_id});
        batch.results = inbox_->AcceptMany(deliveries);
      }
      {
        std::lock_guard<std::mutex> answer_lock(answer_mu_);
        answer_queue_.push_back(std::move(committed));
      }
      answer_cv_.notify_one();
      lock.lock();
    }
    lock.unlock();
    {
      std::lock_guard<std::mutex> answer_lock(answer_mu_);
      answer_stopping_ = true;
    }
    answer_cv_.notify_one();
  }

  // The answer thread: heals each committed batch, then answers its requests.
  void RunAnswer() {
    std::unique_lock<std::mutex> lock(answer_mu_);
    while (true) {
      answer_cv_.wait(lock, [this] { return answer_stopping_ || !answer_queue_.empty(); });
      if (answer_queue_.empty()) return;  // the store thread is done, all answered
      Committed committed = std::move(answer_queue_.front());
      answer_queue_.pop_front();
      lock.unlock();
      if (staged_ != nullptr) staged_->Heal(committed.batch);
      for (std::size_t i = 0; i < committed.responders.size(); ++i) {
        committed.responders[i]->Respond(Answer(committed.batch.results[i]));
      }
      lock.lock();
    }
  }

  void StopStore() {
    {
      std::lock_guard<std::mutex> lock(store_mu_);
      store_stopping_ = true;
    }
    store_cv_.notify_all();
    if (store_.joinable()) store_.join();
    if (answer_.joinable()) answer_.join();
  }

  server::Response Answer(const Result<AcceptResult>& accepted) {
    if (!accepted) {
      if (accepted.error().code() == ErrorCode::kInvalidArgument) {
        Count(&ReceiverStats::malformed);
        spdlog::warn("webhook rejected (400): {}", accepted.error().message());
        return Json(400, R"({"error":"malformed event"})");
      }
      Count(&ReceiverStats::unavailable);
      spdlog::error("webhook not stored (503): {}", accepted.error().ToString());
      return Json(503, R"({"error":"not stored, retry"})");
    }
    bool stored = accepted->outcome == InboxOutcome::kStored;
    Count(stored ? &ReceiverStats::stored : &ReceiverStats::duplicates);
    Count(&ReceiverStats::healed_ops, accepted->healed_op_ids.size());
    if (stored && options_.inbox.queue_exec) stop_cv_.notify_all();  // wake the runner
    return Json(200, std::string(R"({"result":")") + (stored ? "stored" : "duplicate") +
                         R"(","seq":)" + std::to_string(accepted->seq) + "}");
  }

  // POSTs the event's original body to forward_to, signed afresh. OK on 2xx.
  Status Forward(const WebhookEvent& event) {
    const std::int64_t now = ToUnixMillis(clock_->Now()) / 1000;
    HttpRequest request;
    request.method = "POST";
    request.url = options_.forward_to;
    request.headers = SignDidit(forward_secret_, event.body, now);
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = event.body;
    request.timeout = options_.forward_timeout;
    auto answer = forward_transport_->SendAndWait(std::move(request));
    if (!answer) {
      spdlog::warn("forward of event {} to {} failed (will retry): {}", event.seq, forward_label_,
                   answer.error().message);
      return MakeError(ErrorCode::kUnavailable, "forward failed: " + answer.error().message);
    }
    if (answer->status < 200 || answer->status >= 300) {
      spdlog::warn("forward of event {} to {}: HTTP {} (will retry)", event.seq, forward_label_,
                   answer->status);
      return MakeError(ErrorCode::kUnavailable,
                       "forward answered HTTP " + std::to_string(answer->status));
    }
    spdlog::info("forwarded event {} ({} {}) to {}: HTTP {}", event.seq, event.session_id,
                 event.status, forward_label_, answer->status);
    return {};
  }

  void RunTasks() {
    WebhookInbox::ExecRunner exec;
    if (!options_.forward_to.empty()) {
      exec = [this](const WebhookEvent& event) -> Status {
        auto st = Forward(event);
        Count(st ? &ReceiverStats::exec_done : &ReceiverStats::exec_failed);
        return st;
      };
    } else if (!options_.exec_command.empty()) {
      exec = [this](const WebhookEvent& event) -> Status {
        auto st = RunShellCommand(options_.exec_command, event.body, options_.exec_timeout);
        Count(st ? &ReceiverStats::exec_done : &ReceiverStats::exec_failed);
        if (!st)
          spdlog::warn("--exec failed for event {} (will retry): {}", event.seq,
                       st.error().message());
        return st;
      };
    }
    std::unique_lock<std::mutex> lock(stop_mu_);
    while (!stopping_) {
      lock.unlock();
      auto done = inbox_->RunPending(exec);
      if (!done) spdlog::error("webhook tasks: {}", done.error().ToString());
      lock.lock();
      if (done && *done > 0) continue;  // more may be due
      stop_cv_.wait_for(lock, options_.task_poll_interval);
    }
  }

  // The catch-up thread: a step, then a wait until the next is due (at most
  // one second at a time, so a clock that jumps is noticed), until Stop.
  void RunCatchUp() {
    std::unique_lock<std::mutex> lock(stop_mu_);
    while (!stopping_) {
      lock.unlock();
      const auto next = catch_up_->Step();
      {
        std::lock_guard<std::mutex> stats_lock(stats_mu_);
        catch_up_stats_ = catch_up_->stats();
      }
      const auto wait =
          std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(next - clock_->Now()),
                     std::chrono::milliseconds(1), std::chrono::milliseconds(1000));
      lock.lock();
      if (stopping_) break;
      stop_cv_.wait_for(lock, wait);
    }
  }

  WebhookReceiverOptions options_;
  std::string forward_secret_;
  std::string forward_label_;                     // forward_to without credentials
  std::unique_ptr<Transport> forward_transport_;  // set when forward_to is
  std::shared_ptr<Clock> clock_;                  // the verifier's: forwards' X-Timestamp
  WebhookVerifier verifier_;
  std::unique_ptr<WebhookInbox> inbox_;
  webhook::StagedInbox* staged_;  // inbox_ in two steps; null: AcceptMany
  std::string path_;
  std::unique_ptr<server::HttpServer> server_;
  std::thread tasks_;
  std::unique_ptr<CatchUp> catch_up_;
  std::thread catch_up_thread_;
  CatchUpStats catch_up_stats_;  // under stats_mu_

  struct Queued {
    webhook::ParsedEvent event;
    Responder respond;
  };
  std::mutex store_mu_;
  std::condition_variable store_cv_;
  std::vector<Queued> store_queue_;
  bool store_stopping_ = false;
  std::thread store_;

  struct Committed {
    webhook::ParsedBatch batch;  // results[i] answers responders[i]
    std::vector<Responder> responders;
  };
  std::mutex answer_mu_;
  std::condition_variable answer_cv_;
  std::deque<Committed> answer_queue_;
  bool answer_stopping_ = false;
  std::thread answer_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  mutable std::mutex stats_mu_;
  ReceiverStats stats_;
};

}  // namespace

Result<std::unique_ptr<WebhookReceiver>> WebhookReceiver::Start(WebhookReceiverOptions options) {
  auto verifier = WebhookVerifier::Create(options.scheme, options.verifier);
  if (!verifier) return tl::unexpected(verifier.error());
  if (options.journal_path.empty()) options.journal_path = DefaultJournalPath();
  if (!options.exec_command.empty() && !options.forward_to.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "give exec_command or forward_to, not both");
  }
  if (!options.forward_to.empty() && options.forward_to.rfind("http://", 0) != 0 &&
      options.forward_to.rfind("https://", 0) != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "forward_to must be an http:// or https:// URL");
  }
  options.inbox.queue_exec = !options.exec_command.empty() || !options.forward_to.empty();
  auto inbox = WebhookInbox::Open(options.journal_path, options.inbox);
  if (!inbox) return tl::unexpected(inbox.error());
  auto receiver =
      std::make_unique<Receiver>(std::move(options), std::move(*verifier), std::move(*inbox));
  if (auto st = receiver->Start(); !st) return tl::unexpected(st.error());
  return std::unique_ptr<WebhookReceiver>(std::move(receiver));
}

}  // namespace idem
