// proof-check's public draw and sample sizes: which pieces of a result a
// verifier re-executes, and how likely that is to catch a cheat.
//
// The draw. The verifier signs "gridutils proof-check draw v1\n" followed
// by the result's id with its Ed25519 key; the seed is the SHA-256 of the
// 64 signature bytes. Ed25519 signatures are deterministic (RFC 8032), so
// the provider cannot predict the seed before it commits to the result,
// the verifier cannot choose it, and anyone holding the verifier's public
// key and the signature (the verdict carries it) can check it and redo the
// draw. The prefix keeps this signature from ever being a valid "sig" of a
// message whose id is the result id.
//
// From the seed, `purpose` (e.g. "spot") picks an independent stream:
// word i is the first 8 bytes, little-endian, of SHA-256(seed || purpose
// || 0x00 || i as 8 bytes little-endian), i = 0, 1, ... A number below m is
// drawn from successive words by rejection (a word w is used when w <
// 2^64 - (2^64 mod m), giving w mod m), so every value is equally likely.
// q distinct indices out of n come from a partial Fisher-Yates shuffle of
// 0..n-1: for i = 0..q-1, swap position i with position i + (a number
// below n - i); the first q positions, sorted, are the sample.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/crypto.h"

namespace grid {

// What the verifier signs to seed the draw for a result with this id.
std::string draw_message(const std::string& result_id);

// The 64-byte signature over draw_message(result_id), and its SHA-256.
struct Draw {
  std::array<uint8_t, 64> sig;
  Digest seed;
};
Draw make_draw(const SigningKey& key, const std::string& result_id);

// The stream described above.
class DrawStream {
 public:
  DrawStream(const Digest& seed, const std::string& purpose);
  uint64_t next_word();
  // Uniform in [0, m); m >= 1.
  uint64_t below(uint64_t m);

 private:
  Digest seed_;
  std::string purpose_;
  uint64_t counter_ = 0;
};

// q distinct indices of 0..n-1 (q clamped to n), in increasing order.
std::vector<int64_t> draw_indices(const Digest& seed, const std::string& purpose, int64_t n, int64_t q);

// Faked units out of n when a fraction f of them is faked: ceil(f * n),
// at least 1 when f > 0 (a cheat fakes at least one), at most n.
int64_t faked_units(int64_t n, double f);

// Probability that q distinct units drawn uniformly out of n include at
// least one of `faked` (hypergeometric, without replacement):
// 1 - C(n - faked, q) / C(n, q), computed as a product of q ratios.
double detection_probability(int64_t n, int64_t faked, int64_t q);

// The smallest q (1..n) with detection_probability(n, faked, q) >= p; n
// when none below n reaches it (q = n always detects a cheat, faked >= 1).
int64_t samples_for_detection(int64_t n, int64_t faked, double p);

}  // namespace grid
