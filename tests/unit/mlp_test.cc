#include "compute/mlp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "compute/device_cuda.h"
#include "core/error.h"
#include "compute/mlp_optimizer.h"
#include "compute/synthetic_data.h"

namespace grid {
namespace {

const uint64_t kSeed = 4242;  // training seed; data seeds are below
const uint64_t kDataSeed = 77;

const GemmEngine kExact1{NumericMode::exact, false, 1};
const GemmEngine kFast1{NumericMode::fast, false, 1};

const char* const kOptimizers[] = {"sgd", "momentum", "adam"};
const char* const kLosses[] = {"softmax_xent", "mse"};

MlpConfig small_config(const std::string& loss, const std::string& optimizer) {
  MlpConfig c;
  c.layers = {6, 10, 8, 3};
  c.loss = loss;
  c.optimizer = optimizer;
  c.lr = optimizer == "adam" ? 0.01f : optimizer == "momentum" ? 0.02f : 0.1f;
  c.batch = 12;
  c.steps = 15;
  c.seed = kSeed;
  return c;
}

// Blobs for softmax_xent, a teacher's outputs for mse.
Dataset small_data(const std::string& loss, int features = 6, int outputs = 3) {
  return loss == "mse" ? synthetic_teacher(kDataSeed, 90, features, outputs)
                       : synthetic_blobs(kDataSeed, 90, features, outputs);
}

std::string hash_after(const MlpConfig& c, const Dataset& d, GemmEngine engine, int64_t steps) {
  Trainer t(c, d, engine);
  while (t.step_index() < steps) t.step();
  return hex(t.state_hash());
}

std::string where(const MlpConfig& c) {
  return c.loss + "/" + c.optimizer + " seed " + std::to_string(c.seed);
}

// --- (a) gradients -------------------------------------------------------

// The loss of mlp.h's DEFINITION, in double, straight from the formulas.
double loss_f64(const MlpConfig& c, const std::vector<std::vector<double>>& p, const Dataset& d,
                const std::vector<int32_t>& rows) {
  const int L = static_cast<int>(c.layers.size()) - 1, n = d.outputs;
  double total = 0;
  for (int32_t r : rows) {
    std::vector<double> h(d.x.begin() + r * d.features, d.x.begin() + (r + 1) * d.features);
    for (int l = 0; l < L; ++l) {
      const int in = c.layers[l], out = c.layers[l + 1];
      std::vector<double> z(p[2 * l + 1]);
      for (int j = 0; j < out; ++j)
        for (int i = 0; i < in; ++i) z[j] += h[i] * p[2 * l][i * out + j];
      if (l + 1 < L)
        for (double& v : z) v = v > 0 ? v : 0;
      h = z;
    }
    if (c.loss == "softmax_xent") {
      double m = h[0], s = 0;
      for (double v : h) m = std::max(m, v);
      for (double v : h) s += std::exp(v - m);
      total += std::log(s) - (h[d.labels[r]] - m);
    } else {
      for (int j = 0; j < n; ++j) {
        const double e = h[j] - d.targets[r * n + j];
        total += e * e;
      }
    }
  }
  return total / (c.loss == "softmax_xent" ? rows.size() : rows.size() * n);
}

TEST(MlpGradient, MatchesCentralDifferencesInDouble) {
  for (const char* loss : kLosses) {
    for (const GemmEngine& engine : {kFast1, kExact1}) {
      MlpConfig c = small_config(loss, "sgd");
      c.layers = {4, 6, 5, 3};
      const Dataset d = small_data(loss, 4, 3);
      Trainer t(c, d, engine);
      for (int s = 0; s < 3; ++s) t.step();  // off the init: biases non-zero
      const std::vector<int32_t> rows = {0, 5, 5, 17, 33, 61, 89};
      const MlpGradients g = t.batch_gradients(rows);

      std::vector<std::vector<double>> p;
      for (const auto& tensor : t.parameters()) p.emplace_back(tensor.begin(), tensor.end());
      EXPECT_NEAR(g.loss, loss_f64(c, p, d, rows), 1e-5 * std::fabs(g.loss) + 1e-6) << loss;
      ASSERT_EQ(g.grads.size(), p.size());
      const double h = 1e-5;
      for (size_t k = 0; k < p.size(); ++k)
        for (size_t e = 0; e < p[k].size(); ++e) {
          const double saved = p[k][e];
          p[k][e] = saved + h;
          const double up = loss_f64(c, p, d, rows);
          p[k][e] = saved - h;
          const double down = loss_f64(c, p, d, rows);
          p[k][e] = saved;
          const double fd = (up - down) / (2 * h);
          EXPECT_NEAR(g.grads[k][e], fd, 1e-4 + 1e-3 * std::fabs(fd))
              << loss << (engine.mode == NumericMode::exact ? " exact" : " fast") << " tensor "
              << k << " element " << e;
        }
    }
  }
}

// --- (b) bit-reproducibility ---------------------------------------------

TEST(MlpExact, SameHashAtAnyThreadCountAndOnEveryRun) {
  for (const char* loss : kLosses)
    for (const char* opt : kOptimizers) {
      MlpConfig c = small_config(loss, opt);
      if (std::string(opt) == "momentum") c.weight_decay = 0.01f;
      const Dataset d = small_data(loss);
      const std::string want = hash_after(c, d, {NumericMode::exact, false, 1}, c.steps);
      for (int threads : {2, 3, 1, 0})
        EXPECT_EQ(hash_after(c, d, {NumericMode::exact, false, threads}, c.steps), want)
            << where(c) << " threads " << threads;
    }
}

// Big enough that exact_gemm_cpu really splits the GEMMs (it keeps small
// ones on one thread), so the thread counts take different paths.
TEST(MlpExact, SameHashWhenTheGemmsRunOnSeveralThreads) {
  MlpConfig c = small_config("softmax_xent", "adam");
  c.layers = {16, 128, 128, 4};
  c.batch = 384;
  const Dataset d = synthetic_blobs(kDataSeed, 500, 16, 4);
  const std::string want = hash_after(c, d, kExact1, 2);
  for (int threads : {2, 3})
    EXPECT_EQ(hash_after(c, d, {NumericMode::exact, false, threads}, 2), want) << threads;
}

// Pinned: the state bytes are a contract that verifiers reimplement, so any
// change to the arithmetic or its order must show up here (and be a new
// state magic).
TEST(MlpExact, KnownAnswerHashes) {
  MlpConfig a = small_config("softmax_xent", "adam");
  EXPECT_EQ(hash_after(a, small_data(a.loss), kExact1, 10),
            "3619b1702bdf1d8ec59187a9cbe4eed376bf8d0ebf46bcf2e62a47f333e0a2ce");
  MlpConfig m = small_config("mse", "momentum");
  m.weight_decay = 0.001f;
  EXPECT_EQ(hash_after(m, small_data(m.loss), kExact1, 10),
            "c5c813d658f6f40258fdb2a36b4e01ce5b94046f7c33c042e878391b17210200");
}

TEST(MlpExact, AdamPowersAreAccurate) {
  EXPECT_EQ(mlp::exact_powi(0.9f, 0), 1.0f);
  EXPECT_EQ(mlp::exact_powi(0.0f, 3), 0.0f);
  for (float b : {0.9f, 0.999f, 0.5f})
    for (int64_t t : {1, 2, 3, 7, 100, 1000, 10000}) {
      const double want = std::pow(double{b}, static_cast<double>(t));
      EXPECT_NEAR(mlp::exact_powi(b, t), want, 3e-6 * want + 1e-37) << b << "^" << t;
    }
}

// --- (c) checkpoint and resume -------------------------------------------

TEST(MlpCheckpoint, ResumingFromAStateGivesTheUninterruptedHash) {
  for (const char* loss : kLosses)
    for (const char* opt : kOptimizers) {
      const MlpConfig c = small_config(loss, opt);
      const Dataset d = small_data(loss);
      Trainer whole(c, d, kExact1);
      std::string at_k, hash_at_k;
      for (int s = 0; s < 12; ++s) {
        if (s == 5) at_k = whole.serialize_state(), hash_at_k = hex(whole.state_hash());
        whole.step();
      }
      Trainer resumed(c, d, {NumericMode::exact, false, 2});
      resumed.restore_state(at_k);
      EXPECT_EQ(resumed.step_index(), 5);
      EXPECT_EQ(hex(resumed.state_hash()), hash_at_k);
      EXPECT_TRUE(std::isnan(resumed.last_loss()));
      while (resumed.step_index() < 12) resumed.step();
      EXPECT_EQ(hex(resumed.state_hash()), hex(whole.state_hash())) << where(c);
      EXPECT_EQ(resumed.last_loss(), whole.last_loss()) << where(c);
    }
}

uint32_t u32_at(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int b = 0; b < 4; ++b) v |= uint32_t{static_cast<uint8_t>(s[at + b])} << (8 * b);
  return v;
}

TEST(MlpState, FollowsTheDocumentedLayout) {
  for (const char* opt : kOptimizers) {
    const MlpConfig c = small_config("softmax_xent", opt);
    const Dataset d = small_data(c.loss);
    Trainer t(c, d, kExact1);
    for (int s = 0; s < 3; ++s) t.step();
    const std::string s = t.serialize_state();
    size_t params = 0;
    for (const auto& p : t.parameters()) params += p.size();
    const size_t header = 8 + 4 + 4 * c.layers.size() + 4 + 8;
    const uint32_t code = std::string(opt) == "sgd" ? 0 : std::string(opt) == "momentum" ? 1 : 2;
    const size_t slots = code == 0 ? 0 : code == 1 ? 4 * params : 8 + 8 * params;
    ASSERT_EQ(s.size(), header + 4 * params + slots) << opt;
    EXPECT_EQ(s.substr(0, 8), "GRIDMLP1");
    EXPECT_EQ(u32_at(s, 8), c.layers.size());
    for (size_t l = 0; l < c.layers.size(); ++l)
      EXPECT_EQ(u32_at(s, 12 + 4 * l), uint32_t(c.layers[l]));
    const size_t at_opt = 12 + 4 * c.layers.size();
    EXPECT_EQ(u32_at(s, at_opt), code);
    EXPECT_EQ(u32_at(s, at_opt + 4), 3u);  // i64 step, low half
    EXPECT_EQ(u32_at(s, at_opt + 8), 0u);
    uint32_t w00;
    std::memcpy(&w00, &t.parameters()[0][0], 4);
    EXPECT_EQ(u32_at(s, header), w00);
    if (code == 2) {
      EXPECT_EQ(u32_at(s, header + 4 * params), 3u);  // adam t
    }
    EXPECT_EQ(t.state_hash(), sha256(s));
  }
}

void expect_data_error(const std::function<void()>& f, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::data) << what;
  }
}

