#include "compute/seeded_matrix.h"

#include <gtest/gtest.h>

#include <random>

#include <cmath>
#include <limits>

#include "core/merkle.h"
#include "compute/philox.h"

namespace grid {
namespace {

// Random123's known-answer vectors (kat_vectors, philox4x32 10).
TEST(Philox, KnownAnswers) {
  struct Kat {
    PhiloxBlock ctr;
    uint32_t k0, k1;
    PhiloxBlock want;
  } kats[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
      {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, 0xffffffff, 0xffffffff,
       {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, 0xa4093822, 0x299f31d0,
       {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
  };
  for (const auto& k : kats) {
    PhiloxBlock got = philox4x32_10(k.ctr, k.k0, k.k1);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(got.v[i], k.want.v[i]) << i;
  }
}

TEST(Philox, UniformIsExactAndInRange) {
  EXPECT_EQ(philox_uniform_pm1(0), -1.0f);
  EXPECT_EQ(philox_uniform_pm1(0xffffffffu), 1.0f - 1.0f / 8388608.0f);
  double sum = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    float u = philox_uniform_pm1(philox_word(99, 1, i));
    ASSERT_GE(u, -1.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);  // mean of U(-1,1); 5 sigma is ~0.009
}

TEST(Philox, WordsInBulkAreTheWordsOneByOne) {
  // Runs that start and end inside a batch, span several, or are shorter
  // than one; seeds with high bits set (the key's second word).
  std::mt19937_64 rng(20261129);
  for (int trial = 0; trial < 200; ++trial) {
    const uint64_t seed = rng();
    const uint32_t stream = static_cast<uint32_t>(rng());
    const uint64_t first = trial < 100 ? rng() % 1000 : rng() >> 8;
    const size_t count = static_cast<size_t>(rng() % (trial % 3 == 0 ? 7 : 700));
    std::vector<uint32_t> got(count + 1, 0xdeadbeefu);
    philox_words(seed, stream, first, count, got.data());
    for (size_t i = 0; i < count; ++i)
      ASSERT_EQ(got[i], philox_word(seed, stream, first + i)) << "seed " << seed << " first " << first << " i " << i;
    EXPECT_EQ(got[count], 0xdeadbeefu) << "wrote past the end";
  }
}

TEST(SeededMatrix, RowBlocksMatchTheWhole) {
  auto whole = seeded_matrix(7, kStreamA, 37, 29);
  auto block = seeded_rows(7, kStreamA, 11, 20, 29);
  for (size_t i = 0; i < block.size(); ++i) EXPECT_EQ(block[i], whole[11 * 29 + i]);
  EXPECT_NE(seeded_matrix(7, kStreamB, 37, 29), whole);
  EXPECT_NE(seeded_matrix(8, kStreamA, 37, 29), whole);
}

// The batched generator against its definition, entry by entry: shapes
// whose rows start and end inside a batch of 64 words, on 1 and 2 threads,
// and a seed and row offset with high bits set.
TEST(SeededMatrix, EveryEntryIsItsDefinition) {
  struct Case {
    uint64_t seed;
    int row_begin, row_end, cols;
  } cases[] = {{7, 0, 37, 29}, {0xfedcba9876543210ull, 3, 70, 64}, {42, 1000, 1003, 1031}, {5, 0, 1, 1},
               {0x8000000000000001ull, 65535, 65540, 257}};
  for (const Case& c : cases)
    for (int threads : {1, 2}) {
      const std::vector<float> got = seeded_rows(c.seed, kStreamB, c.row_begin, c.row_end, c.cols, threads);
      ASSERT_EQ(got.size(), static_cast<size_t>(c.row_end - c.row_begin) * c.cols);
      for (size_t e = 0; e < got.size(); ++e) {
        const uint64_t index = static_cast<uint64_t>(c.row_begin) * c.cols + e;
        ASSERT_EQ(got[e], philox_uniform_pm1(philox_word(c.seed, kStreamB, index)))
            << "seed " << c.seed << " entry " << index << " threads " << threads;
      }
    }
}

TEST(SeededMatrix, HashesCanonicaliseNaN) {
  float a[2] = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  float b[2] = {1.0f, -std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(matrix_sha256(a, 1, 2), matrix_sha256(b, 1, 2));
  float c[2] = {1.0f, -0.0f}, d[2] = {1.0f, 0.0f};
  EXPECT_NE(matrix_sha256(c, 1, 2), matrix_sha256(d, 1, 2));  // -0 is not +0
}

TEST(SeededMatrix, RowLeavesCommitToRows) {
  auto m = seeded_matrix(3, kStreamA, 9, 5);
  auto leaves = row_leaf_hashes(m.data(), 9, 5);
  ASSERT_EQ(leaves.size(), 9u);
  auto bytes = row_bytes(m.data() + 4 * 5, 5);
  EXPECT_EQ(leaves[4], merkle_leaf_hash(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
  EXPECT_EQ(matrix_sha256(m.data(), 9, 5), sha256(m.data(), m.size() * 4));  // little-endian host, no NaN
}

}  // namespace
}  // namespace grid
