#include "jobs/task_cost.h"

#include <gtest/gtest.h>

#include <set>

#include "jobs/job_spec.h"

namespace grid {
namespace {

json train_task(const std::string& optimizer) {
  json t = json::parse(R"({"type":"train","mode":"exact","train":{"model":{"layers":[4,8,3]},"loss":"softmax_xent",
    "optimizer":{"name":"sgd","lr":0.1},"batch":8,"steps":10,"seed":1,"checkpoint_every":5,
    "data":{"synthetic":{"kind":"blobs","rows":64,"features":4,"classes":3,"seed":2}}}})");
  t["train"]["optimizer"]["name"] = optimizer;
  return t;
}

TEST(TaskCost, OneRowForEachJobKind) {
  std::set<std::string> jobs, costs;
  for (const JobKind& k : job_kinds()) jobs.insert(k.name);
  for (const TaskCostKind& k : task_cost_kinds()) EXPECT_TRUE(costs.insert(k.name).second) << k.name << " has two rows";
  EXPECT_EQ(costs, jobs) << "task_cost_kinds() and job_kinds() name different kinds";
}

TEST(TaskCost, TrainCountsStepsFlopsStateAndCheckpoints) {
  std::string why;
  auto w = task_work(train_task("adam"), &why);
  ASSERT_TRUE(w) << why;
  // 4*8 + 8*3 = 56 MACs a row; parameters 56 + 8 + 3 = 67; adam keeps 3 copies.
  EXPECT_DOUBLE_EQ(w->at("task"), 1);
  EXPECT_DOUBLE_EQ(w->at("step"), 10);
  EXPECT_DOUBLE_EQ(w->at("mrow"), 8.0 * 10 / 1e6);
  EXPECT_DOUBLE_EQ(w->at("gflop"), 6.0 * 8 * 56 * 10 / 1e9);
  EXPECT_DOUBLE_EQ(w->at("state_mb"), 4.0 * 67 * 3 / 1e6 * 10);
  // Checkpoints at 0, 5 and 10: three writes each, and model, result, reference.
  EXPECT_DOUBLE_EQ(w->at("store_write"), 3 * 3 + 3);
  EXPECT_DOUBLE_EQ(w->at("data_mvalue"), 64.0 * (4 + 3) / 1e6);
  auto sgd = task_work(train_task("sgd"), &why);
  EXPECT_DOUBLE_EQ(sgd->at("state_mb"), 4.0 * 67 / 1e6 * 10);
}

TEST(TaskCost, ExecCountsItsWallTimeLimit) {
  std::string why;
  json e = {{"type", "exec"}, {"exec", {{"command", {"true"}}, {"image", "host"}}}};
  auto w = task_work(e, &why);
  ASSERT_TRUE(w) << why;
  EXPECT_DOUBLE_EQ(w->at("task"), 1);
  EXPECT_DOUBLE_EQ(w->at("exec_second"), 600);  // SandboxLimits' default
  e["exec"]["limits"] = {{"wall_seconds", 2.5}};
  w = task_work(e, &why);
  ASSERT_TRUE(w) << why;
  EXPECT_DOUBLE_EQ(w->at("exec_second"), 2.5);
}

TEST(TaskCost, GemmAndInferCountTheirShard) {
  std::string why;
  json g = {{"type", "gemm"}, {"gemm", {{"m", 100}, {"n", 20}, {"k", 30}, {"seed", 1}, {"row_begin", 10}, {"row_end", 60}}}};
  auto w = task_work(g, &why);
  ASSERT_TRUE(w) << why;
  EXPECT_DOUBLE_EQ(w->at("gflop"), 2.0 * 50 * 20 * 30 / 1e9);
  EXPECT_DOUBLE_EQ(w->at("melement"), (50.0 * 30 + 30 * 20 + 50 * 20) / 1e6);
  json i = json::parse(R"({"type":"infer","infer":{"model":{"sha256":"sha256:ea8449119803e11ef45a086066894abf2f8a4da9052b1b65fa7bf225bc938a7d","layers":[8,32,3]},
    "data":{"synthetic":{"kind":"blobs","rows":8192,"features":8,"classes":3,"seed":5}},"batch":512,
    "row_begin":0,"row_end":4096}})");
  w = task_work(i, &why);
  ASSERT_TRUE(w) << why;
  EXPECT_DOUBLE_EQ(w->at("batch"), 8);
  EXPECT_DOUBLE_EQ(w->at("mrow"), 4096 / 1e6);  // the shard's rows, not the dataset's
  EXPECT_DOUBLE_EQ(w->at("gflop"), 2.0 * 4096 * (8 * 32 + 32 * 3) / 1e9);
  EXPECT_DOUBLE_EQ(w->at("data_mvalue"), 8192.0 * 8 / 1e6);  // the whole dataset is loaded
  i["infer"]["model"].erase("layers");
  EXPECT_FALSE(task_work(i, &why));
  EXPECT_NE(why.find("model.layers"), std::string::npos) << why;
}

TEST(TaskCost, AMalformedSpecIsNotCountedAndSaysWhy) {
  std::string why;
  json t = train_task("sgd");
  t["train"]["model"].erase("layers");
  EXPECT_FALSE(task_work(t, &why));
  EXPECT_NE(why.find(".train.model"), std::string::npos) << why;
  t = train_task("sgd");
  t["train"]["steps"] = "many";
  EXPECT_FALSE(task_work(t, &why));
  EXPECT_NE(why.find(".train.steps"), std::string::npos) << why;
  EXPECT_FALSE(task_work({{"type", "gemm"}, {"gemm", {{"m", 4}}}}, &why));
  EXPECT_FALSE(task_work({{"type", "gemm"}, {"gemm", 5}}, &why));
  EXPECT_NE(why.find("no gemm part"), std::string::npos) << why;
}

TEST(TaskCost, SecondsAreUnitsTimesCostsAndAMissingCostIsNamed) {
  std::string why;
  TaskWork w = {{"task", 1}, {"step", 100}, {"gflop", 0}};
  auto s = work_seconds(w, {{"task", 0.5}, {"step", 0.01}}, &why);  // a zero count needs no cost
  ASSERT_TRUE(s) << why;
  EXPECT_DOUBLE_EQ(*s, 1.5);
  EXPECT_FALSE(work_seconds(w, {{"task", 0.5}}, &why));
  EXPECT_NE(why.find("\"step\""), std::string::npos) << why;
  EXPECT_FALSE(task_work({{"type", "render"}, {"render", json::object()}}, &why));
  EXPECT_NE(why.find("render"), std::string::npos) << why;
}

}  // namespace
}  // namespace grid