TEST(MlpState, RestoreRejectsAnotherShapeOrDamagedBytes) {
  const MlpConfig c = small_config("softmax_xent", "adam");
  const Dataset d = small_data(c.loss);
  Trainer t(c, d, kExact1);
  t.step();
  const std::string good = t.serialize_state();
  Trainer fresh(c, d, kExact1);
  const Digest before = fresh.state_hash();
  expect_data_error([&] { fresh.restore_state(good.substr(0, good.size() - 1)); }, "truncated");
  expect_data_error([&] { fresh.restore_state(good + "x"); }, "trailing byte");
  expect_data_error([&] { fresh.restore_state("GRIDMLP2" + good.substr(8)); }, "magic");
  expect_data_error([&] { fresh.restore_state(""); }, "empty");
  MlpConfig other = c;
  other.optimizer = "momentum";
  Trainer momentum(other, d, kExact1);
  expect_data_error([&] { fresh.restore_state(momentum.serialize_state()); }, "optimizer");
  other = c;
  other.layers = {6, 11, 8, 3};
  Trainer wider(other, d, kExact1);
  expect_data_error([&] { fresh.restore_state(wider.serialize_state()); }, "layers");
  EXPECT_EQ(fresh.state_hash(), before);  // a failed restore changes nothing
  fresh.restore_state(good);
  EXPECT_EQ(fresh.state_hash(), t.state_hash());
}

