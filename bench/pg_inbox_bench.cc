// Micro-benchmark (not a test): accepted (stored) events per second on the
// PostgreSQL inbox against a throwaway cluster with fsync on
// (synchronous_commit = on, the kPowerLoss default), heal included (the
// journal at the same URL): Accept from 1 and 16 threads, and AcceptMany
// batches of 16 from one thread (the receiver's store thread).
//   build/<dir>/bench/pg_inbox_bench [events_per_run]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "idem/webhook_inbox.h"
#include "testing/pg_cluster.h"
#include "webhook/inbox_test_util.h"

namespace {

std::string Body(const std::string& tag, int i) {
  return idem::testing::Event(tag + std::to_string(i), "Approved", 100, "u" + std::to_string(i));
}

double Run(idem::WebhookInbox& inbox, int threads, int batch, int events, const std::string& tag) {
  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next.fetch_add(batch); i < events; i = next.fetch_add(batch)) {
        std::vector<std::string> bodies;
        for (int k = i; k < std::min(events, i + batch); ++k) bodies.push_back(Body(tag, k));
        std::vector<idem::WebhookInbox::Delivery> deliveries;
        for (const auto& b : bodies) deliveries.push_back({b, ""});
        for (const auto& r : inbox.AcceptMany(deliveries)) {
          if (!r || r->outcome != idem::InboxOutcome::kStored) errors.fetch_add(1);
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (errors.load() != 0) std::fprintf(stderr, "%d errors\n", errors.load());
  return events / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::atoi(argv[1]) : 2000;
  auto cluster = idem::testing::PgCluster::StartWithDatabase({.fsync = true}, "bench");
  if (!cluster) {
    std::fprintf(stderr, "%s\n", cluster.error().ToString().c_str());
    return 1;
  }
  auto inbox = idem::WebhookInbox::Open((*cluster)->Url("bench"), idem::InboxOptions{});
  if (!inbox) {
    std::fprintf(stderr, "%s\n", inbox.error().ToString().c_str());
    return 1;
  }
  struct Shape {
    int threads, batch;
  };
  for (Shape s : {Shape{1, 1}, Shape{16, 1}, Shape{1, 16}}) {
    const std::string tag = "t" + std::to_string(s.threads) + "b" + std::to_string(s.batch) + "-";
    const double rate = Run(**inbox, s.threads, s.batch, events, tag);
    std::printf("postgres inbox, fsync on: %2d threads, batches of %2d: %.0f events/s\n", s.threads,
                s.batch, rate);
  }
  return 0;
}
