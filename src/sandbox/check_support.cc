// Shared by the standalone checks' endpoints (checks.cc and the newer ones):
// multipart parsing, the common options and a deterministic score.
#include "sandbox/check_support.h"

#include <cctype>

#include "common/crypto.h"
#include "sandbox/endpoint_support.h"
#include "sandbox/responses.h"

namespace idem::sandbox {

using nlohmann::json;

// A deterministic 0..99 score from bytes.
int ScoreOf(std::string_view data) {
  const std::string digest = crypto::Sha256(data);
  return static_cast<unsigned char>(digest[0]) % 100;
}

std::string NotADict(const json& v) {
  return std::string("Expected a dictionary of items but got type \"") + PythonTypeName(v) + "\".";
}

// vendor_data, metadata and save_api_request of a JSON body, or the 400.
std::optional<CheckOptions> JsonCheckOptions(SandboxProfile profile, const json& body,
                                             Response& error) {
  CheckOptions o;
  json errors = json::object();
  if (auto v = body.find("vendor_data"); v != body.end() && !v->is_null()) {
    if (v->is_string()) {
      o.vendor_data = v->get<std::string>();
    } else {
      errors["vendor_data"] = json::array({"Not a valid string."});
    }
  }
  if (auto v = body.find("metadata"); v != body.end() && !v->is_null()) {
    if (v->is_object()) {
      o.metadata = *v;
    } else {
      errors["metadata"] = json::array({NotADict(*v)});
    }
  }
  if (auto v = body.find("save_api_request"); v != body.end()) {
    if (v->is_boolean()) {
      o.save = v->get<bool>();
    } else {
      errors["save_api_request"] =
          json::array({v->is_null() ? "This field may not be null." : "Must be a valid boolean."});
    }
  }
  if (!errors.empty()) {
    error = FieldErrors(profile, errors);
    return std::nullopt;
  }
  return o;
}

// The parts of a multipart check request, or the 400 to answer.
std::optional<std::vector<MultipartPart>> CheckParts(const Request& request, Response& error) {
  const auto content_type = FindHeader(request.headers, "Content-Type");
  const auto boundary = content_type ? MultipartBoundary(*content_type) : std::nullopt;
  if (!boundary) {
    error = DetailResponse(400, "Expected multipart/form-data with a boundary.");
    return std::nullopt;
  }
  auto parts = ParseMultipart(request.body, *boundary);
  if (!parts) {
    error = DetailResponse(400, "Malformed multipart body: " + parts.error().message());
    return std::nullopt;
  }
  return std::move(*parts);
}

const MultipartPart* FindPart(const std::vector<MultipartPart>& parts, std::string_view name) {
  for (const auto& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// The same options as multipart text fields: save_api_request "true" /
// "false", metadata a JSON object as text (Didit parses it into an object).
std::optional<CheckOptions> MultipartCheckOptions(SandboxProfile profile,
                                                  const std::vector<MultipartPart>& parts,
                                                  Response& error) {
  CheckOptions o;
  json errors = json::object();
  if (const MultipartPart* v = FindPart(parts, "vendor_data")) o.vendor_data = v->data;
  if (const MultipartPart* m = FindPart(parts, "metadata")) {
    auto parsed = ParseJsonBody(m->data);
    if (!parsed) {
      errors["metadata"] = json::array({"Value must be valid JSON."});
    } else if (!parsed->is_object()) {
      errors["metadata"] = json::array({NotADict(*parsed)});
    } else {
      o.metadata = std::move(*parsed);
    }
  }
  if (const MultipartPart* s = FindPart(parts, "save_api_request")) {
    if (s->data != "true" && s->data != "false") {
      errors["save_api_request"] = json::array({"Must be a valid boolean."});
    }
    o.save = s->data != "false";
  }
  if (!errors.empty()) {
    error = FieldErrors(profile, errors);
    return std::nullopt;
  }
  return o;
}

const MultipartPart* RequiredFile(SandboxProfile profile, const std::vector<MultipartPart>& parts,
                                  std::string_view name, std::size_t max_mb,
                                  std::initializer_list<std::string_view> extensions,
                                  Response& error) {
  const MultipartPart* part = FindPart(parts, name);
  if (part == nullptr) {
    error = FieldError(profile, name, "No file was submitted.");
    return nullptr;
  }
  if (part->data.empty()) {
    error = FieldError(profile, name, "The submitted file is empty.");
    return nullptr;
  }
  // Didit does not say whether its MB is 10^6 or 2^20 bytes; 2^20 is the
  // lenient reading.
  if (part->data.size() > max_mb * 1024 * 1024) {
    error =
        FieldError(profile, name, "File size should not exceed " + std::to_string(max_mb) + " MB");
    return nullptr;
  }
  const std::size_t dot = part->filename.rfind('.');
  if (dot != std::string::npos) {
    std::string ext = part->filename.substr(dot + 1);
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool allowed = false;
    std::string list;
    for (std::string_view e : extensions) {
      allowed = allowed || e == ext;
      if (!list.empty()) list += ", ";
      list += e;
    }
    if (!allowed) {
      error = FieldError(profile, name,
                         "File extension \u201c" + ext +
                             "\u201d is not allowed. Allowed extensions are: " + list + ".");
      return nullptr;
    }
  }
  return part;
}

bool ChoiceField(SandboxProfile profile, const std::vector<MultipartPart>& parts,
                 std::string_view name, std::initializer_list<std::string_view> choices,
                 Response& error) {
  const MultipartPart* part = FindPart(parts, name);
  if (part == nullptr) return true;
  for (std::string_view c : choices) {
    if (part->data == c) return true;
  }
  error = FieldError(profile, name, "\"" + part->data + "\" is not a valid choice.");
  return false;
}

bool BoolField(SandboxProfile profile, const std::vector<MultipartPart>& parts,
               std::string_view name, Response& error) {
  const MultipartPart* part = FindPart(parts, name);
  if (part == nullptr || part->data == "true" || part->data == "false") return true;
  error = FieldError(profile, name, "Must be a valid boolean.");
  return false;
}

std::optional<int> IntField(SandboxProfile profile, const std::vector<MultipartPart>& parts,
                            std::string_view name, int min, int max, int fallback,
                            Response& error) {
  const MultipartPart* part = FindPart(parts, name);
  if (part == nullptr) return fallback;
  const std::string& text = part->data;
  bool digits = !text.empty() && text.size() <= 9;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (!digits) {
    error = FieldError(profile, name, "A valid integer is required.");
    return std::nullopt;
  }
  const int value = std::stoi(text);
  if (value < min || value > max) {
    error = FieldError(
        profile, name,
        value < min ? "Ensure this value is greater than or equal to " + std::to_string(min) + "."
                    : "Ensure this value is less than or equal to " + std::to_string(max) + ".");
    return std::nullopt;
  }
  return value;
}

}  // namespace idem::sandbox