TEST(MlpModel, PredictFromModelBytesMatchesTheTrainer) {
  for (const char* loss : kLosses) {
    const MlpConfig c = small_config(loss, "adam");
    const Dataset d = small_data(loss);
    Trainer t(c, d, kExact1);
    for (int s = 0; s < 5; ++s) t.step();
    const std::string model = t.serialize_model();
    EXPECT_EQ(model.substr(0, 8), "GRIDMDL1");
    const std::vector<float> want = t.predict(d.x.data(), d.rows);
    const std::vector<float> got =
        mlp_predict(model, d.x.data(), d.rows, {NumericMode::exact, false, 3});
    ASSERT_EQ(got.size(), static_cast<size_t>(d.rows) * 3);
    EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * 4)) << loss;
    if (std::string(loss) == "softmax_xent") {
      for (int i = 0; i < d.rows; ++i)
        EXPECT_NEAR(got[i * 3] + got[i * 3 + 1] + got[i * 3 + 2], 1.0, 1e-6);
    }
    const std::string truncated = model.substr(0, model.size() - 4);
    expect_data_error([&] { mlp_predict(truncated, d.x.data(), 1, kExact1); }, "truncated model");
    expect_data_error([&] { mlp_predict(t.serialize_state(), d.x.data(), 1, kExact1); }, "a state");
  }
}

