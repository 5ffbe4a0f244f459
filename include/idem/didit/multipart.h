// multipart/form-data bodies for Didit's billed checks (passive liveness, face
// match, ID verification). The boundary is derived deterministically from a
// seed (the op id), so rebuilding the same request gives the same bytes and
// the same fingerprint; the exact body, boundary included, is what the
// journal stores and every retry sends.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "idem/status.h"

namespace idem::didit {

// A file to upload, from bytes or from a path.
struct FilePart {
  std::string filename;      // sent in Content-Disposition; quotes/CR/LF are escaped
  std::string content_type;  // e.g. "image/jpeg"
  std::string bytes;

  // Reads `path` whole. Fails with kInvalidArgument beyond `max_bytes`
  // (default 20 MiB, far above what Didit accepts) and kIo when unreadable.
  // The content type is guessed from the extension (jpg, jpeg, png, webp,
  // pdf, heic), else application/octet-stream.
  [[nodiscard]] static Result<FilePart> FromPath(const std::string& path,
                                                 std::size_t max_bytes = 20u << 20);
  static FilePart FromBytes(std::string bytes, std::string filename = "upload.bin",
                            std::string content_type = "application/octet-stream");
};

struct EncodedBody {
  std::string content_type;  // "application/json" or "multipart/form-data; boundary=..."
  std::string body;
};

class MultipartBuilder {
 public:
  // `boundary_seed`: any stable text identifying the logical request (the op
  // id). The same seed and the same parts give byte-identical output.
  explicit MultipartBuilder(std::string boundary_seed) : seed_(std::move(boundary_seed)) {}

  // Field names must be non-empty and free of quotes, CR and LF (Build fails
  // otherwise); values are sent as-is.
  MultipartBuilder& AddField(std::string name, std::string value);
  MultipartBuilder& AddFile(std::string name, FilePart file);

  // The body and its content type. The boundary is "idem-" + 40 hex digits of
  // SHA-256(seed, n) for the smallest n whose boundary occurs in no part, so
  // hostile content cannot break the framing.
  [[nodiscard]] Result<EncodedBody> Build() const;

 private:
  struct Part {
    std::string name;
    bool is_file = false;
    FilePart file;  // for files; for fields, bytes holds the value
  };
  std::string seed_;
  std::vector<Part> parts_;
};

}  // namespace idem::didit
