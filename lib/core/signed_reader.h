// Reading many signed messages fast: lines are read in batches, and each
// batch is parsed and its ids and Ed25519 signatures checked on a few
// threads (the checks are most of an award's time and independent of one
// another); the caller then sees the messages one by one, in input order.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/jsonl.h"
#include "core/status.h"

namespace grid {

class Tool;

// The outcome of checking one message's id and signature: `signer` is
// set when `status` is ok.
struct SignatureCheck {
  Status status = Status::Fail("not checked");
  std::string signer;
  // The id is checked and good, the Ed25519 signature over it not yet
  // (check_message_id_first): finish_check makes it.
  bool signature_pending = false;
};

// Checks `m`'s id and signature into a SignatureCheck.
SignatureCheck check_message(const json& m);

// Checks `m`'s id only, leaving the signature pending when the id is
// good: for a message whose signature may never matter (most bids of an
// award), the verification, most of a check's time, waits for
// finish_check. The id is checked at once all the same, since a message
// with no canonical form is bad input (an Error), not a reason.
SignatureCheck check_message_id_first(const json& m);

// check_message_id_first where `defer_signature` (when given) says so for
// `m`, else check_message.
SignatureCheck check_message(const json& m, const std::function<bool(const json&)>& defer_signature);

// Completes a check left pending (nothing to do otherwise), so that `c`
// says what check_message(m) would have.
void finish_check(const json& m, SignatureCheck* c);

// Like Tool::each_message over files, stdin ("-" or no input) and URLs
// (fetched through lib/net), but parsing and checking on `threads`
// threads (<= 0: one per core). A bad line (malformed JSON, not an
// object, too long) or an Error(Exit::data) from `fn` ends the run naming
// the line, or with --keep-going is reported and counted as
// Tool::each_message counts it (Tool::skip_bad_line). When
// `defer_signature` says so for a message (asked on the checker threads),
// its check is check_message_id_first's.
void each_checked_message(Tool& tool, const std::vector<std::string>& inputs, int threads,
                          const std::function<void(json& message, SignatureCheck& check, const Position& at)>& fn,
                          const std::function<bool(const json& message)>& defer_signature = nullptr);

}  // namespace grid
