#include "measure/profile_schema.h"

namespace grid {
namespace {

// A spread of repeated measurements (timing.cc's spread_json).
json spread() { return {{"min", {}}, {"median", {}}, {"max", {}}}; }

json leaves(std::initializer_list<const char*> names) {
  json o = json::object();
  for (const char* n : names) o[n] = json::object();
  return o;
}

// One GEMM flavour (bench_gemm.cc): its best size and its sweep, each entry
// checked against a reference; or why it was skipped.
json gemm_flavour() {
  json entry = leaves({"m", "n", "k"});
  entry["tflops"] = spread();
  entry["check"] = leaves({"entries", "max_error_over_magnitude", "ok"});
  return {{"best", entry}, {"sweep", {{"#", entry}}}, {"skipped", json::object()}};
}

json build_schema() {
  json s = leaves({"kind", "v", "id", "tool", "measured_at", "quick", "device", "threads", "faulty"});
  s["sig"] = leaves({"by", "sig"});
  s["faults"] = {{"#", json::object()}};
  s["host"] = leaves({"cpu_model", "logical_cores", "memory_bytes", "os"});
  s["gpus"] = {{"#", leaves({"index", "name", "compute_capability", "sms", "memory_bytes", "driver_version",
                              "runtime_version", "sm_clock_mhz", "memory_clock_mhz", "memory_bus_bits"})}};

  json& gemm = s["gemm"];
  for (const char* f : {"exact_f32", "fast_f32", "fast_tf32", "fast_bf16", "fast_fp16", "fast_fp8"}) gemm[f] = gemm_flavour();
  gemm["fast_f32"]["openblas"] = leaves({"library", "core"});

  s["mem"] = leaves({"array_bytes"});
  s["mem"]["triad_gbps"] = spread();
  s["mem"]["copy_gbps"] = spread();
  s["pcie"] = leaves({"bytes", "pinned", "skipped"});
  s["pcie"]["h2d_gbps"] = spread();
  s["pcie"]["d2h_gbps"] = spread();
  s["nccl"] = leaves({"skipped", "gpus", "ranks", "launcher", "op", "dtype"});
  json size = leaves({"bytes", "correct"});
  size["algbw_gbps"] = spread();
  size["busbw_gbps"] = spread();
  s["nccl"]["sizes"] = {{"#", size}};

  // Each kind's seconds per unit of its work (bench_kinds.cc, and the
  // render costs gpu_bench.cc adds from the render section).
  json kinds = {{"exec", leaves({"task", "exec_second"})},
                {"gemm", leaves({"task", "gflop", "melement", "store_write", "store_mb"})},
                {"infer", leaves({"task", "batch", "data_mvalue", "gflop", "mrow", "store_write", "store_mb"})},
                {"render", leaves({"task", "blender_start", "frame", "mpixel", "msample", "store_write", "store_mb"})},
                {"train", leaves({"task", "data_mvalue", "gflop", "mrow", "state_mb", "step", "store_write", "store_mb"})},
                {"skipped", json::object()}};
  s["kinds"] = leaves({"tool_start_s"});
  s["kinds"]["exact"] = kinds;
  s["kinds"]["fast"] = kinds;

  s["render"] = leaves({"skipped", "device", "startup_seconds", "render_seconds", "first_render_seconds",
                        "frame_seconds", "pixel_seconds", "samples_per_s"});
  s["render"]["blender"] = leaves({"version", "build"});
  s["render"]["blender"]["backends"] = {{"#", json::object()}};
  s["render"]["scene"] = leaves({"width", "height", "frames"});
  s["render"]["scene"]["samples"] = {{"#", json::object()}};
  s["render"]["scene"]["large"] = leaves({"width", "height"});
  s["render"]["medians"] = leaves({"low", "high", "large"});

  s["summary"] = leaves({"exact_gemm_tflops", "fast_f32_gemm_tflops", "fast_bf16_gemm_tflops", "gpu_count", "gpu_model",
                         "gpu_memory_bytes", "cpu_model", "memory_bytes", "render_samples_per_s"});
  return s;
}

}  // namespace

const json& profile_schema() {
  static const json schema = build_schema();
  return schema;
}

SchemaMatch match_profile_path(const std::vector<json>& steps) {
  SchemaMatch m;
  const json* at = &profile_schema();
  for (const json& step : steps) {
    const json* next = nullptr;
    if (step.is_string() && at->contains(step.get<std::string>()) && step != "#") next = &(*at)[step.get<std::string>()];
    if (step.is_number_integer() && at->contains("#")) next = &(*at)["#"];
    if (!next) {
      for (const auto& [name, _] : at->items()) m.there.push_back(name);
      return m;
    }
    at = next;
    ++m.known;
  }
  m.whole = true;
  return m;
}

}  // namespace grid
