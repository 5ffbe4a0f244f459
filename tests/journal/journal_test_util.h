// Helpers shared by the journal tests: the backend under test and ops.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "idem/journal.h"
#include "idem/uuid.h"
#include "testing/temp_dir.h"

namespace idem::testing {

// The journal that journal_test.cc's behaviour tests run against; each test
// binary links one definition (SQLite: journal_backend_sqlite.cc, PostgreSQL:
// postgres_journal_test.cc). The same `dir` reopens the same journal.
Result<std::unique_ptr<Journal>> OpenJournalUnderTest(const TempDir& dir,
                                                      const JournalOptions& options);

// A POST op with a fresh key and the fingerprint of its request.
inline Operation MakeOp(const std::string& op_id, const std::string& body = R"({"a":1})",
                        const std::string& natural_key = "") {
  Operation op;
  op.op_id = op_id;
  op.idem_key = NewUuidV4();
  op.kind = "call";
  op.method = "POST";
  op.path = "/v3/session/";
  op.content_type = "application/json";
  op.body = body;
  op.fingerprint = RequestFingerprint(op.method, op.path, op.body);
  op.natural_key = natural_key;
  return op;
}

}  // namespace idem::testing
