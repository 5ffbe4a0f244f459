// Internal: the webhook inbox on PostgreSQL, behind WebhookInbox::Open for
// postgres:// and postgresql:// URLs (see docs/webhook.md and
// docs/postgres.md).
#pragma once

#include <memory>
#include <string>

#include "idem/webhook_inbox.h"

namespace idem::webhook {

// Creates or migrates the inbox tables (component "webhook" in idem_schema)
// at `url`. options.journal null: the PostgreSQL journal at the same URL.
[[nodiscard]] Result<std::unique_ptr<WebhookInbox>> OpenPostgresInbox(const std::string& url,
                                                                      InboxOptions options);

}  // namespace idem::webhook
