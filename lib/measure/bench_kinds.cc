// gpu-bench's "kinds" section: what one unit of each job kind's work costs
// in seconds (task_cost.h), per numeric mode, on the device in use. Each
// kind runs small reference tasks through its own run function (the code
// job-run runs), and a least-squares fit over them (cost_fit.h) gives the
// seconds of each unit. A task's fixed cost is measured as a provider pays
// it, and as make bench's actual is: job-run started on the kind's
// smallest reference task, on a fresh store on the disk. What no kind owns
// (a store write on the disk, a dataset load) is timed on its own.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "compute/gemm.h"
#include "compute/mlp.h"
#include "compute/seeded_matrix.h"
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
#include "measure/cost_fit.h"
#include "measure/gpu_bench.h"
#include "measure/job_run_time.h"
#include "measure/store_write_cost.h"
#include "measure/timing.h"

namespace grid {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Runs of each reference task; the median is taken, so the first run
// (threads started, caches cold) cannot sway it.
int reps(const BenchContext& ctx) { return ctx.quick ? 3 : 5; }

// Runs of job-run on each kind's smallest task: a new process's time
// swings with the machine's load and the disk's fsyncs, and the fixed
// cost it gives is most of a small task's estimate.
int process_reps(const BenchContext& ctx) { return ctx.quick ? 5 : 9; }

constexpr const char* kTempPrefix = "gpu-bench-kinds.";

// Removes the folders under `base` that a gpu-bench no longer running
// left (killed, it removes nothing; in /dev/shm they hold memory until a
// reboot). Each folder names its maker's pid; a pid that answers, or that
// is not ours to ask, may be a live run: kept.
void sweep_stale_temp_stores(const std::string& base) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(base, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kTempPrefix, 0) != 0) continue;
    char* end = nullptr;
    const long pid = std::strtol(name.c_str() + std::strlen(kTempPrefix), &end, 10);
    if (pid <= 0 || *end != '.' || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code gone;
    std::filesystem::remove_all(e.path(), gone);
  }
}

