// Didit's webhook event names (OAS enum of a destination's
// `subscribed_events`; no wildcard). One list for the client, which checks a
// destination request before sending it (webhook_destinations.h), and for the
// sandbox, which refuses an unknown name with Didit's 400. Header only and
// free of the client's types, so the sandbox can include it without linking
// the client.
#pragma once

#include <string_view>

namespace idem::didit {

inline constexpr std::string_view kWebhookEvents[] = {"status.updated",
                                                      "data.updated",
                                                      "user.status.updated",
                                                      "user.data.updated",
                                                      "business.status.updated",
                                                      "business.data.updated",
                                                      "activity.created",
                                                      "transaction.created",
                                                      "transaction.status.updated",
                                                      "travel_rule.status.updated"};

}  // namespace idem::didit
