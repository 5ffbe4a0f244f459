#include "sandbox/load_generator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace idem {
namespace {

constexpr char kWorkflow[] = "11111111-2222-4333-8444-555555555555";

std::string BuildRequest(const SandboxLoadOptions& o, const std::string& key,
                         const std::string& vendor_data) {
  const std::string body =
      std::string(R"({"workflow_id":")") + kWorkflow + R"(","vendor_data":")" + vendor_data + "\"}";
  return "POST /v3/session/ HTTP/1.1\r\nHost: " + o.host + "\r\nx-api-key: " + o.api_key +
         "\r\nContent-Type: application/json\r\nIdempotency-Key: " + key +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class Connection {
 public:
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }
  bool Connect(const std::string& host, std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return false;
    return connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  bool Send(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // Reads one response; returns its status (0 on a lost connection) and
  // whether it was marked as a replay.
  int ReadResponse(bool& replayed) {
    while (true) {
      const std::size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        const std::string_view head(buffer_.data(), end);
        std::size_t length = 0;
        const std::size_t cl = head.find("Content-Length: ");
        if (cl != std::string_view::npos) length = std::strtoul(head.data() + cl + 16, nullptr, 10);
        if (buffer_.size() >= end + 4 + length) {
          const int status = head.size() > 12 ? std::atoi(head.data() + 9) : 0;
          replayed = head.find("Idempotent-Replayed: true") != std::string_view::npos;
          buffer_.erase(0, end + 4 + length);
          return status;
        }
      }
      char chunk[16384];
      const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return 0;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace

[[nodiscard]] Result<SandboxLoadResult> RunSandboxLoad(const SandboxLoadOptions& options) {
  if (options.connections < 1 || options.pipeline < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "connections and pipeline must be >= 1");
  }
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < options.connections; ++i) {
    auto c = std::make_unique<Connection>();
    if (!c->Connect(options.host, options.port)) {
      return MakeError(ErrorCode::kUnavailable, "cannot connect to the sandbox");
    }
    connections.push_back(std::move(c));
  }
  const std::string run_id =
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  const std::string replay_request = BuildRequest(options, "load-replay-" + run_id, "load-replay");
  // Prime the replayed key so every measured request is a replay.
  if (options.mode == SandboxLoadOptions::Mode::kReplay) {
    bool replayed = false;
    if (!connections[0]->Send(replay_request) || connections[0]->ReadResponse(replayed) != 201) {
      return MakeError(ErrorCode::kUnavailable, "priming request failed");
    }
  }
  std::atomic<std::uint64_t> total{0};
  std::atomic<std::uint64_t> unexpected{0};
  const auto start = std::chrono::steady_clock::now();
  const auto stop_at = start + options.duration;
  std::vector<std::thread> threads;
  for (int t = 0; t < options.connections; ++t) {
    threads.emplace_back([&, t] {
      Connection& c = *connections[static_cast<std::size_t>(t)];
      std::uint64_t done = 0;
      std::uint64_t bad = 0;
      std::uint64_t counter = 0;
      auto next_request = [&] {
        if (options.mode == SandboxLoadOptions::Mode::kReplay) return replay_request;
        const std::string id = run_id + "-" + std::to_string(t) + "-" + std::to_string(counter++);
        return BuildRequest(options, "load-create-" + id, "load-" + id);
      };
      int in_flight = 0;
      std::string batch;
      for (int i = 0; i < options.pipeline; ++i) batch += next_request();
      if (!c.Send(batch)) return;
      in_flight = options.pipeline;
      while (in_flight > 0) {
        bool replayed = false;
        const int status = c.ReadResponse(replayed);
        --in_flight;
        if (status == 0) {
          ++bad;
          break;
        }
        ++done;
        const bool ok =
            status == 201 && (options.mode == SandboxLoadOptions::Mode::kReplay) == replayed;
        if (!ok) ++bad;
        if (std::chrono::steady_clock::now() < stop_at) {
          if (!c.Send(next_request())) break;
          ++in_flight;
        }
      }
      total += done;
      unexpected += bad;
    });
  }
  for (auto& t : threads) t.join();
  SandboxLoadResult result;
  result.requests = total.load();
  result.unexpected = unexpected.load();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.requests_per_second = result.seconds > 0 ? result.requests / result.seconds : 0;
  return result;
}

}  // namespace idem
