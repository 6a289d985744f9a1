// One validator per kind, for job-split, job-run and lease-bid order: on
// random specs, valid and not, job-split accepts exactly what job-run's
// check of the same content (validate_task) accepts, and every task it
// cuts passes that check. Random sweeps are left out: their draws depend on
// the job's id, and job-split checks the configurations it really draws.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "jobs/job_spec.h"

namespace grid {
namespace {

constexpr uint64_t kSeed = 20261206;
constexpr int kSpecs = 600;

using Rng = std::mt19937_64;

int64_t pick(Rng& rng, int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); }

const std::string kZeroSha = "sha256:" + std::string(64, '0');

json file_ref(Rng& rng, const std::string& name) {
  if (pick(rng, 0, 1)) return {{"path", name}};
  return {{"url", "https://example.org/" + name}, {"sha256", kZeroSha}};
}

json data_spec(Rng& rng, int64_t features, int64_t outputs, bool blobs, bool labels) {
  if (pick(rng, 0, 2)) {
    json s = {{"kind", blobs ? "blobs" : "teacher"}, {"rows", pick(rng, 1, 5000)}, {"features", features},
              {"seed", pick(rng, 0, 1000)}};
    s[blobs ? "classes" : "outputs"] = outputs;
    return {{"synthetic", s}};
  }
  json d = {{"format", pick(rng, 0, 1) ? "csv" : "npy"}, {"x", file_ref(rng, "x")}, {"rows", pick(rng, 1, 5000)}};
  if (labels) d["y"] = file_ref(rng, "y");
  if (d["format"] == "csv" && pick(rng, 0, 1)) d["delimiter"] = ";";
  return d;
}

json base_spec(Rng& rng, std::string* type) {
  const int64_t f = pick(rng, 1, 16), h = pick(rng, 1, 32);
  switch (pick(rng, 0, 4)) {
    case 4: {
      *type = "render";
      json scene = {{"sha256", kZeroSha}};
      if (pick(rng, 0, 1)) scene["url"] = "https://example.org/scene.blend";
      const int64_t start = pick(rng, 0, 100);
      json spec = {{"scene", scene}, {"frames", {{"start", start}, {"end", start + pick(rng, 0, 40)}}},
                   {"resolution", {{"width", pick(rng, 1, 256)}, {"height", pick(rng, 1, 256)}}},
                   {"samples", pick(rng, 1, 64)}, {"seed", pick(rng, 0, 1000)}, {"engine", "CYCLES"},
                   {"device", pick(rng, 0, 1) ? "cpu" : "cuda"}, {"output", "PNG"}};
      if (pick(rng, 0, 1)) spec["frames"]["step"] = pick(rng, 1, 5);
      if (pick(rng, 0, 1)) spec["tiles"] = {{"x", 1}, {"y", 1}};
      return spec;
    }
    case 0:
      *type = "gemm";
      return {{"m", pick(rng, 1, 3000)}, {"n", pick(rng, 1, 64)}, {"k", pick(rng, 1, 64)}, {"seed", pick(rng, 0, 1000)},
              {"dtype", "f32"}};
    case 1: {
      *type = "train";
      const bool blobs = pick(rng, 0, 1);
      const int64_t out = blobs ? pick(rng, 2, 5) : pick(rng, 1, 4);
      json spec = {{"model", {{"layers", {f, h, out}}}}, {"loss", blobs ? "softmax_xent" : "mse"},
                   {"optimizer", {{"name", "sgd"}, {"lr", 0.1}}}, {"batch", pick(rng, 1, 64)},
                   {"steps", pick(rng, 1, 50)}, {"seed", pick(rng, 0, 1000)}, {"checkpoint_every", 1},
                   {"data", data_spec(rng, f, out, blobs, true)}};
      if (pick(rng, 0, 3) == 0) spec["sweep"] = {{"grid", {{"optimizer.lr", {0.01, 0.1}}, {"batch", {8, 16}}}}};
      return spec;
    }
    case 2: {
      *type = "exec";
      json spec = {{"command", {"sh", "-c", "echo {index} >/out/x"}}, {"image", "host"},
                   {"limits", {{"wall_seconds", pick(rng, 1, 600)}, {"processes", pick(rng, 1, 64)}}},
                   {"outputs", {"x"}}};
      if (pick(rng, 0, 1)) spec["range"] = {{"start", pick(rng, -5, 5)}, {"end", pick(rng, 6, 40)}, {"step", pick(rng, 1, 7)}};
      else if (pick(rng, 0, 1)) spec["items"] = {"a", pick(rng, 0, 9), "c d"};
      json input = {{"path", "in/data"}, {"sha256", kZeroSha}};
      if (pick(rng, 0, 1)) input["url"] = "https://example.org/data";
      spec["inputs"] = {input};
      if (pick(rng, 0, 1)) spec["env"] = {{"A", "{index}"}};
      if (pick(rng, 0, 1)) spec["verify"] = {{"compare", {"cmp", "/a/x", "/b/x"}}};
      return spec;
    }
    default: {
      *type = "infer";
      json model = {{"sha256", kZeroSha}, {"layers", {f, h, 3}}};
      if (pick(rng, 0, 1)) model["url"] = "https://example.org/model.bin";
      return {{"model", model}, {"data", data_spec(rng, f, 3, true, false)}, {"batch", pick(rng, 1, 512)}};
    }
  }
}

// Every value under `v` (not `v` itself), by JSON pointer.
void value_paths(const json& v, const json::json_pointer& at, std::vector<json::json_pointer>* out) {
  if (v.is_object())
    for (auto it = v.begin(); it != v.end(); ++it) {
      out->push_back(at / it.key());
      value_paths(it.value(), at / it.key(), out);
    }
  else if (v.is_array())
    for (size_t i = 0; i < v.size(); ++i) {
      out->push_back(at / i);
      value_paths(v[i], at / i, out);
    }
}

// One change that may or may not leave the spec valid: a number out of
// range or at an edge, a value of the wrong type, a member removed, an
// unknown member added, the labels dropped.
void mutate(Rng& rng, json& spec) {
  std::vector<json::json_pointer> paths;
  value_paths(spec, json::json_pointer(), &paths);
  const json::json_pointer at = paths[static_cast<size_t>(pick(rng, 0, static_cast<int64_t>(paths.size()) - 1))];
  static const std::vector<json> kValues = {-1, 0, 1, 2, 3, 1.5, 65537, (1 << 20) + 1, 33554432, 33554433,
                                            int64_t{1} << 40, "7", nullptr, true, json::array(), json::object()};
  switch (pick(rng, 0, 3)) {
    case 0:
      spec[at] = kValues[static_cast<size_t>(pick(rng, 0, static_cast<int64_t>(kValues.size()) - 1))];
      return;
    case 1:
      if (spec[at.parent_pointer()].is_object()) spec[at.parent_pointer()].erase(at.back());
      return;
    case 2: {
      json& target = spec[at].is_object() ? spec[at] : spec[at.parent_pointer()];
      if (target.is_object()) target["colour"] = 1;
      return;
    }
    default:
      if (spec.contains("data") && spec["data"].is_object()) spec["data"].erase("y");
  }
}

// A file named by path, or a model by its hash alone: on the buyer's disk.
bool names_local_input(const json& spec) {
  if (spec.contains("inputs") && spec["inputs"].is_array())
    for (const json& in : spec["inputs"])
      if (in.is_object() && !in.contains("url")) return true;
  if (spec.contains("model") && spec["model"].contains("sha256") && !spec["model"].contains("url")) return true;
  if (spec.contains("scene") && !spec["scene"].contains("url")) return true;
  if (!spec.contains("data")) return false;
  for (const char* f : {"x", "y"})
    if (spec["data"].contains(f) && spec["data"][f].contains("path")) return true;
  return false;
}

// True when `f` returns; false when it throws the Exit::data a spec's
// fault is. Anything else thrown fails the test.
bool accepts(const std::function<void()>& f, const json& job) {
  try {
    f();
    return true;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::data) << e.describe() << "\n" << job.dump();
    return false;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "escaped " << e.what() << "\n" << job.dump();
    return false;
  }
}

