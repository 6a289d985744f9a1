// The exec kind's spec and split: the buyer's argv over a range of numbers
// (frames, seeds, shards) or a list of items, one task a piece, with the
// piece's values put in place of {index}, {start}, {end} and {item}.
#include "jobs/exec_spec.h"

#include <cctype>
#include <cmath>
#include <functional>
#include <set>

#include "core/crypto.h"
#include "core/error.h"
#include "core/fields.h"
#include "jobs/data_spec.h"
#include "jobs/job_kinds.h"

namespace grid {
namespace {

// Pieces one job may be cut into: a job-split's output stays a file a
// person can look at, and an order book of them stays small.
constexpr int64_t kMaxPieces = 100000;
// argv: what execve takes comfortably on every kernel (ARG_MAX is 2 MiB
// with the environment together).
constexpr size_t kMaxArgs = 4096;
constexpr size_t kMaxArgBytes = 65536;
constexpr size_t kMaxEnv = 1024;
// A path under /in or /out: a component as Linux allows it, and a depth no
// real layout needs.
constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxInputs = 10000;
// range bounds stay exact in a double (JSON readers elsewhere).
constexpr int64_t kMaxRangeValue = int64_t{1} << 53;
// The fixed time a task's tools see (SOURCE_DATE_EPOCH): any fixed value
// gives the same bytes on every provider; 2000-01-01 is one no tool
// mistakes for "unset".
constexpr const char* kSourceDateEpoch = "946684800";

// Where a task's text is valid: a relative '/'-separated path with no
// empty, "." or ".." component and no NUL or newline.
void check_relative_path(const std::string& p, const std::string& field) {
  if (p.empty() || p.size() > kMaxPathBytes) throw data_error("expected a path of 1.." + std::to_string(kMaxPathBytes) + " bytes", field);
  if (p[0] == '/') throw data_error("\"" + p + "\" is absolute: name a path relative to the folder", field);
  size_t at = 0;
  while (at <= p.size()) {
    size_t end = p.find('/', at);
    if (end == std::string::npos) end = p.size();
    const std::string part = p.substr(at, end - at);
    if (part.empty() || part == "." || part == "..")
      throw data_error("\"" + p + "\" has an empty, \".\" or \"..\" component", field);
    if (part.size() > kMaxNameBytes) throw data_error("a component of \"" + p + "\" is over 255 bytes", field);
    at = end + 1;
  }
  if (p.find('\0') != std::string::npos || p.find('\n') != std::string::npos)
    throw data_error("a path with a NUL or newline", field);
}

bool is_env_name(const std::string& n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

void validate_inputs(const json& inputs, const std::string& path, RunsOn where) {
  if (!inputs.is_array() || inputs.size() > kMaxInputs)
    throw data_error("expected an array of at most " + std::to_string(kMaxInputs) + " inputs", path);
  std::set<std::string> seen;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    const json& in = inputs[i];
    if (!in.is_object()) throw data_error("expected an object with \"path\", \"sha256\" and \"url\"", p);
    check_known_fields(in, p, {"path", "sha256", "url"});
    const std::string name = get_string(in, "path", p);
    check_relative_path(name, p + ".path");
    // One input may not be the folder of another: /in is made of files.
    for (const std::string& other : seen)
      if (other == name || other.rfind(name + "/", 0) == 0 || name.rfind(other + "/", 0) == 0)
        throw data_error("\"" + name + "\" clashes with the input \"" + other + "\"", p + ".path");
    seen.insert(name);
    require_ref(in, "sha256", p);
    if (in.contains("url")) check_input_url(get_string(in, "url", p), p + ".url");
    else if (where == RunsOn::elsewhere)
      throw data_error("a provider's store does not hold the buyer's file: name its \"url\"", p + ".url");
  }
}

void validate_outputs(const json& outputs, const std::string& path) {
  if (!outputs.is_array() || outputs.size() > kMaxInputs)
    throw data_error("expected an array of at most " + std::to_string(kMaxInputs) + " paths under /out", path);
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (!outputs[i].is_string()) throw data_error("expected a path under /out", p);
    check_relative_path(outputs[i].get<std::string>(), p);
  }
}

void validate_env(const json& env, const std::string& path) {
  if (!env.is_object() || env.size() > kMaxEnv)
    throw data_error("expected an object of at most " + std::to_string(kMaxEnv) + " NAME: \"value\" members", path);
  for (auto it = env.begin(); it != env.end(); ++it) {
    const std::string p = path + "." + it.key();
    if (!is_env_name(it.key())) throw data_error("not a variable name ([A-Za-z_][A-Za-z0-9_]*)", p);
    if (exec_reserved_env(it.key()))
      throw data_error(it.key() + " is set by the provider for every task (TZ, LC_ALL, SOURCE_DATE_EPOCH, HOME, "
                       "GRID_*, CUDA_VISIBLE_DEVICES)", p);
    if (!it.value().is_string()) throw data_error("expected a string", p);
    const std::string& v = it.value().get_ref<const std::string&>();
    if (v.size() > kMaxArgBytes || v.find('\0') != std::string::npos)
      throw data_error("expected a string of at most " + std::to_string(kMaxArgBytes) + " bytes without NUL", p);
  }
}

void validate_verify(const json& spec, const std::string& path) {
  if (!spec.contains("verify")) return;
  const json& v = spec["verify"];
  const std::string p = path + ".verify";
  if (v.is_string()) {
    if (v != "rerun" && v != "quorum") throw data_error("expected \"rerun\", \"quorum\" or {\"compare\": argv}", p);
    return;
  }
  if (!v.is_object()) throw data_error("expected \"rerun\", \"quorum\" or {\"compare\": argv}", p);
  check_known_fields(v, p, {"compare"});
  if (!v.contains("compare")) throw data_error("expected {\"compare\": argv}", p + ".compare");
  validate_argv(v["compare"], p + ".compare");
}

// The pieces of a range, or 0 when the spec has none.
int64_t range_pieces(const json& spec, const std::string& path) {
  if (!spec.contains("range")) return 0;
  const std::string p = path + ".range";
  const json& r = get_object(spec, "range", path);
  check_known_fields(r, p, {"start", "end", "step"});
  const int64_t start = get_int(r, "start", p, -kMaxRangeValue, kMaxRangeValue - 1);
  const int64_t end = get_int(r, "end", p, start + 1, kMaxRangeValue);
  const int64_t step = get_int_opt(r, "step", p, 1, kMaxRangeValue).value_or(1);
  const int64_t pieces = (end - start + step - 1) / step;
  if (pieces > kMaxPieces)
    throw data_error(std::to_string(pieces) + " tasks; at most " + std::to_string(kMaxPieces) + " (a larger step)", p + ".step");
  return pieces;
}

void validate_part(const json& part, const std::string& p) {
  if (!part.is_object()) throw data_error("expected an object", p);
  check_known_fields(part, p, {"index", "start", "end", "item"});
  get_int(part, "index", p, 0, kMaxPieces - 1);
  if (part.contains("item")) {
    if (part.contains("start") || part.contains("end")) throw data_error("a piece is an item or a range, not both", p);
    if (!part["item"].is_string() && !part["item"].is_number_integer()) throw data_error("expected a string or an integer", p + ".item");
  } else if (part.contains("start") || part.contains("end")) {
    const int64_t s = get_int(part, "start", p, -kMaxRangeValue, kMaxRangeValue - 1);
    get_int(part, "end", p, s + 1, kMaxRangeValue);
  }
}

// Every text the pieces' values go into: argv, the env's values, outputs.
void for_each_text(const json& spec, const std::function<void(const std::string&, const std::string&)>& f,
                   const std::string& path) {
  for (size_t i = 0; i < spec["command"].size(); ++i)
    f(spec["command"][i].get<std::string>(), path + ".command[" + std::to_string(i) + "]");
  if (spec.contains("env"))
    for (auto it = spec["env"].begin(); it != spec["env"].end(); ++it) f(it.value().get<std::string>(), path + ".env." + it.key());
  if (spec.contains("outputs"))
    for (size_t i = 0; i < spec["outputs"].size(); ++i)
      f(spec["outputs"][i].get<std::string>(), path + ".outputs[" + std::to_string(i) + "]");
}

std::string item_text(const json& item) { return item.is_string() ? item.get<std::string>() : item.dump(); }

}  // namespace