// --- (d) training works --------------------------------------------------

TEST(MlpTraining, HalvesTheLossOnBlobsAndTeacherData) {
  for (const char* loss : kLosses)
    for (const char* opt : kOptimizers) {
      MlpConfig c = small_config(loss, opt);
      c.layers = {8, 16, 3};
      c.batch = 16;
      const Dataset d = loss == std::string("mse") ? synthetic_teacher(kDataSeed, 300, 8, 3)
                                                   : synthetic_blobs(kDataSeed, 300, 8, 3);
      Trainer t(c, d, kExact1);
      const float before = t.evaluate_loss();
      for (int s = 0; s < 200; ++s) t.step();
      const float after = t.evaluate_loss();
      EXPECT_LT(after, 0.5f * before) << where(c) << ": " << before << " -> " << after;
      EXPECT_TRUE(std::isfinite(t.last_loss()));
    }
}

// --- (e) exact vs fast -----------------------------------------------------

TEST(MlpModes, ExactAndFastLossCurvesAgree) {
  for (const char* loss : kLosses)
    for (const char* opt : kOptimizers) {
      const MlpConfig c = small_config(loss, opt);
      const Dataset d = small_data(loss);
      Trainer exact(c, d, kExact1), fast(c, d, {NumericMode::fast, false, 2});
      for (int s = 0; s < 100; ++s) {
        exact.step();
        fast.step();
        ASSERT_NEAR(fast.last_loss(), exact.last_loss(), 1e-3 * std::fabs(exact.last_loss()) + 1e-6)
            << where(c) << " step " << s;
      }
      EXPECT_NEAR(fast.evaluate_loss(), exact.evaluate_loss(), 1e-3 * exact.evaluate_loss() + 1e-6);
    }
}

// --- (f) validation ----------------------------------------------------------

TEST(MlpConfigCheck, BadConfigsNameTheirField) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct Case {
    const char* field;
    std::function<void(MlpConfig&)> change;
  } cases[] = {
      {".train.model.layers", [](MlpConfig& c) { c.layers = {6}; }},
      {".train.model.layers", [](MlpConfig& c) { c.layers = {6, 0, 3}; }},
      {".train.model.layers", [](MlpConfig& c) { c.layers = {6, kMlpMaxWidth + 1, 3}; }},
      {".train.model.layers", [](MlpConfig& c) { c.layers = {6, 1 << 15, 1 << 15, 3}; }},
      {".train.loss", [](MlpConfig& c) { c.loss = "hinge"; }},
      {".train.optimizer.name", [](MlpConfig& c) { c.optimizer = "rmsprop"; }},
      {".train.optimizer.lr", [](MlpConfig& c) { c.lr = 0; }},
      {".train.optimizer.lr", [nan](MlpConfig& c) { c.lr = nan; }},
      {".train.optimizer.weight_decay", [](MlpConfig& c) { c.weight_decay = -1; }},
      {".train.optimizer.momentum", [](MlpConfig& c) { c.optimizer = "momentum", c.momentum = 1; }},
      {".train.optimizer.beta1", [](MlpConfig& c) { c.optimizer = "adam", c.beta1 = 1.0f; }},
      {".train.optimizer.beta2", [](MlpConfig& c) { c.optimizer = "adam", c.beta2 = -0.5f; }},
      {".train.optimizer.eps", [](MlpConfig& c) { c.optimizer = "adam", c.eps = 0.0f; }},
      {".train.batch", [](MlpConfig& c) { c.batch = 0; }},
      {".train.batch", [](MlpConfig& c) { c.batch = kMlpMaxBatch, c.layers = {6, 1024, 3}; }},
      {".train.steps", [](MlpConfig& c) { c.steps = -1; }},
  };
  const Dataset d = small_data("softmax_xent");
  for (const Case& k : cases) {
    MlpConfig c = small_config("softmax_xent", "sgd");
    k.change(c);
    try {
      Trainer t(c, d, kExact1);
      ADD_FAILURE() << k.field << ": accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::data) << e.describe();
      EXPECT_EQ(e.field(), k.field) << e.describe();
    }
  }
  // Hyperparameters of other optimizers are not checked.
  MlpConfig c = small_config("softmax_xent", "sgd");
  c.momentum = 7, c.beta1 = nan;
  EXPECT_NO_THROW(Trainer(c, d, kExact1));
  c.layers = {6, 10, 1};
  EXPECT_THROW(validate_mlp_config(c), Error);  // softmax over one output
}

