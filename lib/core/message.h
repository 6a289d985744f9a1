// The common envelope of every message (doc/design.md, "Messages"): kind, v, id
// and an optional Ed25519 sig; unknown fields are kept as they are.
#pragma once

#include <string>

#include "core/canonical_json.h"
#include "core/crypto.h"
#include "core/status.h"

namespace grid {

constexpr int kMessageVersion = 1;

// "sha256:" + hex(SHA-256(canonical(message without "id" and "sig"))).
std::string message_id(const json& message);

// Checks that `message` is an object with a string "kind" and "v": 1.
// Throws Error(Exit::data) naming the field otherwise.
void check_envelope(const json& message);

// Fills in "id" and replaces "sig" with one by `key` over the id.
void sign_message(json& message, const SigningKey& key);

// Fills in "id" only; a "sig" present is left untouched.
void set_message_id(json& message);

// ok when "id" matches the content; the reason otherwise.
Status check_message_id(const json& message);

// ok when the id matches and "sig" is a valid signature over it; the
// signer's "ed25519:<hex>" is stored in *signer when given.
Status check_signature(const json& message, std::string* signer = nullptr);

// check_signature past its id: ok when "sig" is a valid signature over the
// id, which the caller has checked (check_message_id). Apart, so that the
// Ed25519 verification can wait until it is needed.
Status check_signature_of_id(const json& message, std::string* signer = nullptr);

// check_message_id, thrown as Error(Exit::data) "WHAT: reason" at
// AT.id (AT: where the message sits in the line, "" at the top).
void require_message_id(const json& message, const std::string& what, const std::string& at = "");

// check_signature, thrown as Error(Exit::data) "WHAT: reason" naming the
// field at fault: .id when the id is missing, not a string or not the
// content's (require_message_id), .sig when the signature is.
void require_signature(const json& message, const std::string& what, std::string* signer = nullptr,
                       const std::string& at = "");

// For messages that may come signed or not (tasks, leases read back): the
// signature when there is a "sig" (require_signature), else the id.
void require_id_or_signature(const json& message, const std::string& what, const std::string& at = "");

// Typed access with errors that name the field (".a.b").
const json& require_field(const json& object, const std::string& name, const std::string& path = "");
const std::string& require_string(const json& object, const std::string& name, const std::string& path = "");

}  // namespace grid