const std::vector<ExecLimitField>& exec_limit_fields() {
  static const std::vector<ExecLimitField> table = {
      {"wall_seconds", 7 * 86400.0, false},       // a week: longer work is cut into tasks
      {"cpu_seconds", 7 * 86400.0 * 256, false},  // a week on 256 cores
      {"memory_bytes", double(uint64_t{1} << 40), true},
      {"processes", 4096, true},
      {"open_files", 65536, true},
      {"file_bytes", double(uint64_t{1} << 40), true},
      {"output_bytes", double(uint64_t{1} << 40), true},
      {"output_files", 1000000, true},
      {"tmp_bytes", double(uint64_t{64} << 30), true},
      {"stdio_bytes", double(uint64_t{64} << 20), true},
  };
  return table;
}

void validate_exec_limits(const json& limits, const std::string& path) {
  if (!limits.is_object()) throw data_error("expected an object of limits", path);
  std::vector<std::string> names;
  for (const ExecLimitField& f : exec_limit_fields()) names.push_back(f.name);
  check_known_fields(limits, path, names);
  for (const ExecLimitField& f : exec_limit_fields()) {
    if (!limits.contains(f.name)) continue;
    if (f.whole) get_int(limits, f.name, path, 1, static_cast<int64_t>(f.max));
    else get_number(limits, f.name, path, 0.001, f.max);
  }
}

