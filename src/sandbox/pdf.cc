// GET /v3/session/{id}/generate-pdf/ (OAS): the session's report as a PDF.
// Didit answers 200 application/pdf with Content-Length (not chunked) and
// `Content-Disposition: attachment; filename=session_<id>.pdf` for a KYC
// session that is Approved, Declined, In Review or Kyc Expired; 403 for any
// other status; 404 for an unknown or deleted session, and a router 404
// (HTML) for a path segment that is not a lowercase UUID. The bytes differ per
// call (Didit does not cache), so the sandbox stamps the generation time and a
// fresh id into each one. A read: no execution, nothing stored.
#include <algorithm>
#include <cctype>
#include <string>

#include "idem/uuid.h"
#include "sandbox/app.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {
namespace {

bool PdfEligible(const std::string& status) {
  return status == "Approved" || status == "Declined" || status == "In Review" ||
         status == "Kyc Expired";
}

// Didit's router only matches lowercase UUIDs.
bool IsLowercaseUuid(const std::string& id) {
  return IsUuid(id) &&
         std::none_of(id.begin(), id.end(), [](unsigned char c) { return std::isupper(c) != 0; });
}

// Text for a PDF string literal: the three characters PDF escapes.
std::string PdfText(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) ? '?' : c;
  }
  return out;
}

// A minimal, valid one-page PDF 1.7 with a correct cross-reference table.
std::string RenderPdf(const std::vector<std::string>& lines) {
  std::string content = "BT /F1 11 Tf 50 790 Td 14 TL\n";
  for (const auto& line : lines) content += "(" + PdfText(line) + ") Tj T*\n";
  content += "ET\n";
  const std::string objects[] = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
      "/Resources << /Font << /F1 5 0 R >> >> >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "endstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  };
  std::string pdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < std::size(objects); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(offsets.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t offset : offsets) {
    char entry[32];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", offset);
    pdf += entry;
  }
  pdf += "trailer\n<< /Size " + std::to_string(offsets.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

// Didit's router 404 (Django's, as HTML) for a path no route matches.
Response RouterNotFound() {
  Response r;
  r.status = 404;
  r.headers.push_back({"Content-Type", "text/html; charset=utf-8"});
  r.body =
      "<!doctype html>\n<html><head><title>Not Found</title></head><body><h1>Not "
      "Found</h1><p>The requested resource was not found on this server.</p></body></html>\n";
  return r;
}

}  // namespace

Response App::PdfRedirect(const std::string& session_id, std::string_view path,
                          std::string_view query) {
  if (!IsLowercaseUuid(session_id)) return RouterNotFound();
  Response r = DetailResponse(301, "Moved permanently.");
  std::string location = std::string(path) + "/";
  if (!query.empty()) location += "?" + std::string(query);
  r.headers.push_back({"Location", std::move(location)});
  return r;
}

App::EndpointResult App::GeneratePdf(const std::string& session_id, std::int64_t now_ms) {
  if (!IsLowercaseUuid(session_id)) return Fail(RouterNotFound());
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.deleted) {
    return Fail(DetailResponse(404, "Session not found."));
  }
  const SessionRecord& s = it->second;
  if (!PdfEligible(s.status)) {
    return Fail(DetailResponse(
        403,
        "You can only generate a PDF for sessions in review, declined, approved or kyc "
        "expired"));
  }
  Response r;
  r.status = 200;
  r.headers.push_back({"Content-Type", "application/pdf"});
  r.headers.push_back(
      {"Content-Disposition", "attachment; filename=session_" + s.session_id + ".pdf"});
  r.body =
      RenderPdf({"Didit verification report (idem sandbox)", "Session: " + s.session_id,
                 "Session number: " + std::to_string(s.session_number), "Status: " + s.status,
                 "Vendor data: " + s.vendor_data.value_or(""), "Created: " + IsoTime(s.created_ms),
                 "Generated: " + IsoTime(now_ms) + " (" + NewUuidV4() + ")"});
  EndpointResult out;
  out.response = std::move(r);
  return out;
}

}  // namespace idem::sandbox
