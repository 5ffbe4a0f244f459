// A Transport decorator that counts what a run sends: requests (for the live
// progress line) and reconciliation look-ups with what the server answered
// them (found / not found). It only observes; requests and results pass
// through unchanged.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "idem/transport.h"

namespace idem::demo {

class CountingTransport final : public Transport {
 public:
  explicit CountingTransport(std::shared_ptr<Transport> inner) : inner_(std::move(inner)) {}
  void Send(HttpRequest request, Callback done) override;

  std::uint64_t requests() const { return requests_.load(); }
  std::uint64_t mutations() const { return mutations_.load(); }
  std::uint64_t lookups() const { return lookups_.load(); }
  std::uint64_t lookups_found() const { return lookups_found_.load(); }

 private:
  std::shared_ptr<Transport> inner_;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> mutations_{0};  // POSTs
  std::atomic<std::uint64_t> lookups_{0};
  std::atomic<std::uint64_t> lookups_found_{0};
};

}  // namespace idem::demo
