// gpu-bench's "kinds" section: what one unit of each job kind's work costs
// in seconds (task_cost.h), per numeric mode, on the device in use. Each
// kind runs small reference tasks through its own run function (the code
// job-run runs), and a least-squares fit over them gives the seconds of
// each unit; what no kind owns (a store write, a dataset load, starting a
// tool) is timed on its own.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "compute/mlp.h"
#include "compute/synthetic_data.h"
#include "core/crypto.h"
#include "core/device_error.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/message.h"
#include "core/store.h"
#include "jobs/dataset_load.h"
#include "jobs/job_run.h"
#include "jobs/job_spec.h"
#include "jobs/task_cost.h"
#include "measure/gpu_bench.h"
#include "measure/job_run_time.h"
#include "measure/timing.h"

namespace grid {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Runs of each reference task; the median is taken, so the first run
// (threads started, caches cold) cannot sway it.
int reps(const BenchContext& ctx) { return ctx.quick ? 3 : 5; }

// A store in a fresh folder under `base`, removed when done.
struct TempStore {
  std::string dir;
  std::unique_ptr<Store> store;
  explicit TempStore(const std::string& base) {
    std::string templ = base + "/gpu-bench-kinds.XXXXXX";
    if (!::mkdtemp(templ.data())) throw Error(Exit::io, "cannot make a folder " + templ + " for the reference tasks");
    dir = templ;
    store = std::make_unique<Store>(dir + "/store");
    store->make_folders();
  }
  ~TempStore() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// Where a provider's store is likely to be: $TMPDIR, else /tmp.
std::string disk_base() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

// The reference tasks run on a store in memory (/dev/shm) where there is
// one: a disk's fsync jitter (tens of milliseconds on a busy one) would
// drown the compute they measure. The disk's extra cost per write is
// measured apart (store_costs).
std::string fit_base() { return ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : disk_base(); }

json gemm_spec(int m, int n, int k, uint64_t seed) { return {{"m", m}, {"n", n}, {"k", k}, {"seed", seed}}; }
json tiny_gemm(uint64_t seed) { return gemm_spec(8, 8, 8, seed); }

// What a task costs in job-run beyond its kind's run and its store
// writes: starting the program, reading the task, opening the store,
// signing and writing the result. Measured as a provider pays it: job-run
// started on a tiny gemm task (8x8x8) whose store is on the disk; `inside`
// is what the same task costs in this process (its run and store writes),
// taken out. 0 when there is no job-run to start.
double task_start_seconds(const BenchContext& ctx, const std::string& mode, double inside) {
  TempStore disk(disk_base());
  json task = {{"kind", "task"}, {"v", 1}, {"type", "gemm"}, {"mode", mode}};
  JobRunCall call;
  call.device = ctx.device.backend == Backend::cuda ? "cuda" : "cpu";
  call.threads = ctx.threads;
  call.store = disk.dir + "/store";
  call.task_file = disk.dir + "/task.json";
  std::vector<double> s;
  for (int i = 0; i < reps(ctx); ++i) {
    task["gemm"] = tiny_gemm(i + 1);  // new objects, as a new task writes
    set_message_id(task);
    write_file_atomic(call.task_file, task.dump() + "\n", 0644);
    const std::optional<double> t = time_job_run(call);
    if (!t) return 0;
    s.push_back(*t);
  }
  return std::max(0.0, spread_of(s).median - inside);
}

// Median seconds of storing a new object of `bytes` bytes (each write is
// fsynced, as job-run's are; a reference costs what a small object does).
double put_seconds(Store& store, size_t bytes, int count) {
  std::vector<double> s;
  for (int i = 0; i < count; ++i) {
    std::string object(bytes, static_cast<char>('a' + i % 26));
    const std::string tag = std::to_string(Clock::now().time_since_epoch().count());
    object.replace(0, std::min(tag.size(), bytes), tag.substr(0, std::min(tag.size(), bytes)));
    const auto t0 = Clock::now();
    store.put(object);
    s.push_back(since(t0));
  }
  return spread_of(s).median;
}

// What a store write on the disk costs beyond one on the fit's store:
// per write (store_write) and per MB written (store_mb).
json store_costs(const BenchContext& ctx, Store& fit, Store& disk) {
  constexpr size_t kSmall = 4096, kBig = size_t{4} << 20;
  const int n = ctx.quick ? 7 : 15;  // a shared disk's fsync time comes in bursts
  const double fit_small = put_seconds(fit, kSmall, n), fit_big = put_seconds(fit, kBig, n);
  const double disk_small = put_seconds(disk, kSmall, n), disk_big = put_seconds(disk, kBig, n);
  const double per_mb = ((disk_big - disk_small) - (fit_big - fit_small)) / ((kBig - kSmall) / 1e6);
  return {{"store_write", std::max(0.0, disk_small - fit_small)}, {"store_mb", std::max(0.0, per_mb)}};
}

json blobs(int rows, int features, int classes, uint64_t seed) {
  return {{"synthetic", {{"kind", "blobs"}, {"rows", rows}, {"features", features}, {"classes", classes}, {"seed", seed}}}};
}

// Seconds per million dataset values made (synthetic data, as the
// examples name theirs; files read from disk or a URL cost what they cost).
double data_mvalue_seconds(const BenchContext& ctx) {
  const int rows = ctx.quick ? 16384 : 65536, features = 16, classes = 4;
  uint64_t seed = 100;
  const std::vector<double> s =
      time_runs([&] { load_dataset(blobs(rows, features, classes, seed++), "softmax_xent", classes, ".data"); }, 0,
                reps(ctx));
  return spread_of(s).median / (rows * (features + classes) / 1e6);
}

// A reference task's work, and the median seconds of running it (as
// job-run does: the kind's run, then the result stored).
struct Measured {
  TaskWork work;
  double seconds;
};

class Runner {
 public:
  Runner(BenchContext& ctx, Store& store, std::string mode) : ctx_(ctx), store_(store), mode_(std::move(mode)) {}

