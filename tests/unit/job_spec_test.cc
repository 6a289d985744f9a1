#include "jobs/job_spec.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "core/error.h"
#include "core/message.h"
#include "jobs/kind_render.h"
#include "jobs/task_cost.h"
#include "jobs/train_sweep.h"

namespace grid {
namespace {

json train_job() {
  return json::parse(R"({"kind":"job","v":1,"type":"train","train":{"model":{"layers":[4,8,3]},"loss":"softmax_xent",
    "optimizer":{"name":"sgd","lr":0.1},"batch":8,"steps":10,"seed":1,"checkpoint_every":5,
    "data":{"synthetic":{"kind":"blobs","rows":64,"features":4,"classes":3,"seed":2}}}})");
}

std::string field_of(const json& job) {
  try {
    validate_job(job);
  } catch (const Error& e) {
    return e.field();
  }
  return "(valid)";
}

TEST(ProportionalParts, SumsToTotalAndFollowsWeights) {
  std::mt19937 rng(4242);
  for (int trial = 0; trial < 500; ++trial) {
    int64_t total = rng() % 10000;
    std::vector<double> w(1 + rng() % 7);
    for (double& x : w) x = (rng() % 1000) / 10.0;
    w[0] += 0.1;
    auto parts = proportional_parts(total, w);
    ASSERT_EQ(std::accumulate(parts.begin(), parts.end(), int64_t{0}), total) << "seed 4242 trial " << trial;
    double sum = std::accumulate(w.begin(), w.end(), 0.0);
    for (size_t i = 0; i < w.size(); ++i) EXPECT_LE(std::abs(parts[i] - total * w[i] / sum), 1.0);
  }
  EXPECT_EQ(proportional_parts(8, {3, 1}), (std::vector<int64_t>{6, 2}));
  EXPECT_THROW(proportional_parts(5, {0, 0}), Error);
}

TEST(EvenRanges, CoverWithoutGapsOrEmpties) {
  for (int64_t total : {1, 7, 100, 1001}) {
    for (int64_t parts : {1, 3, 8, 2000}) {
      auto r = even_ranges(total, parts);
      ASSERT_FALSE(r.empty());
      EXPECT_EQ(r.front().first, 0);
      EXPECT_EQ(r.back().second, total);
      for (size_t i = 0; i < r.size(); ++i) {
        EXPECT_LT(r[i].first, r[i].second);
        if (i) {
          EXPECT_EQ(r[i].first, r[i - 1].second);
        }
      }
    }
  }
}

TEST(TaskSeed, IsTheDocumentedHashPrefix) {
  Digest d = sha256(std::string("sha256:abc:3"));
  uint64_t want = 0;
  for (int i = 0; i < 8; ++i) want = want << 8 | d[i];
  EXPECT_EQ(task_seed("sha256:abc", 3), want >> 11);
  EXPECT_NE(task_seed("sha256:abc", 3), task_seed("sha256:abc", 4));
}

TEST(SplitJob, DeterministicAndComplete) {
  json job = train_job();
  job["train"]["sweep"] = {{"grid", {{"optimizer.lr", {0.1, 0.01}}, {"batch", {4, 8, 16}}}}};
  validate_job(job);
  auto a = split_job(job, {});
  auto b = split_job(job, {});
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a, b);
  // Grid order: paths sorted ("batch" < "optimizer.lr"), last varies fastest.
  EXPECT_EQ(a[0]["train"]["batch"], 4);
  EXPECT_EQ(a[1]["train"]["optimizer"]["lr"], 0.01);
  EXPECT_EQ(a[5]["train"]["batch"], 16);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["index"], i);
    EXPECT_EQ(a[i]["count"], 6);
    EXPECT_EQ(a[i]["job"], message_id(job));
    EXPECT_FALSE(a[i]["train"].contains("sweep"));
  }
}

TEST(SplitJob, RandomSweepDrawsInRangeAndRepeats) {
  json spec = train_job()["train"];
  spec["sweep"] = json::parse(R"({"random":50,"ranges":{"optimizer.lr":{"min":0.001,"max":0.1,"scale":"log"},
                                  "batch":{"values":[2,4]}}})");
  auto pts = expand_sweep(spec, 99);
  ASSERT_EQ(pts.size(), 50u);
  for (const auto& p : pts) {
    double lr = p.spec["optimizer"]["lr"];
    EXPECT_GE(lr, 0.001 * 0.9999);
    EXPECT_LE(lr, 0.1 * 1.0001);
    EXPECT_TRUE(p.spec["batch"] == 2 || p.spec["batch"] == 4);
  }
  EXPECT_EQ(expand_sweep(spec, 99)[7].settings, pts[7].settings);
  EXPECT_NE(expand_sweep(spec, 100)[7].settings, pts[7].settings);
}

