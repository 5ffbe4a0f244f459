// How the session fields added with the didit profile (session_type,
// api_service, the check's result, reviews) reach the stores: inside the
// existing details_json text, not as new columns. Why: the sandbox never
// queries these fields in SQL (the live copy is in memory and every filter
// runs there), so columns would buy nothing, while details_json needs no
// schema step on either store and rows written before keep loading (as
// hosted sessions without reviews). Both stores call these two functions, so
// SQLite and PostgreSQL agree byte for byte.
#pragma once

#include <string>

#include "sandbox/state.h"

namespace idem::sandbox {

// The details_json a store writes for `s`: s.details_json plus the keys
// "session_type", "api_service" and "check" (check sessions), "reviews"
// (when there are any) and "application_id" (a session of another
// application than the sandbox's own).
std::string StoredDetails(const SessionRecord& s);

// The inverse: sets s.details_json to the session's own details and the
// typed fields from the keys above (missing keys: a hosted session, no
// reviews, the sandbox's own application). A text that is not a JSON object is kept as details as
// it is.
void LoadStoredDetails(SessionRecord& s, const std::string& stored);

}  // namespace idem::sandbox
