// libcurl's process-wide initialisation, done once however many transports
// are created and from whichever threads.
#pragma once

namespace idem::internal {

// Calls curl_global_init(CURL_GLOBAL_DEFAULT) exactly once per process. Safe to
// call from any thread, any number of times. Returns false when libcurl could
// not initialise (then no transfer can work).
bool EnsureCurlGlobalInit();

}  // namespace idem::internal
