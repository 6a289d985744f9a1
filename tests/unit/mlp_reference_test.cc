// Exact-mode training against tests/mlp_reference.py, an independent float64
// NumPy implementation of mlp.h's DEFINITION: the init bit for bit, the
// batch draws exactly, the loss curve and final weights within a tolerance.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "compute/mlp.h"
#include "compute/synthetic_data.h"

namespace grid {
namespace {

// Debian's python3, which has numpy (the first python3 on PATH may not).
const char kPython[] = "/usr/bin/python3";

std::string hexfloat(float x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "\"%a\"", static_cast<double>(x));
  return buf;
}

// JSON written by hand: nlohmann's constructors trip GCC 12's -Warray-bounds
// at -O2 (a false positive) in some inlining contexts.
template <typename T, typename F>
std::string json_list(const std::vector<T>& v, F item) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + item(v[i]);
  return out + "]";
}

std::string reference_spec(const MlpConfig& c, const Dataset& d, const std::string& initial,
                           const std::string& final_state) {
  const auto num = [](auto x) { return std::to_string(x); };
  const auto quoted = [](const std::string& x) { return "\"" + x + "\""; };
  return "{\"layers\":" + json_list(c.layers, num) + ",\"loss\":" + quoted(c.loss) +
         ",\"optimizer\":" + quoted(c.optimizer) + ",\"lr\":" + hexfloat(c.lr) +
         ",\"momentum\":" + hexfloat(c.momentum) + ",\"beta1\":" + hexfloat(c.beta1) +
         ",\"beta2\":" + hexfloat(c.beta2) + ",\"eps\":" + hexfloat(c.eps) +
         ",\"weight_decay\":" + hexfloat(c.weight_decay) + ",\"batch\":" + num(c.batch) +
         ",\"steps\":" + num(c.steps) + ",\"seed\":" + num(c.seed) + ",\"rows\":" + num(d.rows) +
         ",\"features\":" + num(d.features) + ",\"outputs\":" + num(d.outputs) +
         ",\"x\":" + json_list(d.x, hexfloat) + ",\"labels\":" + json_list(d.labels, num) +
         ",\"targets\":" + json_list(d.targets, hexfloat) +
         ",\"initial_state\":" + quoted(hex(initial.data(), initial.size())) +
         ",\"final_state\":" + quoted(hex(final_state.data(), final_state.size())) + "}";
}

TEST(MlpReference, LossCurveMatchesAFloat64NumPyImplementation) {
  if (std::system((std::string(kPython) + " -c 'import numpy' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << kPython << " with numpy is not installed";
  const char* root = std::getenv("GRIDUTILS_ROOT");
  const std::string script = std::string(root ? root : ".") + "/tests/mlp_reference.py";
  ASSERT_TRUE(std::ifstream(script).good())
      << script << " not found: set GRIDUTILS_ROOT to the checkout";
  struct Case {
    const char* loss;
    const char* opt;
    float lr, weight_decay;
    int micro_batches;  // the float64 reference sums the whole batch at once
  } cases[] = {{"softmax_xent", "adam", 0.01f, 0, 1},
               {"softmax_xent", "sgd", 0.1f, 0, 1},
               {"mse", "momentum", 0.02f, 0.01f, 1},
               {"softmax_xent", "adam", 0.01f, 0, 4},
               {"mse", "momentum", 0.02f, 0.01f, 8}};
  for (const Case& k : cases) {
    MlpConfig c;
    c.layers = {8, 16, 3};
    c.loss = k.loss;
    c.optimizer = k.opt;
    c.lr = k.lr;
    c.weight_decay = k.weight_decay;
    c.batch = 16;
    c.micro_batches = k.micro_batches;
    c.steps = 50;
    c.seed = 4242;
    const Dataset d = std::string(k.loss) == "mse" ? synthetic_teacher(77, 120, 8, 3)
                                                   : synthetic_blobs(77, 120, 8, 3);
    Trainer t(c, d, {NumericMode::exact, false, 1});
    const std::string initial = t.serialize_state();
    std::vector<float> losses;
    while (!t.done()) t.step(), losses.push_back(t.last_loss());

    const std::string base = ::testing::TempDir() + "mlp_reference_" + std::to_string(getpid());
    std::ofstream(base + ".in.json") << reference_spec(c, d, initial, t.serialize_state());
    const std::string cmd =
        std::string(kPython) + " " + script + " " + base + ".in.json > " + base + ".out.txt";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::map<std::string, std::vector<double>> out;  // "name v1 v2 ..." per line
    std::ifstream text(base + ".out.txt");
    for (std::string line; std::getline(text, line);) {
      std::istringstream fields(line);
      std::string name;
      fields >> name;
      for (double v; fields >> v;) out[name].push_back(v);
    }
    std::remove((base + ".in.json").c_str());
    std::remove((base + ".out.txt").c_str());

    const std::string what = c.loss + "/" + c.optimizer + "/" + std::to_string(c.micro_batches) + " micro-batches";
    EXPECT_EQ(out["init_bits_match"], std::vector<double>{1}) << what;
    const std::vector<int32_t> rows0 = t.batch_rows(0);
    EXPECT_EQ(out["batch_rows_step0"], std::vector<double>(rows0.begin(), rows0.end())) << what;
    const std::vector<double>& ref = out["losses"];
    ASSERT_EQ(ref.size(), losses.size()) << what;
    // Measured: 3e-6 relative at worst (adam), and 3e-7 in the weights.
    for (size_t s = 0; s < ref.size(); ++s) {
      EXPECT_NEAR(losses[s], ref[s], 1e-4 * std::fabs(ref[s])) << what << " step " << s;
    }
    ASSERT_EQ(out["eval_loss"].size(), 1u) << what;
    EXPECT_NEAR(t.evaluate_loss(), out["eval_loss"][0], 1e-4 * out["eval_loss"][0]) << what;
    ASSERT_EQ(out["final_max_weight_diff"].size(), 1u) << what;
    EXPECT_LT(out["final_max_weight_diff"][0], 1e-5) << what;
  }
}

}  // namespace
}  // namespace grid
