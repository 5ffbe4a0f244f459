#include <future>
#include <utility>

#include "idem/transport.h"

namespace idem {

TransportResult Transport::SendAndWait(HttpRequest request) {
  // The callback runs exactly once on the transport's thread; the promise
  // carries its result back. Calling this from a callback would deadlock the
  // transport's only thread, hence the documented restriction.
  std::promise<TransportResult> promise;
  std::future<TransportResult> future = promise.get_future();
  Send(std::move(request),
       [&promise](TransportResult result) { promise.set_value(std::move(result)); });
  return future.get();
}

}  // namespace idem
