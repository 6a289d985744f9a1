// job-run --publish (doc/design.md, "Storage and network"): a result and the store objects
// it names, PUT where a verifier who is not on the provider's machine can
// fetch them: proof-check --store-url reads the same layout.
//
// Layout under the URL:
//   sha256/ab/cdef...     an object, as in the local store (lib/core/store.h)
//   results/<hex>.json    the result line of task sha256:<hex>, with its
//                         newline (one signed result message per file)
#pragma once

#include <string>
#include <vector>

#include "core/canonical_json.h"
#include "core/crypto.h"

namespace grid {

class Store;

// The objects a result names: every string "sha256:<64 hex>" anywhere in
// it that is an object in `store`, each once, in order of first mention.
// Hashes of inputs the store does not hold (the spec hash) are left out.
std::vector<Digest> named_objects(const json& result, const Store& store);

// PUTs each of named_objects(result, store) to base_url/sha256/ab/cdef...
// and then `line` (the result as written to stdout, without its newline)
// to base_url/results/<task hex>.json. Errors are lib/net's publish():
// Exit::temp_fail when retries run out, Exit::io for a local (file://)
// write, Exit::unavailable or Exit::data for a server's refusal.
void publish_result(const std::string& base_url, const json& result, const std::string& line, const Store& store);

}  // namespace grid
