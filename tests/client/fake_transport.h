// A Transport for the client's state-machine tests: every request is
// recorded (headers included, so a test reads the Idempotency-Key each
// attempt carried, and the fake time it was sent at) and answered from a
// script: a response, a transport failure, or "hold", which keeps the
// request on the wire until the test answers it. Answers are delivered
// through `deliver` (the test's scheduler), never inside Send, as a real
// transport calls back from its own thread.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "idem/transport.h"
#include "testing/fake_clock.h"

namespace idem::testing {

struct FakeAnswer {
  enum class Kind { kResponse, kFailure, kHold };
  Kind kind = Kind::kResponse;
  int status = 200;
  Headers headers;
  std::string body = "{}";
  TransportFailure failure = TransportFailure::kTimeout;

  static FakeAnswer Status(int status, Headers headers = {}, std::string body = "{}") {
    FakeAnswer a;
    a.status = status;
    a.headers = std::move(headers);
    a.body = std::move(body);
    return a;
  }
  static FakeAnswer Failure(TransportFailure failure) {
    FakeAnswer a;
    a.kind = Kind::kFailure;
    a.failure = failure;
    return a;
  }
  static FakeAnswer Hold() {
    FakeAnswer a;
    a.kind = Kind::kHold;
    return a;
  }
};

class FakeTransport final : public Transport {
 public:
  struct Sent {
    HttpRequest request;
    std::chrono::steady_clock::time_point at;  // the FakeClock's steady time
  };

  FakeTransport(FakeClock& clock, std::function<void(std::function<void()>)> deliver)
      : clock_(clock), deliver_(std::move(deliver)) {}

  // Answers for the next requests, in order; once they run out, every
  // request gets `fallback` (default 200 with "{}").
  void Script(std::vector<FakeAnswer> answers) {
    std::lock_guard<std::mutex> lock(mu_);
    for (FakeAnswer& a : answers) script_.push_back(std::move(a));
  }
  void SetFallback(FakeAnswer answer) {
    std::lock_guard<std::mutex> lock(mu_);
    fallback_ = std::move(answer);
  }

  void Send(HttpRequest request, Callback done) override {
    FakeAnswer answer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      sent_.push_back(Sent{request, clock_.SteadyNow()});
      if (!script_.empty()) {
        answer = std::move(script_.front());
        script_.pop_front();
      } else {
        answer = fallback_;
      }
      if (answer.kind == FakeAnswer::Kind::kHold) {
        held_.push_back(std::move(done));
        return;
      }
    }
    Deliver(std::move(done), std::move(answer));
  }

  // Answers the oldest held request (false when none is held).
  bool AnswerHeld(FakeAnswer answer) {
    Callback done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (held_.empty()) return false;
      done = std::move(held_.front());
      held_.pop_front();
    }
    Deliver(std::move(done), std::move(answer));
    return true;
  }
  // Every held request ends kCancelled, as a real transport's destruction
  // ends them (a test's teardown, so that no op waits forever).
  void CancelHeld() {
    while (AnswerHeld(FakeAnswer::Failure(TransportFailure::kCancelled))) {
    }
  }

  std::size_t sent() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_.size();
  }
  std::size_t held() const {
    std::lock_guard<std::mutex> lock(mu_);
    return held_.size();
  }
  Sent Request(std::size_t i) const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_.at(i);
  }
  // The Idempotency-Key request `i` carried ("" without one).
  std::string KeyOf(std::size_t i) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = FindHeader(sent_.at(i).request.headers, "Idempotency-Key");
    return key ? std::string(*key) : std::string();
  }

 private:
  void Deliver(Callback done, FakeAnswer answer) {
    deliver_([done = std::move(done), answer = std::move(answer)] {
      if (answer.kind == FakeAnswer::Kind::kFailure) {
        done(tl::unexpected(TransportError{answer.failure, "fake transport failure"}));
        return;
      }
      HttpResponse response;
      response.status = answer.status;
      response.headers = answer.headers;
      response.body = answer.body;
      done(std::move(response));
    });
  }

  FakeClock& clock_;
  std::function<void(std::function<void()>)> deliver_;
  mutable std::mutex mu_;
  std::deque<FakeAnswer> script_;
  FakeAnswer fallback_ = FakeAnswer::Status(200);
  std::vector<Sent> sent_;
  std::deque<Callback> held_;
};

}  // namespace idem::testing