TEST(ValidateJob, ErrorsNameTheField) {
  json j = train_job();
  EXPECT_EQ(field_of(j), "(valid)");
  j["train"]["model"]["layers"] = {4};
  EXPECT_EQ(field_of(j), ".train.model.layers");
  j = train_job();
  j["train"]["model"]["layers"][0] = 5;
  EXPECT_EQ(field_of(j), ".train.model.layers[0]");
  j = train_job();
  j["train"]["checkpoint_every"] = 11;
  EXPECT_EQ(field_of(j), ".train.checkpoint_every");
  j = train_job();
  j["train"]["optimizer"]["name"] = "lbfgs";
  EXPECT_EQ(field_of(j), ".train.optimizer.name");
  j = train_job();
  j["type"] = "bake";
  EXPECT_EQ(field_of(j), ".type");
  j = train_job();
  j["train"]["sweep"] = {{"grid", json::object()}};
  EXPECT_EQ(field_of(j), ".train.sweep.grid");
  j = json::parse(R"({"kind":"job","v":1,"type":"gemm","gemm":{"m":4,"n":4,"k":4,"seed":1,"dtype":"bf16"}})");
  EXPECT_EQ(field_of(j), ".gemm.dtype");
}

TEST(SplitJob, WeightedGemmShardsFollowRates) {
  json job = json::parse(R"({"kind":"job","v":1,"type":"gemm","gemm":{"m":100,"n":4,"k":4,"seed":1}})");
  SplitOptions opt;
  opt.weights = {{"ed25519:aa", "sha256:p1", 3.0}, {"ed25519:bb", "sha256:p2", 1.0}};
  auto tasks = split_job(job, opt);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0]["gemm"]["row_end"], 75);
  EXPECT_EQ(tasks[0]["provider"], "ed25519:aa");
  EXPECT_EQ(tasks[1]["gemm"]["row_begin"], 75);
  EXPECT_EQ(tasks[1]["profile"], "sha256:p2");
}

json render_job() {
  json j = json::parse(R"({"kind":"job","v":1,"type":"render","render":{
    "scene":{"sha256":"sha256:0000000000000000000000000000000000000000000000000000000000000000",
             "url":"http://127.0.0.1:1/scene.blend"},
    "frames":{"start":1,"end":48,"step":1},"resolution":{"width":64,"height":48},
    "samples":8,"seed":7,"engine":"CYCLES","device":"cpu","output":"PNG"}})");
  return j;
}

TEST(RenderSpec, ErrorsNameTheField) {
  EXPECT_EQ(field_of(render_job()), "(valid)");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/render/scene/sha256", ".render.scene.sha256"}, {"/render/frames/end", ".render.frames.end"},
      {"/render/resolution/width", ".render.resolution.width"}, {"/render/samples", ".render.samples"},
      {"/render/seed", ".render.seed"}, {"/render/engine", ".render.engine"}, {"/render/device", ".render.device"},
      {"/render/output", ".render.output"}};
  for (const auto& [pointer, field] : cases) {
    json j = render_job();
    j[json::json_pointer(pointer)] = pointer == "/render/frames/end" ? json(0) : json("EEVEE");
    EXPECT_EQ(field_of(j), field) << pointer;
  }
  json j = render_job();
  j["render"]["tiles"] = {{"x", 65}, {"y", 1}};
  EXPECT_EQ(field_of(j), ".render.tiles.x");
  j = render_job();
  j["render"]["denoise"] = true;
  EXPECT_EQ(field_of(j), ".render.denoise");
  j = render_job();
  j["render"]["seed"] = int64_t{1} << 31;
  EXPECT_EQ(field_of(j), ".render.seed");
}

TEST(RenderSpec, SplitCutsConsecutiveFrames) {
  json job = render_job();
  job["render"]["frames"] = {{"start", 10}, {"end", 30}, {"step", 2}};  // 11 frames
  SplitOptions opt;
  std::vector<json> tasks = split_job(job, opt);
  ASSERT_EQ(tasks.size(), 2u);  // at most 8 frames a task by default, evenly
  EXPECT_EQ(tasks[0]["render"]["frames"], json({{"start", 10}, {"end", 18}, {"step", 2}}));
  EXPECT_EQ(tasks[1]["render"]["frames"], json({{"start", 20}, {"end", 30}, {"step", 2}}));
  EXPECT_EQ(tasks[1]["flops"], 6 * 64 * 48 * 8);
  for (const json& t : tasks) EXPECT_NO_THROW(validate_task(t));

  opt.weights = {{"ed25519:a", "sha256:p1", 5.0, 3e6}, {"ed25519:b", "sha256:p2", 1.0, 1e6}};
  tasks = split_job(job, opt);  // by render rate, not GEMM rate: 3:1
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(render_frame_numbers(tasks[0]["render"]).size(), 8u);
  EXPECT_EQ(tasks[0]["provider"], "ed25519:a");
  opt.weights[1].render_rate = 0;
  try {
    split_job(job, opt);
    FAIL() << "a profile without a render rate was used";
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), ".summary.render_samples_per_s");
  }
}

TEST(RenderSpec, WorkCountsFramesPixelsAndSamples) {
  json task = render_job();
  task["kind"] = "task";
  std::string why;
  auto w = task_work(task, &why);
  ASSERT_TRUE(w) << why;
  EXPECT_DOUBLE_EQ(w->at("frame"), 48);
  EXPECT_DOUBLE_EQ(w->at("mpixel"), 48.0 * 64 * 48 / 1e6);
  EXPECT_DOUBLE_EQ(w->at("msample"), 48.0 * 64 * 48 * 8 / 1e6);
  EXPECT_DOUBLE_EQ(w->at("blender_start"), 1);
}

}  // namespace
}  // namespace grid
