#include "idem/op_id.h"

#include "common/crypto.h"

namespace idem {

std::string DerivedOpId(const OpRequest& request) {
  // Length-prefixed fields: no two different requests share an input.
  std::string input;
  for (const std::string* field :
       {&request.method, &request.path, &request.content_type, &request.body}) {
    input += std::to_string(field->size());
    input += ':';
    input += *field;
  }
  return request.kind + "-" + crypto::Sha256Hex(input).substr(0, 32);
}

}  // namespace idem
