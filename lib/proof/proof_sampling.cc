#include "proof/proof_sampling.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace grid {

std::string draw_message(const std::string& result_id) { return "gridutils proof-check draw v1\n" + result_id; }

Draw make_draw(const SigningKey& key, const std::string& result_id) {
  Draw d;
  d.sig = ed25519_sign(key, draw_message(result_id));
  d.seed = sha256(d.sig.data(), d.sig.size());
  return d;
}

DrawStream::DrawStream(const Digest& seed, const std::string& purpose) : seed_(seed), purpose_(purpose) {}

uint64_t DrawStream::next_word() {
  uint8_t counter[8];
  for (int b = 0; b < 8; ++b) counter[b] = static_cast<uint8_t>(counter_ >> (8 * b));
  ++counter_;
  const uint8_t zero = 0;
  Digest h = Sha256().update(seed_.data(), seed_.size()).update(purpose_).update(&zero, 1).update(counter, 8).final();
  uint64_t w = 0;
  for (int b = 0; b < 8; ++b) w |= uint64_t{h[b]} << (8 * b);
  return w;
}

uint64_t DrawStream::below(uint64_t m) {
  // 2^64 mod m, computed without 128-bit arithmetic: (2^64 - m) mod m.
  const uint64_t excess = (0 - m) % m;
  for (;;) {
    const uint64_t w = next_word();
    if (excess == 0 || w < 0 - excess) return w % m;
  }
}

std::vector<int64_t> draw_indices(const Digest& seed, const std::string& purpose, int64_t n, int64_t q) {
  q = std::max<int64_t>(0, std::min(q, n));
  DrawStream stream(seed, purpose);
  // The shuffled positions: a dense array when n is small enough, else
  // only the positions moved (every other position i holds i).
  constexpr int64_t kDenseUpTo = int64_t{1} << 22;
  std::vector<int64_t> dense;
  std::unordered_map<int64_t, int64_t> moved;
  if (n <= kDenseUpTo) {
    dense.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) dense[static_cast<size_t>(i)] = i;
  }
  auto get = [&](int64_t i) -> int64_t {
    if (!dense.empty()) return dense[static_cast<size_t>(i)];
    auto it = moved.find(i);
    return it == moved.end() ? i : it->second;
  };
  auto set = [&](int64_t i, int64_t v) {
    if (!dense.empty()) dense[static_cast<size_t>(i)] = v;
    else moved[i] = v;
  };
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(q));
  for (int64_t i = 0; i < q; ++i) {
    const int64_t j = i + static_cast<int64_t>(stream.below(static_cast<uint64_t>(n - i)));
    const int64_t vi = get(i), vj = get(j);
    set(i, vj);
    set(j, vi);
    out.push_back(vj);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int64_t faked_units(int64_t n, double f) {
  if (n <= 0 || !(f > 0)) return 0;
  // The small slack keeps 0.3 * 10 (3.0000000000000004 in binary) at 3.
  const double raw = std::ceil(f * static_cast<double>(n) - 1e-9);
  return std::max<int64_t>(1, std::min<int64_t>(n, static_cast<int64_t>(raw)));
}

double detection_probability(int64_t n, int64_t faked, int64_t q) {
  if (n <= 0 || faked <= 0 || q <= 0) return 0.0;
  if (q > n - faked) return 1.0;
  // P(miss) = prod_{i<q} (n - faked - i) / (n - i).
  long double miss = 1.0L;
  for (int64_t i = 0; i < q; ++i) miss *= static_cast<long double>(n - faked - i) / static_cast<long double>(n - i);
  return static_cast<double>(1.0L - miss);
}

int64_t samples_for_detection(int64_t n, int64_t faked, double p) {
  if (n <= 0) return 0;
  if (faked <= 0) return n;
  long double miss = 1.0L;
  const long double allowed = 1.0L - static_cast<long double>(p);
  for (int64_t q = 1; q <= n; ++q) {
    if (q > n - faked) return q;
    miss *= static_cast<long double>(n - faked - q + 1) / static_cast<long double>(n - q + 1);
    if (miss <= allowed) return q;
  }
  return n;
}

}  // namespace grid
