// The session calls beyond create/decision/update/delete (issue 14):
// the session PDF and the batch delete. Free functions over a DiditClient, so
// the client's own header stays small.
//
//   auto pdf = idem::didit::GenerateSessionPdf(*didit, session_id);
//   if (pdf) WriteSomewhere(pdf->filename, pdf->bytes);
//   // or, for a large report, straight to where it goes:
//   auto streamed = idem::didit::StreamSessionPdf(*didit, session_id, my_sink);
//   idem::didit::BatchDeleteRequest batch;
//   batch.session_numbers = {"12", "13"};
//   auto deleted = idem::didit::BatchDeleteSessions(*didit, batch);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "idem/didit/client.h"

namespace idem::didit {

inline constexpr std::string_view kBatchDeleteKind = "batch_delete_sessions";

// GET /v3/session/{id}/generate-pdf/: 200 application/pdf for a session that
// is Approved, Declined, In Review or Kyc Expired (else 403, kRefused with
// Didit's detail). A GET: not journaled, not billed, retried on 5xx/429/network
// failures; rate scope session-generate-pdf (50/min). Didit advises a 60 s
// read timeout, which the call uses.
struct SessionPdf {
  std::string session_id;
  std::string bytes;         // the whole document, starting with "%PDF" (empty when streamed)
  std::uint64_t size = 0;    // the document's length in bytes
  std::string content_type;  // "application/pdf"
  // From Content-Disposition ("session_<id>.pdf"), else "session_<id>.pdf".
  // Only a plain file name (no '/', '\\', "..", control characters) is kept.
  std::string filename;
};
[[nodiscard]] DiditResult<SessionPdf> GenerateSessionPdf(DiditClient& client,
                                                         std::string_view session_id);

// The same document handed to `sink` as it arrives, never held whole in
// memory and not limited by TransportOptions::max_response_bytes (`idem
// session pdf --out` writes it to a file this way). SessionPdf::bytes stays
// empty. A GET retried after a connection lost mid-body calls sink->Begin()
// again, so the sink starts over. An answer that is not a PDF (no "%PDF"
// magic) is kCorruption; whatever the sink was given then is not a report.
[[nodiscard]] DiditResult<SessionPdf> StreamSessionPdf(DiditClient& client,
                                                       std::string_view session_id,
                                                       std::shared_ptr<BodySink> sink);

// POST /v3/sessions/delete/ (KYC sessions, one transaction). Didit answers
// 204 whatever it deleted: unknown numbers are skipped and a repeat deletes
// nothing more, so an ambiguous attempt is settled by sending it again (the
// kind's profile). 400 when session_numbers is empty, not numeric, or absent
// without delete_all.
struct BatchDeleteRequest {
  std::vector<std::string> session_numbers;  // decimal digits each
  bool delete_all = false;                   // every KYC session of the application
};
[[nodiscard]] Result<EncodedBody> Encode(const BatchDeleteRequest& request);
[[nodiscard]] Result<OpRequest> BatchDeleteSessionsOp(const BatchDeleteRequest& request,
                                                      CallOptions call = {});

struct BatchDeleteResult {
  int http_status = 204;
};
[[nodiscard]] DiditResult<BatchDeleteResult> BatchDeleteSessions(DiditClient& client,
                                                                 const BatchDeleteRequest& request,
                                                                 CallOptions call = {});

}  // namespace idem::didit
