// The only translation unit of idem that includes Beast's server side.
#include "server/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace idem::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string DefaultErrorBody(int status) {
  switch (status) {
    case 400:
      return R"({"error":"malformed request"})";
    case 413:
      return R"({"error":"body too large"})";
    case 431:
      return R"({"error":"headers too large"})";
    default:
      return R"({"error":"internal"})";
  }
}

// What every connection of one server shares; outlives the server's
// destructor while connections are being torn down.
class Connection;

struct Shared {
  ServerOptions options;
  HttpServer::Handler handler;
  // Every open connection: their number is what the cap counts, and Stop
  // closes them (after the I/O threads stop, a connection's pending read
  // would otherwise keep its socket open until the server is destroyed).
  mutable std::mutex live_mu;
  std::list<Connection*> live;

  std::size_t Open() const {
    std::lock_guard<std::mutex> lock(live_mu);
    return live.size();
  }

  Response ErrorResponse(int status) const {
    Response r;
    r.status = status;
    r.headers.push_back({"Content-Type", "application/json"});
    r.body = options.error_body ? options.error_body(status) : DefaultErrorBody(status);
    return r;
  }
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), shared_(std::move(shared)) {}
  ~Connection() {
    std::lock_guard<std::mutex> lock(shared_->live_mu);
    shared_->live.erase(live_at_);
  }

  void Start() {
    {
      std::lock_guard<std::mutex> lock(shared_->live_mu);
      live_at_ = shared_->live.insert(shared_->live.end(), this);
    }
    ReadHeader();
  }

  // Called on the strand (Exchange dispatches there).
  void Write(Response r, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    if (!shared_->options.server_name.empty()) {
      res->set(http::field::server, shared_->options.server_name);
    }
    for (auto& h : r.headers) res->set(h.name, h.value);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_after(shared_->options.read_timeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
          if (ec) return self->Close();
          if (!keep_alive) return self->Linger();
          self->ReadHeader();
        });
  }

  // Closes after an answer the peer may still be sending into (a 413 while
  // it uploads the rest of its body): closing with unread bytes makes the
  // kernel send a reset, which can destroy the answer before the peer reads
  // it. So: stop sending (FIN after the answer), read and drop what still
  // comes until the peer closes, kLingerTime passes or kLingerBytes came,
  // then close.
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(
        std::min<std::chrono::milliseconds>(shared_->options.read_timeout, kLingerTime));
    Drain(0);
  }

  void Drain(std::size_t drained) {
    if (drained >= kLingerBytes) return Close();
    stream_.async_read_some(asio::buffer(drain_buffer_), [self = shared_from_this(), drained](
                                                             beast::error_code ec, std::size_t n) {
      if (ec) return self->Close();  // the peer closed, or the time is up
      self->Drain(drained + n);
    });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  void After(std::chrono::milliseconds delay, std::function<void()> then) {
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this(), then = std::move(then)](beast::error_code ec) {
      if (!ec) then();
    });
  }

  asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void ReadHeader() {
    parser_.emplace();
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(shared_->options.max_header_bytes, UINT32_MAX)));
    // One deadline for the whole request (and for an idle keep-alive wait):
    // a slow or half-sent request cannot hold the connection.
    stream_.expires_after(shared_->options.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    const auto& req = parser_->get();
    auto expect = req.find(http::field::expect);
    if (expect != req.end() && beast::iequals(expect->value(), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](beast::error_code ec2, std::size_t) {
                          if (ec2) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->OnRequest();
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == http::error::partial_message) {
      return Close();  // the peer went away or stalled: nobody to answer
    }
    int status = 400;  // anything else is malformed HTTP (garbage, bad version ...)
    if (ec == http::error::body_limit) status = 413;
    if (ec == http::error::header_limit) status = 431;
    Write(shared_->ErrorResponse(status), /*keep_alive=*/false);
  }

  void OnRequest();

  static constexpr std::chrono::milliseconds kLingerTime{2000};
  static constexpr std::size_t kLingerBytes = 8u << 20;

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::array<char, 4096> drain_buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Shared> shared_;
  std::list<Connection*>::iterator live_at_;
};

// One request's answer handle. Hops onto the connection's strand, so it may
// be used from any thread; the first Respond/Close wins.
class ConnectionExchange final : public Exchange {
 public:
  ConnectionExchange(std::shared_ptr<Connection> connection, bool keep_alive)
      : connection_(std::move(connection)), keep_alive_(keep_alive) {}

