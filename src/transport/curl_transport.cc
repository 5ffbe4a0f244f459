// The libcurl multi transport: one background thread drives every transfer.
//
// Threads: Send() (any thread, including callbacks) only appends to a
// mutex-protected queue and wakes the worker with curl_multi_wakeup. Everything
// that touches libcurl handles happens on the worker thread, so libcurl needs
// no locking. Callbacks run on the worker without the mutex held, which is what
// lets them call Send() again.
#include <curl/curl.h>
#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "idem/transport.h"
#include "transport/curl_global.h"
#include "transport/transfer.h"

namespace idem {
namespace {

using internal::Transfer;

struct PendingRequest {
  HttpRequest request;
  Transport::Callback done;
};

TransportError Cancelled() {
  return TransportError{TransportFailure::kCancelled,
                        "the transport shut down before the request finished"};
}

// Runs a user callback; an exception escaping it must not kill the worker
// thread (every other request would then hang), so it is swallowed here.
void Deliver(Transport::Callback& done, TransportResult result) {
  try {
    done(std::move(result));
  } catch (...) {
  }
}

// Everything the worker thread uses. The thread holds a reference to it, so
// it outlives the CurlTransport whenever the transport is destroyed on the
// worker itself (its last owner let go inside a callback): the thread cannot
// join itself, so it is detached and finishes, with this state, on its own.
class CurlEngine {
 public:
  explicit CurlEngine(TransportOptions options) : options_(std::move(options)) {
    options_.max_in_flight = std::max(1, options_.max_in_flight);
    options_.max_connections_per_host = std::max(1, options_.max_connections_per_host);
    if (internal::EnsureCurlGlobalInit()) multi_ = curl_multi_init();
    if (multi_ != nullptr) {
      curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS,
                        static_cast<long>(options_.max_connections_per_host));
      // The connection cache: big enough to keep every connection we may open
      // alive between requests, so bursts do not reconnect.
      curl_multi_setopt(
          multi_, CURLMOPT_MAXCONNECTS,
          static_cast<long>(std::max(options_.max_in_flight, options_.max_connections_per_host)));
    }
  }

  // Starts the worker thread, which keeps `engine` alive until it ends.
  static void StartWorker(const std::shared_ptr<CurlEngine>& engine) {
    std::promise<void> started;
    std::future<void> running = started.get_future();
    engine->worker_ = std::thread([engine, &started] {
      pthread_setname_np(pthread_self(), "idem-curl");
      engine->worker_id_ = std::this_thread::get_id();
      started.set_value();
      engine->Run();
    });
    running.wait();  // worker_id_ is set before any Send can compare with it
  }

  // Cancels what is in flight and ends the worker: joined from any other
  // thread, detached on the worker itself (it finishes after the callback
  // that let the transport go returns).
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    if (multi_ != nullptr) curl_multi_wakeup(multi_);
    wake_.notify_all();
    if (std::this_thread::get_id() == worker_id_) {
      worker_.detach();
    } else {
      worker_.join();
    }
  }

  ~CurlEngine() {
    // The worker cancelled everything and ended; only idle handles remain.
    pool_.clear();
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
  }

