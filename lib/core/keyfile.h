// Key files: one line holding the 32-byte Ed25519 seed in hex, mode 0600.
#pragma once

#include <string>

#include "core/crypto.h"

namespace grid {

// Writes `key` to `path` with mode 0600, atomically (temp file, fsync,
// rename). Refuses (Exit::usage) to replace an existing file unless
// `overwrite`.
void save_key(const std::string& path, const SigningKey& key, bool overwrite);

// Reads a key file. Like ssh, refuses (Exit::data) a file that group or
// others may read or write; Exit::no_input when it does not exist.
SigningKey load_key(const std::string& path);

// The key file text: the hex seed and a newline.
std::string key_file_text(const SigningKey& key);

// Parses key file text; Exit::data naming `source` when malformed.
SigningKey parse_key_text(const std::string& text, const std::string& source);

}  // namespace grid