  // `spec(seed)`: the task's part, new bytes for each seed so that every
  // run writes its store objects afresh, as a new task does.
  Measured run(const std::string& type, const std::function<json(uint64_t)>& spec) {
    std::vector<double> s;
    json task;
    for (int i = 0; i < reps(ctx_); ++i) {
      task = {{"kind", "task"}, {"type", type}, {"mode", mode_}, {type, spec(++seed_)}, {"id", "gpu-bench reference"}};
      RunContext rc;
      rc.device = ctx_.device;
      rc.mode = mode_;
      rc.threads = ctx_.threads;
      rc.store = &store_;
      rc.task = &task;
      rc.progress = [](const std::string&) {};
      const auto t0 = Clock::now();
      json part = job_kind(type).run(task, rc);
      store_.put(json{{"kind", "result"}, {type, part}}.dump());
      s.push_back(since(t0));
    }
    std::string why;
    auto work = task_work(task, &why);
    if (!work) throw Error(Exit::internal, "gpu-bench reference " + type + " task: " + why);
    return {*work, spread_of(s).median};
  }

 private:
  BenchContext& ctx_;
  Store& store_;
  std::string mode_;
  uint64_t seed_ = 0;
};

// Solves the n x n system a x = b (n small) by Gaussian elimination with
// partial pivoting; a singular system leaves the unknowns at 0.
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t c = 0; c < n; ++c) {
    size_t p = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[p][c])) p = r;
    if (a[p][c] == 0) return std::vector<double>(n, 0.0);
    std::swap(a[p], a[c]);
    std::swap(b[p], b[c]);
    for (size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  for (size_t c = 0; c < n; ++c) b[c] /= a[c][c];
  return b;
}

// The seconds of each unit in `unknown`, fitted (least squares) to the
// runs after the first, each taken relative to the first; `known` costs
// are taken out before. "task" is what the first run leaves over, plus
// `start` (starting the tool). A cost the noise makes negative is 0.
json fit(const std::vector<Measured>& runs, const std::vector<std::string>& unknown, json known, double start) {
  auto units = [](const Measured& m, const std::string& u) {
    auto it = m.work.find(u);
    return it == m.work.end() ? 0.0 : it->second;
  };
  auto known_seconds = [&](const Measured& m) {
    double s = 0;
    for (auto it = known.begin(); it != known.end(); ++it) s += units(m, it.key()) * it.value().get<double>();
    return s;
  };
  const size_t n = unknown.size();
  std::vector<std::vector<double>> ata(n, std::vector<double>(n, 0.0));
  std::vector<double> atb(n, 0.0);
  const Measured& base = runs.front();
  for (size_t r = 1; r < runs.size(); ++r) {
    std::vector<double> row(n);
    for (size_t u = 0; u < n; ++u) row[u] = units(runs[r], unknown[u]) - units(base, unknown[u]);
    const double rhs = (runs[r].seconds - known_seconds(runs[r])) - (base.seconds - known_seconds(base));
    // Relative residuals: a 2 s run and a 20 ms run count alike.
    const double w = 1 / std::max(runs[r].seconds, 1e-6);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) ata[i][j] += w * w * row[i] * row[j];
      atb[i] += w * w * row[i] * rhs;
    }
  }
  std::vector<double> x = solve(ata, atb);
  json costs = known;
  double left = base.seconds - known_seconds(base);
  for (size_t u = 0; u < n; ++u) {
    costs[unknown[u]] = std::max(0.0, x[u]);
    left -= units(base, unknown[u]) * costs[unknown[u]].get<double>();
  }
  costs["task"] = std::max(0.0, left) + start;
  return costs;
}

// Sizes of the reference tasks: big enough that each measured term is
// tens of milliseconds on its device, small enough that --quick stays
// within seconds.
struct Sizes {
  int tiny_steps, wide_steps, state_steps, gemm_edge, element_edge, infer_rows, batch_rows;
  int wide;  // hidden width of the wide net: [64, wide, 64]
};

