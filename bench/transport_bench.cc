// Requests per second through the libcurl transport against a local keep-alive
// server, next to the bare libcurl loop the client-core benchmark compares to.
//   build/<dir>/bench/idem_transport_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "idem/transport.h"
#include "transport/bare_curl_loop.h"
#include "transport/test_http_server.h"

namespace {

constexpr int kRequestsPerIteration = 512;

idem::testing::TestHttpServer& Server() {
  static auto* server = [] {
    auto* s = new idem::testing::TestHttpServer();
    s->set_recording(false);
    return s;
  }();
  return *server;
}

idem::HttpRequest EchoRequest() {
  return idem::HttpRequest{"POST",
                           Server().Url("/echo"),
                           {{"Content-Type", "application/json"}, {"Idempotency-Key", "k"}},
                           R"({"workflow_id":"w","vendor_data":"user-123"})"};
}

// Keeps `in_flight` requests going through the transport until `total` are
// done: each callback sends the next one.
class Pump {
 public:
  Pump(idem::Transport& transport, int total) : transport_(transport), remaining_(total) {}

  void Start(int in_flight) {
    for (int i = 0; i < in_flight; ++i) SendNext();
    Release();  // the starter's own hold, so early finishes cannot end the run
  }
  int Wait() {
    done_.get_future().wait();
    return failures_.load();
  }

 private:
  void SendNext() {
    if (remaining_.fetch_sub(1) <= 0) return;
    ++outstanding_;
    transport_.Send(EchoRequest(), [this](idem::TransportResult r) {
      if (!r || r->status != 200) ++failures_;
      SendNext();
      Release();
    });
  }
  void Release() {
    if (--outstanding_ == 0) done_.set_value();
  }

  idem::Transport& transport_;
  std::atomic<int> remaining_;
  std::atomic<int> outstanding_{1};  // 1: held by Start()
  std::atomic<int> failures_{0};
  std::promise<void> done_;
};

void BM_CurlTransport(benchmark::State& state) {
  const int in_flight = static_cast<int>(state.range(0));
  idem::TransportOptions options;
  options.max_in_flight = in_flight;
  options.max_connections_per_host = in_flight;
  auto transport = idem::MakeCurlTransport(options);
  for (auto _ : state) {
    Pump pump(*transport, kRequestsPerIteration);
    pump.Start(in_flight);
    if (pump.Wait() != 0) state.SkipWithError("a request failed");
  }
  state.SetItemsProcessed(state.iterations() * kRequestsPerIteration);
}
BENCHMARK(BM_CurlTransport)->Arg(1)->Arg(32)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_BareCurlLoop(benchmark::State& state) {
  const int in_flight = static_cast<int>(state.range(0));
  const std::vector<idem::HttpRequest> requests(kRequestsPerIteration, EchoRequest());
  for (auto _ : state) {
    auto result = idem::internal::RunBareCurlLoop(requests, in_flight);
    if (result.transport_failures != 0 || result.status_counts[200] != kRequestsPerIteration) {
      state.SkipWithError("a request failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * kRequestsPerIteration);
}
BENCHMARK(BM_BareCurlLoop)->Arg(1)->Arg(32)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
