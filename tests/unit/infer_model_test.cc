// The infer kind's inputs: models and training checkpoints read by
// read_mlp_model / infer_model, the width check every prediction passes,
// and inputs fetched by URL through the content store (input_fetch.h).
#include "compute/infer_model.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "core/error.h"
#include "core/file_io.h"
#include "jobs/input_fetch.h"
#include "core/store.h"
#include "compute/synthetic_data.h"
#include "temp_dir.h"

namespace grid {
namespace {

const GemmEngine kExact1{NumericMode::exact, false, 1};
const uint64_t kDataSeed = 31;  // data and training seeds, fixed

// Runs fn, which must throw Error(Exit::data) at `field`.
void expect_data_error(const std::function<void()>& fn, const std::string& field, const std::string& what) {
  try {
    fn();
    ADD_FAILURE() << what << ": no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::data) << what << ": " << e.what();
    EXPECT_EQ(e.field(), field) << what << ": " << e.what();
  }
}

MlpConfig config(const std::string& loss, const std::string& optimizer) {
  MlpConfig c;
  c.layers = {5, 9, 3};
  c.loss = loss;
  c.optimizer = optimizer;
  c.lr = 0.05f;
  c.batch = 8;
  c.seed = 17;
  return c;
}

Dataset data_for(const std::string& loss) {
  return loss == "mse" ? synthetic_teacher(kDataSeed, 40, 5, 3) : synthetic_blobs(kDataSeed, 40, 5, 3);
}

TEST(InferModel, ACheckpointHoldsTheSameWeightsAsTheModel) {
  for (const char* loss : {"softmax_xent", "mse"})
    for (const char* opt : {"sgd", "momentum", "adam"}) {
      const Dataset d = data_for(loss);
      Trainer t(config(loss, opt), d, kExact1);
      for (int s = 0; s < 4; ++s) t.step();
      const MlpModel from_state = read_mlp_model(t.serialize_state());
      const MlpModel from_model = read_mlp_model(t.serialize_model());
      EXPECT_FALSE(from_state.has_loss);
      EXPECT_TRUE(from_model.has_loss);
      EXPECT_EQ(from_model.loss, std::string(loss) == "mse" ? MlpLoss::mse : MlpLoss::softmax_xent);
      EXPECT_EQ(from_state.layers, t.config().layers);
      EXPECT_EQ(from_state.params, t.parameters()) << loss << "/" << opt;
      EXPECT_EQ(from_model.params, t.parameters()) << loss << "/" << opt;
      // Predictions from the checkpoint, its loss named, are the trainer's bits.
      const MlpModel m = infer_model(t.serialize_state(), {{"loss", loss}}, ".infer.model");
      const std::vector<float> got = mlp_predict(m, d.x.data(), d.rows, d.features, kExact1);
      const std::vector<float> want = t.predict(d.x.data(), d.rows);
      ASSERT_EQ(got.size(), want.size());
      EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * 4)) << loss << "/" << opt;
    }
}

TEST(InferModel, MalformedBytesNameTheModelsField) {
  const Dataset d = data_for("softmax_xent");
  Trainer t(config("softmax_xent", "adam"), d, kExact1);
  const std::string state = t.serialize_state(), model = t.serialize_model();
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "empty"},
      {"GRIDMDL2" + model.substr(8), "another magic"},
      {"P6\n1 1\n255\n", "not a model at all"},
      {state.substr(0, state.size() - 4), "a truncated checkpoint (its adam slots)"},
      {state + "x", "a checkpoint with bytes after it"},
      {model.substr(0, model.size() - 1), "a truncated model"},
  };
  for (const auto& [bytes, what] : bad)
    expect_data_error([&] { infer_model(bytes, {{"loss", "softmax_xent"}}, ".infer.model"); }, ".infer.model.sha256",
                      what);
  std::string wrong_optimizer = state;
  wrong_optimizer[8 + 4 + 3 * 4] = 7;  // after magic, n and 3 layers: the optimizer code
  expect_data_error([&] { infer_model(wrong_optimizer, {{"loss", "mse"}}, ".infer.model"); }, ".infer.model.sha256",
                    "an unknown optimizer code");
}

