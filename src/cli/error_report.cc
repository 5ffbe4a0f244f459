#include "cli/error_report.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/exit_codes.h"

namespace idem::cli {
namespace {
// One command runs per process: both are set before it runs and read when it
// reports.
std::string& Command() {
  static std::string name = "idem";
  return name;
}
bool g_errors_as_json = false;
}  // namespace

void SetCommandName(std::string name) { Command() = std::move(name); }
const std::string& CommandName() { return Command(); }

void AddJsonErrorsFlag(CLI::App& cmd) {
  cmd.add_flag_callback(
      "--json", [] { g_errors_as_json = true; },
      "errors as one JSON object on stdout instead of a line on stderr (results are JSON "
      "either way)");
}

void ErrorsAsJson(bool on) { g_errors_as_json = on; }

namespace {

int Report(const didit::DiditError& error, int exit_code) {
  if (g_errors_as_json) {
    nlohmann::json out = {{"error", std::string(ErrorCodeName(error.error.code()))},
                          {"message", error.error.message()},
                          {"command", CommandName()}};
    if (!error.op_id.empty()) out["op_id"] = error.op_id;
    if (error.api) {
      const didit::ApiError& api = *error.api;
      out["http_status"] = api.http_status;
      out["kind"] = std::string(didit::ApiErrorKindName(api.kind));
      if (!api.detail.empty()) out["detail"] = api.detail;
      if (!api.code.empty()) out["code"] = api.code;
      if (!api.field_errors.empty()) out["field_errors"] = api.field_errors;
    }
    // Invalid UTF-8 (an API's bytes, a path) is replaced, never a throw.
    const std::string text = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
  } else {
    std::fprintf(stderr, "%s: %s\n", CommandName().c_str(), error.ToString().c_str());
  }
  return exit_code;
}

}  // namespace

int ReportError(const didit::DiditError& error) {
  return Report(error, ExitCodeFor(error.error.code()));
}

int ReportError(const Error& error) {
  return Report(didit::DiditError{error, std::nullopt, {}}, ExitCodeFor(error.code()));
}

int ReportError(const Error& error, int exit_code) {
  return Report(didit::DiditError{error, std::nullopt, {}}, exit_code);
}

Error InContext(std::string_view what, const Error& error) {
  return Error(error.code(), std::string(what) + ": " + error.message());
}

}  // namespace idem::cli
