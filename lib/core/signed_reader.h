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
};

// Checks `m`'s id and signature into a SignatureCheck.
SignatureCheck check_message(const json& m);

// Like Tool::each_message over files, stdin ("-" or no input) and URLs
// (fetched through lib/net), but parsing and checking on `threads`
// threads (<= 0: one per core). A bad line (malformed JSON, not an
// object, too long) or an Error(Exit::data) from `fn` ends the run naming
// the line, or with --keep-going is reported and counted as
// Tool::each_message counts it (Tool::skip_bad_line).
void each_checked_message(Tool& tool, const std::vector<std::string>& inputs, int threads,
                          const std::function<void(json& message, SignatureCheck& check, const Position& at)>& fn);

}  // namespace grid