  void Respond(Response response) override { Answer(std::move(response), keep_alive_); }

  // Respond, but closing the connection after the answer when !keep_alive.
  void Answer(Response response, bool keep_alive) {
    if (answered_.exchange(true)) return;
    asio::dispatch(connection_->executor(),
                   [c = connection_, keep_alive, r = std::move(response)]() mutable {
                     c->Write(std::move(r), keep_alive);
                   });
  }

  void Close() override {
    if (answered_.exchange(true)) return;
    asio::dispatch(connection_->executor(), [c = connection_] { c->Close(); });
  }

  void After(std::chrono::milliseconds delay, std::function<void()> then) override {
    asio::dispatch(connection_->executor(),
                   [c = connection_, delay, then = std::move(then)] { c->After(delay, then); });
  }

 private:
  std::shared_ptr<Connection> connection_;
  const bool keep_alive_;
  std::atomic<bool> answered_{false};
};

void Connection::OnRequest() {
  auto req = parser_->release();
  Request request;
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  request.headers.reserve(8);
  for (const auto& field : req) {
    request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  request.body = std::move(req.body());
  beast::error_code peer_error;
  const auto peer = stream_.socket().remote_endpoint(peer_error);
  if (!peer_error) request.remote_ip = peer.address().to_string();
  auto exchange = std::make_shared<ConnectionExchange>(shared_from_this(), req.keep_alive());
  try {
    shared_->handler(std::move(request), exchange);
  } catch (const std::exception&) {
    // Ignored if the handler answered before it threw.
    exchange->Answer(shared_->ErrorResponse(500), /*keep_alive=*/false);
  }
}

class BeastServer final : public HttpServer {
 public:
  BeastServer(ServerOptions options, Handler handler)
      : io_(std::max(1, options.threads)),
        strand_(asio::make_strand(io_)),
        acceptor_(strand_),
        retry_timer_(strand_),
        shared_(std::make_shared<Shared>()) {
    shared_->options = std::move(options);
    shared_->handler = std::move(handler);
  }
  ~BeastServer() override { Stop(); }

  Status Listen() {
    const auto& options = shared_->options;
    beast::error_code ec;
    const auto address = asio::ip::make_address(options.host, ec);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "not an IP address: " + options.host);
    const tcp::endpoint endpoint(address, options.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return MakeError(ErrorCode::kUnavailable, "cannot listen on " + options.host + ":" +
                                                    std::to_string(options.port) + ": " +
                                                    ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < std::max(1, options.threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
    return {};
  }

  std::uint16_t port() const override { return port_; }
  const std::string& host() const override { return shared_->options.host; }
  std::size_t connections() const override { return shared_->Open(); }

  void Stop() override {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    // No I/O thread runs now: the acceptor and the sockets can be closed from
    // here (a connection going away meanwhile waits on live_mu).
    beast::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    std::lock_guard<std::mutex> live_lock(shared_->live_mu);
    for (Connection* connection : shared_->live) connection->Close();
  }

 private:
  // On strand_: one accept outstanding at a time.
  void Accept() {
    acceptor_.async_accept(
        asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
          if (ec) {
            // Out of descriptors (EMFILE/ENFILE) or similar: the connection
            // stays queued in the kernel. Retrying at once would spin a core
            // on the same error; wait, keep serving the open connections.
            retry_timer_.expires_after(shared_->options.accept_backoff);
            retry_timer_.async_wait([this](beast::error_code e) {
              if (!e) Accept();
            });
            return;
          }
          if (shared_->Open() >= shared_->options.max_connections) {
            beast::error_code ignored;
            socket.close(ignored);  // over the cap: refuse this one, keep the rest healthy
          } else {
            std::make_shared<Connection>(std::move(socket), shared_)->Start();
          }
          Accept();
        });
  }

  asio::io_context io_;
  asio::strand<asio::io_context::executor_type> strand_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(ServerOptions options, Handler handler) {
  auto server = std::make_unique<BeastServer>(std::move(options), std::move(handler));
  if (auto st = server->Listen(); !st) return tl::unexpected(st.error());
  return std::unique_ptr<HttpServer>(std::move(server));
}

HttpServer::Handler Synchronous(std::function<Response(const Request&)> answer) {
  return [answer = std::move(answer)](Request request, std::shared_ptr<Exchange> exchange) {
    exchange->Respond(answer(request));
  };
}

}  // namespace idem::server
