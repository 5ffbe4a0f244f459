// The ops and DiditClient calls of Proof of Address, face search, age
// estimation and database validation. Like the other billed checks: no key at
// Didit, so the natural key of a saved check is what a look-up after a lost
// answer reads (endpoints.h), and the vendor_data is derived from the op id
// when the caller gives none.
#include "didit/call_and_parse.h"
#include "idem/didit/client.h"
#include "idem/didit/op_outcome.h"
#include "idem/uuid.h"

namespace idem::didit {
namespace {

template <typename Request>
[[nodiscard]] Result<OpRequest> CheckOp(std::string_view kind, Request request, CallOptions call) {
  const EndpointProfile* endpoint = FindDiditEndpoint(kind);
  // The op id first: the vendor_data and the multipart boundary derive from it.
  if (call.op_id.empty()) call.op_id = NewUuidV4();
  if (!request.vendor_data || request.vendor_data->empty()) {
    request.vendor_data = DerivedVendorData(call.op_id);
  }
  auto body = Encode(request, call.op_id);
  if (!body) return tl::unexpected(body.error());
  OpRequest op;
  op.op_id = std::move(call.op_id);
  op.kind = std::string(kind);
  op.method = std::string(endpoint->method);
  op.path = std::string(endpoint->path);
  op.content_type = std::move(body->content_type);
  op.body = std::move(body->body);
  // Unsaved, Didit keeps nothing to look up: no natural key, so an ambiguous
  // attempt stops for review.
  if (request.save_api_request != false) {
    op.natural_key = CheckNaturalKey(endpoint->api_service, *request.vendor_data);
  }
  return op;
}

}  // namespace

[[nodiscard]] Result<OpRequest> PoaOp(PoaRequest request, CallOptions call) {
  return CheckOp(kPoaKind, std::move(request), std::move(call));
}

[[nodiscard]] Result<OpRequest> FaceSearchOp(FaceSearchRequest request, CallOptions call) {
  return CheckOp(kFaceSearchKind, std::move(request), std::move(call));
}

[[nodiscard]] Result<OpRequest> AgeEstimationOp(AgeEstimationRequest request, CallOptions call) {
  return CheckOp(kAgeEstimationKind, std::move(request), std::move(call));
}

[[nodiscard]] Result<OpRequest> DatabaseValidationOp(DatabaseValidationRequest request,
                                                     CallOptions call) {
  return CheckOp(kDatabaseValidationKind, std::move(request), std::move(call));
}

DiditResult<PoaResult> DiditClient::ProofOfAddress(const PoaRequest& request, CallOptions call) {
  return internal::CallAndParse<PoaResult>(client(), PoaOp(request, std::move(call)),
                                           ParsePoaResult);
}

DiditResult<FaceSearchResult> DiditClient::FaceSearch(const FaceSearchRequest& request,
                                                      CallOptions call) {
  return internal::CallAndParse<FaceSearchResult>(client(), FaceSearchOp(request, std::move(call)),
                                                  ParseFaceSearchResult);
}

DiditResult<AgeEstimationResult> DiditClient::AgeEstimation(const AgeEstimationRequest& request,
                                                            CallOptions call) {
  return internal::CallAndParse<AgeEstimationResult>(
      client(), AgeEstimationOp(request, std::move(call)), ParseAgeEstimationResult);
}

DiditResult<DatabaseValidationResult> DiditClient::DatabaseValidation(
    const DatabaseValidationRequest& request, CallOptions call) {
  return internal::CallAndParse<DatabaseValidationResult>(
      client(), DatabaseValidationOp(request, std::move(call)), ParseDatabaseValidationResult);
}

}  // namespace idem::didit
