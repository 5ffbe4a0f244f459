// A load generator for the sandbox (used by bench/sandbox_load and, later,
// `idem bench`): N keep-alive connections on loopback, each sending requests
// back to back (optionally pipelined) for a fixed duration.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "idem/status.h"

namespace idem {

struct SandboxLoadOptions {
  std::string host = "127.0.0.1";  // IPv4 address of the sandbox
  std::uint16_t port = 8790;
  std::string api_key = "sandbox-key";
  enum class Mode {
    kReplay,  // POST /v3/session/ with one Idempotency-Key: every request is a replay
    kCreate,  // POST /v3/session/ with a fresh key and vendor_data each time: a new session each
  };
  Mode mode = Mode::kReplay;
  // Concurrent keep-alive connections, one thread each. Default 4.
  int connections = 4;
  // Requests in flight per connection (HTTP/1.1 pipelining). Default 1.
  int pipeline = 1;
  // How long to send. Default 2 s. The run always stops by itself.
  std::chrono::milliseconds duration{2000};
};

struct SandboxLoadResult {
  std::uint64_t requests = 0;    // answered requests
  std::uint64_t unexpected = 0;  // answers other than 201 (or a replay without the header)
  double seconds = 0;
  double requests_per_second = 0;
};

// kUnavailable when it cannot connect; a connection lost mid-run ends that
// connection's share (counted in `unexpected`).
[[nodiscard]] Result<SandboxLoadResult> RunSandboxLoad(const SandboxLoadOptions& options);

}  // namespace idem