TEST(MlpConfigCheck, DataThatDoesNotFitNamesItsField) {
  struct Case {
    const char* field;
    const char* loss;
    std::function<void(Dataset&)> change;
  } cases[] = {
      {".train.model.layers", "softmax_xent", [](Dataset& d) { d = synthetic_blobs(1, 10, 5, 3); }},
      {".train.model.layers", "softmax_xent", [](Dataset& d) { d = synthetic_blobs(1, 10, 6, 4); }},
      {".train.data", "softmax_xent", [](Dataset& d) { d.labels[7] = 3; }},
      {".train.data", "softmax_xent", [](Dataset& d) { d.labels.pop_back(); }},
      {".train.data", "softmax_xent", [](Dataset& d) { d.x[4] = std::nanf(""); }},
      {".train.data", "softmax_xent", [](Dataset& d) { d.x.pop_back(); }},
      {".train.data", "mse", [](Dataset& d) { d.targets.pop_back(); }},
      {".train.data", "mse", [](Dataset& d) { d.targets[0] = INFINITY; }},
  };
  for (const Case& k : cases) {
    Dataset d = small_data(k.loss);
    k.change(d);
    try {
      Trainer t(small_config(k.loss, "sgd"), d, kExact1);
      ADD_FAILURE() << k.field << ": accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::data) << e.describe();
      EXPECT_EQ(e.field(), k.field) << e.describe();
    }
  }
}

// --- (g) CUDA ----------------------------------------------------------------

TEST(MlpCuda, ExactCudaGemmGivesTheCpuHash) {
  if (std::string why; cuda_device_count(&why) == 0) GTEST_SKIP() << "no usable CUDA GPU: " << why;
  for (const char* loss : kLosses)
    for (const char* opt : kOptimizers) {
      const MlpConfig c = small_config(loss, opt);
      const Dataset d = small_data(loss);
      EXPECT_EQ(hash_after(c, d, {NumericMode::exact, true, 0}, c.steps),
                hash_after(c, d, kExact1, c.steps))
          << where(c);
    }
}

// Bits of two floats as a string, so a mismatch shows both.
std::string bits_of(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  char b[16];
  std::snprintf(b, sizeof b, "%08x", u);
  return b;
}

