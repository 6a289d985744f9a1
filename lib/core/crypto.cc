#include "core/crypto.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>
#include <stdexcept>

#include "core/error.h"

namespace grid {
namespace {

void ensure_sodium() {
  static const int ready = sodium_init();
  if (ready < 0) throw Error(Exit::internal, "libsodium failed to initialise");
}

// Each byte's hex digit value, -1 for a byte that is none: a table, not
// comparisons, since random digits defeat branch prediction and every
// award reads a quarter of a kilobyte of hex a message.
constexpr std::array<int8_t, 256> kHexValue = [] {
  std::array<int8_t, 256> v{};
  for (int c = 0; c < 256; ++c)
    v[c] = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  return v;
}();

int hex_value(char c) { return kHexValue[static_cast<unsigned char>(c)]; }

// A hash or key in a message is an identity, compared as text: one spelled
// in upper case would be a second name for the same bytes (an account no
// one can spend from, a provider who is not the lease's). Messages take
// the one spelling, lower case.
bool lower_hex(std::string_view text) {
  for (char c : text)
    if (c >= 'A' && c <= 'F') return false;
  return true;
}

constexpr std::string_view kShaPrefix = "sha256:";
constexpr std::string_view kEdPrefix = "ed25519:";

}  // namespace

// SHA-256 comes from OpenSSL's libcrypto, not libsodium: libcrypto uses the
// CPU's SHA extensions (about 1.6 GB/s here against libsodium's 0.2 GB/s),
// and job-run hashes the whole training state after every step.
namespace {
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!md) throw Error(Exit::internal, "libcrypto has no SHA256");
  return md;
}
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, sha256_md(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw Error(Exit::internal, "EVP_DigestInit_ex(SHA256) failed");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

Sha256& Sha256::update(const void* data, size_t size) {
  if (EVP_DigestUpdate(ctx_, data, size) != 1) throw Error(Exit::internal, "EVP_DigestUpdate failed");
  return *this;
}

Digest Sha256::final() {
  Digest d;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, d.data(), &len) != 1 || len != d.size())
    throw Error(Exit::internal, "EVP_DigestFinal_ex failed");
  return d;
}

Digest sha256(const void* data, size_t size) {
  Digest d;
  unsigned int len = 0;
  if (EVP_Digest(data, size, d.data(), &len, sha256_md(), nullptr) != 1 || len != d.size())
    throw Error(Exit::internal, "EVP_Digest(SHA256) failed");
  return d;
}

Digest sha256(std::string_view bytes) { return sha256(bytes.data(), bytes.size()); }

std::string hex(const void* data, size_t size) {
  static const char digits[] = "0123456789abcdef";
  const auto* p = static_cast<const uint8_t*>(data);
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

bool unhex(std::string_view text, uint8_t* out, size_t size) {
  if (text.size() != 2 * size) return false;
  for (size_t i = 0; i < size; ++i) {
    int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool unhex(std::string_view text, Bytes* out) {
  if (text.size() % 2 != 0) return false;
  out->resize(text.size() / 2);
  return unhex(text, out->data(), out->size());
}

std::string sha256_ref(const Digest& d) { return std::string(kShaPrefix) + hex(d); }

bool parse_sha256_ref(std::string_view text, Digest* out) {
  if (text.substr(0, kShaPrefix.size()) != kShaPrefix || !lower_hex(text)) return false;
  return unhex(text.substr(kShaPrefix.size()), out->data(), out->size());
}

SigningKey signing_key_from_seed(const std::array<uint8_t, 32>& seed) {
  ensure_sodium();
  SigningKey k;
  k.seed = seed;
  crypto_sign_seed_keypair(k.public_key.data(), k.secret_key.data(), seed.data());
  return k;
}

SigningKey generate_signing_key() {
  ensure_sodium();
  std::array<uint8_t, 32> seed;
  randombytes_buf(seed.data(), seed.size());
  SigningKey k = signing_key_from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return k;
}

std::array<uint8_t, 64> ed25519_sign(const SigningKey& key, std::string_view message) {
  ensure_sodium();
  std::array<uint8_t, 64> sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), key.secret_key.data());
  return sig;
}

bool ed25519_verify(const std::array<uint8_t, 32>& public_key, std::string_view message,
                    const std::array<uint8_t, 64>& signature) {
  ensure_sodium();
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), public_key.data()) == 0;
}

std::string public_key_ref(const std::array<uint8_t, 32>& public_key) {
  return std::string(kEdPrefix) + hex(public_key);
}

bool parse_public_key_ref(std::string_view text, std::array<uint8_t, 32>* out) {
  if (text.substr(0, kEdPrefix.size()) != kEdPrefix || !lower_hex(text)) return false;
  return unhex(text.substr(kEdPrefix.size()), out->data(), out->size());
}

std::optional<std::string> key_ref_from_text(const std::string& text) {
  std::array<uint8_t, 32> pub;
  if (!parse_public_key_ref(ascii_lower(text), &pub)) return std::nullopt;
  return public_key_ref(pub);
}

std::string ascii_lower(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

}  // namespace grid
