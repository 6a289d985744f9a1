// SHA-256 (OpenSSL libcrypto), Ed25519 (RFC 8032, libsodium) and hex coding.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, without its headers

namespace grid {

using Digest = std::array<uint8_t, 32>;
using Bytes = std::vector<uint8_t>;

Digest sha256(std::string_view bytes);
Digest sha256(const void* data, size_t size);

// Incremental SHA-256 for data that arrives in pieces (files, states).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256& update(const void* data, size_t size);
  Sha256& update(std::string_view bytes) { return update(bytes.data(), bytes.size()); }
  Digest final();

 private:
  ::evp_md_ctx_st* ctx_;
};

std::string hex(const void* data, size_t size);
template <size_t N>
std::string hex(const std::array<uint8_t, N>& a) { return hex(a.data(), N); }
inline std::string hex(const Bytes& b) { return hex(b.data(), b.size()); }

// Lower- or upper-case hex of exactly `size` bytes; false on anything else.
bool unhex(std::string_view text, uint8_t* out, size_t size);
// Any even-length hex string; false on a bad digit or odd length.
bool unhex(std::string_view text, Bytes* out);

// "sha256:<hex>", the form ids and artifact hashes take in messages.
std::string sha256_ref(const Digest& d);
// Parses "sha256:<64 lower-case hex>"; false on anything else (upper
// case too: a flag's value may be lower-cased first, a message's not).
bool parse_sha256_ref(std::string_view text, Digest* out);

struct SigningKey {
  std::array<uint8_t, 32> seed;
  std::array<uint8_t, 32> public_key;
  std::array<uint8_t, 64> secret_key;  // libsodium's seed||public form
};

SigningKey signing_key_from_seed(const std::array<uint8_t, 32>& seed);
SigningKey generate_signing_key();

std::array<uint8_t, 64> ed25519_sign(const SigningKey& key, std::string_view message);
bool ed25519_verify(const std::array<uint8_t, 32>& public_key, std::string_view message,
                    const std::array<uint8_t, 64>& signature);

// "ed25519:<hex public key>", the signer form in a message's sig.by.
std::string public_key_ref(const std::array<uint8_t, 32>& public_key);
// Parses "ed25519:<64 lower-case hex>", as parse_sha256_ref.
bool parse_public_key_ref(std::string_view text, std::array<uint8_t, 32>* out);
// `text` in lower case (ASCII): a key or hash a person typed as a flag.
std::string ascii_lower(std::string text);
// A key as a person gives it (a flag, a --trust line), in either case: its
// one spelling, "ed25519:<64 lower-case hex>", or nullopt when it is none.
std::optional<std::string> key_ref_from_text(const std::string& text);

}  // namespace grid