// The device-resident trainer (mlp_cuda.h) against the CPU, step by step:
// every state hash of the trace and every loss, with and without weight
// decay, on a net whose widths cross the GPU GEMM's 128-wide tiles and
// 4-float vectors; then the model and a whole-dataset loss.
TEST(MlpCuda, DeviceResidentTrainingGivesTheCpuTraceAndLosses) {
  if (std::string why; cuda_device_count(&why) == 0) GTEST_SKIP() << "no usable CUDA GPU: " << why;
  for (const char* loss : kLosses)
    for (const char* opt : kOptimizers)
      for (float decay : {0.0f, 0.01f}) {
        MlpConfig c = small_config(loss, opt);
        c.layers = {6, 130, 9, 3};
        c.weight_decay = decay;
        const Dataset d = small_data(loss);
        Trainer cpu(c, d, kExact1), gpu(c, d, {NumericMode::exact, true, 0});
        const std::string at = where(c) + " weight_decay " + std::to_string(decay);
        ASSERT_EQ(hex(gpu.state_hash()), hex(cpu.state_hash())) << at << " before any step";
        for (int s = 1; s <= c.steps; ++s) {
          cpu.step();
          gpu.step();
          ASSERT_EQ(bits_of(gpu.last_loss()), bits_of(cpu.last_loss())) << at << " loss of step " << s;
          ASSERT_EQ(hex(gpu.state_hash()), hex(cpu.state_hash())) << at << " state after step " << s;
        }
        EXPECT_EQ(hex(sha256(gpu.serialize_model())), hex(sha256(cpu.serialize_model()))) << at;
        EXPECT_EQ(bits_of(gpu.evaluate_loss()), bits_of(cpu.evaluate_loss())) << at;
      }
}

// A checkpoint made on the CPU resumes on the device (restore_state sends
// it over), and steps run without reading the state in between (the
// device keeps it) end where the CPU's do.
TEST(MlpCuda, DeviceTrainerResumesACpuCheckpointAndKeepsItsStateBetweenReads) {
  if (std::string why; cuda_device_count(&why) == 0) GTEST_SKIP() << "no usable CUDA GPU: " << why;
  for (const char* loss : kLosses)
    for (const char* opt : kOptimizers) {
      MlpConfig c = small_config(loss, opt);
      c.steps = 30;
      const Dataset d = small_data(loss);
      Trainer cpu(c, d, kExact1), gpu(c, d, {NumericMode::exact, true, 0});
      for (int s = 0; s < 4; ++s) gpu.step();  // state on the device, then replaced below
      for (int s = 0; s < 7; ++s) cpu.step();
      gpu.restore_state(cpu.serialize_state());
      EXPECT_TRUE(std::isnan(gpu.last_loss())) << where(c);
      while (!cpu.done()) cpu.step(), gpu.step();
      EXPECT_EQ(hex(gpu.state_hash()), hex(cpu.state_hash())) << where(c);
      EXPECT_EQ(bits_of(gpu.last_loss()), bits_of(cpu.last_loss())) << where(c);
    }
}

// Fast mode on the device (cuBLAS, expf/logf) is not bit-exact, but trains
// the same net to about the same loss as fast mode on the CPU.
TEST(MlpCuda, FastDeviceTrainingStaysNearTheCpus) {
  if (std::string why; cuda_device_count(&why) == 0) GTEST_SKIP() << "no usable CUDA GPU: " << why;
  for (const char* loss : kLosses)
    for (const char* opt : kOptimizers) {
      const MlpConfig c = small_config(loss, opt);
      const Dataset d = small_data(loss);
      Trainer cpu(c, d, kFast1), gpu(c, d, {NumericMode::fast, true, 0});
      while (!cpu.done()) cpu.step(), gpu.step();
      EXPECT_NEAR(gpu.last_loss(), cpu.last_loss(), 1e-3 * std::fabs(cpu.last_loss()) + 1e-5) << where(c);
      EXPECT_NEAR(gpu.evaluate_loss(), cpu.evaluate_loss(), 1e-3 * std::fabs(cpu.evaluate_loss()) + 1e-5) << where(c);
    }
}

// Without a GPU, a CUDA trainer's step is refused as a DeviceError (what
// job-run turns into exit 69) and leaves the state as it was.
TEST(TrainerWithoutGpu, CudaStepIsADeviceErrorAndChangesNothing) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU answers here";
  const MlpConfig c = small_config("softmax_xent", "adam");
  const Dataset d = small_data("softmax_xent");
  Trainer t(c, d, {NumericMode::exact, true, 0});
  const std::string before = hex(t.state_hash());
  EXPECT_THROW(t.step(), DeviceError);
  EXPECT_EQ(t.step_index(), 0);
  EXPECT_EQ(hex(t.state_hash()), before);
  EXPECT_TRUE(std::isnan(t.last_loss()));
}

}  // namespace
}  // namespace grid
