// Inputs named by URL and SHA-256 (data files, models) fetched through the
// content store: looked up there first, and on a miss downloaded into it,
// so that a second shard or a rerun does not download them again.
#pragma once

#include <string>

#include "core/crypto.h"
#include "core/error.h"

namespace grid {

class Store;

// The bytes of `url`, which must hash to `key`. With a store:
// - an intact object `key` is used as it is;
// - else the download goes to Store::download_path(key) through its .part
//   file, which a run cut short (retries exhausted: Exit::temp_fail, or
//   kill -9) leaves for the next run to resume with a Range request;
// - the bytes are checked before Store::adopt commits them; a mismatch
//   keeps nothing (once more from the start first, when the bytes came
//   partly from an earlier run's .part);
// - concurrent fetches of one key into one store take turns (flock), and
//   the later ones find the object in the store.
// Without a store the bytes are fetched into memory only. A mismatch is
// Exit::data at field `field` + ".sha256" (`field` names the spec's object
// holding "url" and "sha256", e.g. ".train.data.x"); other failures are
// lib/net's (net.h).
std::string fetch_input(const std::string& url, const Digest& key, Store* store, const std::string& field);

// The Exit::data error of bytes from `what` (a path or URL) that hash to
// `got`, not `key`, at field `field` + ".sha256".
Error input_mismatch(const std::string& what, const Digest& got, const Digest& key, const std::string& field);

}  // namespace grid
