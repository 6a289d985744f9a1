// Philox words in bulk: the blocks side by side, so that the rounds run
// lane by lane in vector registers.
#include "compute/philox.h"

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

}  // namespace

void philox_words(uint64_t seed, uint32_t stream, uint64_t first, size_t count, uint32_t* out) {
  const uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  const uint64_t end = first + count;
  constexpr uint64_t kWords = 4 * kBatch;
  uint64_t index = first;
  for (; index < end && index % kWords != 0; ++index) out[index - first] = philox_word(seed, stream, index);
  for (uint32_t words[4][kBatch]; index + kWords <= end; index += kWords) {
    philox_batch(index / 4, stream, k0, k1, words);
    uint32_t* dst = out + (index - first);
    for (int b = 0; b < kBatch; ++b)
      for (int lane = 0; lane < 4; ++lane) dst[4 * b + lane] = words[lane][b];
  }
  for (; index < end; ++index) out[index - first] = philox_word(seed, stream, index);
}

}  // namespace grid
