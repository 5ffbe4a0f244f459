// The request fields issue 14 added to the typed calls: create's
// expected_details / contact_details / portrait_image, update-status' e-mail
// and resubmission fields, AML's monitoring, thresholds and weights, and the
// list filters. Encoded exactly (sorted keys) and refused before anything is
// sent when Didit would refuse them for sure.
#include <gtest/gtest.h>

#include "idem/didit.h"

namespace idem::didit {
namespace {

using nlohmann::json;

TEST(RequestFieldsTest, CreateEncodesEveryNewField) {
  CreateSessionRequest r;
  r.workflow_id = "wf";
  r.vendor_data = "u";
  ExpectedDetails d;
  d.gender = "M";
  d.country = "ESP";
  d.poa_country = "FRA";
  d.address = "1 Rue";
  d.identification_number = "X1";
  d.ip_address = "10.0.0.1";
  d.company_name = "ACME";
  d.registry_country = "US-CA";
  d.registration_number = "R9";
  r.expected_details = d;
  ContactDetails c;
  c.email = "a@b.co";
  c.send_notification_emails = false;
  r.contact_details = c;
  r.portrait_image = "aGVsbG8=";
  auto j = ToJson(r);
  ASSERT_TRUE(j) << j.error().ToString();
  const json& e = (*j)["expected_details"];
  EXPECT_EQ(e["gender"], "M");
  EXPECT_EQ(e["country"], "ESP");
  EXPECT_EQ(e["poa_country"], "FRA");
  EXPECT_EQ(e["address"], "1 Rue");
  EXPECT_EQ(e["identification_number"], "X1");
  EXPECT_EQ(e["ip_address"], "10.0.0.1");
  EXPECT_EQ(e["company_name"], "ACME");
  EXPECT_EQ(e["registry_country"], "US-CA");
  EXPECT_EQ(e["registration_number"], "R9");
  EXPECT_FALSE(e.contains("first_name"));
  EXPECT_EQ((*j)["contact_details"]["send_notification_emails"], false);
  EXPECT_EQ((*j)["portrait_image"], "aGVsbG8=");
}

TEST(RequestFieldsTest, CreateRefusesABadGenderAndAnEmptyPortrait) {
  CreateSessionRequest r;
  r.workflow_id = "wf";
  ExpectedDetails d;
  d.gender = "X";
  r.expected_details = d;
  EXPECT_EQ(ToJson(r).error().code(), ErrorCode::kInvalidArgument);
  r.expected_details.reset();
  r.portrait_image = "";
  EXPECT_EQ(ToJson(r).error().code(), ErrorCode::kInvalidArgument);
}

TEST(RequestFieldsTest, UpdateStatusEncodesEmailAndNodes) {
  UpdateStatusRequest r;
  r.new_status = SessionStatus::kResubmitted;
  r.send_email = true;
  r.email_address = "u@example.com";
  r.email_language = "es";
  r.nodes_to_resubmit = {{"feature_ocr", "OCR"}, {"feature_poa", "POA"}};
  auto body = Encode(r);
  ASSERT_TRUE(body) << body.error().ToString();
  EXPECT_EQ(body->body,
            R"({"email_address":"u@example.com","email_language":"es","new_status":"Resubmitted",)"
            R"("nodes_to_resubmit":[{"feature":"OCR","node_id":"feature_ocr"},)"
            R"({"feature":"POA","node_id":"feature_poa"}],"send_email":true})");
  r.email_address.reset();
  EXPECT_EQ(Encode(r).error().code(), ErrorCode::kInvalidArgument);
  r.send_email = false;
  r.nodes_to_resubmit = {{"", "OCR"}};
  EXPECT_EQ(Encode(r).error().code(), ErrorCode::kInvalidArgument);
}

TEST(RequestFieldsTest, AmlEncodesMonitoringThresholdsAndWeights) {
  AmlRequest r;
  r.full_name = "Ada";
  r.include_ongoing_monitoring = true;
  r.aml_score_approve_threshold = 70;
  r.aml_score_review_threshold = 95;
  r.aml_match_score_threshold = 90;
  r.aml_name_weight = 50;
  r.aml_dob_weight = 30;
  r.aml_country_weight = 20;
  r.metadata = json{{"k", 1}};
  auto j = ToJson(r);
  ASSERT_TRUE(j) << j.error().ToString();
  EXPECT_EQ((*j)["include_ongoing_monitoring"], true);
  EXPECT_EQ((*j)["aml_score_approve_threshold"], 70);
  EXPECT_EQ((*j)["aml_score_review_threshold"], 95);
  EXPECT_EQ((*j)["aml_match_score_threshold"], 90);
  EXPECT_EQ((*j)["aml_name_weight"], 50);
  EXPECT_EQ((*j)["metadata"]["k"], 1);
}

TEST(RequestFieldsTest, AmlRefusesWhatDiditWouldRefuse) {
  AmlRequest weights;
  weights.full_name = "Ada";
  weights.aml_name_weight = 70;  // 70 + 25 + 15 with the defaults
  EXPECT_EQ(ToJson(weights).error().code(), ErrorCode::kInvalidArgument);
  weights.aml_dob_weight = 15;
  weights.aml_country_weight = 15;
  EXPECT_TRUE(ToJson(weights));
  AmlRequest range;
  range.full_name = "Ada";
  range.aml_score_review_threshold = 101;
  EXPECT_EQ(ToJson(range).error().code(), ErrorCode::kInvalidArgument);
  AmlRequest unsaved;
  unsaved.full_name = "Ada";
  unsaved.save_api_request = false;
  unsaved.include_ongoing_monitoring = true;
  EXPECT_EQ(ToJson(unsaved).error().code(), ErrorCode::kInvalidArgument);
  AmlRequest metadata;
  metadata.full_name = "Ada";
  metadata.metadata = json::array();
  EXPECT_EQ(ToJson(metadata).error().code(), ErrorCode::kInvalidArgument);
}

TEST(RequestFieldsTest, ListPathCarriesEveryDocumentedFilter) {
  ListSessionsRequest r;
  r.session_kind = "all";
  r.search = "ada lovelace";
  r.country = "ESP";
  r.document_type = "P";
  r.document_name = "Passport";
  r.region = "Madrid";
  r.didit_internal_id = "d1";
  r.screened_full_name = "Ada";
  r.warning = "POSSIBLE_MATCH_FOUND";
  r.status_initialized_as_in_review = true;
  r.is_kyc_to_be_reviewed = false;
  r.euuid = "e1";
  r.organization_name = "ACME & Co";
  const std::string path = ListSessionsPath(r);
  for (const char* part :
       {"session_kind=all", "search=ada%20lovelace", "country=ESP", "document_type=P",
        "document_name=Passport", "region=Madrid", "didit_internal_id=d1", "screened_full_name=Ada",
        "warning=POSSIBLE_MATCH_FOUND", "status_initialized_as_in_review=true",
        "is_kyc_to_be_reviewed=false", "euuid=e1", "organization_name=ACME%20%26%20Co"}) {
    EXPECT_NE(path.find(part), std::string::npos) << part << " in " << path;
  }
}

}  // namespace
}  // namespace idem::didit
