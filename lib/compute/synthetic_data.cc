#include "compute/synthetic_data.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "core/error.h"
#include "compute/exact_math.h"
#include "compute/mlp_layers.h"
#include "compute/philox.h"
#include "compute/seeded_matrix.h"

namespace grid {
namespace {

// Irwin-Hall with 12 terms: variance 12 * (1/12) = 1.
constexpr int kIrwinHallTerms = 12;
// Bits kept of each uniform: 12 terms of 20 bits sum below 2^24, so the
// integer sum converts to float exactly.
constexpr int kUniformBits = 20;
constexpr float kBlobCenterScale = 2.0f;  // powers of two: scaling is exact
constexpr float kBlobNoiseScale = 0.5f;
constexpr float kTeacherBiasScale = 0.5f;

void check_sizes(const char* what, int rows, int features, int outputs) {
  if (rows < 1 || features < 1 || outputs < 1)
    throw data_error(std::string(what) + ": rows, features and outputs must be at least 1, got " +
                     std::to_string(rows) + ", " + std::to_string(features) + ", " +
                     std::to_string(outputs));
  if (rows > synthetic_max_rows(features, outputs))
    throw data_error(std::string(what) + ": more than " + std::to_string(kSyntheticMaxValues) +
                     " values asked for");
}

float scaled_uniform(uint64_t seed, uint32_t stream, uint64_t index, float scale) {
  return exact_mul(philox_uniform_pm1(philox_word(seed, stream, index)), scale);
}

}  // namespace

int64_t synthetic_max_rows(int64_t features, int64_t outputs) {
  return kSyntheticMaxValues / std::max<int64_t>(1, std::max(features, outputs));
}

Dataset synthetic_blobs(uint64_t seed, int rows, int features, int classes) {
  check_sizes("synthetic_blobs", rows, features, classes);
  std::vector<float> centers(static_cast<size_t>(classes) * features);
  for (size_t e = 0; e < centers.size(); ++e)
    centers[e] = scaled_uniform(seed, kBlobCenterStream, e, kBlobCenterScale);

  Dataset d;
  d.rows = rows, d.features = features, d.outputs = classes;
  d.x.resize(static_cast<size_t>(rows) * features);
  d.labels.resize(rows);
  d.targets.assign(static_cast<size_t>(rows) * classes, 0.0f);
  const int32_t half = kIrwinHallTerms / 2 << kUniformBits;
  const float unit = exact_pow2(-kUniformBits);
  for (int i = 0; i < rows; ++i) {
    d.labels[i] = i % classes;
    d.targets[static_cast<size_t>(i) * classes + i % classes] = 1.0f;
  }
  // Entry e sums words e * kIrwinHallTerms .. + kIrwinHallTerms - 1 of the
  // noise stream: runs of entries, across rows, have their words drawn in
  // bulk, into a buffer of fixed size.
  constexpr size_t kEntries = 512;
  static_assert(kEntries * kIrwinHallTerms % 64 == 0, "each run of words starts a batch of Philox blocks");
  std::vector<uint32_t> words(kEntries * kIrwinHallTerms);
  const size_t total = static_cast<size_t>(rows) * features;
  for (size_t e0 = 0; e0 < total; e0 += kEntries) {
    const size_t n = std::min(kEntries, total - e0);
    philox_words(seed, kBlobNoiseStream, e0 * kIrwinHallTerms, n * kIrwinHallTerms, words.data());
    for (size_t k = 0; k < n; ++k) {
      const size_t e = e0 + k, i = e / static_cast<size_t>(features), f = e % static_cast<size_t>(features);
      const uint32_t* w = words.data() + k * kIrwinHallTerms;
      int32_t sum = 0;
      for (int q = 0; q < kIrwinHallTerms; ++q) sum += static_cast<int32_t>(w[q] >> (32 - kUniformBits));
      const float noise = exact_mul(exact_mul(static_cast<float>(sum - half), unit), kBlobNoiseScale);
      d.x[e] = exact_add(centers[static_cast<size_t>(d.labels[i]) * features + f], noise);
    }
  }
  return d;
}

Dataset synthetic_teacher(uint64_t seed, int rows, int features, int outputs) {
  check_sizes("synthetic_teacher", rows, features, outputs);
  const std::vector<int> layers = {features, kTeacherHidden, outputs};
  mlp::Tensors params = mlp::zero_parameters(layers);
  for (size_t l = 0; l + 1 < layers.size(); ++l) {
    const float limit = exact_sqrt(exact_div(6.0f, static_cast<float>(layers[l])));
    const uint32_t li = static_cast<uint32_t>(l);
    std::vector<float>& w = params[2 * l];
    for (size_t e = 0; e < w.size(); ++e)
      w[e] = scaled_uniform(seed, kTeacherWeightStream + li, e, limit);
    std::vector<float>& b = params[2 * l + 1];
    for (size_t j = 0; j < b.size(); ++j)
      b[j] = scaled_uniform(seed, kTeacherBiasStream + li, j, kTeacherBiasScale);
  }

  Dataset d;
  d.rows = rows, d.features = features, d.outputs = outputs;
  // Entry e = philox_uniform_pm1 of word e of the input stream, as a seeded matrix (one thread: the
  // bits are the same on any number).
  d.x = seeded_matrix(seed, kTeacherInputStream, rows, features, 1);
  // One thread on the CPU: the exact GEMM's bits do not depend on it, and the
  // data must not depend on the machine having a GPU.
  const GemmEngine engine{NumericMode::exact, false, 1};
  d.targets = mlp::predict(engine, layers, params, MlpLoss::mse, d.x.data(), rows);
  d.labels.resize(rows);
  for (int i = 0; i < rows; ++i) {
    const float* t = d.targets.data() + static_cast<size_t>(i) * outputs;
    int best = 0;
    for (int j = 1; j < outputs; ++j)
      if (t[j] > t[best]) best = j;
    d.labels[i] = best;
  }
  return d;
}

}  // namespace grid
