// Op ids derived from the request: "the same request is the same op" without
// naming one. idem's CLI uses this by default, so a command run twice (a
// retry by hand, a script re-run after a crash) returns the first run's
// outcome instead of charging again. The library never derives on its own:
// a caller passes an op id, asks for this one, or leaves it empty for a
// fresh UUIDv7 (OpRequest::op_id).
#pragma once

#include <string>

#include "idem/client.h"

namespace idem {

// kind + "-" + the first 32 hex digits (128 bits) of SHA-256 over the
// method, path, content type and body, each length-prefixed: equal for equal
// requests, different when any byte differs. Headers and the natural key are
// not part of it (the natural key derives from the body).
//
// A body that embeds the op id (a Didit check without vendor_data gets
// "idem:<op id>"; a multipart boundary derives from the op id) must be built
// with a fixed placeholder op id first and the id derived from that request;
// the op is then built again with the derived id (cli/didit_cli_support.h).
std::string DerivedOpId(const OpRequest& request);

}  // namespace idem