SandboxLimits exec_limits(const json& spec) {
  SandboxLimits l;
  if (!spec.contains("limits")) return l;
  const json& j = spec["limits"];
  auto num = [&](const char* n, double* v) { if (j.contains(n)) *v = j[n].get<double>(); };
  auto u64 = [&](const char* n, uint64_t* v) { if (j.contains(n)) *v = j[n].get<uint64_t>(); };
  auto i64 = [&](const char* n, int64_t* v) { if (j.contains(n)) *v = j[n].get<int64_t>(); };
  num("wall_seconds", &l.wall_seconds);
  num("cpu_seconds", &l.cpu_seconds);
  u64("memory_bytes", &l.memory_bytes);
  i64("processes", &l.processes);
  i64("open_files", &l.open_files);
  u64("file_bytes", &l.file_bytes);
  u64("output_bytes", &l.output_bytes);
  u64("output_files", &l.output_files);
  u64("tmp_bytes", &l.tmp_bytes);
  u64("stdio_bytes", &l.stdio_bytes);
  return l;
}

void validate_argv(const json& argv, const std::string& path) {
  if (!argv.is_array() || argv.empty() || argv.size() > kMaxArgs)
    throw data_error("expected an argv: an array of 1.." + std::to_string(kMaxArgs) + " strings", path);
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (!argv[i].is_string()) throw data_error("expected a string", p);
    const std::string& a = argv[i].get_ref<const std::string&>();
    if (a.size() > kMaxArgBytes || a.find('\0') != std::string::npos)
      throw data_error("expected a string of at most " + std::to_string(kMaxArgBytes) + " bytes without NUL", p);
    if (i == 0 && a.empty()) throw data_error("the program to run is empty", p);
  }
}

void validate_image(const json& image, const std::string& path) {
  if (image.is_string()) {
    if (image != "host") throw data_error("expected \"host\" or {\"sha256\", \"url\"} of a rootfs tarball", path);
    return;
  }
  if (!image.is_object()) throw data_error("expected \"host\" or {\"sha256\", \"url\"} of a rootfs tarball", path);
  check_known_fields(image, path, {"sha256", "url"});
  require_ref(image, "sha256", path);
  check_input_url(get_string(image, "url", path), path + ".url");
}

bool exec_reserved_env(const std::string& name) {
  static const std::set<std::string> fixed = {"TZ", "LC_ALL", "SOURCE_DATE_EPOCH", "HOME", "CUDA_VISIBLE_DEVICES"};
  return fixed.count(name) || name.rfind("GRID_", 0) == 0;
}

std::map<std::string, std::string> exec_base_env(int64_t task_index, uint64_t task_seed) {
  return {{"PATH", "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"},
          {"TZ", "UTC"},
          {"LC_ALL", "C"},
          {"SOURCE_DATE_EPOCH", kSourceDateEpoch},
          {"HOME", "/tmp"},
          {"GRID_TASK_INDEX", std::to_string(task_index)},
          {"GRID_SEED", std::to_string(task_seed)}};
}

std::string exec_substitute(const std::string& text, const json& part) {
  std::string out;
  for (size_t at = 0; at < text.size();) {
    bool replaced = false;
    if (text[at] == '{')
      for (const char* name : {"index", "start", "end", "item"}) {
        const std::string token = "{" + std::string(name) + "}";
        if (text.compare(at, token.size(), token) != 0 || !part.contains(name)) continue;
        out += item_text(part[name]);
        at += token.size();
        replaced = true;
        break;
      }
    if (!replaced) out += text[at++];
  }
  return out;
}

std::vector<std::string> exec_comparator(const json& spec) {
  std::vector<std::string> argv;
  if (spec.contains("verify") && spec["verify"].is_object())
    for (const json& a : spec["verify"]["compare"]) argv.push_back(a.get<std::string>());
  return argv;
}

