// The webhook receiver: an HTTP server (127.0.0.1 by default) that verifies
// each delivery on its raw bytes, stores it in the WebhookInbox and only then
// answers 2xx. `idem webhook serve` is a thin shell over it.
//
//   POST /webhooks/didit     (scheme kDidit)     Didit's X-Signature headers
//   POST /webhooks/standard  (scheme kStandard)  Standard Webhooks headers
//
// Responses: 200 {"result":"stored"|"duplicate","seq":N}; 401 bad or missing
// signature or timestamp; 400 malformed HTTP, malformed JSON or a missing
// field; 413 body over max_body_bytes; 404 any other path (including the
// other scheme's path); 405 another method; 503 the inbox could not commit
// (the sender retries). Nothing is stored for a rejected request. Logs (stderr)
// never contain a secret or a signature.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "idem/status.h"
#include "idem/webhook_catch_up.h"
#include "idem/webhook_inbox.h"
#include "idem/webhook_signature.h"

namespace idem {

struct WebhookReceiverOptions {
  // Address to bind. Default 127.0.0.1 (never all interfaces unless asked).
  std::string host = "127.0.0.1";
  // Port; 0 picks a free one (see WebhookReceiver::port). Default 8791.
  std::uint16_t port = 8791;
  // Which scheme (and so which path) this receiver serves. Default kDidit.
  WebhookScheme scheme = WebhookScheme::kDidit;
  // Secrets, tolerance, accepted Didit signatures, clock. secrets required.
  VerifierOptions verifier;
  // The inbox's database (the journal's): a SQLite file, or a postgres:// /
  // postgresql:// URL, so that several receivers share one inbox (see
  // WebhookInbox::Open). Default: DefaultJournalPath() ($IDEM_JOURNAL or
  // ./idem-journal.db).
  std::string journal_path;
  // Inbox durability, heal journal and task backoff (see InboxOptions).
  // queue_exec is set from exec_command.
  InboxOptions inbox;
  // Shell command run (/bin/sh -c) once per new event with the event's body
  // on stdin; exit status 0 = done, anything else is retried with backoff,
  // persisted across restarts. Its stdout goes to this process's stderr.
  // Default "" (none).
  std::string exec_command;
  // URL each new event is forwarded to (the user's app, as `stripe listen
  // --forward-to` does): POST of the event's original body, signed afresh
  // with forward_secret (X-Signature, -V2, -Simple, X-Timestamp). A 2xx
  // answer is done; anything else (or no answer) is retried with the
  // inbox's persisted task backoff, across restarts. At most one of
  // exec_command and forward_to. Default "" (none).
  std::string forward_to;
  // The secret forwarded events are signed with. Default "": the first of
  // verifier.secrets.
  std::string forward_secret;
  // One forward attempt's total time. Default 10 s.
  std::chrono::milliseconds forward_timeout{10000};
  // A command still running after this is killed and counted as failed.
  // Default 30 s.
  std::chrono::milliseconds exec_timeout{30000};
  // How often the follow-up task runner (heal retries, exec) looks for due
  // work. Default 100 ms.
  std::chrono::milliseconds task_poll_interval{100};
  // HTTP I/O threads (parsing and signature verification run on them). The
  // inbox commit runs on one more thread, which stores everything that arrived
  // during the previous commit in one transaction, so many requests in flight
  // share an fsync without a thread each. Default 2.
  int threads = 2;
  // Bodies larger than this are refused with 413. Default 1 MiB.
  std::size_t max_body_bytes = 1u << 20;
  // Request headers larger than this are refused with 431. Default 16 KiB.
  std::size_t max_header_bytes = 16 * 1024;
  // A request must arrive whole within this (an idle keep-alive connection
  // is closed after it, and so is a reader that does not take the answer).
  // Default 10 s.
  std::chrono::milliseconds read_timeout{10000};
  // Open connections at most. One accepted over the cap is closed at once,
  // so idle or hostile connections cannot starve the descriptors the inbox
  // and real deliveries need; Didit retries a refused delivery. When the
  // process runs out of descriptors anyway, accepting waits and retries
  // instead of spinning. Default 1024.
  std::size_t max_connections = 1024;
  // The catch-up for webhooks that never came (idem/webhook_catch_up.h): off
  // unless catch_up.after > 0 (then catch_up.lookup is required). It runs on
  // a thread of its own, started after the inbox is open, and stops with
  // the receiver; its clock defaults to the verifier's.
  CatchUpOptions catch_up;
};

struct ReceiverStats {
  std::uint64_t requests = 0;
  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t unauthorized = 0;  // 401
  std::uint64_t malformed = 0;     // 400 from the handler
  std::uint64_t unavailable = 0;   // 503
  std::uint64_t healed_ops = 0;
  std::uint64_t exec_done = 0;    // --exec runs, or forwards (forward_to), that succeeded
  std::uint64_t exec_failed = 0;  // failed attempts (each is retried)
  CatchUpStats catch_up;          // zero when the catch-up is off
};

class WebhookReceiver {
 public:
  // Opens the inbox, binds and starts serving. kInvalidArgument for bad
  // options (no secret, bad host), kUnavailable if the port is taken,
  // journal errors as they come.
  [[nodiscard]] static Result<std::unique_ptr<WebhookReceiver>> Start(
      WebhookReceiverOptions options);
  virtual ~WebhookReceiver() = default;

  virtual std::uint16_t port() const = 0;
  // "http://HOST:PORT".
  virtual std::string url() const = 0;
  virtual WebhookInbox& inbox() = 0;
  virtual ReceiverStats stats() const = 0;
  // Stops serving and the task runner. Idempotent; the destructor calls it.
  virtual void Stop() = 0;
};

// Runs `command` with /bin/sh -c, `input` on its stdin, its stdout sent to
// stderr, and no other descriptor of this process open (not the listening
// socket, not a journal); OK when it exits 0 within `timeout` (else it is
// killed).
[[nodiscard]] Status RunShellCommand(const std::string& command, std::string_view input,
                                     std::chrono::milliseconds timeout);

}  // namespace idem
