// The typed Didit API: everything a caller needs in one include.
//   types.h           request/response structs, encoders, parsers
//   session_status.h  the status enum that round-trips Didit's strings
//   errors.h          ApiError (Didit's refusals as data), DiditError
//   multipart.h       deterministic multipart bodies for the billed checks
//   endpoints.h       one row per endpoint: keys honoured, billed, how an
//                     ambiguous outcome is settled, timeout, rate-limit scope
//   client.h          DiditClient: journaled, reconciled calls over idem::Client
#pragma once

#include "idem/didit/check_types.h"
#include "idem/didit/client.h"
#include "idem/didit/endpoints.h"
#include "idem/didit/errors.h"
#include "idem/didit/multipart.h"
#include "idem/didit/otp.h"
#include "idem/didit/session_calls.h"
#include "idem/didit/transactions.h"
#include "idem/didit/webhook_destinations.h"
#include "idem/didit/session_status.h"
#include "idem/didit/types.h"
