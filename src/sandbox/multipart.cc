#include "sandbox/multipart.h"

#include <strings.h>

#include <cctype>

#include "common/text.h"

namespace idem::sandbox {
namespace {

using internal::TrimOws;

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Value of parameter `param` in "type; a=b; c=\"d\"", unquoted.
std::optional<std::string> HeaderParam(std::string_view value, std::string_view param) {
  std::size_t pos = value.find(';');
  while (pos != std::string_view::npos) {
    value = value.substr(pos + 1);
    const std::size_t next = value.find(';');
    std::string_view item = TrimOws(value.substr(0, next));
    const std::size_t eq = item.find('=');
    if (eq != std::string_view::npos && IEquals(TrimOws(item.substr(0, eq)), param)) {
      std::string_view v = TrimOws(item.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
    pos = next;
  }
  return std::nullopt;
}

void AppendField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

}  // namespace

std::optional<std::string> MultipartBoundary(std::string_view content_type) {
  const std::string_view type = TrimOws(content_type.substr(0, content_type.find(';')));
  if (!IEquals(type, "multipart/form-data")) return std::nullopt;
  auto boundary = HeaderParam(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
  return boundary;
}

[[nodiscard]] Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body,
                                                                std::string_view boundary,
                                                                std::size_t max_parts) {
  const std::string delimiter = "--" + std::string(boundary);
  std::vector<MultipartPart> parts;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "multipart: no opening boundary");
  }
  pos += delimiter.size();
  const std::string next_delimiter = "\r\n" + delimiter;
  while (true) {
    if (body.substr(pos, 2) == "--") return parts;  // closing boundary
    if (body.substr(pos, 2) != "\r\n") {
      return MakeError(ErrorCode::kInvalidArgument, "multipart: malformed boundary line");
    }
    pos += 2;
    const std::size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "multipart: part headers never end");
    }
    MultipartPart part;
    bool has_name = false;
    std::string_view headers = body.substr(pos, headers_end - pos);
    while (!headers.empty()) {
      const std::size_t eol = headers.find("\r\n");
      const std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      const std::string_view name = TrimOws(line.substr(0, colon));
      const std::string_view value = TrimOws(line.substr(colon + 1));
      if (IEquals(name, "Content-Disposition")) {
        // "name=" names nothing: a part the endpoint could not address.
        if (auto n = HeaderParam(value, "name"); n && !n->empty()) {
          part.name = *n;
          has_name = true;
        }
        if (auto f = HeaderParam(value, "filename")) part.filename = *f;
      } else if (IEquals(name, "Content-Type")) {
        part.content_type = std::string(value);
      }
    }
    if (!has_name) {
      return MakeError(ErrorCode::kInvalidArgument, "multipart: part without a name");
    }
    const std::size_t data_start = headers_end + 4;
    const std::size_t data_end = body.find(next_delimiter, data_start);
    if (data_end == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "multipart: truncated (no closing boundary)");
    }
    part.data = std::string(body.substr(data_start, data_end - data_start));
    parts.push_back(std::move(part));
    if (parts.size() > max_parts) {
      return MakeError(ErrorCode::kInvalidArgument, "multipart: too many parts");
    }
    pos = data_end + next_delimiter.size();
  }
}

std::string CanonicalMultipart(const std::vector<MultipartPart>& parts) {
  std::string out = "multipart/form-data;";
  for (const auto& p : parts) {
    AppendField(out, p.name);
    AppendField(out, p.filename);
    AppendField(out, p.content_type);
    AppendField(out, p.data);
  }
  return out;
}

}  // namespace idem::sandbox