Sizes sizes(const BenchContext& ctx) {
  const bool gpu = ctx.device.backend == Backend::cuda;
  const int x = ctx.quick ? 1 : 3;
  // A GPU task of the gemm kind is mostly host work (drawing A and B,
  // hashing C): past 2048 the reference runs would take seconds each.
  if (gpu) return {400 * x, 10 * x, 10 * x, 2048, 1024, 16384, 1000 * x, 4096};
  return {1000 * x, 10 * x, 15 * x, 1024, 1024, 2048, 1000 * x, 1024};
}

json train_spec(const json& layers, int batch, int steps, const std::string& opt, const json& data, uint64_t seed) {
  return {{"model", {{"layers", layers}}}, {"loss", "softmax_xent"}, {"optimizer", {{"name", opt}, {"lr", 0.001}}},
          {"batch", batch}, {"steps", steps}, {"seed", seed}, {"checkpoint_every", steps}, {"data", data}};
}

json measure_train(Runner& r, const Sizes& z, const json& known, double start) {
  const json tiny = {4, 8, 2}, wide = {64, z.wide, 64};
  std::vector<Measured> runs;
  runs.push_back(r.run("train", [&](uint64_t s) { return train_spec(tiny, 1, 1, "sgd", blobs(64, 4, 2, s), s); }));
  runs.push_back(r.run("train", [&](uint64_t s) { return train_spec(tiny, 1, z.tiny_steps, "sgd", blobs(64, 4, 2, s), s); }));
  runs.push_back(r.run("train", [&](uint64_t s) { return train_spec(wide, 64, z.wide_steps, "adam", blobs(256, 64, 64, s), s); }));
  runs.push_back(r.run("train", [&](uint64_t s) { return train_spec(wide, 1, z.state_steps, "adam", blobs(256, 64, 64, s), s); }));
  return fit(runs, {"step", "gflop", "state_mb"}, known, start);
}

json measure_gemm(Runner& r, const Sizes& z, double start) {
  auto gemm = gemm_spec;
  std::vector<Measured> runs;
  runs.push_back(r.run("gemm", tiny_gemm));
  runs.push_back(r.run("gemm", [&](uint64_t s) { return gemm(z.element_edge, z.element_edge, 1, s); }));
  runs.push_back(r.run("gemm", [&](uint64_t s) { return gemm(z.gemm_edge, z.gemm_edge, z.gemm_edge, s); }));
  return fit(runs, {"gflop", "melement"}, json::object(), start);
}

// A model of these widths, stored; the spec's "model" for it.
json stored_model(Store& store, const std::vector<int>& layers) {
  MlpConfig c;
  c.layers = layers;
  c.steps = 0;
  const Dataset d = synthetic_blobs(1, 4, layers.front(), layers.back());
  Trainer t(c, d, GemmEngine{});
  return {{"sha256", sha256_ref(store.put(t.serialize_model()))}, {"layers", layers}};
}

json measure_infer(Runner& r, Store& store, const Sizes& z, const json& known, double start) {
  const json tiny = stored_model(store, {4, 8, 2}), wide = stored_model(store, {64, z.wide, 64});
  auto infer = [](const json& model, int rows, int features, int batch, uint64_t s) {
    return json{{"model", model}, {"data", blobs(rows, features, model["layers"].back(), s)}, {"batch", batch}};
  };
  std::vector<Measured> runs;
  runs.push_back(r.run("infer", [&](uint64_t s) { return infer(tiny, 64, 4, 64, s); }));
  runs.push_back(r.run("infer", [&](uint64_t s) { return infer(tiny, z.batch_rows, 4, 1, s); }));
  runs.push_back(r.run("infer", [&](uint64_t s) { return infer(wide, z.infer_rows, 64, 256, s); }));
  return fit(runs, {"batch", "gflop"}, known, start);
}

}  // namespace

json bench_kinds(BenchContext& ctx) {
  TempStore fit_store(fit_base()), disk_store(disk_base());
  ctx.progress("job kinds: the cost of a store write, a dataset, a job-run task");
  const json data = {{"data_mvalue", data_mvalue_seconds(ctx)}};
  const json store = store_costs(ctx, *fit_store.store, *disk_store.store);
  Runner tiny_runner(ctx, *fit_store.store, "exact");
  const Measured tiny = tiny_runner.run("gemm", tiny_gemm);
  const double start = task_start_seconds(ctx, "exact", tiny.seconds + 3 * store["store_write"].get<double>());
  const Sizes z = sizes(ctx);
  json out = {{"tool_start_s", start}};
  for (const char* mode : {"exact", "fast"}) {
    ctx.progress(std::string("job kinds: reference gemm, train and infer tasks, ") + mode);
    Runner r(ctx, *fit_store.store, mode);
    try {
      json kinds = {{"gemm", measure_gemm(r, z, start)},
                    {"train", measure_train(r, z, data, start)},
                    {"infer", measure_infer(r, *fit_store.store, z, data, start)}};
      for (auto& k : kinds) k.update(store);
      out[mode] = kinds;
    } catch (const DeviceError& e) {
      out[mode] = {{"skipped", std::string("failed: ") + e.what()}};
    }
  }
  return out;
}

}  // namespace grid
