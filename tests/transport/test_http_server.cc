#include "transport/test_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace idem::testing {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::size_t kMaxRequestHeaderBytes = 1 << 20;
constexpr std::size_t kMaxRequestBodyBytes = 64 << 20;

void Die(const char* what) {
  std::perror(what);
  std::abort();
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Response(int status, std::string_view reason, const Headers& headers,
                     std::string_view body, bool with_length = true) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  for (const Header& h : headers) out += h.name + ": " + h.value + "\r\n";
  if (with_length) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n";
  out.append(body);
  return out;
}

int NumberAfter(std::string_view target, std::string_view prefix) {
  return std::atoi(std::string(target.substr(prefix.size())).c_str());
}

}  // namespace

struct TestHttpServer::Connection {
  int fd = -1;
  std::string in;
  std::string out;
  std::size_t out_sent = 0;  // bytes of `out` already written
  bool dead = false;
  bool close_after_write = false;
  bool reset_on_close = false;
  // A held request (/delay): its response goes out at `respond_at`.
  std::optional<std::string> held_response;
  SteadyTime respond_at;
};

TestHttpServer::TestHttpServer() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) Die("socket");
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Die("bind");
  if (listen(listen_fd_, 512) != 0) Die("listen");
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  SetNonBlocking(listen_fd_);
  if (pipe(wake_pipe_) != 0) Die("pipe");
  thread_ = std::thread([this] { Run(); });
}

TestHttpServer::~TestHttpServer() {
  stop_.store(true);
  const char byte = 1;
  (void)!write(wake_pipe_[1], &byte, 1);
  thread_.join();
  for (auto& c : connections_) close(c->fd);
  close(listen_fd_);
  close(wake_pipe_[0]);
  close(wake_pipe_[1]);
}

std::string TestHttpServer::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::vector<RecordedRequest> TestHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void TestHttpServer::Run() {
  std::vector<pollfd> fds;
  while (!stop_.load()) {
    fds.clear();
    fds.push_back(pollfd{listen_fd_, POLLIN, 0});
    fds.push_back(pollfd{wake_pipe_[0], POLLIN, 0});
    int timeout_ms = 50;
    const SteadyTime now = std::chrono::steady_clock::now();
    for (auto& c : connections_) {
      short events = POLLIN;
      if (!c->out.empty()) events |= POLLOUT;
      fds.push_back(pollfd{c->fd, events, 0});
      if (c->held_response) {
        const auto wait =
            std::chrono::duration_cast<std::chrono::milliseconds>(c->respond_at - now).count() + 1;
        timeout_ms = std::clamp<int>(static_cast<int>(wait), 0, timeout_ms);
      }
    }
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) Die("poll");
    if (fds[0].revents & POLLIN) AcceptAll();
    // New connections are polled from the next round on.
    const std::size_t polled = fds.size() - 2;
    for (std::size_t i = 0; i < polled; ++i) {
      Connection& c = *connections_[i];
      const short ev = fds[i + 2].revents;
      if (ev & (POLLIN | POLLHUP | POLLERR)) {
        if (!ReadFrom(c)) c.dead = true;
      }
      if (!c.dead) ParseRequests(c);
    }
    const SteadyTime after = std::chrono::steady_clock::now();
    for (auto& c : connections_) {
      if (c->dead) continue;
      if (c->held_response && c->respond_at <= after) {
        c->out += *c->held_response;
        c->held_response.reset();
        OpenRequestDone();
        ParseRequests(*c);  // a pipelined request may be waiting
      }
      if (!c->out.empty() && !WriteTo(*c)) c->dead = true;
      if (!c->dead && c->out.empty() && c->close_after_write) c->dead = true;
    }
    // Close dead connections.
    for (auto& c : connections_) {
      if (!c->dead) continue;
      if (c->held_response) OpenRequestDone();
      if (c->reset_on_close) {
        linger lg{1, 0};  // close with RST instead of FIN
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      }
      close(c->fd);
      c->fd = -1;
    }
    std::erase_if(connections_, [](const auto& c) { return c->fd < 0; });
  }
}

void TestHttpServer::AcceptAll() {
  while (true) {
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    SetNonBlocking(fd);
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    connections_.push_back(std::move(c));
    connections_accepted_.fetch_add(1);
  }
}

