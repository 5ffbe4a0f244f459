// Raw bytes into both HTTP servers, over real loopback sockets: the sandbox
// (idem::Sandbox, in memory) and the webhook receiver (idem::WebhookReceiver,
// a SQLite inbox in a temporary directory), both on the shared server core.
// Each input is sent on a fresh connection, which is then half-closed.
// Invariants:
//   - the server answers with an HTTP/1.1 status line or closes without an
//     answer, and never answers 500 (a handler that threw);
//   - it closes the connection once the input is consumed (no hang);
//   - it still serves a well-formed request afterwards.
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "fuzz_check.h"
#include "idem/sandbox.h"
#include "idem/webhook_receiver.h"
#include "testing/raw_socket.h"

namespace {

using idem::testing::RawSocket;

constexpr auto kDeadline = std::chrono::seconds(10);
constexpr std::size_t kMaxInput = 64 * 1024;  // larger inputs could fill both socket buffers

struct Servers {
  std::filesystem::path dir;
  std::unique_ptr<idem::Sandbox> sandbox;
  std::unique_ptr<idem::WebhookReceiver> receiver;

  Servers() {
    spdlog::set_level(spdlog::level::err);  // every forged delivery logs a warning
    char dir_template[] = "/tmp/idem-fuzz-http-XXXXXX";
    FUZZ_CHECK(::mkdtemp(dir_template) != nullptr);
    dir = dir_template;
    idem::SandboxOptions sandbox_options;
    sandbox_options.port = 0;
    sandbox_options.read_timeout = std::chrono::milliseconds(2000);
    auto started = idem::Sandbox::Start(sandbox_options);
    FUZZ_CHECK(started.has_value());
    sandbox = std::move(*started);
    idem::WebhookReceiverOptions receiver_options;
    receiver_options.port = 0;
    receiver_options.verifier.secrets = {"fuzz-secret"};
    receiver_options.journal_path = (dir / "inbox.db").string();
    receiver_options.read_timeout = std::chrono::milliseconds(2000);
    auto receiving = idem::WebhookReceiver::Start(receiver_options);
    FUZZ_CHECK(receiving.has_value());
    receiver = std::move(*receiving);
  }
  ~Servers() {
    receiver.reset();
    sandbox.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

// Sends `bytes`, half-closes, reads until the server closes.
std::string Exchange(std::uint16_t port, std::string_view bytes) {
  RawSocket socket(port);
  FUZZ_CHECK(socket.connected());
  socket.Send(std::string(bytes));  // may fail once the server closed: that is an answer too
  ::shutdown(socket.fd(), SHUT_WR);
  bool closed = false;
  std::string answer = socket.ReadAll(kDeadline, &closed);
  FUZZ_CHECK(closed);
  return answer;
}

void CheckAnswer(const std::string& answer) {
  if (answer.empty()) return;
  FUZZ_CHECK(answer.rfind("HTTP/1.1 ", 0) == 0);
  FUZZ_CHECK(answer.size() >= 12);
  FUZZ_CHECK(answer.compare(9, 3, "500") != 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Servers* servers = new Servers();  // lives for the process, like libFuzzer's run
  if (size > kMaxInput) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  CheckAnswer(Exchange(servers->sandbox->port(), input));
  CheckAnswer(Exchange(servers->receiver->port(), input));

  const std::string health =
      Exchange(servers->sandbox->port(), "GET /_sandbox/health HTTP/1.1\r\nHost: f\r\n\r\n");
  FUZZ_CHECK(health.rfind("HTTP/1.1 200", 0) == 0);
  const std::string unsigned_delivery =
      Exchange(servers->receiver->port(),
               "POST /webhooks/didit HTTP/1.1\r\nHost: f\r\nContent-Length: 2\r\n\r\n{}");
  FUZZ_CHECK(unsigned_delivery.rfind("HTTP/1.1 401", 0) == 0);
  return 0;
}
