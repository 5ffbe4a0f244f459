// One HTTP exchange on a reusable libcurl easy handle: configures the handle
// from an HttpRequest, collects the response, and turns libcurl's result into a
// TransportResult. Used by the curl-multi transport and the bare benchmark loop.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>

#include "idem/transport.h"
#include "transport/response_collector.h"

namespace idem::internal {

class Transfer {
 public:
  // Owns a fresh easy handle; `easy()` is null if libcurl could not make one.
  Transfer();
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  CURL* easy() const { return easy_; }

  // Resets the handle (keeping its caches) and configures it for `request`.
  // Returns an error when the request cannot be sent as given (e.g. a header
  // containing CR/LF, a method that is not an HTTP token): nothing is sent.
  tl::expected<void, TransportError> Prepare(HttpRequest request, const TransportOptions& options);

  // The result once libcurl reports the transfer done with `code`.
  [[nodiscard]] TransportResult Finish(CURLcode code);

  // Frees per-request memory (body, headers) so an idle pooled handle is small.
  void Clear();

 private:
  static size_t OnHeader(char* data, size_t size, size_t count, void* self);
  static size_t OnBody(char* data, size_t size, size_t count, void* self);
  static int OnPrereq(void* self, char* conn_primary_ip, char* conn_local_ip, int conn_primary_port,
                      int conn_local_port);

  CURL* easy_ = nullptr;
  std::string method_;
  std::string body_;
  curl_slist* header_list_ = nullptr;
  std::optional<ResponseCollector> collector_;
  bool request_started_ = false;
  char error_buffer_[CURL_ERROR_SIZE] = {};
};

}  // namespace idem::internal