void exec_validate(const json& spec, const std::string& path, RunsOn where) {
  check_known_fields(spec, path, {"command", "env", "image", "inputs", "outputs", "limits", "network", "verify",
                                  "range", "items", "part"});
  if (!spec.contains("command")) throw data_error("an exec spec names its \"command\" (an argv)", path + ".command");
  validate_argv(spec["command"], path + ".command");
  if (spec.contains("env")) validate_env(spec["env"], path + ".env");
  if (!spec.contains("image")) throw data_error("name the \"image\": \"host\" or {\"sha256\", \"url\"}", path + ".image");
  validate_image(spec["image"], path + ".image");
  if (spec.contains("inputs")) validate_inputs(spec["inputs"], path + ".inputs", where);
  if (spec.contains("outputs")) validate_outputs(spec["outputs"], path + ".outputs");
  if (spec.contains("limits")) validate_exec_limits(spec["limits"], path + ".limits");
  get_bool_opt(spec, "network", path);
  validate_verify(spec, path);
  const int64_t pieces = range_pieces(spec, path);
  if (spec.contains("items")) {
    if (pieces) throw data_error("cut by \"range\" or by \"items\", not both", path + ".items");
    const json& items = get_array(spec, "items", path);
    if (items.empty() || static_cast<int64_t>(items.size()) > kMaxPieces)
      throw data_error("expected 1.." + std::to_string(kMaxPieces) + " items", path + ".items");
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string p = path + ".items[" + std::to_string(i) + "]";
      if (items[i].is_string()) {
        const std::string& t = items[i].get_ref<const std::string&>();
        if (t.size() > kMaxArgBytes || t.find('\0') != std::string::npos)
          throw data_error("expected a string of at most " + std::to_string(kMaxArgBytes) + " bytes without NUL", p);
      } else if (!items[i].is_number_integer()) {
        throw data_error("expected a string or an integer", p);
      }
      // An item that makes an output path no path is refused here, not
      // in the one task it would spoil.
      if (spec.contains("outputs"))
        for (size_t o = 0; o < spec["outputs"].size(); ++o)
          check_relative_path(exec_substitute(spec["outputs"][o].get<std::string>(), {{"item", items[i]}}), p);
    }
  }
  if (spec.contains("part")) {
    if (spec.contains("range") || spec.contains("items"))
      throw data_error("a task's piece is cut already: no \"range\" or \"items\" beside it", path + ".part");
    validate_part(spec["part"], path + ".part");
    return;  // its values were put in place when it was cut
  }
  // A placeholder with nothing to stand for is a mistake, not literal text.
  for_each_text(spec, [&](const std::string& text, const std::string& field) {
    if (!spec.contains("range") && (text.find("{start}") != std::string::npos || text.find("{end}") != std::string::npos))
      throw data_error("{start} and {end} stand for a piece of a \"range\", and the spec has none", field);
    if (!spec.contains("items") && text.find("{item}") != std::string::npos)
      throw data_error("{item} stands for one of the \"items\", and the spec has none", field);
  }, path);
}

std::vector<TaskBody> exec_split(const json& spec, uint64_t, const SplitOptions&) {
  std::vector<json> parts;
  if (spec.contains("range")) {
    const json& r = spec["range"];
    const int64_t start = r["start"], end = r["end"], step = r.value("step", int64_t{1});
    for (int64_t s = start; s < end; s += step)
      parts.push_back({{"index", parts.size()}, {"start", s}, {"end", std::min(end, s + step)}});
  } else if (spec.contains("items")) {
    for (const json& item : spec["items"]) parts.push_back({{"index", parts.size()}, {"item", item}});
  } else if (spec.contains("part")) {
    parts.push_back(spec["part"]);
  } else {
    parts.push_back({{"index", 0}});
  }
  std::vector<TaskBody> out;
  for (const json& part : parts) {
    json t = spec;
    t.erase("range");
    t.erase("items");
    t["part"] = part;
    for (json& a : t["command"]) a = exec_substitute(a.get<std::string>(), part);
    if (t.contains("env"))
      for (auto it = t["env"].begin(); it != t["env"].end(); ++it) it.value() = exec_substitute(it.value().get<std::string>(), part);
    if (t.contains("outputs"))
      for (json& o : t["outputs"]) o = exec_substitute(o.get<std::string>(), part);
    // A foreign program's work is no count of floating-point operations:
    // its estimate is its time limit (task_cost.cc).
    out.push_back({t, 0, "", ""});
  }
  return out;
}

}  // namespace grid
