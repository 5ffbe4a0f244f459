#include "chaos/naive_client.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace idem::chaos {

std::vector<bool> SendNaively(Transport& transport, const std::vector<OpRequest>& ops,
                              const NaiveOptions& options) {
  std::vector<char> succeeded(ops.size(), 0);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < ops.size(); i = next++) {
      const OpRequest& op = ops[i];
      for (int attempt = 0; attempt < options.max_attempts; ++attempt) {
        HttpRequest request;
        request.method = op.method;
        request.url = options.base_url + op.path;
        request.headers = {{"x-api-key", options.api_key}};
        if (!op.body.empty()) request.headers.push_back({"Content-Type", op.content_type});
        request.body = op.body;
        auto r = transport.SendAndWait(std::move(request));
        if (r && r->status >= 200 && r->status <= 299) {
          succeeded[i] = 1;
          break;
        }
        // Plain exponential backoff, no jitter, no Retry-After.
        std::this_thread::sleep_for(
            std::min(options.backoff_cap, options.backoff_base * (1 << std::min(attempt, 10))));
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < std::max<std::size_t>(1, options.concurrency); ++t) {
    threads.emplace_back(work);
  }
  for (auto& t : threads) t.join();
  return std::vector<bool>(succeeded.begin(), succeeded.end());
}

}  // namespace idem::chaos