bool TestHttpServer::ReadFrom(Connection& c) {
  char buffer[65536];
  while (true) {
    const ssize_t n = recv(c.fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      c.in.append(buffer, static_cast<std::size_t>(n));
      if (c.in.size() > kMaxRequestHeaderBytes + kMaxRequestBodyBytes) return false;
      continue;
    }
    if (n == 0) return false;  // peer closed
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
}

void TestHttpServer::ParseRequests(Connection& c) {
  while (!c.held_response && !c.close_after_write) {
    const std::size_t header_end = c.in.find("\r\n\r\n");
    if (header_end == std::string::npos) {
      if (c.in.size() > kMaxRequestHeaderBytes) c.dead = true;
      return;
    }
    RecordedRequest request;
    std::string_view head(c.in.data(), header_end);
    const std::size_t line_end = head.find("\r\n");
    std::string_view request_line = head.substr(0, line_end);
    const std::size_t sp1 = request_line.find(' ');
    const std::size_t sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 <= sp1) {
      c.dead = true;
      return;
    }
    request.method = std::string(request_line.substr(0, sp1));
    request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    std::size_t content_length = 0;
    std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      std::size_t next = head.find("\r\n", pos);
      if (next == std::string_view::npos) next = head.size();
      std::string_view line = head.substr(pos, next - pos);
      const std::size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        Header h{std::string(line.substr(0, colon)), std::string(Trim(line.substr(colon + 1)))};
        if (strcasecmp(h.name.c_str(), "Content-Length") == 0) {
          content_length = std::strtoull(h.value.c_str(), nullptr, 10);
        }
        request.headers.push_back(std::move(h));
      }
      pos = next + 2;
    }
    if (content_length > kMaxRequestBodyBytes) {
      c.dead = true;
      return;
    }
    const std::size_t total = header_end + 4 + content_length;
    if (c.in.size() < total) return;  // wait for the rest of the body
    request.body = c.in.substr(header_end + 4, content_length);
    c.in.erase(0, total);
    Handle(c, std::move(request));
  }
}

void TestHttpServer::Handle(Connection& c, RecordedRequest request) {
  requests_received_.fetch_add(1);
  const int open = open_requests_.fetch_add(1) + 1;
  int seen = max_open_requests_.load();
  while (open > seen && !max_open_requests_.compare_exchange_weak(seen, open)) {
  }
  if (recording_.load()) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
  }
  const std::string_view target = request.target;
  bool answered_now = true;

  if (target == "/echo") {
    Headers headers{{"Content-Type", "application/octet-stream"},
                    {"X-Echo-Method", request.method}};
    for (const Header& h : request.headers) {
      if (h.name.size() > 2 && (h.name[0] == 'X' || h.name[0] == 'x') && h.name[1] == '-') {
        headers.push_back(Header{"Echo-" + h.name, h.value});
      }
    }
    c.out += Response(200, "OK", headers, request.body);
  } else if (target.starts_with("/status/")) {
    const int code = NumberAfter(target, "/status/");
    c.out += Response(code, "Status", {{"Content-Type", "text/plain"}},
                      "status " + std::to_string(code));
  } else if (target.starts_with("/delay/")) {
    c.held_response = Response(200, "OK", {{"Content-Type", "text/plain"}}, "late");
    c.respond_at = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(NumberAfter(target, "/delay/"));
    answered_now = false;
  } else if (target == "/close") {
    c.close_after_write = true;
  } else if (target == "/reset") {
    c.close_after_write = true;
    c.reset_on_close = true;
  } else if (target == "/midbody") {
    c.out += "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789";
    c.close_after_write = true;
  } else if (target == "/chunked-cut") {
    c.out += "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789";
    c.close_after_write = true;
  } else if (target.starts_with("/huge/")) {
    const std::size_t n = static_cast<std::size_t>(NumberAfter(target, "/huge/"));
    c.out +=
        Response(200, "OK", {{"Content-Type", "application/octet-stream"}}, std::string(n, 'x'));
  } else if (target == "/notype") {
    c.out += Response(200, "OK", {}, "plain");
  } else if (target == "/wrongtype") {
    c.out += Response(200, "OK", {{"Content-Type", "text/html"}}, "<html>not json</html>");
  } else if (target == "/early-hints") {
    c.out += "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
    c.out += Response(200, "OK", {{"Content-Type", "text/plain"}, {"X-Final", "yes"}}, "final");
  } else if (target == "/redirect") {
    c.out += Response(302, "Found", {{"Location", "/echo"}}, "moved");
  } else if (target == "/header-flood") {
    Headers headers;
    for (int i = 0; i < 3000; ++i) {
      headers.push_back(Header{"X-Flood-" + std::to_string(i), std::string(100, 'f')});
    }
    c.out += Response(200, "OK", headers, "flood");
  } else if (target == "/garbage") {
    c.out += "garbage that is not HTTP\r\n\r\n";
    c.close_after_write = true;
  } else if (target == "/bad-status") {
    c.out += "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n";
    c.close_after_write = true;
  } else if (target == "/bad-length") {
    c.out += "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nx";
    c.close_after_write = true;
  } else if (target == "/close-delimited") {
    c.out += "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil close";
    c.close_after_write = true;
  } else {
    c.out += Response(404, "Not Found", {{"Content-Type", "text/plain"}}, "no such path");
  }
  if (answered_now) OpenRequestDone();
}

bool TestHttpServer::WriteTo(Connection& c) {
  while (c.out_sent < c.out.size()) {
    const ssize_t n =
        send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_sent += static_cast<std::size_t>(n);
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  }
  c.out.clear();
  c.out_sent = 0;
  return true;
}

void TestHttpServer::OpenRequestDone() { open_requests_.fetch_sub(1); }

}  // namespace idem::testing
