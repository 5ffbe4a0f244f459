// Internal: what the standalone checks' endpoints share (multipart parts,
// vendor_data/metadata/save_api_request, Didit's file rules, a deterministic
// score), so each check's file holds only its own rules.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/app.h"
#include "sandbox/multipart.h"

namespace idem::sandbox {

// What every check takes besides its own inputs.
struct CheckOptions {
  std::optional<std::string> vendor_data;
  std::optional<nlohmann::json> metadata;  // a JSON object
  bool save = true;
};

// A deterministic 0..99 score from bytes.
int ScoreOf(std::string_view data);

// DRF's text for a value that should have been an object.
std::string NotADict(const nlohmann::json& v);

// vendor_data, metadata and save_api_request of a JSON body, or the 400.
std::optional<CheckOptions> JsonCheckOptions(SandboxProfile profile, const nlohmann::json& body,
                                             Response& error);

// The parts of a multipart check request, or the 400 to answer.
std::optional<std::vector<MultipartPart>> CheckParts(const Request& request, Response& error);

// The first part named `name`; nullptr when none.
const MultipartPart* FindPart(const std::vector<MultipartPart>& parts, std::string_view name);

// The same options as multipart text fields: save_api_request "true" /
// "false", metadata a JSON object as text (Didit parses it into an object).
std::optional<CheckOptions> MultipartCheckOptions(SandboxProfile profile,
                                                  const std::vector<MultipartPart>& parts,
                                                  Response& error);

// A required upload: present, non-empty, at most `max_mb` MB (Didit's 400
// "File size should not exceed N MB") and, when its filename has an
// extension, one of `extensions` (Django's FileExtensionValidator text).
// The part, or nullptr with `error` set.
const MultipartPart* RequiredFile(SandboxProfile profile, const std::vector<MultipartPart>& parts,
                                  std::string_view name, std::size_t max_mb,
                                  std::initializer_list<std::string_view> extensions,
                                  Response& error);

// A text field that must be one of `choices` when present (DRF's
// "\"X\" is not a valid choice."); false with `error` set otherwise.
bool ChoiceField(SandboxProfile profile, const std::vector<MultipartPart>& parts,
                 std::string_view name, std::initializer_list<std::string_view> choices,
                 Response& error);

// A text field that must be "true" or "false" when present.
bool BoolField(SandboxProfile profile, const std::vector<MultipartPart>& parts,
               std::string_view name, Response& error);

// A text field that must be an integer within [min, max] when present; its
// value (or `fallback` when absent), nullopt with `error` set otherwise.
std::optional<int> IntField(SandboxProfile profile, const std::vector<MultipartPart>& parts,
                            std::string_view name, int min, int max, int fallback, Response& error);

}  // namespace idem::sandbox
