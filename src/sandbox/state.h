// The sandbox's data: sessions, stored idempotency responses and billable
// executions, plus the Persistence interface the SQLite store implements.
// The live copy is always in memory (reads never touch the disk); a
// Persistence, when configured, receives every change as one Mutation
// before it is applied, and loads everything back at start.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "idem/status.h"

namespace idem::sandbox {

struct SessionRecord {
  std::string session_id;
  std::int64_t session_number = 0;
  std::string session_token;
  std::string workflow_id;
  std::optional<std::string> vendor_data;
  std::string metadata_json = "null";  // JSON text
  std::string callback;                // empty = none
  std::string status = "Not Started";
  std::string details_json = "{}";  // language, contact_details, expected_details, ...
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  bool deleted = false;
};

struct StoredResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

struct KeyRecord {
  std::string scope;        // api-key digest + ":" + key
  std::string fingerprint;  // of the first request
  StoredResponse response;
  std::int64_t created_ms = 0;
};

struct Execution {
  std::int64_t seq = 0;
  std::string kind;      // create_session, update_status, delete_session, aml, passive_liveness
  std::string endpoint;  // "POST /v3/session/"
  std::optional<std::string> idempotency_key;
  std::string fingerprint;
  std::optional<std::string> vendor_data;
  std::string resource_id;  // session_id or check request_id
  std::int64_t at_ms = 0;
};

// One atomic change.
struct Mutation {
  std::vector<SessionRecord> sessions;  // upserts (a delete is an upsert with deleted = true)
  std::optional<KeyRecord> key;         // upsert
  std::vector<std::string> expired_keys;
  std::optional<Execution> execution;  // append
  bool empty() const { return sessions.empty() && !key && expired_keys.empty() && !execution; }
};

struct LoadedState {
  std::vector<SessionRecord> sessions;
  std::vector<KeyRecord> keys;
  std::vector<Execution> executions;
};

class Persistence {
 public:
  virtual ~Persistence() = default;
  virtual Result<LoadedState> Load() = 0;
  // All of `mutations`, in order, in one transaction: durable (per the
  // store's settings) when it returns OK; nothing applied otherwise.
  virtual Status CommitBatch(const std::vector<const Mutation*>& mutations) = 0;
};

}  // namespace idem::sandbox
