// Internal: the journal's SQLite schema, its migration steps and the mapping
// between an `ops` row and idem::Operation.
#pragma once

#include <string>
#include <vector>

#include "common/sqlite.h"
#include "idem/journal.h"

namespace idem::journal {

// The component name in idem_schema.
inline constexpr char kSchemaComponent[] = "journal";

// steps[i] migrates the journal schema from version i to i + 1:
//   1: the ops table and the index that finds unfinished ops oldest first;
//   2: natural_key and resource_id (reconciliation, webhook heals) with their
//      partial indexes;
//   3: the state rule as comparisons (cheaper than IN);
//   4: idem_key unique among caller-supplied keys only;
//   5: needs_review and audit.
const std::vector<std::string>& SchemaSteps();

// The columns every SELECT of a whole op lists, in ReadOperation's order.
inline constexpr char kOpColumns[] =
    "op_id, idem_key, key_from_caller, kind, method, path, content_type, body, fingerprint, "
    "natural_key, state, "
    "attempts, created_ms, first_sent_ms, updated_ms, next_attempt_ms, lease_owner, "
    "lease_until_ms, lease_generation, response_status, response_headers, response_body, "
    "resource_id, last_error, needs_review, audit";

// Reads the current row of a statement that selected kOpColumns. An unknown
// state name (a file written by something else) is kCorruption.
[[nodiscard]] Result<Operation> ReadOperation(const sqlite::Statement& stmt);

}  // namespace idem::journal
