// A raw TCP client for hostile-input tests: send arbitrary bytes, read what
// comes back until the peer closes or a deadline passes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace idem::testing {

class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawSocket() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  bool Send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  // Reads until the peer closes (closed = true) or `deadline` passes.
  std::string ReadAll(std::chrono::milliseconds deadline, bool* closed = nullptr) {
    std::string out;
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed) *closed = true;
        return out;
      }
      out.append(buf, static_cast<std::size_t>(n));
    }
    if (closed) *closed = false;
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Waits (bounded) until `count` of `sockets` have been closed by the peer;
// returns how many were. For tests of a connection cap.
inline int ClosedByPeer(std::vector<std::unique_ptr<RawSocket>>& sockets, int count,
                        std::chrono::milliseconds within) {
  std::vector<bool> closed(sockets.size(), false);
  int n = 0;
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (n < count && std::chrono::steady_clock::now() < deadline) {
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      if (closed[i]) continue;
      bool c = false;
      sockets[i]->ReadAll(std::chrono::milliseconds(2), &c);
      if (c) {
        closed[i] = true;
        ++n;
      }
    }
  }
  return n;
}

}  // namespace idem::testing
