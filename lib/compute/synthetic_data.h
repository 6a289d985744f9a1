// Datasets made from a seed, the same bytes on every machine (integer
// Philox draws and correctly rounded FP32 only): what examples, demos and
// tests train on, so a task can name its data by a seed instead of shipping
// it.
#pragma once

#include <cstdint>

#include "compute/mlp.h"

namespace grid {

// Philox streams of the generators below, distinct from the training
// streams of mlp.h so the same seed may drive both.
constexpr uint32_t kBlobCenterStream = 0x44420000u;  // "DB" << 16
constexpr uint32_t kBlobNoiseStream = 0x44420001u;
constexpr uint32_t kTeacherInputStream = 0x44540000u;   // "DT" << 16
constexpr uint32_t kTeacherWeightStream = 0x44540100u;  // + layer
constexpr uint32_t kTeacherBiasStream = 0x44540200u;    // + layer

// Most values (rows x max(features, outputs)) one call makes: 1 GiB of FP32.
constexpr int64_t kSyntheticMaxValues = int64_t{1} << 28;

// The most rows one call makes at this width (kSyntheticMaxValues /
// max(features, outputs)): the bound a spec's validator holds synthetic
// data to, so that what a job names is what the generators can make.
int64_t synthetic_max_rows(int64_t features, int64_t outputs);

// Gaussian blobs, one per class. Row i has label i % classes and
// x = center[label] + noise:
//   center[c][f] = philox_uniform_pm1(philox_word(seed, kBlobCenterStream,
//                  c * features + f)) * 2
//   noise[i][f]  = (sum over q = 0..11 of (philox_word(seed, kBlobNoiseStream,
//                  (i * features + f) * 12 + q) >> 12) - 6 * 2^20) * 2^-20 * 0.5
// i.e. Irwin-Hall: the sum of 12 uniforms on [0, 1) minus 6 (mean 0,
// variance 1), summed as integers so it is exact, with 20-bit uniforms so
// the sum converts to float exactly. The one rounding is center + noise.
// outputs = classes; labels are filled, and targets with the one-hot rows,
// so the data serves both losses. Throws Error(Exit::data) on sizes < 1 or
// past kSyntheticMaxValues.
Dataset synthetic_blobs(uint64_t seed, int rows, int features, int classes);

// A fixed random teacher: an MLP features -> kTeacherHidden -> outputs (relu
// between), W_l He-uniform as in mlp.h's init but from stream
// kTeacherWeightStream + l, b_l[j] = philox_uniform_pm1(philox_word(seed,
// kTeacherBiasStream + l, j)) * 0.5. x[i][f] = philox_uniform_pm1(
// philox_word(seed, kTeacherInputStream, i * features + f)). targets are the
// teacher's outputs computed as mlp.h's exact-mode forward pass; labels the
// index of each row's largest target (the first of equals). Throws as
// synthetic_blobs.
Dataset synthetic_teacher(uint64_t seed, int rows, int features, int outputs);

constexpr int kTeacherHidden = 16;

}  // namespace grid
