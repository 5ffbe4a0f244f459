// Maps a failed libcurl transfer to a TransportFailure. The one question that
// matters to the client is "could the server have executed this request?", so
// kNotSent is given only with proof that no byte of the request left.
#pragma once

#include <curl/curl.h>

#include "idem/transport.h"

namespace idem::internal {

// `request_started` is true once libcurl was about to write the request on a
// connection (CURLOPT_PREREQFUNCTION ran). Until then nothing was sent, whatever
// the error; after it, the server may have received the request.
// Never called for CURLE_OK.
TransportFailure ClassifyCurlFailure(CURLcode code, bool request_started);

// "DNS, connect or TLS handshake" style codes: failures of the phase before the
// request is written. Exposed for tests.
bool IsConnectPhaseFailure(CURLcode code);

// Codes meaning libcurl refused the request itself (bad URL, unsupported
// protocol, out of memory): kInternal, nothing was sent.
bool IsRequestRejected(CURLcode code);

}  // namespace idem::internal
