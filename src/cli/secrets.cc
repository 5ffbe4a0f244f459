#include "cli/secrets.h"

#include <fstream>
#include <sstream>

namespace idem::cli {

[[nodiscard]] Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kNotFound, "cannot read the secret file '" + path + "'");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return MakeError(ErrorCode::kIo, "cannot read the secret file '" + path + "'");
  std::string secret = bytes.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' ||
                             secret.back() == ' ' || secret.back() == '\t')) {
    secret.pop_back();
  }
  if (secret.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the secret file '" + path + "' is empty");
  }
  return secret;
}

std::vector<std::string> SplitSecretList(std::string_view list) {
  std::vector<std::string> secrets;
  std::string current;
  for (char c : list) {
    if (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      if (!current.empty()) secrets.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) secrets.push_back(std::move(current));
  return secrets;
}

}  // namespace idem::cli
