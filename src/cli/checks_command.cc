// `idem poa`, `idem face-search`, `idem age-estimation`, `idem
// database-validation`: one billed standalone check each, like `idem
// liveness`. Didit ignores keys on them: after an attempt that may have
// executed, the saved check is looked up by vendor_data + api_service; when it
// cannot be (--no-save), the op stops unknown (needs review, exit 3) and is
// never re-sent. The journaled body (a multipart boundary from the op id) is
// what every retry or resume sends.
#include <map>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/didit_cli_support.h"
#include "cli/exit_codes.h"

namespace idem::cli {
namespace {

// What every check command takes besides its own inputs.
struct CommonFlags {
  std::string vendor_data, metadata, op_id;
  bool new_op = false, no_save = false;
  ClientFlags client;
};

void AddCommonFlags(CLI::App* cmd, CommonFlags& f) {
  cmd->add_option("--vendor-data", f.vendor_data,
                  "Your reference (default idem:<op id>, so a lost answer can be looked up)");
  cmd->add_option("--metadata", f.metadata, "A JSON object stored with the check");
  cmd->add_flag("--no-save", f.no_save,
                "save_api_request=false: Didit keeps no record, so a lost answer cannot be "
                "looked up and the op stops for review");
  AddOpIdFlags(cmd, f.op_id, f.new_op);
  AddClientFlags(*cmd, f.client);
  AddJsonErrorsFlag(*cmd);
}

// Fills the common request fields; the exit code on bad input, else 0.
template <typename Request>
int ApplyCommon(const CommonFlags& f, Request& request) {
  if (!f.vendor_data.empty()) request.vendor_data = f.vendor_data;
  if (f.no_save) request.save_api_request = false;
  if (!f.metadata.empty()) {
    auto parsed = nlohmann::json::parse(f.metadata, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return ReportError(Error(ErrorCode::kInvalidArgument, "--metadata must be a JSON object"),
                         kExitUsage);
    }
    request.metadata = std::move(parsed);
  }
  return kExitOk;
}

// A file flag's contents, or the exit code (an unreadable path is the
// caller's mistake: usage).
[[nodiscard]] Result<didit::FilePart> ReadFile(const std::string& path, int& exit_code) {
  auto file = didit::FilePart::FromPath(path);
  if (!file) {
    exit_code = ReportError(file.error());
    if (file.error().code() == ErrorCode::kIo) exit_code = kExitUsage;
  }
  return file;
}

// Derives the op id from the request, then runs the typed call.
template <typename Request, typename Build, typename Call>
int Run(const CommonFlags& f, const Request& request, Build build, Call call, const char* command) {
  auto op_id = OpIdForCommand(f.op_id, f.new_op, [&](didit::CallOptions options) {
    return build(request, std::move(options));
  });
  if (!op_id) return ReportError(op_id.error());
  return CallOpAndPrint(
      *op_id,
      [&](didit::DiditClient& client, didit::CallOptions options) {
        return call(client, request, std::move(options));
      },
      f.client, command);
}

// Reads the file flag `path` into `request.*part`, fills the common fields and
// runs the check; the exit code.
template <typename Request, typename Part, typename Build, typename Call>
int RunWithFile(const CommonFlags& f, Request request, Part Request::*part, const std::string& path,
                Build build, Call call, const char* command) {
  int exit_code = kExitOk;
  auto file = ReadFile(path, exit_code);
  if (!file) return exit_code;
  request.*part = std::move(*file);
  if ((exit_code = ApplyCommon(f, request)) != kExitOk) return exit_code;
  return Run(f, request, build, call, command);
}

void AddPoa(CLI::App& app, int& exit_code) {
  struct Flags {
    std::string document;
    didit::PoaRequest request;
    CommonFlags common;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("poa", "Proof of Address of a document file (billed)");
  cmd->add_option("--document", f->document,
                  "Path of the document (tiff, jpg, jpeg, png, pdf, webp; at most 15 MB)")
      ->required();
  didit::PoaRequest& r = f->request;
  cmd->add_option("--document-password", r.document_password, "Password of an encrypted PDF");
  cmd->add_option("--expected-address", r.expected_address, "The address the user gave");
  cmd->add_option("--expected-country", r.expected_country, "The country the user gave");
  cmd->add_option("--expected-first-name", r.expected_first_name, "The user's first name");
  cmd->add_option("--expected-last-name", r.expected_last_name, "The user's last name");
  cmd->add_option("--languages-allowed", r.poa_languages_allowed,
                  "ISO 639-1 codes, comma-separated (poa_languages_allowed)");
  cmd->add_option("--document-age-months", r.poa_document_age_months,
                  "Maximum age per type, e.g. utility_bill:3,bank_statement:3");
  const std::vector<std::string> actions = {"DECLINE", "NO_ACTION"};
  cmd->add_option("--name-mismatch-action", r.poa_name_mismatch_action)
      ->check(CLI::IsMember(actions));
  cmd->add_option("--document-issues-action", r.poa_document_issues_action)
      ->check(CLI::IsMember(actions));
  cmd->add_option("--document-authenticity-action", r.poa_document_authenticity_action)
      ->check(CLI::IsMember(actions));
  cmd->add_option("--unsupported-language-action", r.poa_unsupported_language_action)
      ->check(CLI::IsMember(actions));
  cmd->add_option("--address-mismatch-action", r.poa_address_mismatch_action)
      ->check(CLI::IsMember(actions));
  cmd->add_option("--issuer-not-identified-action", r.poa_issuer_not_identified_action)
      ->check(CLI::IsMember(actions));
  AddCommonFlags(cmd, f->common);
  cmd->callback([f, &exit_code] {
    exit_code = RunWithFile(
        f->common, f->request, &didit::PoaRequest::document, f->document,
        [](auto req, auto call) { return didit::PoaOp(req, std::move(call)); },
        [](didit::DiditClient& c, const auto& req, auto call) {
          return c.ProofOfAddress(req, std::move(call));
        },
        "idem poa");
  });
}

void AddFaceSearch(CLI::App& app, int& exit_code) {
  struct Flags {
    std::string image;
    didit::FaceSearchRequest request;
    CommonFlags common;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("face-search", "Search a face among your users' faces (billed)");
  cmd->add_option("--image", f->image, "Path of the face image (at most 5 MB)")->required();
  cmd->add_option("--search-type", f->request.search_type,
                  "most_similar (Didit's default) or blocklisted_or_approved")
      ->check(CLI::IsMember({"most_similar", "blocklisted_or_approved"}));
  cmd->add_option("--rotate-image", f->request.rotate_image, "true or false");
  AddCommonFlags(cmd, f->common);
  cmd->callback([f, &exit_code] {
    exit_code = RunWithFile(
        f->common, f->request, &didit::FaceSearchRequest::user_image, f->image,
        [](auto r, auto call) { return didit::FaceSearchOp(r, std::move(call)); },
        [](didit::DiditClient& c, const auto& r, auto call) {
          return c.FaceSearch(r, std::move(call));
        },
        "idem face-search");
  });
}

void AddAgeEstimation(CLI::App& app, int& exit_code) {
  struct Flags {
    std::string image;
    didit::AgeEstimationRequest request;
    CommonFlags common;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("age-estimation", "Estimate a face's age (billed)");
  cmd->add_option("--image", f->image, "Path of the face image (at most 5 MB)")->required();
  cmd->add_option("--liveness-threshold", f->request.face_liveness_score_decline_threshold,
                  "Decline at or below this liveness score (Didit's default 30)")
      ->check(CLI::Range(0, 100));
  cmd->add_option("--age-threshold", f->request.age_estimation_decline_threshold,
                  "Decline below this age (Didit's default 18; 0 disables)")
      ->check(CLI::Range(0, 150));
  cmd->add_option("--rotate-image", f->request.rotate_image, "true or false");
  AddCommonFlags(cmd, f->common);
  cmd->callback([f, &exit_code] {
    exit_code = RunWithFile(
        f->common, f->request, &didit::AgeEstimationRequest::user_image, f->image,
        [](auto r, auto call) { return didit::AgeEstimationOp(r, std::move(call)); },
        [](didit::DiditClient& c, const auto& r, auto call) {
          return c.AgeEstimation(r, std::move(call));
        },
        "idem age-estimation");
  });
}

void AddDatabaseValidation(CLI::App& app, int& exit_code) {
  struct Flags {
    std::string selfie;
    std::vector<std::string> fields;
    didit::DatabaseValidationRequest request;
    CommonFlags common;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("database-validation",
                                 "Validate identity data against government databases (billed)");
  didit::DatabaseValidationRequest& r = f->request;
  cmd->add_option("--issuing-state", r.issuing_state, "ISO 3166-1 alpha-3 country, e.g. ESP")
      ->required();
  cmd->add_option("--service", r.services, "A catalog service id (repeatable; default Didit's)");
  cmd->add_option("--consent", r.consent, "true when the user consented (some services need it)");
  cmd->add_option("--identification-number", r.identification_number, "National id number");
  cmd->add_option("--first-name", r.first_name, "First name");
  cmd->add_option("--last-name", r.last_name, "Last name");
  cmd->add_option("--date-of-birth", r.date_of_birth, "YYYY-MM-DD");
  cmd->add_option("--document-number", r.document_number, "Document number");
  cmd->add_option("--field", f->fields, "Any other Didit field as NAME=VALUE (repeatable)");
  const std::vector<std::string> actions = {"DECLINE", "NO_ACTION"};
  cmd->add_option("--partial-match-action", r.partial_match_action)->check(CLI::IsMember(actions));
  cmd->add_option("--no-match-action", r.no_match_action)->check(CLI::IsMember(actions));
  cmd->add_option("--selfie", f->selfie, "Path of a selfie (sends multipart)");
  AddCommonFlags(cmd, f->common);
  cmd->callback([f, &exit_code] {
    didit::DatabaseValidationRequest request = f->request;
    for (const std::string& field : f->fields) {
      const std::size_t eq = field.find('=');
      if (eq == std::string::npos || eq == 0) {
        exit_code = ReportError(
            Error(ErrorCode::kInvalidArgument, "--field takes NAME=VALUE, got '" + field + "'"),
            kExitUsage);
        return;
      }
      request.more_fields[field.substr(0, eq)] = field.substr(eq + 1);
    }
    if (!f->selfie.empty()) {
      auto selfie = ReadFile(f->selfie, exit_code);
      if (!selfie) return;
      request.selfie = std::move(*selfie);
    }
    if ((exit_code = ApplyCommon(f->common, request)) != kExitOk) return;
    exit_code = Run(
        f->common, request,
        [](auto req, auto call) { return didit::DatabaseValidationOp(req, std::move(call)); },
        [](didit::DiditClient& c, const auto& req, auto call) {
          return c.DatabaseValidation(req, std::move(call));
        },
        "idem database-validation");
  });
}

}  // namespace

void AddStandaloneCheckCommands(CLI::App& app, int& exit_code) {
  AddPoa(app, exit_code);
  AddFaceSearch(app, exit_code);
  AddAgeEstimation(app, exit_code);
  AddDatabaseValidation(app, exit_code);
}

}  // namespace idem::cli
