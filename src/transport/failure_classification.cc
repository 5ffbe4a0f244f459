#include "transport/failure_classification.h"

namespace idem::internal {

bool IsConnectPhaseFailure(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:  // only a connect-phase failure before the request started
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_PROXY:
    case CURLE_RECV_ERROR:  // e.g. the proxy or TLS peer hung up during the handshake
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
      return true;
    default:
      return false;
  }
}

bool IsRequestRejected(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_FAILED_INIT:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_LOGIN_DENIED:
      return true;
    default:
      return false;
  }
}

TransportFailure ClassifyCurlFailure(CURLcode code, bool request_started) {
  if (!request_started) {
    if (IsRequestRejected(code)) return TransportFailure::kInternal;
    // Before the request is written nothing can have reached the server.
    // Codes outside the known connect-phase set stay conservative anyway: an
    // unexpected code might mean a libcurl path we have not reasoned about.
    if (IsConnectPhaseFailure(code)) return TransportFailure::kNotSent;
    return TransportFailure::kConnectionLost;
  }
  // From here on the server may have the request, so never kNotSent.
  if (code == CURLE_OPERATION_TIMEDOUT) return TransportFailure::kTimeout;
  return TransportFailure::kConnectionLost;
}

}  // namespace idem::internal
