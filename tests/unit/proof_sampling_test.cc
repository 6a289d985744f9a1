#include "proof/proof_sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace grid {
namespace {

// Exact values below come from Python's fractions and math.comb:
// 1 - comb(n - k, q) / comb(n, q).

TEST(ProofSampling, FortyFourSegmentsCatchATenthFakedAtNinetyNinePercent) {
  // Many segments: sampling without replacement is about 1 - 0.9^q.
  EXPECT_EQ(samples_for_detection(1000000, faked_units(1000000, 0.1), 0.99), 44);
  EXPECT_GT(detection_probability(1000000, 100000, 44), 0.99);
  EXPECT_LT(detection_probability(1000000, 100000, 43), 0.99);
  EXPECT_NEAR(detection_probability(1000000, 100000, 44), 1 - std::pow(0.9, 44), 1e-4);
}

TEST(ProofSampling, ExactForSmallTotals) {
  EXPECT_EQ(samples_for_detection(100, 10, 0.99), 36);
  EXPECT_EQ(samples_for_detection(1000, 100, 0.99), 43);
  EXPECT_EQ(samples_for_detection(20, 2, 0.9), 14);
  // One faked segment in ten: only all ten reach 99%.
  EXPECT_EQ(samples_for_detection(10, 1, 0.99), 10);
  EXPECT_NEAR(detection_probability(100, 10, 35), 0.9896585442462208, 1e-12);
  EXPECT_NEAR(detection_probability(100, 10, 34), 0.9878118557187602, 1e-12);
  EXPECT_NEAR(detection_probability(20, 2, 5), 0.4473684210526316, 1e-12);
  for (int q = 0; q <= 10; ++q) EXPECT_NEAR(detection_probability(10, 1, q), q / 10.0, 1e-12) << q;
}

TEST(ProofSampling, EdgeCases) {
  EXPECT_EQ(detection_probability(10, 0, 5), 0.0);
  EXPECT_EQ(detection_probability(10, 3, 0), 0.0);
  EXPECT_EQ(detection_probability(10, 3, 8), 1.0);  // 8 > 10 - 3: a faked one is always drawn
  EXPECT_EQ(detection_probability(5, 5, 1), 1.0);
  EXPECT_EQ(samples_for_detection(5, 5, 0.99), 1);
  EXPECT_EQ(samples_for_detection(1, 1, 0.99), 1);
  EXPECT_EQ(samples_for_detection(0, 0, 0.99), 0);
}

TEST(ProofSampling, FakedUnitsRoundUpAndAtLeastOne) {
  EXPECT_EQ(faked_units(10, 0.1), 1);
  EXPECT_EQ(faked_units(10, 0.3), 3);  // 0.3 * 10 is 3.0000000000000004 in binary
  EXPECT_EQ(faked_units(10, 0.01), 1);
  EXPECT_EQ(faked_units(10, 0.25), 3);
  EXPECT_EQ(faked_units(10, 1.0), 10);
  EXPECT_EQ(faked_units(10, 0.0), 0);
}

TEST(ProofSampling, DrawIsDistinctSortedAndDeterministic) {
  Digest seed = sha256("seed");
  for (int64_t n : {int64_t{1}, int64_t{2}, int64_t{7}, int64_t{1000}, int64_t{1} << 30}) {
    for (int64_t q : {int64_t{0}, int64_t{1}, std::min<int64_t>(n / 2, 5000), std::min<int64_t>(n, 10000), n + 5}) {
      if (q > 100000) continue;
      std::vector<int64_t> a = draw_indices(seed, "spot", n, q);
      EXPECT_EQ(static_cast<int64_t>(a.size()), std::min(q, n)) << n << " " << q;
      std::set<int64_t> distinct(a.begin(), a.end());
      EXPECT_EQ(distinct.size(), a.size());
      EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
      for (int64_t i : a) EXPECT_TRUE(i >= 0 && i < n);
      EXPECT_EQ(a, draw_indices(seed, "spot", n, q));
    }
  }
  EXPECT_NE(draw_indices(seed, "spot", 1000, 10), draw_indices(seed, "rows", 1000, 10));
  EXPECT_NE(draw_indices(seed, "spot", 1000, 10), draw_indices(sha256("other"), "spot", 1000, 10));
}

TEST(ProofSampling, DrawIsUniform) {
  // Each of 10 units is drawn in about 3 of 10 draws of 3.
  std::vector<int> hits(10, 0);
  const int rounds = 20000;
  for (int r = 0; r < rounds; ++r)
    for (int64_t i : draw_indices(sha256("uniform " + std::to_string(r)), "spot", 10, 3)) ++hits[i];
  for (int h : hits) EXPECT_NEAR(h / static_cast<double>(rounds), 0.3, 0.015);
}

TEST(ProofSampling, StreamFollowsItsDocumentedDefinition) {
  // Word 0: the first 8 bytes, little-endian, of SHA-256(seed || purpose || 0x00 || 0 as u64 LE).
  Digest seed = sha256("seed");
  std::string buf(seed.begin(), seed.end());
  buf += "spot";
  buf += std::string(1, '\0');
  buf += std::string(8, '\0');
  Digest h = sha256(buf);
  uint64_t want = 0;
  for (int b = 0; b < 8; ++b) want |= uint64_t{h[b]} << (8 * b);
  DrawStream s(seed, "spot");
  EXPECT_EQ(s.next_word(), want);
}

TEST(ProofSampling, TheDrawIsTheVerifiersSignatureAndAnyoneCanCheckIt) {
  std::array<uint8_t, 32> raw{};
  raw[0] = 7;
  SigningKey key = signing_key_from_seed(raw);
  Draw d = make_draw(key, "sha256:abc");
  EXPECT_TRUE(ed25519_verify(key.public_key, draw_message("sha256:abc"), d.sig));
  EXPECT_EQ(d.seed, sha256(d.sig.data(), d.sig.size()));
  // Deterministic, and not a signature over the bare id.
  EXPECT_EQ(make_draw(key, "sha256:abc").sig, d.sig);
  EXPECT_FALSE(ed25519_verify(key.public_key, "sha256:abc", d.sig));
}

}  // namespace
}  // namespace grid
