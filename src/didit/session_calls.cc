#include "idem/didit/session_calls.h"

#include <algorithm>
#include <cctype>

#include "didit/json_util.h"
#include "idem/didit/op_outcome.h"

namespace idem::didit {
namespace {

// Didit advises a 60 s read timeout for the PDF (OAS).
constexpr std::chrono::milliseconds kPdfTimeout{60000};

// "attachment; filename=session_X.pdf" (optionally quoted) -> the name, when
// it is a plain file name; empty otherwise, so a hostile header cannot name
// a path.
std::string FilenameFrom(std::string_view disposition) {
  const auto at = disposition.find("filename=");
  if (at == std::string_view::npos) return {};
  std::string_view name = disposition.substr(at + 9);
  name = name.substr(0, name.find(';'));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  const bool plain = !name.empty() && name.size() <= 255 && name != "." &&
                     name.find("..") == std::string_view::npos &&
                     std::none_of(name.begin(), name.end(), [](unsigned char c) {
                       return c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '"';
                     });
  return plain ? std::string(name) : std::string();
}

bool AllDigits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

namespace {

// Passes a body on to the caller's sink, keeping its first bytes for the
// "%PDF" check.
class MagicCheckingSink final : public BodySink {
 public:
  explicit MagicCheckingSink(std::shared_ptr<BodySink> next) : next_(std::move(next)) {}
  bool Begin() override {
    head_.clear();
    return next_->Begin();
  }
  bool Write(std::string_view bytes) override {
    if (head_.size() < 4) head_.append(bytes.substr(0, 4 - head_.size()));
    return next_->Write(bytes);
  }
  const std::string& head() const { return head_; }

 private:
  std::shared_ptr<BodySink> next_;
  std::string head_;
};

// GET .../generate-pdf/ (into `sink` when set); the answer's PDF facts.
[[nodiscard]] DiditResult<SessionPdf> FetchPdf(DiditClient& client, std::string_view session_id,
                                               std::shared_ptr<MagicCheckingSink> sink) {
  if (session_id.empty()) return MakeDiditError(ErrorCode::kInvalidArgument, "empty session id");
  auto response =
      client.Get("/v3/session/" + UrlEncode(session_id) + "/generate-pdf/", kPdfTimeout, sink);
  if (!response) {
    DiditError error = response.error();
    // Didit's 403 for a session not (yet) eligible is about the session, not
    // the credentials: a refusal, not a configuration error.
    if (error.api && error.api->http_status == 403 &&
        error.api->detail.find("generate a PDF") != std::string::npos) {
      error.error = Error(ErrorCode::kRefused, error.error.message());
    }
    return tl::unexpected(std::move(error));
  }
  if (response->body_truncated) {
    return MakeDiditError(ErrorCode::kCorruption,
                          "the PDF is larger than the transport's max_response_bytes");
  }
  const std::string_view head = sink ? std::string_view(sink->head()) : response->body;
  if (!head.starts_with("%PDF")) {
    return MakeDiditError(ErrorCode::kCorruption, "the answer is not a PDF (no %PDF magic)");
  }
  SessionPdf pdf;
  pdf.session_id = std::string(session_id);
  pdf.size = sink ? response->sunk_bytes : response->body.size();
  pdf.bytes = std::move(response->body);
  pdf.content_type = std::string(FindHeader(response->headers, "Content-Type").value_or(""));
  pdf.filename = FilenameFrom(FindHeader(response->headers, "Content-Disposition").value_or(""));
  if (pdf.filename.empty())
    pdf.filename = FilenameFrom("filename=session_" + pdf.session_id + ".pdf");
  if (pdf.filename.empty()) pdf.filename = "session.pdf";
  return pdf;
}

}  // namespace

[[nodiscard]] DiditResult<SessionPdf> GenerateSessionPdf(DiditClient& client,
                                                         std::string_view session_id) {
  return FetchPdf(client, session_id, nullptr);
}

[[nodiscard]] DiditResult<SessionPdf> StreamSessionPdf(DiditClient& client,
                                                       std::string_view session_id,
                                                       std::shared_ptr<BodySink> sink) {
  if (!sink) return MakeDiditError(ErrorCode::kInvalidArgument, "no sink for the PDF");
  return FetchPdf(client, session_id, std::make_shared<MagicCheckingSink>(std::move(sink)));
}

[[nodiscard]] Result<EncodedBody> Encode(const BatchDeleteRequest& request) {
  nlohmann::json body = nlohmann::json::object();
  if (!request.delete_all) {
    if (request.session_numbers.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "session_numbers is required unless delete_all is true");
    }
    if (!std::all_of(request.session_numbers.begin(), request.session_numbers.end(), AllDigits)) {
      return MakeError(ErrorCode::kInvalidArgument, "All session_numbers must be numeric.");
    }
  }
  if (!request.session_numbers.empty()) body["session_numbers"] = request.session_numbers;
  body["delete_all"] = request.delete_all;
  auto text = internal::SafeDump(body);
  if (!text) return tl::unexpected(text.error());
  return EncodedBody{"application/json", std::move(*text)};
}

[[nodiscard]] Result<OpRequest> BatchDeleteSessionsOp(const BatchDeleteRequest& request,
                                                      CallOptions call) {
  auto body = Encode(request);
  if (!body) return tl::unexpected(body.error());
  OpRequest op;
  op.op_id = std::move(call.op_id);
  op.kind = std::string(kBatchDeleteKind);
  op.method = "POST";
  op.path = "/v3/sessions/delete/";
  op.content_type = std::move(body->content_type);
  op.body = std::move(body->body);
  return op;
}

[[nodiscard]] DiditResult<BatchDeleteResult> BatchDeleteSessions(DiditClient& client,
                                                                 const BatchDeleteRequest& request,
                                                                 CallOptions call) {
  auto op_request = BatchDeleteSessionsOp(request, std::move(call));
  if (!op_request) return tl::unexpected(DiditError{op_request.error(), std::nullopt, {}});
  auto op = OpOutcome(client.client().Call(std::move(*op_request)));
  if (!op) return tl::unexpected(op.error());
  return BatchDeleteResult{op->response_status};
}

}  // namespace idem::didit
