// The grid-key subcommands: make keys, and fill or check ids and
// signatures of messages.
#pragma once

#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/error.h"
#include "core/jsonl.h"

namespace grid {

class Tool;

struct KeyOptions {
  std::string out;                  // gen: key file to write; stdout when empty
  bool force = false;               // gen: replace an existing key file
  std::vector<std::string> inputs;  // sign, verify, id: files; stdin when empty
  std::vector<std::string> by;      // verify: accepted signers, ed25519:<hex>
};

int key_gen(Tool& tool, const KeyOptions& opt);
int key_pub(Tool& tool, const KeyOptions& opt);
int key_sign(Tool& tool, const KeyOptions& opt);
int key_id(Tool& tool, const KeyOptions& opt);
// Exit::ok when every message verifies, Exit::negative when any does not.
int key_verify(Tool& tool, const KeyOptions& opt);

}  // namespace grid
