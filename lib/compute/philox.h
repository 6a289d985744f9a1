// Philox4x32-10 (Salmon et al., SC'11, "Parallel random numbers: as easy
// as 1, 2, 3"): a counter-based generator in integer arithmetic only, so
// any thread, CPU or GPU draws the same numbers for the same counter.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "compute/exact_math.h"  // GRID_HD

namespace grid {

struct PhiloxBlock {
  uint32_t v[4];
};

// Multipliers and Weyl increments from the paper (philox.cc's batched
// form uses them too).
constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

GRID_HD inline PhiloxBlock philox4x32_10(PhiloxBlock ctr, uint32_t k0, uint32_t k1) {
  const uint32_t m0 = kPhiloxM0, m1 = kPhiloxM1;
  const uint32_t w0 = kPhiloxW0, w1 = kPhiloxW1;
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t{m0} * ctr.v[0];
    uint64_t p1 = uint64_t{m1} * ctr.v[2];
    PhiloxBlock next;
    next.v[0] = static_cast<uint32_t>(p1 >> 32) ^ ctr.v[1] ^ k0;
    next.v[1] = static_cast<uint32_t>(p1);
    next.v[2] = static_cast<uint32_t>(p0 >> 32) ^ ctr.v[3] ^ k1;
    next.v[3] = static_cast<uint32_t>(p0);
    ctr = next;
    k0 += w0;
    k1 += w1;
  }
  return ctr;
}

// The 32-bit word number `index` of stream `stream` under `seed`. Words
// come four to a counter block: block = index / 4, counter = {block low,
// block high, stream, 0}, key = {seed low, seed high}.
GRID_HD inline uint32_t philox_word(uint64_t seed, uint32_t stream, uint64_t index) {
  uint64_t block = index >> 2;
  PhiloxBlock ctr = {{static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), stream, 0u}};
  PhiloxBlock out = philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  return out.v[index & 3];
}

// Words [first, first + count) of the stream into out: philox_word of
// each, computed many blocks at a time (philox.cc; host only).
void philox_words(uint64_t seed, uint32_t stream, uint64_t first, size_t count, uint32_t* out);

// A float uniform on [-1, 1) in steps of 2^-23, made exactly (24 integer
// bits scaled by a power of two, then an exact subtraction).
GRID_HD inline float philox_uniform_pm1(uint32_t word) {
  return static_cast<float>(static_cast<int32_t>(word >> 8)) * (1.0f / 8388608.0f) - 1.0f;
}

// A float uniform on [0, 1) in steps of 2^-24.
GRID_HD inline float philox_uniform01(uint32_t word) {
  return static_cast<float>(static_cast<int32_t>(word >> 8)) * (1.0f / 16777216.0f);
}

}  // namespace grid