TEST(OneValidator, SplitAcceptsExactlyWhatRunAccepts) {
  Rng rng(kSeed);
  int accepted = 0, refused = 0;
  for (int i = 0; i < kSpecs; ++i) {
    SCOPED_TRACE("seed " + std::to_string(kSeed) + ", spec " + std::to_string(i));
    std::string type;
    json spec = base_spec(rng, &type);
    for (int64_t n = pick(rng, 0, 2); n > 0; --n) mutate(rng, spec);
    json job = {{"kind", "job"}, {"v", 1}, {"type", type}, {type, spec}};
    json as_task = job;
    as_task["kind"] = "task";

    std::vector<json> tasks;
    const bool split_ok = accepts([&] {
      validate_job(job);
      tasks = split_job(job, SplitOptions{});
    }, job);
    const bool run_ok = accepts([&] { validate_task(as_task); }, job);
    EXPECT_EQ(split_ok, run_ok) << job.dump();
    (split_ok ? accepted : refused) += 1;
    for (const json& t : tasks) {
      EXPECT_TRUE(accepts([&] { validate_task(t); }, t)) << "job-split made a task job-run refuses";
      // lease-bid order refuses a task exactly when a provider could not
      // fetch an input of it.
      EXPECT_EQ(accepts([&] { validate_task(t, "", RunsOn::elsewhere); }, t), !names_local_input(t[type]))
          << t.dump();
    }
  }
  // Both sides of the property are exercised.
  EXPECT_GT(accepted, kSpecs / 5);
  EXPECT_GT(refused, kSpecs / 5);
}

}  // namespace
}  // namespace grid
