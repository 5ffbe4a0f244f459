// journal_test.cc's behaviour tests run against a SQLite file in this binary.
#include "journal_test_util.h"

namespace idem::testing {

Result<std::unique_ptr<Journal>> OpenJournalUnderTest(const TempDir& dir,
                                                      const JournalOptions& options) {
  return OpenSqliteJournal(dir.File("journal.db"), options);
}

}  // namespace idem::testing
