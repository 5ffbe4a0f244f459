// A Transport for unit tests of retry loops: each Send gets the next scripted
// answer (a response or a TransportFailure), on the transport's own thread as
// a real one would call back, and every request is recorded. Nothing goes on
// the network and nothing waits for time.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "idem/transport.h"

namespace idem::testing {

class ScriptedTransport final : public Transport {
 public:
  // An answer: `status` with `headers`, or with `failure` set, that failure.
  struct Answer {
    int status = 200;
    Headers headers;
    std::string body;
    std::optional<TransportFailure> failure;
  };
  static Answer Status(int status, Headers headers = {}, std::string body = {}) {
    return Answer{status, std::move(headers), std::move(body), std::nullopt};
  }
  static Answer Failure(TransportFailure failure) { return Answer{0, {}, {}, failure}; }

  // `script` is answered in order; once it runs out, `then` answers every
  // further request.
  explicit ScriptedTransport(std::vector<Answer> script = {}, Answer then = Status(200))
      : script_(script.begin(), script.end()), then_(std::move(then)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~ScriptedTransport() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void Send(HttpRequest request, Callback done) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    Answer answer = script_.empty() ? then_ : script_.front();
    if (!script_.empty()) script_.pop_front();
    pending_.emplace_back(std::move(answer), std::move(done));
    cv_.notify_all();
  }

  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, nothing left to answer
      auto [answer, done] = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      if (answer.failure) {
        done(tl::unexpected(TransportError{*answer.failure, "scripted failure"}));
      } else {
        HttpResponse response;
        response.status = answer.status;
        response.headers = answer.headers;
        response.body = answer.body;
        done(std::move(response));
      }
      lock.lock();
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Answer> script_;
  Answer then_;
  std::vector<HttpRequest> requests_;
  std::deque<std::pair<Answer, Callback>> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace idem::testing
