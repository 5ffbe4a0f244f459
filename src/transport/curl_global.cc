#include "transport/curl_global.h"

#include <curl/curl.h>

#include <mutex>

namespace idem::internal {

bool EnsureCurlGlobalInit() {
  // curl_global_init is not thread-safe on every libcurl build; call_once makes
  // it so. It is never undone: curl_global_cleanup at exit would race with
  // transports that other static objects may still own.
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; });
  return ok;
}

}  // namespace idem::internal
