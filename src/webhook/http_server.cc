// The only translation unit of the webhook component that includes Beast.
#include "webhook/http_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace idem::webhook {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string_view ReasonJson(int status) {
  switch (status) {
    case 400:
      return R"({"error":"malformed request"})";
    case 413:
      return R"({"error":"body too large"})";
    default:
      return R"({"error":"error"})";
  }
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const HttpServerOptions& options,
             const HttpServer::AsyncHandler& handler)
      : stream_(std::move(socket)), options_(options), handler_(handler) {}

  void Run() { ReadNext(); }
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

 private:
  void ReadNext() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(options_.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      return Close();
    }
    if (ec) {
      // Malformed HTTP or a body over the limit: answer and close.
      int status = ec == http::error::body_limit ? 413 : 400;
      return Write(ServerResponse{status, std::string(ReasonJson(status))}, /*keep_alive=*/false);
    }
    auto& msg = parser_->get();
    ServerRequest request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    for (const auto& field : msg) {
      request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    request.body = std::move(msg.body());
    const bool keep_alive = msg.keep_alive();
    // The answer may come from another thread: hop back onto this
    // connection's strand (inline when already on it).
    auto respond = [self = shared_from_this(), keep_alive](ServerResponse response) {
      auto executor = self->stream_.get_executor();
      asio::dispatch(
          executor, [self = std::move(self), keep_alive, response = std::move(response)]() mutable {
            self->Write(std::move(response), keep_alive);
          });
    };
    try {
      handler_(std::move(request), std::move(respond));
    } catch (const std::exception&) {
      Write(ServerResponse{500, R"({"error":"internal"})"}, /*keep_alive=*/false);
    }
  }

  void Write(ServerResponse response, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(response.status));
    res->set(http::field::content_type, response.content_type);
    res->keep_alive(keep_alive);
    res->body() = std::move(response.body);
    res->prepare_payload();
    stream_.expires_after(options_.idle_timeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) return self->Close();
          self->ReadNext();
        });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServerOptions& options_;
  const HttpServer::AsyncHandler& handler_;
};

class BeastServer final : public HttpServer {
 public:
  BeastServer(HttpServerOptions options, AsyncHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)), acceptor_(io_) {}
  ~BeastServer() override { Stop(); }

  Status Listen() {
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "not an IP address: " + options_.host);
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return MakeError(ErrorCode::kUnavailable, "cannot listen on " + options_.host + ":" +
                                                    std::to_string(options_.port) + ": " +
                                                    ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < std::max(1, options_.threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
    return {};
  }

  std::uint16_t port() const override { return port_; }
  const std::string& host() const override { return options_.host; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    beast::error_code ec;
    acceptor_.close(ec);
  }

 private:
  void Accept() {
    acceptor_.async_accept(
        asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
          if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
          } else {
            std::make_shared<Connection>(std::move(socket), options_, handler_)->Run();
          }
          Accept();
        });
  }

  HttpServerOptions options_;
  AsyncHandler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options, Handler handler) {
  return StartAsync(std::move(options),
                    [handler = std::move(handler)](ServerRequest request, Responder respond) {
                      respond(handler(request));
                    });
}

Result<std::unique_ptr<HttpServer>> HttpServer::StartAsync(HttpServerOptions options,
                                                           AsyncHandler handler) {
  auto server = std::make_unique<BeastServer>(std::move(options), std::move(handler));
  if (auto st = server->Listen(); !st) return tl::unexpected(st.error());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace idem::webhook
