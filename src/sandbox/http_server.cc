#include "sandbox/http_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <thread>
#include <vector>

namespace idem::sandbox {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Shared {
  ServerConfig config;
  App* app = nullptr;
  std::atomic<std::size_t> connections{0};
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), shared_(std::move(shared)) {}
  ~Connection() { --shared_->connections; }

  void Start() { ReadHeader(); }

 private:
  void ReadHeader() {
    parser_.emplace();
    parser_->body_limit(shared_->config.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(shared_->config.max_header_bytes));
    // One deadline for the whole request (and for an idle keep-alive wait):
    // a slow or half-sent request cannot hold the connection.
    stream_.expires_after(shared_->config.read_timeout);
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
    if (ec == http::error::body_limit) {
      return WriteError(413, R"({"detail":"Request body is larger than the limit."})");
    }
    if (ec == http::error::header_limit) {
      return WriteError(431, R"({"detail":"Request headers are larger than the limit."})");
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == http::error::partial_message) {
      return Close();
    }
    // Anything else is a malformed request (garbage bytes, bad version ...).
    WriteError(400, R"({"detail":"Malformed HTTP request."})");
  }

  void WriteError(int status, std::string body) {
    Response r;
    r.status = status;
    r.headers.push_back({"Content-Type", "application/json"});
    r.body = std::move(body);
    keep_alive_ = false;
    Write(std::move(r));
  }

  void OnRequest() {
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.headers.reserve(8);
    for (const auto& field : req) {
      request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    request.body = std::move(req.body());
    Act(shared_->app->Handle(request));
  }

  void Act(Outcome outcome) {
    if (outcome.resume) {
      // slow_exec: the key stays in progress while the timer runs; the I/O
      // thread is free for other connections (and their 409s).
      timer_.expires_after(std::chrono::milliseconds(outcome.hold_ms));
      timer_.async_wait([self = shared_from_this(), resume = std::move(outcome.resume)](
                            beast::error_code) { self->Act(resume()); });
      return;
    }
    if (outcome.action == Outcome::Action::kClose) return Close();
    if (outcome.delay_ms > 0) {
      timer_.expires_after(std::chrono::milliseconds(outcome.delay_ms));
      timer_.async_wait([self = shared_from_this(), r = std::move(outcome.response)](
                            beast::error_code) mutable { self->Write(std::move(r)); });
      return;
    }
    Write(std::move(outcome.response));
  }

  void Write(Response r) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "idem-sandbox");
    for (auto& h : r.headers) res->set(h.name, h.value);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    stream_.expires_after(shared_->config.read_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec || !self->keep_alive_) return self->Close();
                        self->ReadHeader();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Shared> shared_;
  bool keep_alive_ = true;
};

class BeastServer final : public HttpServer {
 public:
  BeastServer(const ServerConfig& config, App& app)
      : io_(config.threads),
        acceptor_(io_),
        retry_timer_(io_),
        shared_(std::make_shared<Shared>()) {
    shared_->config = config;
    shared_->app = &app;
  }
  ~BeastServer() override { Stop(); }

  Status Listen() {
    beast::error_code ec;
    const auto address = asio::ip::make_address(shared_->config.host, ec);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "bad listen host: " + ec.message());
    const tcp::endpoint endpoint(address, shared_->config.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return MakeError(ErrorCode::kUnavailable, "cannot listen on " + shared_->config.host + ":" +
                                                    std::to_string(shared_->config.port) + ": " +
                                                    ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    const int threads = std::max(1, shared_->config.threads);
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
    return {};
  }

  std::uint16_t port() const override { return port_; }

  void Stop() override {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    asio::post(io_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      retry_timer_.cancel();
    });
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void Accept() {
    acceptor_.async_accept(
        asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
          if (ec) {
            // Out of descriptors or similar: back off briefly, keep serving.
            retry_timer_.expires_after(std::chrono::milliseconds(20));
            retry_timer_.async_wait([this](beast::error_code e) {
              if (!e) Accept();
            });
            return;
          }
          if (shared_->connections.load() >= shared_->config.max_connections) {
            beast::error_code ignored;
            socket.close(ignored);  // over the cap: refuse this one, keep the rest healthy
          } else {
            ++shared_->connections;
            std::make_shared<Connection>(std::move(socket), shared_)->Start();
          }
          Accept();
        });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerConfig& config, App& app) {
  auto server = std::make_unique<BeastServer>(config, app);
  if (auto st = server->Listen(); !st) return tl::unexpected(st.error());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace idem::sandbox
