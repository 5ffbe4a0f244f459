// Validation of the optional request fields Didit documents on session
// create (expected_details, contact_details, portrait_image) and on AML (the
// thresholds and match-score weights), kept apart from the endpoints so each
// rule is in one place. Each returns the errors as DRF's nested shape
// ({"expected_details": {"gender": ["..."]}}); an empty object means valid.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace idem::sandbox {

// expected_details, contact_details and portrait_image of a create body.
nlohmann::json CreateDetailErrors(const nlohmann::json& body);

// aml_score_approve_threshold, aml_score_review_threshold,
// aml_match_score_threshold (integers 0..100) and the weights
// aml_name_weight, aml_dob_weight, aml_country_weight (0..100, summing to
// 100 with the unsent ones at Didit's defaults 60/25/15).
nlohmann::json AmlOptionErrors(const nlohmann::json& body);

// The AML status for `score` under the body's thresholds (Didit: above
// review -> Declined, above approve -> In Review, else Approved); nullopt
// (nullptr) when the body sets neither threshold (the watch-list rule then).
const char* AmlStatusUnderThresholds(const nlohmann::json& body, int score);

// A calendar date as DRF's DateField takes it: YYYY-MM-DD, month 01..12,
// day 01..31 (the day is not checked against the month).
bool IsIsoDate(const std::string& text);

}  // namespace idem::sandbox
