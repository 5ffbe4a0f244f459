#include "demo/workload.h"

#include <algorithm>
#include <cmath>

#include "idem/didit/check_types.h"
#include "idem/didit/client.h"
#include "idem/didit/endpoints.h"
#include "idem/didit/types.h"
#include "idem/natural_key.h"

namespace idem::demo {

namespace {
// A fixed workflow: the sandbox accepts any UUID.
constexpr const char* kWorkflowId = "11111111-2222-4333-8444-555555555555";
// Mostly clean names, some on the sandbox's fictional watch list (In Review).
constexpr const char* kNames[] = {"Ada Lovelace",    "Alan Turing",      "Grace Hopper",
                                  "Edsger Dijkstra", "Maria Exposita",   "Barbara Liskov",
                                  "Donald Knuth",    "Viktor Sanctionov"};

WorkItem ItemOf(OpRequest op, std::string vendor_data) {
  WorkItem item;
  item.kind = std::move(op.kind);
  item.path = std::move(op.path);
  item.content_type = std::move(op.content_type);
  item.body = std::move(op.body);
  item.vendor_data = std::move(vendor_data);
  item.natural_key = std::move(op.natural_key);
  return item;
}
}  // namespace

[[nodiscard]] Result<std::vector<WorkItem>> MakeWorkload(const DemoOptions& options,
                                                         const std::string& tag) {
  std::vector<WorkItem> items;
  items.reserve(static_cast<std::size_t>(options.sessions + options.aml_checks +
                                         options.poa_checks + options.age_checks));
  int s = 0;
  int a = 0;
  int p = 0;
  int g = 0;
  while (s < options.sessions || a < options.aml_checks || p < options.poa_checks ||
         g < options.age_checks) {
    if (s < options.sessions) {
      didit::CreateSessionRequest req;
      req.workflow_id = kWorkflowId;
      req.vendor_data = "demo-" + tag + "-user-" + std::to_string(s);
      req.metadata = nlohmann::json{{"demo", true}};
      auto body = didit::Encode(req);
      if (!body) return tl::unexpected(body.error());
      WorkItem item;
      item.kind = std::string(didit::kCreateSessionKind);
      item.path = "/v3/session/";
      item.content_type = body->content_type;
      item.body = std::move(body->body);
      item.vendor_data = req.vendor_data;
      item.natural_key = SessionNaturalKey(req.workflow_id, req.vendor_data);
      item.tight = options.tight_every > 0 && s % options.tight_every == options.tight_every - 1;
      items.push_back(std::move(item));
      ++s;
    }
    if (a < options.aml_checks) {
      didit::AmlRequest req;
      req.full_name = kNames[a % std::size(kNames)];
      req.entity_type = "person";
      req.vendor_data = "demo-" + tag + "-aml-" + std::to_string(a);
      auto body = didit::Encode(req);
      if (!body) return tl::unexpected(body.error());
      WorkItem item;
      item.kind = std::string(didit::kAmlKind);
      item.path = "/v3/aml/";
      item.content_type = body->content_type;
      item.body = std::move(body->body);
      item.vendor_data = *req.vendor_data;
      item.natural_key = didit::CheckNaturalKey("AML", item.vendor_data);
      items.push_back(std::move(item));
      ++a;
    }
    // The multipart checks: their op builders give the body (boundary from
    // the vendor_data, unique per op) and natural key the client would.
    if (p < options.poa_checks) {
      didit::PoaRequest req;
      req.vendor_data = "demo-" + tag + "-poa-" + std::to_string(p);
      req.document = didit::FilePart::FromBytes("%PDF-1.7 utility bill " + *req.vendor_data,
                                                "bill.pdf", "application/pdf");
      auto op = didit::PoaOp(req, {.op_id = *req.vendor_data});
      if (!op) return tl::unexpected(op.error());
      items.push_back(ItemOf(std::move(*op), *req.vendor_data));
      ++p;
    }
    if (g < options.age_checks) {
      didit::AgeEstimationRequest req;
      req.vendor_data = "demo-" + tag + "-age-" + std::to_string(g);
      req.user_image =
          didit::FilePart::FromBytes("face " + *req.vendor_data, "face.jpg", "image/jpeg");
      auto op = didit::AgeEstimationOp(req, {.op_id = *req.vendor_data});
      if (!op) return tl::unexpected(op.error());
      items.push_back(ItemOf(std::move(*op), *req.vendor_data));
      ++g;
    }
  }
  return items;
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  // Nearest rank.
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

}  // namespace idem::demo
