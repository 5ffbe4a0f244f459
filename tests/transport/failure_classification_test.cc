#include "transport/failure_classification.h"

#include <gtest/gtest.h>

namespace idem::internal {
namespace {

TEST(FailureClassificationTest, ConnectPhaseFailuresBeforeSendingAreNotSent) {
  for (CURLcode code : {CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY,
                        CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_SSL_CONNECT_ERROR,
                        CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE}) {
    EXPECT_EQ(ClassifyCurlFailure(code, /*request_started=*/false), TransportFailure::kNotSent)
        << curl_easy_strerror(code);
  }
}

TEST(FailureClassificationTest, NothingIsNotSentOnceTheRequestStarted) {
  for (int raw = 1; raw < CURL_LAST; ++raw) {
    const auto code = static_cast<CURLcode>(raw);
    EXPECT_NE(ClassifyCurlFailure(code, /*request_started=*/true), TransportFailure::kNotSent)
        << curl_easy_strerror(code);
  }
}

TEST(FailureClassificationTest, TimeoutAfterSendingIsTimeout) {
  EXPECT_EQ(ClassifyCurlFailure(CURLE_OPERATION_TIMEDOUT, true), TransportFailure::kTimeout);
}

TEST(FailureClassificationTest, ResetsEmptyRepliesAndPartialBodiesAreConnectionLost) {
  for (CURLcode code : {CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
                        CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_WEIRD_SERVER_REPLY}) {
    EXPECT_EQ(ClassifyCurlFailure(code, true), TransportFailure::kConnectionLost)
        << curl_easy_strerror(code);
  }
}

TEST(FailureClassificationTest, RejectedRequestsAreInternal) {
  for (CURLcode code : {CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_OUT_OF_MEMORY}) {
    EXPECT_EQ(ClassifyCurlFailure(code, false), TransportFailure::kInternal)
        << curl_easy_strerror(code);
  }
}

TEST(FailureClassificationTest, UnexpectedCodesBeforeSendingStayConservative) {
  // A code we have not reasoned about must not claim the request never left.
  EXPECT_EQ(ClassifyCurlFailure(CURLE_PARTIAL_FILE, false), TransportFailure::kConnectionLost);
  EXPECT_EQ(ClassifyCurlFailure(CURLE_WEIRD_SERVER_REPLY, false),
            TransportFailure::kConnectionLost);
}

}  // namespace
}  // namespace idem::internal
