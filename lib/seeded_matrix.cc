#include "seeded_matrix.h"

#include <algorithm>
#include <cstring>

#include "merkle.h"
#include "parallel_for.h"
#include "philox.h"

namespace grid {

namespace {

constexpr int kBatch = 16;  // Philox blocks computed side by side

// Philox4x32-10 of blocks first_block .. first_block + kBatch - 1: the
// rounds of philox4x32_10 with the blocks as the inner loop, so that they
// run lane by lane in vector registers (the 32 x 32 -> 64-bit multiplies
// vectorize); cloned per ISA, picked at load time. Unit tests hold every
// entry to philox_word.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) void philox_batch(
    uint64_t first_block, uint32_t stream, uint32_t k0, uint32_t k1, uint32_t out[4][kBatch]) {
  const uint32_t m0 = kPhiloxM0, m1 = kPhiloxM1;
  const uint32_t w0 = kPhiloxW0, w1 = kPhiloxW1;
  uint32_t c0[kBatch], c1[kBatch], c2[kBatch], c3[kBatch];
  for (int b = 0; b < kBatch; ++b) {
    const uint64_t block = first_block + static_cast<uint64_t>(b);
    c0[b] = static_cast<uint32_t>(block);
    c1[b] = static_cast<uint32_t>(block >> 32);
    c2[b] = stream;
    c3[b] = 0;
  }
  for (int round = 0; round < 10; ++round) {
    for (int b = 0; b < kBatch; ++b) {
      const uint64_t p0 = uint64_t{m0} * c0[b];
      const uint64_t p1 = uint64_t{m1} * c2[b];
      const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[b] ^ k0;
      const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[b] ^ k1;
      c1[b] = static_cast<uint32_t>(p1);
      c3[b] = static_cast<uint32_t>(p0);
      c0[b] = n0;
      c2[b] = n2;
    }
    k0 += w0;
    k1 += w1;
  }
  for (int b = 0; b < kBatch; ++b) {
    out[0][b] = c0[b];
    out[1][b] = c1[b];
    out[2][b] = c2[b];
    out[3][b] = c3[b];
  }
}

// Entries [first, first + count) of the stream as floats; whole batches
// where they fit, philox_word at the ragged ends.
void fill_uniform_pm1(uint64_t seed, uint32_t stream, uint64_t first, size_t count, float* out) {
  const uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const uint64_t end = first + count;
  constexpr uint64_t kWords = 4 * kBatch;
  uint64_t index = first;
  for (; index < end && index % kWords != 0; ++index)
    out[index - first] = philox_uniform_pm1(philox_word(seed, stream, index));
  for (uint32_t words[4][kBatch]; index + kWords <= end; index += kWords) {
    philox_batch(index / 4, stream, k0, k1, words);
    float* dst = out + (index - first);
    for (int b = 0; b < kBatch; ++b)
      for (int lane = 0; lane < 4; ++lane) dst[4 * b + lane] = philox_uniform_pm1(words[lane][b]);
  }
  for (; index < end; ++index) out[index - first] = philox_uniform_pm1(philox_word(seed, stream, index));
}

}  // namespace

std::vector<float> seeded_rows(uint64_t seed, uint32_t stream, int row_begin, int row_end, int cols, int threads) {
  const size_t rows = static_cast<size_t>(std::max(row_end - row_begin, 0));
  std::vector<float> out(rows * static_cast<size_t>(cols));
  parallel_for(rows, threads, [&](size_t i) {
    fill_uniform_pm1(seed, stream, (static_cast<uint64_t>(row_begin) + i) * static_cast<uint64_t>(cols),
                     static_cast<size_t>(cols), out.data() + i * static_cast<size_t>(cols));
  });
  return out;
}

std::vector<float> seeded_matrix(uint64_t seed, uint32_t stream, int rows, int cols, int threads) {
  return seeded_rows(seed, stream, 0, rows, cols, threads);
}

std::vector<uint8_t> row_bytes(const float* row, int cols) {
  std::vector<uint8_t> out(static_cast<size_t>(cols) * 4);
  for (int c = 0; c < cols; ++c) {
    uint32_t bits;
    std::memcpy(&bits, &row[c], 4);
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu)) bits = 0x7fc00000u;
    for (int b = 0; b < 4; ++b) out[static_cast<size_t>(c) * 4 + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
  return out;
}

Digest matrix_sha256(const float* m, int rows, int cols) {
  Sha256 h;
  for (int r = 0; r < rows; ++r) {
    auto bytes = row_bytes(m + static_cast<size_t>(r) * cols, cols);
    h.update(bytes.data(), bytes.size());
  }
  return h.final();
}

std::vector<Digest> row_leaf_hashes(const float* m, int rows, int cols) {
  std::vector<Digest> out;
  out.reserve(rows);
  for (int r = 0; r < rows; ++r) {
    auto bytes = row_bytes(m + static_cast<size_t>(r) * cols, cols);
    out.push_back(merkle_leaf_hash(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())));
  }
  return out;
}

}  // namespace grid
