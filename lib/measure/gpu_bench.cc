#include "measure/gpu_bench.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <sstream>

#include "measure/challenge.h"
#include "compute/device_cuda.h"
#include "compute/gpu_bench_cuda.h"
#include "measure/host_facts.h"
#include "core/keyfile.h"
#include "core/message.h"
#include "core/rank_world.h"
#include "core/text_pad.h"
#include "core/timestamp.h"
#include "core/tool.h"

namespace grid {
namespace {

json gpu_facts_json(int dev) {
  CudaFacts f = cuda_facts(dev);
  return {{"index", dev},
          {"name", f.name},
          {"compute_capability", std::to_string(f.cc_major) + "." + std::to_string(f.cc_minor)},
          {"sms", f.sms},
          {"memory_bytes", f.memory_bytes},
          {"driver_version", f.driver_version},
          {"runtime_version", f.runtime_version},
          {"sm_clock_mhz", f.sm_clock_mhz},
          {"memory_clock_mhz", f.memory_clock_mhz},
          {"memory_bus_bits", f.memory_bus_bits}};
}

double median_of(const json& profile, const char* section, const char* flavour) {
  const json* p = &profile;
  for (const char* key : {section, flavour, "best", "tflops", "median"}) {
    if (!p->is_object() || !p->contains(key)) return 0;
    p = &(*p)[key];
  }
  return p->is_number() ? p->get<double>() : 0;
}

std::string fmt(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

const std::vector<BenchSection>& bench_sections() {
  static const std::vector<BenchSection> table = {
      {"gemm", "GEMM throughput, exact and fast, over a size sweep, checked", bench_gemm},
      {"mem", "memory bandwidth: triad (and device copy on a GPU)", bench_memory},
      {"pcie", "host-to-device and device-to-host bandwidth, pinned", bench_pcie},
      {"nccl", "NCCL all-reduce across local GPUs", bench_nccl},
      {"kinds", "seconds per unit of each job kind's work, exact and fast, from reference tasks", bench_kinds},
      {"render", "Blender's version and build, and Cycles samples per second on a reference scene (when Blender is present)",
       bench_render},
  };
  return table;
}

json measure_profile(const BenchOptions& opt, const Device& device,
                     const std::function<void(const std::string&)>& progress) {
  BenchContext ctx;
  ctx.device = device;
  ctx.quick = opt.quick;
  ctx.threads = opt.threads;
  ctx.kinds = opt.kinds;
  ctx.progress = progress;

  json profile = {{"kind", "profile"},
                  {"v", kMessageVersion},
                  {"tool", std::string("gpu-bench ") + GRID_VERSION},
                  {"measured_at", format_rfc3339(now_seconds())},
                  {"quick", opt.quick},
                  {"device", device.name()},
                  {"host", host_facts()}};
  if (device.backend == Backend::cuda) {
    json gpus = json::array();
    for (int i = 0; i < cuda_device_count(); ++i) gpus.push_back(gpu_facts_json(i));
    profile["gpus"] = gpus;
  } else {
    profile["gpus"] = json::array();
  }
  profile["threads"] = opt.threads > 0 ? opt.threads : static_cast<int>(profile["host"]["logical_cores"]);
  for (const BenchSection& s : bench_sections()) {
    if (!opt.only.empty() && std::find(opt.only.begin(), opt.only.end(), s.name) == opt.only.end()) continue;
    profile[s.name] = s.run(ctx);
  }
  if (profile.contains("kinds") && profile.contains("render")) add_render_costs(profile["kinds"], profile["render"]);
  profile["faulty"] = !ctx.faults.empty();
  profile["faults"] = ctx.faults;
  // The few numbers buyers match and price on, in one place.
  json summary = {{"exact_gemm_tflops", median_of(profile, "gemm", "exact_f32")},
                  {"fast_f32_gemm_tflops", median_of(profile, "gemm", "fast_f32")},
                  {"gpu_count", profile["gpus"].size()}};
  if (device.backend == Backend::cuda) {
    const json& g = profile["gpus"][device.index];
    summary["gpu_model"] = g["name"];
    summary["gpu_memory_bytes"] = g["memory_bytes"];
    summary["fast_bf16_gemm_tflops"] = median_of(profile, "gemm", "fast_bf16");
  } else {
    summary["gpu_model"] = "none";
    summary["gpu_memory_bytes"] = 0;
  }
  summary["cpu_model"] = profile["host"]["cpu_model"];
  summary["memory_bytes"] = profile["host"]["memory_bytes"];
  // Only where Blender rendered: job-split --weights cuts render jobs by it.
  if (profile.contains("render") && profile["render"].contains("samples_per_s"))
    summary["render_samples_per_s"] = profile["render"]["samples_per_s"];
  profile["summary"] = summary;
  return profile;
}

std::string profile_table(const json& p) {
  std::ostringstream out;
  out << "device   " << p.value("device", "?") << "   (" << p["host"].value("cpu_model", "?") << ", "
      << p["host"].value("logical_cores", 0) << " cores)\n";
  for (const json& g : p.value("gpus", json::array()))
    out << "gpu " << g["index"] << "    " << g["name"].get<std::string>() << ", cc " << g["compute_capability"].get<std::string>()
        << ", " << fmt(g["memory_bytes"].get<double>() / (1 << 30), 1) << " GiB\n";
  if (p.contains("gemm")) {
    out << "\nGEMM                best size    TFLOP/s min / median / max   check\n";
    for (auto it = p["gemm"].begin(); it != p["gemm"].end(); ++it) {
      const json& f = it.value();
      if (f.contains("skipped")) {
        out << "  " << pad_right(it.key(), 18) << "skipped: "
            << f["skipped"].get<std::string>() << "\n";
        continue;
      }
      const json& b = f["best"];
      const json& t = b["tflops"];
      char line[200];
      std::snprintf(line, sizeof line, "  %-18s%-13s%8.4f / %8.4f / %8.4f   %s\n", it.key().c_str(),
                    (std::to_string(b["m"].get<int>()) + "^3").c_str(), t["min"].get<double>(),
                    t["median"].get<double>(), t["max"].get<double>(), b["check"]["ok"].get<bool>() ? "ok" : "FAULTY");
      out << line;
    }
  }
  auto bw = [&](const char* section, const char* key, const char* label) {
    if (!p.contains(section) || !p[section].contains(key)) return;
    const json& s = p[section][key];
    out << "  " << label << fmt(s["min"].get<double>(), 2) << " / " << fmt(s["median"].get<double>(), 2) << " / "
        << fmt(s["max"].get<double>(), 2) << " GB/s\n";
  };
  if (p.contains("mem") || p.contains("pcie")) out << "\nbandwidth           min / median / max\n";
  bw("mem", "triad_gbps", "triad             ");
  bw("mem", "copy_gbps", "device copy       ");
  bw("pcie", "h2d_gbps", "host to device    ");
  bw("pcie", "d2h_gbps", "device to host    ");
  for (const char* s : {"pcie", "nccl"})
    if (p.contains(s) && p[s].contains("skipped")) out << "  " << s << ": skipped (" << p[s]["skipped"].get<std::string>() << ")\n";
  if (p.contains("nccl") && p["nccl"].contains("sizes")) {
    out << "\nnccl all-reduce     bytes        busbw GB/s (median)\n";
    for (const json& s : p["nccl"]["sizes"])
      out << "                    " << s["bytes"] << "  " << fmt(s["busbw_gbps"]["median"].get<double>(), 2) << "\n";
  }
  if (p.contains("kinds") && p["kinds"].is_object()) {
    out << "\njob kinds           seconds per unit\n";
    for (auto mode = p["kinds"].begin(); mode != p["kinds"].end(); ++mode) {
      if (!mode.value().is_object()) continue;
      for (auto kind = mode.value().begin(); kind != mode.value().end(); ++kind) {
        out << "  " << pad_right(mode.key() + " " + kind.key(), 18);
        if (!kind.value().is_object()) {
          out << kind.value().dump() << "\n";
          continue;
        }
        for (auto unit = kind.value().begin(); unit != kind.value().end(); ++unit) {
          char cost[32];
          std::snprintf(cost, sizeof cost, "%.3g", unit.value().get<double>());
          out << (unit == kind.value().begin() ? "" : "  ") << unit.key() << " " << cost;
        }
        out << "\n";
      }
    }
  }
  if (p.contains("render") && p["render"].contains("samples_per_s")) {
    const json& r = p["render"];
    out << "\nrender (Blender " << r["blender"]["version"].get<std::string>() << ")\n"
        << "  samples/s         " << fmt(r["samples_per_s"].get<double>() / 1e6, 3) << " M\n"
        << "  pixel             " << fmt(r.value("pixel_seconds", 0.0) * 1e6, 3) << " us beyond its samples\n"
        << "  frame set-up      " << fmt(r.value("frame_seconds", 0.0) * 1e3, 1) << " ms\n"
        << "  first render      " << fmt(r.value("first_render_seconds", 0.0), 2) << " s more\n"
        << "  start-up          " << fmt(r["startup_seconds"].get<double>(), 2) << " s\n";
  } else if (p.contains("render") && p["render"].contains("skipped")) {
    out << "\nrender: skipped (" << p["render"]["skipped"].get<std::string>() << ")\n";
  }
  out << "\nfaulty: " << (p.value("faulty", false) ? "YES" : "no") << "\n";
  for (const json& f : p.value("faults", json::array())) out << "  " << f.get<std::string>() << "\n";
  return out.str();
}

int gpu_bench_main(Tool& tool, const BenchOptions& opt) {
  const std::string key_path = tool.key_path();
  if (opt.sign && key_path.empty()) throw Error(Exit::usage, "--sign needs a key: give --key FILE or set GRID_KEY");
  if (!opt.challenge.empty() && key_path.empty())
    throw Error(Exit::usage, "--challenge answers must be signed: give --key FILE or set GRID_KEY");
  std::string device_note;
  Device device = select_device(opt.device, &device_note);
  if (!device_note.empty()) tool.note(device_note);
  std::optional<SigningKey> key;
  if (!key_path.empty()) key = load_key(key_path);
  const bool show_progress = !tool.common().quiet && ::isatty(2);
  auto progress = [&](const std::string& what) {
    if (show_progress) tool.note(what);
  };

  if (!opt.challenge.empty()) {
    std::vector<std::string> inputs;
    if (opt.challenge != "-") inputs.push_back(opt.challenge);
    tool.each_message(inputs, [&](json& m, const Position&) {
      ChallengeRequest r = parse_challenge_request(m);
      progress("challenge " + r.id + ": exact GEMM " + std::to_string(r.n) + "^3 on " + device.name());
      json answer = answer_challenge(r, device, opt.threads, opt.challenge_runs);
      sign_message(answer, *key);
      write_message(answer);
    });
    return 0;
  }

  // Under mpirun or srun the ranks measure NCCL together, one GPU each;
  // rank 0 answers for them.
  RankWorld& world = rank_world();
  if (world.size() > 1 && opt.only != std::vector<std::string>{"nccl"})
    throw Error(Exit::usage, "on " + std::to_string(world.size()) + " ranks (" + world.from() +
                                 ") gpu-bench measures NCCL across them only: pass --only nccl");
  if (!opt.kinds.empty() && !opt.only.empty() && std::find(opt.only.begin(), opt.only.end(), "kinds") == opt.only.end())
    throw Error(Exit::usage, "--kinds narrows the kinds section, which --only leaves out");
  json profile = measure_profile(opt, device, progress);
  if (world.rank() > 0) return 0;
  if (key) sign_message(profile, *key);
  else set_message_id(profile);
  if (tool.table_format()) write_stdout(profile_table(profile));
  else write_message(profile);
  return 0;
}

}  // namespace grid
