#include "compute/seeded_matrix.h"

#include <algorithm>
#include <cstring>

#include "core/merkle.h"
#include "core/parallel_for.h"
#include "compute/philox.h"

namespace grid {

namespace {

// Entries [first, first + count) of the stream as floats, made from the
// words a chunk at a time. Chunks end on multiples of kChunk in the stream,
// so only the first can start inside a batch of blocks (philox_words draws
// such ragged ends a block per word).
void fill_uniform_pm1(uint64_t seed, uint32_t stream, uint64_t first, size_t count, float* out) {
  constexpr size_t kChunk = 1024;
  uint32_t words[kChunk];
  for (size_t done = 0, n; done < count; done += n) {
    n = std::min(count - done, kChunk - static_cast<size_t>((first + done) % kChunk));
    philox_words(seed, stream, first + done, n, words);
    for (size_t i = 0; i < n; ++i) out[done + i] = philox_uniform_pm1(words[i]);
  }
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