TEST(InferModel, TheLossAndLayersMustAgreeWithTheSpec) {
  const Dataset d = data_for("softmax_xent");
  Trainer t(config("softmax_xent", "sgd"), d, kExact1);
  expect_data_error([&] { infer_model(t.serialize_state(), json::object(), ".infer.model"); }, ".infer.model.loss",
                    "a checkpoint without a loss");
  expect_data_error([&] { infer_model(t.serialize_model(), {{"loss", "mse"}}, ".infer.model"); }, ".infer.model.loss",
                    "a loss other than the model's");
  EXPECT_EQ(infer_model(t.serialize_model(), {{"loss", "softmax_xent"}}, ".infer.model").loss, MlpLoss::softmax_xent);
  expect_data_error([&] { infer_model(t.serialize_model(), {{"layers", {5, 10, 3}}}, ".infer.model"); },
                    ".infer.model.layers", "other layers");
  EXPECT_EQ(infer_model(t.serialize_model(), {{"layers", {5, 9, 3}}}, ".infer.model").layers, t.config().layers);
}

TEST(InferModel, DataOfAnotherWidthIsRefusedBeforeAnyRowIsRead) {
  const Dataset d = data_for("softmax_xent");
  Trainer t(config("softmax_xent", "sgd"), d, kExact1);
  const MlpModel m = read_mlp_model(t.serialize_model());
  for (int features : {1, 4, 6, 20}) {
    // Exactly as many floats as the data holds: a width that slipped
    // through would read past the end (the sanitizers would see it).
    const std::vector<float> x(static_cast<size_t>(features) * 3, 0.5f);
    expect_data_error([&] { mlp_predict(m, x.data(), 3, features, kExact1); }, ".infer.data",
                      std::to_string(features) + " features");
  }
  try {
    mlp_predict(m, nullptr, 0, 4, kExact1);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "the data has 4 features, the model takes 5");
  }
}

// ---- input_fetch ---------------------------------------------------------

class FetchInputTest : public TempDirTest {
 protected:
  std::vector<std::string> entries(const std::string& sub) const {
    std::vector<std::string> out;
    if (DIR* d = ::opendir((dir_ + "/" + sub).c_str())) {
      while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') out.push_back(e->d_name);
      ::closedir(d);
    }
    return out;
  }
};

TEST_F(FetchInputTest, ADownloadIsKeptInTheStoreAndUsedFromThereNextTime) {
  const std::string bytes = "the bytes of an input\n";
  write_file_atomic(dir_ + "/input.bin", bytes, 0644);
  const Digest key = sha256(bytes);
  Store store(dir_ + "/store");
  EXPECT_EQ(fetch_input("file://" + dir_ + "/input.bin", key, &store, ".infer.data.x"), bytes);
  EXPECT_TRUE(store.intact(key));
  EXPECT_TRUE(entries("store/tmp").empty()) << "a download or lock file was left";
  struct stat st;
  ASSERT_EQ(::stat(store.path(key).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  ::unlink((dir_ + "/input.bin").c_str());
  EXPECT_EQ(fetch_input("file://" + dir_ + "/input.bin", key, &store, ".infer.data.x"), bytes);
}

TEST_F(FetchInputTest, AMismatchNamesTheFieldAndKeepsNothing) {
  write_file_atomic(dir_ + "/input.bin", "other bytes", 0644);
  const Digest key = sha256(std::string("the promised bytes"));
  Store store(dir_ + "/store");
  expect_data_error([&] { fetch_input("file://" + dir_ + "/input.bin", key, &store, ".train.data.y"); },
                    ".train.data.y.sha256", "with a store");
  EXPECT_FALSE(store.has(key));
  EXPECT_TRUE(entries("store/tmp").empty());
  EXPECT_TRUE(entries("store/sha256").empty());
  expect_data_error([&] { fetch_input("file://" + dir_ + "/input.bin", key, nullptr, ".infer.model"); },
                    ".infer.model.sha256", "without a store");
}

TEST_F(FetchInputTest, ACorruptStoredObjectIsFetchedAgain) {
  const std::string bytes = "good bytes";
  write_file_atomic(dir_ + "/input.bin", bytes, 0644);
  const Digest key = sha256(bytes);
  Store store(dir_ + "/store");
  store.put(bytes);
  ::chmod(store.path(key).c_str(), 0644);
  write_file_atomic(store.path(key), "bad bytes!", 0644);
  EXPECT_EQ(fetch_input("file://" + dir_ + "/input.bin", key, &store, ".x"), bytes);
  EXPECT_TRUE(store.intact(key));
}

}  // namespace
}  // namespace grid
