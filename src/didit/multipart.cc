#include "idem/didit/multipart.h"

#include <cctype>
#include <fstream>
#include <iterator>
#include <string>

#include "common/crypto.h"

namespace idem::didit {
namespace {

std::string GuessContentType(const std::string& path) {
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos) return "application/octet-stream";
  std::string ext = path.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "png") return "image/png";
  if (ext == "webp") return "image/webp";
  if (ext == "heic") return "image/heic";
  if (ext == "pdf") return "application/pdf";
  return "application/octet-stream";
}

std::string BaseName(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Content-Disposition parameter value: quotes and backslashes escaped, CR/LF
// (which would end the header) replaced, as browsers do.
std::string QuoteParam(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\r' || c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

bool ValidToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c == '"' || c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace

Result<FilePart> FilePart::FromPath(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIo, "cannot open " + path);
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0) return MakeError(ErrorCode::kIo, "cannot size " + path);
  if (static_cast<std::size_t>(size) > max_bytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     path + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  in.seekg(0, std::ios::beg);
  FilePart part;
  part.bytes.resize(static_cast<std::size_t>(size));
  if (size > 0 && !in.read(part.bytes.data(), size)) {
    return MakeError(ErrorCode::kIo, "cannot read " + path);
  }
  part.filename = BaseName(path);
  part.content_type = GuessContentType(path);
  return part;
}

FilePart FilePart::FromBytes(std::string bytes, std::string filename, std::string content_type) {
  return FilePart{std::move(filename), std::move(content_type), std::move(bytes)};
}

MultipartBuilder& MultipartBuilder::AddField(std::string name, std::string value) {
  Part part;
  part.name = std::move(name);
  part.file.bytes = std::move(value);
  parts_.push_back(std::move(part));
  return *this;
}

MultipartBuilder& MultipartBuilder::AddFile(std::string name, FilePart file) {
  Part part;
  part.name = std::move(name);
  part.is_file = true;
  part.file = std::move(file);
  parts_.push_back(std::move(part));
  return *this;
}

Result<EncodedBody> MultipartBuilder::Build() const {
  for (const Part& part : parts_) {
    if (!ValidToken(part.name)) {
      return MakeError(ErrorCode::kInvalidArgument, "invalid multipart field name");
    }
    if (part.is_file && !ValidToken(part.file.content_type)) {
      return MakeError(ErrorCode::kInvalidArgument, "invalid content type for " + part.name);
    }
  }
  // The first boundary that occurs in no part. A collision needs content that
  // contains SHA-256 output for this seed, so n > 0 only for hostile input.
  std::string boundary;
  for (unsigned n = 0;; ++n) {
    boundary = "idem-" + crypto::Sha256Hex(seed_ + '\n' + std::to_string(n)).substr(0, 40);
    bool clash = false;
    for (const Part& part : parts_) {
      if (part.file.bytes.find(boundary) != std::string::npos ||
          part.file.filename.find(boundary) != std::string::npos) {
        clash = true;
        break;
      }
    }
    if (!clash) break;
  }

  EncodedBody out;
  out.content_type = "multipart/form-data; boundary=" + boundary;
  std::size_t total = 0;
  for (const Part& part : parts_) total += part.file.bytes.size() + 256;
  out.body.reserve(total + boundary.size() + 8);
  for (const Part& part : parts_) {
    out.body += "--" + boundary + "\r\n";
    out.body += "Content-Disposition: form-data; name=" + QuoteParam(part.name);
    if (part.is_file) {
      out.body += "; filename=" + QuoteParam(part.file.filename) + "\r\n";
      out.body += "Content-Type: " + part.file.content_type;
    }
    out.body += "\r\n\r\n";
    out.body += part.file.bytes;
    out.body += "\r\n";
  }
  out.body += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace idem::didit
