// A loopback port nothing listens on right now: bound to 127.0.0.1:0, read
// back, closed. For a test that needs a refused connection, or a server that
// must come up later on a port already given to someone else (a receiver a
// sender was told about before it started). Another process may take the
// port in between; on a test machine that is rare enough to accept. Free of
// GoogleTest, so test libraries (pg_cluster.cc) use it too.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace idem::testing {

// The port, or 0 when no socket could be bound.
inline std::uint16_t UnusedLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace idem::testing
