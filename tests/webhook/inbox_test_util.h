// Shared by the inbox behaviour suite (inbox_test.cc) and the per-backend
// test files: the event bodies, and where each test's inbox lives.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "idem/status.h"

namespace idem::testing {

inline constexpr char kWorkflow[] = "0b6c2f7e-1d4a-4c55-9f3e-111111111111";

// A Didit status.updated body; final statuses carry a decision.
inline std::string Event(std::string session, std::string status, std::int64_t ts,
                         std::string vendor = "user-1", std::string event_id = "evt") {
  nlohmann::json body = {{"event_id", event_id},     {"webhook_type", "status.updated"},
                         {"timestamp", ts},          {"created_at", ts},
                         {"session_id", session},    {"status", status},
                         {"workflow_id", kWorkflow}, {"vendor_data", vendor},
                         {"metadata", nullptr}};
  if (status == "Approved" || status == "Declined") body["decision"] = {{"status", status}};
  return body.dump();
}

// Where a test's inbox (and journal) lives, for WebhookInbox::Open and
// OpenJournal: a file in `dir` (SQLite) or a fresh database's URL
// (PostgreSQL). Defined once per test binary.
Result<std::string> InboxTargetUnderTest(const std::filesystem::path& dir);

}  // namespace idem::testing