  void Send(HttpRequest request, Transport::Callback done) {
    // From a callback (the worker itself) no wake-up is needed: the loop
    // starts queued requests before it polls again. From another thread one
    // wake-up per burst is enough: the worker drains the whole queue.
    const bool on_worker = std::this_thread::get_id() == worker_id_;
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(PendingRequest{std::move(request), std::move(done)});
      if (on_worker) {
        queued_by_worker_ = true;
      } else if (!wakeup_pending_) {
        wakeup_pending_ = wake = true;
      }
    }
    if (!wake) return;
    if (multi_ != nullptr) curl_multi_wakeup(multi_);
    wake_.notify_all();
  }

 private:
  void Run() {
    if (multi_ == nullptr) {
      RunWithoutCurl();
      return;
    }
    while (true) {
      if (!StartQueued()) break;  // stopping
      int running = 0;
      curl_multi_perform(multi_, &running);
      const bool finished_any = DeliverFinished();
      const bool queued_by_callback = TakeQueuedByWorker();
      // Freed slots and requests queued by callbacks: start them before waiting.
      if (finished_any || queued_by_callback) continue;
      curl_multi_poll(multi_, nullptr, 0, /*timeout_ms=*/1000, nullptr);
    }
    CancelEverything();
  }

  bool TakeQueuedByWorker() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(queued_by_worker_, false);
  }

  // Moves queued requests into libcurl while there is room. Returns false once
  // the transport is stopping.
  bool StartQueued() {
    {
      // Whatever is queued from now on needs a new wake-up (or is seen below).
      std::lock_guard<std::mutex> lock(mu_);
      wakeup_pending_ = false;
    }
    while (static_cast<int>(active_.size()) < options_.max_in_flight) {
      PendingRequest next;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return false;
        if (queue_.empty()) return true;
        next = std::move(queue_.front());
        queue_.pop_front();
      }
      std::unique_ptr<Transfer> transfer = TakeFromPool();
      auto prepared = transfer->Prepare(std::move(next.request), options_);
      if (!prepared) {
        ReturnToPool(std::move(transfer));
        Deliver(next.done, tl::unexpected(std::move(prepared.error())));
        continue;
      }
      if (curl_multi_add_handle(multi_, transfer->easy()) != CURLM_OK) {
        transfer->Clear();
        ReturnToPool(std::move(transfer));
        Deliver(next.done, tl::unexpected(TransportError{TransportFailure::kInternal,
                                                         "libcurl refused the transfer"}));
        continue;
      }
      active_.push_back(Active{std::move(transfer), std::move(next.done)});
    }
    std::lock_guard<std::mutex> lock(mu_);
    return !stopping_;
  }

  // Reports every transfer libcurl has finished. Returns whether there was any.
  bool DeliverFinished() {
    bool any = false;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode code = msg->data.result;  // read before removing the handle
      curl_multi_remove_handle(multi_, easy);
      auto it = std::find_if(active_.begin(), active_.end(),
                             [easy](const Active& a) { return a.transfer->easy() == easy; });
      if (it == active_.end()) continue;  // cannot happen: every added handle is active
      Active finished = std::move(*it);
      *it = std::move(active_.back());
      active_.pop_back();
      TransportResult result = finished.transfer->Finish(code);
      ReturnToPool(std::move(finished.transfer));
      Deliver(finished.done, std::move(result));
      any = true;
    }
    return any;
  }

  void CancelEverything() {
    std::vector<Active> active = std::move(active_);
    active_.clear();
    for (Active& a : active) {
      curl_multi_remove_handle(multi_, a.transfer->easy());
      a.transfer->Clear();
    }
    for (Active& a : active) Deliver(a.done, tl::unexpected(Cancelled()));
    CancelQueued();
  }

  // Fails everything still queued, including what cancelled callbacks queue.
  void CancelQueued() {
    while (true) {
      std::deque<PendingRequest> queued;
      {
        std::lock_guard<std::mutex> lock(mu_);
        queued.swap(queue_);
      }
      if (queued.empty()) return;
      for (PendingRequest& p : queued) Deliver(p.done, tl::unexpected(Cancelled()));
    }
  }

  // libcurl could not start: every request fails with kInternal until the
  // transport is destroyed, then what is left is cancelled.
  void RunWithoutCurl() {
    while (true) {
      std::deque<PendingRequest> queued;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) break;
        queued.swap(queue_);
        wakeup_pending_ = false;
      }
      for (PendingRequest& p : queued) {
        Deliver(p.done, tl::unexpected(TransportError{TransportFailure::kInternal,
                                                      "libcurl failed to initialise"}));
      }
    }
    CancelQueued();
  }

  std::unique_ptr<Transfer> TakeFromPool() {
    if (pool_.empty()) return std::make_unique<Transfer>();
    std::unique_ptr<Transfer> t = std::move(pool_.back());
    pool_.pop_back();
    return t;
  }

  void ReturnToPool(std::unique_ptr<Transfer> t) {
    // Keep at most max_in_flight idle handles: that is all we ever use at once.
    if (static_cast<int>(pool_.size()) < options_.max_in_flight) pool_.push_back(std::move(t));
  }

  struct Active {
    std::unique_ptr<Transfer> transfer;
    Transport::Callback done;
  };

  TransportOptions options_;
  CURLM* multi_ = nullptr;

  std::mutex mu_;
  std::condition_variable wake_;      // only for RunWithoutCurl
  std::deque<PendingRequest> queue_;  // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  bool wakeup_pending_ = false;       // guarded by mu_: a wake-up is on its way
  bool queued_by_worker_ = false;     // guarded by mu_: a callback queued a request
  std::thread::id worker_id_;         // set once before StartWorker returns

  // Worker thread only.
  std::vector<Active> active_;
  std::vector<std::unique_ptr<Transfer>> pool_;

  std::thread worker_;  // started by StartWorker, once the engine is whole
};

}  // namespace

namespace {

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(TransportOptions options)
      : engine_(std::make_shared<CurlEngine>(std::move(options))) {
    CurlEngine::StartWorker(engine_);
  }
  ~CurlTransport() override { engine_->Stop(); }
  void Send(HttpRequest request, Callback done) override {
    engine_->Send(std::move(request), std::move(done));
  }

 private:
  std::shared_ptr<CurlEngine> engine_;
};

}  // namespace

std::unique_ptr<Transport> MakeCurlTransport(TransportOptions options) {
  return std::make_unique<CurlTransport>(std::move(options));
}

}  // namespace idem
