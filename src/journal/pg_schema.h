// Internal: the PostgreSQL journal's schema, its migrations and statements.
#pragma once

#include <string>
#include <vector>

#include "idem/journal.h"
#include "journal/pg_connection.h"

namespace idem::journal::pg {

// Migration steps; step i brings the schema to version i + 1.
const std::vector<std::string>& SchemaSteps();

// Brings `component`'s tables (its row in idem_schema) to version
// steps.size() in one transaction, serialised with every other process and
// component by a transaction-level advisory lock (so concurrent first use
// creates the tables once). Step i brings the component to version i + 1;
// never edit a step that shipped, add one. A database newer than this build
// -> kFailedPrecondition.
[[nodiscard]] Status MigrateComponent(Connection& conn, const char* component,
                                      const std::vector<std::string>& steps);

// MigrateComponent for the journal ("journal", SchemaSteps()).
[[nodiscard]] Status Migrate(Connection& conn);

// Every prepared statement of the journal (names "j_*").
const std::vector<StatementSpec>& Statements();

// The op in `row` of a result whose first columns are kOpColumns.
[[nodiscard]] Result<Operation> ReadOperation(const Rows& rows, int row);

}  // namespace idem::journal::pg