// A store in a fresh folder under `base` (named with this process's pid,
// so that a later run can tell it was left behind), removed when done.
struct TempStore {
  std::string dir;
  std::unique_ptr<Store> store;
  explicit TempStore(const std::string& base) {
    sweep_stale_temp_stores(base);
    std::string templ = base + "/" + kTempPrefix + std::to_string(::getpid()) + ".XXXXXX";
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
// measured apart (WriteSamples).
std::string fit_base() { return ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : disk_base(); }

json gemm_spec(int m, int n, int k, uint64_t seed) { return {{"m", m}, {"n", n}, {"k", k}, {"seed", seed}}; }
json tiny_gemm(uint64_t seed) { return gemm_spec(8, 8, 8, seed); }

// Seconds of storing a new object of `bytes` bytes (fsynced, as job-run's
// writes are; a reference costs what a small object does).
double put_seconds(Store& store, size_t bytes, int i) {
  std::string object(bytes, static_cast<char>('a' + i % 26));
  const std::string tag = std::to_string(Clock::now().time_since_epoch().count());
  object.replace(0, std::min(tag.size(), bytes), tag.substr(0, std::min(tag.size(), bytes)));
  const auto t0 = Clock::now();
  store.put(object);
  return since(t0);
}

constexpr size_t kSmallWrite = 4096;
// The object a result writes at the example jobs' sizes (a 512 x 512 C is
// 1 MiB), as store_mb's big write: a disk's cost per MB can depend on the
// write's size. This VM's, in bursts, charged writes of 2 to 8 MiB 15 ms
// a MB while 1 MiB ones stayed near 0.45 ms a MB, as all did between
// bursts; timed on 4 MiB writes, store_mb swung 40 times between
// profiles taken minutes apart.
constexpr size_t kResultWrite = size_t{1} << 20;

// Writes timed in pairs, on the disk and on the fit's store, small and
// result-sized, all through the section: at its start, and after each
// job-run it starts, in the store that run wrote to, as the run's own
// writes went (a provider's disk swings from minute to
// minute: what counts is its cost over the whole section, not a second).
struct WriteSamples {
  Store* fit = nullptr;
  StoreWriteSamples s;
  void take(Store& disk) {
    const int i = static_cast<int>(s.disk_small.size());
    s.disk_small.push_back(put_seconds(disk, kSmallWrite, i));
    s.fit_small.push_back(put_seconds(*fit, kSmallWrite, i));
    s.disk_big.push_back(put_seconds(disk, kResultWrite, i));
    s.fit_big.push_back(put_seconds(*fit, kResultWrite, i));
  }
  StoreWriteCost cost() const { return store_write_cost(s, kSmallWrite, kResultWrite); }
};

// The pairs at the section's start, on a fresh store on the disk. The
// kinds of write take turns, so that a burst of the disk's (or the
// machine's) load falls on all of them alike.
void start_write_samples(const BenchContext& ctx, WriteSamples& w, Store& disk) {
  const int n = ctx.quick ? 9 : 21;
  for (int i = 0; i < n; ++i) w.take(disk);
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

using SpecOf = std::function<json(uint64_t)>;

class Runner {
 public:
  Runner(BenchContext& ctx, const TempStore& fit, std::string mode)
      : ctx_(ctx), fit_(fit), mode_(std::move(mode)), cold_(ctx.device.backend == Backend::cpu) {}

  // A task of `type` with part `spec(seed)`, the seed new on each call so
  // that every run writes its store objects afresh, as a new task does.
  json next_task(const std::string& type, const SpecOf& spec) {
    return {{"kind", "task"}, {"v", 1},         {"type", type},
            {"mode", mode_},  {type, spec(++seed_)}, {"id", "gpu-bench reference"}};
  }

  // The median seconds of each task as job-run runs it. On the CPU, each
  // run is job-run itself, started on the fit's store: a task's first run
  // in a new process (every task a provider runs) pays for its memory's
  // first touch and its threads' start, which grow with its size (a
  // 512^3 gemm took 11 ms in job-run, 7 ms run again in one process).
  // The fit takes each run relative to the first, so job-run's own start
  // drops out; its jitter does not, hence process_reps runs. The tasks
  // take turns, so that a burst of the machine's load falls on all of
  // them alike rather than on one task's runs, which would tilt the fit.
  // On a GPU, a new process's driver context (tenths of a second,
  // swinging by more than a small task's work) would drown the tasks:
  // they run here. Here too where job-run cannot be started.
  std::vector<Measured> run(const std::string& type, const std::vector<SpecOf>& specs) {
    std::vector<std::vector<double>> s(specs.size());
    std::vector<json> task(specs.size());
    for (int i = 0; i < process_reps(ctx_) && cold_; ++i)
      for (size_t j = 0; j < specs.size() && cold_; ++j) {
        task[j] = next_task(type, specs[j]);
        const std::optional<double> t = run_process(task[j], fit_.dir);
        if (t) s[j].push_back(*t);
        else cold_ = false;
      }
    std::vector<Measured> out;
    for (size_t j = 0; j < specs.size(); ++j)
      out.push_back(cold_ ? Measured{work_of(task[j]), spread_of(s[j]).median} : run_here(type, specs[j]));
    return out;
  }

  // The median seconds of the task run in this process, as job-run runs
  // it: the kind's run, then the result stored.
  Measured run_here(const std::string& type, const SpecOf& spec) {
    std::vector<double> s;
    json task;
    for (int i = 0; i < reps(ctx_); ++i) {
      task = next_task(type, spec);
      s.push_back(seconds_here(task));
    }
    return {work_of(task), spread_of(s).median};
  }

  // Two tasks that differ in one kind of work (`more` has more of it) run
  // here in turns, warm, after one untimed run of each: the units `more`
  // has beyond `less`, and the median of the runs' differences in
  // seconds. All they share (start, data, store writes) drops out, and a
  // burst of load falls on both runs of a pair alike.
  Measured difference_here(const std::string& type, const SpecOf& more, const SpecOf& less) {
    seconds_here(next_task(type, more));
    seconds_here(next_task(type, less));
    std::vector<double> d;
    json a, b;
    for (int i = 0; i < reps(ctx_); ++i) {
      a = next_task(type, more);
      b = next_task(type, less);
      d.push_back(seconds_here(a) - seconds_here(b));
    }
    TaskWork work = work_of(a);
    for (const auto& [unit, count] : work_of(b)) work[unit] -= count;
    return {work, spread_of(d).median};
  }

  // The wall seconds of job-run started on `task` over the store in
  // `dir` (a TempStore's), the task file beside it; nullopt when there is
  // no job-run to start, or it fails.
  std::optional<double> run_process(json task, const std::string& dir) const {
    JobRunCall call;
    call.device = ctx_.device.backend == Backend::cuda ? "cuda" : "cpu";
    call.threads = ctx_.threads;
    call.store = dir + "/store";
    call.task_file = dir + "/task.json";
    set_message_id(task);
    write_file_atomic(call.task_file, task.dump() + "\n", 0644);
    return time_job_run(call);
  }

 private:
  double seconds_here(json task) {
    RunContext rc;
    rc.device = ctx_.device;
    rc.mode = mode_;
    rc.threads = ctx_.threads;
    rc.store = fit_.store.get();
    rc.task = &task;
    rc.progress = [](const std::string&) {};
    const auto t0 = Clock::now();
    const std::string type = task["type"];
    json part = job_kind(type).run(task, rc);
    fit_.store->put(json{{"kind", "result"}, {type, part}}.dump());
    return since(t0);
  }

  static TaskWork work_of(const json& task) {
    std::string why;
    auto work = task_work(task, &why);
    if (!work) throw Error(Exit::internal, "gpu-bench reference " + task["type"].get<std::string>() + " task: " + why);
    return *work;
  }

  BenchContext& ctx_;
  const TempStore& fit_;
  std::string mode_;
  bool cold_;
  uint64_t seed_ = 0;
};

// job-run's wall times on a kind's smallest task, each run on the store on
// the disk (the section's, all its folders made, as a provider's store in
// use has them) holding `objects` (an infer task's model), each run a task
// of its own that writes new objects: what a provider pays for it, and
// what make bench's actual times. One store for all the runs: a fresh one
// each, its 512 folders made and removed, took as long as the runs did
// on a loaded machine. The runs of all kinds take turns (bench_kinds), so
// that a burst of the disk's or the machine's load falls on every kind
// alike, not on one.
struct FixedCost {
  Runner* runner = nullptr;
  std::string type;
  SpecOf spec;
  std::vector<std::string> objects;
  std::vector<double> seconds;
  bool failed = false;

  // One more run on `disk`, then write pairs into `w` on its store; false
  // when job-run cannot be started or fails (then median() is nullopt).
  bool take_one(WriteSamples& w, const TempStore& disk) {
    if (failed) return false;
    for (const std::string& o : objects) disk.store->put(o);
    const std::optional<double> t = runner->run_process(runner->next_task(type, spec), disk.dir);
    if (t) {
      seconds.push_back(*t);
      w.take(*disk.store);
    }
    failed = !t;
    return !failed;
  }
  std::optional<double> median() const {
    if (failed || seconds.empty()) return std::nullopt;
    return spread_of(seconds).median;
  }
};

// A kind measured: the units fitted to its reference tasks and the
// `known` ones, its smallest task, and job-run's runs on that task (taken
// later, in turns with the other kinds').
struct KindRun {
  json costs;
  Measured base;
  FixedCost fixed;
};

// `specs` are kept (the first, in `fixed`) past the call: they hold
// what they name by value.
KindRun measure_kind(Runner& r, const std::string& type, const std::vector<SpecOf>& specs,
                     const std::vector<std::string>& unknown, const json& known,
                     const std::vector<std::string>& objects = {}) {
  const std::vector<Measured> runs = r.run(type, specs);
  json costs = known;
  for (const auto& [unit, seconds] : fit_unit_costs(runs, unknown, known)) costs[unit] = seconds;
  return {costs, runs.front(), FixedCost{&r, type, specs.front(), objects, {}, false}};
}

// The kind's costs with the disk's `store` costs and "task", the fixed
// cost: what job-run took on the smallest task less what its other units
// cost, so that the estimate of that task is what a provider measures.
json kind_costs(const KindRun& k, const json& store) {
  json costs = k.costs;
  costs.update(store);
  // Without a job-run to start, what the smallest task left over here.
  const std::optional<double> process = k.fixed.median();
  const double fixed = process ? *process : k.base.seconds - seconds_at(k.base.work, store);
  costs["task"] = std::max(0.0, fixed - seconds_at(k.base.work, costs, "task"));
  return costs;
}

// Sizes of the reference tasks: big enough that each measured term is
// tens of milliseconds on its device, small enough that --quick stays
// within seconds.
struct Sizes {
  // gemm: square products of half and of full edge. Square, as tasks
  // mostly are: drawing a value of A or B and hashing and storing one of C
  // cost differently, and the one melement cost is right for the mix of
  // a square product (a 1024 x 1024 x 1 one, all C, made the fit charge
  // every value at C's price and push gflop to 0).
  int tiny_steps, wide_steps, state_steps, gemm_edge, half_edge, infer_rows, batch_rows;
  int wide;  // hidden width of the wide net: [64, wide, 64]
  // train: the wide net's steps in the pair that times a batch's work,
  // tens of milliseconds of products on the CPU.
  int batch_steps;
};

Sizes sizes(const BenchContext& ctx) {
  const bool gpu = ctx.device.backend == Backend::cuda;
  const int x = ctx.quick ? 1 : 3;
  // A GPU task of the gemm kind is mostly host work (drawing A and B,
  // hashing C): past 2048 the reference runs would take seconds each.
  if (gpu) return {400 * x, 10 * x, 10 * x, 2048, 1024, 16384, 1000 * x, 4096, 40 * x};
  // On the CPU the tasks run in job-run: 3000 tiny steps (about 10 ms)
  // stand out of a process start's jitter, 1000 did not.
  return {3000, 10 * x, 15 * x, 1024, 512, 2048, 1000 * x, 1024, 40 * x};
}

json train_spec(const json& layers, int batch, int steps, const std::string& opt, const json& data, uint64_t seed) {
  return {{"model", {{"layers", layers}}}, {"loss", "softmax_xent"}, {"optimizer", {{"name", opt}, {"lr", 0.001}}},
          {"batch", batch}, {"steps", steps}, {"seed", seed}, {"checkpoint_every", steps}, {"data", data}};
}

// Rows a batch of the reference tasks that time a batch's work: enough
// that the wide net's products are most of a step.
constexpr int kBatchRows = 64;

// Seconds of a GFLOP and of 10^6 rows of training in `r`'s mode, timed in
// this process, warm, as the difference a batch of kBatchRows makes over
// a batch of 1, the steps alike: on the wide net (its products lead) and
// on the tiny one (its rows' own work leads), both fitted to the two
// differences. Fitted among job-run's reference tasks instead, the
// products were a small share beside the state's updates and a process
// start's jitter, and gflop could come out 0 (as a --quick profile's
// did on a loaded machine), or the rows' work was charged to it.
json train_batch_costs(Runner& r, const Sizes& z) {
  auto pair = [&](const json& layers, int steps, int features, int classes) {
    auto spec = [=](int batch) -> SpecOf {
      return [=](uint64_t s) { return train_spec(layers, batch, steps, "sgd", blobs(256, features, classes, s), s); };
    };
    return r.difference_here("train", spec(kBatchRows), spec(1));
  };
  const Measured none{{}, 0};
  const std::vector<Measured> d = {none, pair({64, z.wide, 64}, z.batch_steps, 64, 64), pair({4, 8, 2}, z.tiny_steps, 4, 2)};
  json costs = json::object();
  for (const auto& [unit, seconds] : fit_unit_costs(d, {"gflop", "mrow"}, json::object())) costs[unit] = seconds;
  return costs;
}

KindRun measure_train(Runner& r, const Sizes& z, const json& known) {
  const json tiny = {4, 8, 2}, wide = {64, z.wide, 64};
  json k = known;
  k.update(train_batch_costs(r, z));
  return measure_kind(
      r, "train",
      {[=](uint64_t s) { return train_spec(tiny, 1, 1, "sgd", blobs(64, 4, 2, s), s); },
       [=](uint64_t s) { return train_spec(tiny, 1, z.tiny_steps, "sgd", blobs(64, 4, 2, s), s); },
       [=](uint64_t s) { return train_spec(wide, kBatchRows, z.wide_steps, "adam", blobs(256, 64, 64, s), s); },
       [=](uint64_t s) { return train_spec(wide, 1, z.state_steps, "adam", blobs(256, 64, 64, s), s); }},
      {"step", "state_mb"}, k);
}

// Seconds a GFLOP of the product itself takes in `mode` on the device, in
// this process, warm: an edge^3 product as a gemm task runs it. The fit
// cannot find it: at the reference sizes drawing, hashing and storing the
// n^2 values cost several times the n^3 arithmetic, whose share the
// noise then hides (fitted, gflop came out 0), and products of 4096 and
// up, where the arithmetic comes to lead, were estimated at 0.6 of what
// they took.
double gflop_seconds(const BenchContext& ctx, const std::string& mode, int edge) {
  const std::vector<float> A = seeded_matrix(1, kStreamA, edge, edge), B = seeded_matrix(1, kStreamB, edge, edge);
  std::vector<float> C(A.size());
  const GemmEngine engine{mode == "fast" ? NumericMode::fast : NumericMode::exact,
                          ctx.device.backend == Backend::cuda, ctx.threads};
  const std::vector<double> s = time_runs(
      [&] { engine.gemm(edge, edge, edge, A.data(), edge, B.data(), edge, C.data(), edge); }, 1, reps(ctx));
  return spread_of(s).median / (2.0 * edge * edge * edge / 1e9);
}

KindRun measure_gemm(Runner& r, const BenchContext& ctx, const std::string& mode, const Sizes& z) {
  return measure_kind(r, "gemm",
                      {tiny_gemm, [=](uint64_t s) { return gemm_spec(z.half_edge, z.half_edge, z.half_edge, s); },
                       [=](uint64_t s) { return gemm_spec(z.gemm_edge, z.gemm_edge, z.gemm_edge, s); }},
                      {"melement"}, {{"gflop", gflop_seconds(ctx, mode, z.gemm_edge)}});
}

// A model of these widths, stored; its bytes, and the spec's "model" for it.
std::pair<std::string, json> stored_model(Store& store, const std::vector<int>& layers) {
  MlpConfig c;
  c.layers = layers;
  c.steps = 0;
  const Dataset d = synthetic_blobs(1, 4, layers.front(), layers.back());
  Trainer t(c, d, GemmEngine{});
  std::string bytes = t.serialize_model();
  const json model = {{"sha256", sha256_ref(store.put(bytes))}, {"layers", layers}};
  return {std::move(bytes), model};
}

// Rows of infer's reference task whose rows' own work leads: tens of
// milliseconds of it on the CPU.
constexpr int kInferManyRows = 32768;

KindRun measure_infer(Runner& r, Store& store, const Sizes& z, const json& known) {
  const auto [tiny_bytes, tiny] = stored_model(store, {4, 8, 2});
  const json wide = stored_model(store, {64, z.wide, 64}).second;
  auto infer = [](const json& model, int rows, int features, int batch, uint64_t s) {
    return json{{"model", model}, {"data", blobs(rows, features, model["layers"].back(), s)}, {"batch", batch}};
  };
  const json tiny_model = tiny;
  // A GFLOP's seconds: all of the wide model's rows less an eighth of
  // them, in one batch each, timed here as train's are (train_batch_costs).
  auto shard = [=](int rows) -> SpecOf {
    return [=](uint64_t s) {
      json spec = infer(wide, z.infer_rows, 64, z.infer_rows, s);
      spec["row_begin"] = 0;
      spec["row_end"] = rows;
      return spec;
    };
  };
  const Measured d = r.difference_here("infer", shard(z.infer_rows), shard(z.infer_rows / 8));
  json k = known;
  k["gflop"] = std::max(0.0, d.seconds) / units_of(d.work, "gflop");
  // The last: the tiny model's rows in a few large batches, where its
  // rows' own work (mrow) leads, as the batches' does in the second.
  return measure_kind(r, "infer",
                      {[=](uint64_t s) { return infer(tiny_model, 64, 4, 64, s); },
                       [=](uint64_t s) { return infer(tiny_model, z.batch_rows, 4, 1, s); },
                       [=](uint64_t s) { return infer(wide, z.infer_rows, 64, 256, s); },
                       [=](uint64_t s) { return infer(tiny_model, kInferManyRows, 4, kInferManyRows / 8, s); }},
                      {"batch", "mrow"}, k, {tiny_bytes});
}

// exec: a buyer's program's run time cannot be known before it runs.
// What can be measured is what a task costs beside it: job-run starting
// the sandbox (bubblewrap, namespaces, cgroups, mounts), collecting /out
// and storing and signing the result, on a task whose program does
// nothing (`true` on the provider's own root). `exec_second` is 1: a
// second of the program is a second; a task counts its wall-time limit
// of them (task_cost.cc), the most it may run. nullopt when job-run
// cannot run a sandboxed task here (no bubblewrap, no user namespaces).
FixedCost measure_exec(Runner& r) {
  const json spec = {{"command", {"true"}}, {"image", "host"}, {"part", {{"index", 0}}}};
  return FixedCost{&r, "exec", [spec](uint64_t) { return spec; }, {}, {}, false};
}

}  // namespace

json bench_kinds(BenchContext& ctx) {
  TempStore fit_store(fit_base()), disk_store(disk_base());
  ctx.progress("job kinds: the cost of a store write and of a dataset");
  const json data = {{"data_mvalue", data_mvalue_seconds(ctx)}};
  WriteSamples writes;
  writes.fit = fit_store.store.get();
  start_write_samples(ctx, writes, *disk_store.store);
  const Sizes z = sizes(ctx);
  std::map<std::string, std::unique_ptr<Runner>> runners;
  std::map<std::string, std::map<std::string, KindRun>> runs;
  std::map<std::string, FixedCost> exec;
  std::optional<Measured> tiny_here;
  json out = json::object();
  auto wanted = [&](const char* kind) {
    return ctx.kinds.empty() || std::find(ctx.kinds.begin(), ctx.kinds.end(), kind) != ctx.kinds.end();
  };
  for (const char* mode : {"exact", "fast"}) {
    ctx.progress(std::string("job kinds: reference tasks, ") + mode);
    Runner& r = *(runners[mode] = std::make_unique<Runner>(ctx, fit_store, mode));
    try {
      std::map<std::string, KindRun>& kinds = runs[mode];
      if (wanted("gemm")) kinds.emplace("gemm", measure_gemm(r, ctx, mode, z));
      if (wanted("train")) kinds.emplace("train", measure_train(r, z, data));
      if (wanted("infer")) kinds.emplace("infer", measure_infer(r, *fit_store.store, z, data));
      if (wanted("exec")) exec[mode] = measure_exec(r);
      if (mode == std::string("exact") && wanted("gemm")) tiny_here = r.run_here("gemm", tiny_gemm);
    } catch (const DeviceError& e) {
      runs.erase(mode);
      out[mode] = {{"skipped", std::string("failed: ") + e.what()}};
    }
  }
  ctx.progress("job kinds: job-run started on each kind's smallest task, the kinds in turns");
  std::vector<FixedCost*> fixed;
  for (auto& [mode, kinds] : runs)
    for (auto& [kind, run] : kinds) fixed.push_back(&run.fixed);
  for (auto& [mode, e] : exec) fixed.push_back(&e);
  for (int i = 0; i < process_reps(ctx); ++i)
    for (FixedCost* f : fixed) f->take_one(writes, disk_store);
  // Every write timed, the section through: only now are their costs known.
  const StoreWriteCost w = writes.cost();
  const json store = {{"store_write", w.per_write}, {"store_mb", w.per_mb}};
  for (const auto& [mode, kinds] : runs)
    for (const auto& [kind, run] : kinds) out[mode][kind] = kind_costs(run, store);
  for (const auto& [mode, e] : exec)
    if (std::optional<double> t = e.median()) out[mode]["exec"] = {{"task", *t}, {"exec_second", 1.0}};
  // What starting job-run added to the tiny gemm task, beyond its run
  // here and its store writes' disk cost.
  double start = 0;
  if (runs.count("exact") && tiny_here) {
    if (std::optional<double> t = runs["exact"].at("gemm").fixed.median())
      start = *t - tiny_here->seconds - seconds_at(tiny_here->work, store);
  }
  out["tool_start_s"] = std::max(0.0, start);
  return out;
}

}  // namespace grid
