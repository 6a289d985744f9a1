#include "core/message.h"

#include "core/error.h"

namespace grid {

std::string message_id(const json& message) {
  if (!message.is_object()) throw data_error("message is not a JSON object", ".");
  return sha256_ref(sha256(canonical_json_without(message, {"id", "sig"})));
}

const json& require_field(const json& object, const std::string& name, const std::string& path) {
  if (!object.is_object()) throw data_error("expected an object", path.empty() ? "." : path);
  auto it = object.find(name);
  if (it == object.end()) throw data_error("missing field", path + "." + name);
  return *it;
}

const std::string& require_string(const json& object, const std::string& name, const std::string& path) {
  const json& v = require_field(object, name, path);
  if (!v.is_string()) throw data_error(std::string("expected a string, got ") + v.type_name(), path + "." + name);
  return v.get_ref<const std::string&>();
}

void check_envelope(const json& message) {
  if (!message.is_object()) throw data_error("message is not a JSON object", ".");
  require_string(message, "kind");
  const json& v = require_field(message, "v");
  if (!v.is_number_integer() || v.get<int64_t>() != kMessageVersion)
    throw data_error("unsupported message version " + v.dump() + " (this build speaks v 1)", ".v");
}

void set_message_id(json& message) { message["id"] = message_id(message); }

void sign_message(json& message, const SigningKey& key) {
  set_message_id(message);
  const std::string& id = message["id"].get_ref<const std::string&>();
  message["sig"] = {{"by", public_key_ref(key.public_key)}, {"sig", hex(ed25519_sign(key, id))}};
}

Status check_message_id(const json& message) {
  auto it = message.find("id");
  if (it == message.end()) return Status::Fail("no id");
  if (!it->is_string()) return Status::Fail("id is not a string");
  std::string want = message_id(message);
  if (it->get_ref<const std::string&>() != want)
    return Status::Fail("id does not match the content (content hashes to " + want + ")");
  return Status::Ok();
}

Status check_signature_of_id(const json& message, std::string* signer) {
  auto it = message.find("sig");
  if (it == message.end()) return Status::Fail("unsigned");
  if (!it->is_object()) return Status::Fail("sig is not an object");
  auto by = it->find("by");
  auto sig = it->find("sig");
  if (by == it->end() || !by->is_string()) return Status::Fail("sig.by is missing or not a string");
  if (sig == it->end() || !sig->is_string()) return Status::Fail("sig.sig is missing or not a string");
  std::array<uint8_t, 32> pub;
  if (!parse_public_key_ref(by->get_ref<const std::string&>(), &pub))
    return Status::Fail("sig.by is not ed25519:<64 lower-case hex digits>");
  std::array<uint8_t, 64> raw;
  if (!unhex(sig->get_ref<const std::string&>(), raw.data(), raw.size()))
    return Status::Fail("sig.sig is not 128 hex digits");
  if (signer) *signer = public_key_ref(pub);
  if (!ed25519_verify(pub, message["id"].get_ref<const std::string&>(), raw))
    return Status::Fail("bad signature by " + by->get<std::string>());
  return Status::Ok();
}

Status check_signature(const json& message, std::string* signer) {
  Status id = check_message_id(message);
  if (!id.ok()) return id;
  return check_signature_of_id(message, signer);
}

void require_message_id(const json& message, const std::string& what, const std::string& at) {
  if (Status id = check_message_id(message); !id.ok()) throw data_error(what + ": " + id.reason(), at + ".id");
}

void require_signature(const json& message, const std::string& what, std::string* signer, const std::string& at) {
  require_message_id(message, what, at);
  // The id is checked: hashing the content again would only repeat it.
  if (Status s = check_signature_of_id(message, signer); !s.ok())
    throw data_error(what + ": " + s.reason(), at + ".sig");
}

void require_id_or_signature(const json& message, const std::string& what, const std::string& at) {
  if (message.contains("sig")) require_signature(message, what, nullptr, at);
  else require_message_id(message, what, at);
}

}  // namespace grid
