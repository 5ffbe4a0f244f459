#include "transport/bare_curl_loop.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

#include "transport/curl_global.h"
#include "transport/transfer.h"

namespace idem::internal {

BareCurlLoopResult RunBareCurlLoop(const std::vector<HttpRequest>& requests, int in_flight,
                                   const TransportOptions& options) {
  BareCurlLoopResult result;
  in_flight = std::max(1, in_flight);
  if (!EnsureCurlGlobalInit()) {
    result.transport_failures = static_cast<int>(requests.size());
    return result;
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) {
    result.transport_failures = static_cast<int>(requests.size());
    return result;
  }
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(in_flight));
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(in_flight));

  std::vector<std::unique_ptr<Transfer>> idle;
  for (int i = 0; i < in_flight; ++i) idle.push_back(std::make_unique<Transfer>());

  const auto start = std::chrono::steady_clock::now();
  std::size_t next = 0;
  std::size_t done = 0;
  while (done < requests.size()) {
    while (!idle.empty() && next < requests.size()) {
      std::unique_ptr<Transfer> t = std::move(idle.back());
      idle.pop_back();
      if (!t->Prepare(requests[next++], options) ||
          curl_multi_add_handle(multi, t->easy()) != CURLM_OK) {
        ++result.transport_failures;
        ++done;
        idle.push_back(std::move(t));
        continue;
      }
      t.release();  // owned via CURLOPT_PRIVATE until it finishes
    }
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    bool finished_any = false;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      const CURLcode code = msg->data.result;
      CURL* easy = msg->easy_handle;
      curl_multi_remove_handle(multi, easy);
      char* priv = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
      std::unique_ptr<Transfer> t(reinterpret_cast<Transfer*>(priv));
      TransportResult r = t->Finish(code);
      if (r) {
        ++result.status_counts[r->status];
      } else {
        ++result.transport_failures;
      }
      ++done;
      finished_any = true;
      idle.push_back(std::move(t));
    }
    // A finished transfer frees a slot: refill it before waiting.
    if (!finished_any && done < requests.size()) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  result.elapsed = std::chrono::steady_clock::now() - start;
  idle.clear();
  curl_multi_cleanup(multi);
  return result;
}

}  // namespace idem::internal
