// The exec kind's run: the buyer's argv in the sandbox, its outputs stored
// and committed to. A program that fails or hits a limit makes a result
// like any other, with status "failed" and the reason: a rerun reproduces
// it, so it is the program's outcome, not the provider's fault.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/fields.h"
#include "core/file_io.h"
#include "core/merkle.h"
#include "core/store.h"
#include "jobs/exec_image.h"
#include "jobs/exec_run.h"
#include "jobs/exec_spec.h"
#include "jobs/input_fetch.h"
#include "jobs/job_kinds.h"
#include "jobs/job_run.h"

namespace grid {
namespace {

namespace fs = std::filesystem;

Digest key_of(const json& ref) {
  Digest d{};
  parse_sha256_ref(ref.get<std::string>(), &d);
  return d;
}

// The bytes of an object the spec names by sha256 (and url), in the store
// afterwards; Exit::no_input when neither has it.
void fetch_into_store(const json& ref, Store& store, const std::string& field) {
  const Digest key = key_of(ref["sha256"]);
  if (ref.contains("url")) {
    fetch_input(ref["url"].get<std::string>(), key, &store, field);
  } else if (!store.intact(key)) {
    throw Error(Exit::no_input, ref["sha256"].get<std::string>() + " is not in the store " + store.dir() +
                                    " and the spec names no URL for it")
        .at_field(field);
  }
}

// The collected file at `path` under `out`, stored; it must still be the
// regular file the sandbox hashed.
void store_output(Store& store, const std::string& out, const OutputEntry& e) {
  const std::string file = out + "/" + e.path;
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw Error(Exit::io, "cannot open the output " + file + ": " + std::strerror(errno));
  Digest got;
  try {
    got = store.put_fd(fd, file);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (got != e.sha256) throw Error(Exit::internal, "the output " + file + " changed after it was collected");
}

}  // namespace

ExecFolder::ExecFolder(Store& store) {
  make_dirs(store.dir() + "/tmp");
  // Absolute: the sandbox binds these folders by path.
  dir_ = fs::absolute(store.dir() + "/tmp/exec-XXXXXX").string();
  if (!::mkdtemp(dir_.data())) throw Error(Exit::io, "cannot make " + dir_ + ": " + std::strerror(errno));
  ::chmod(dir_.c_str(), 0755);
}

ExecFolder::~ExecFolder() { remove_tree(dir_); }

std::string ExecFolder::sub(const std::string& name) const {
  const std::string d = dir_ + "/" + name;
  if (::mkdir(d.c_str(), 0755) != 0) throw Error(Exit::io, "cannot make " + d + ": " + std::strerror(errno));
  return d;
}

void place_files(Store& store, const std::vector<std::pair<std::string, Digest>>& files, const std::string& dir) {
  for (const auto& [path, key] : files) {
    const std::string dest = dir + "/" + path;
    make_dirs(parent_of(dest));
    // A hard link shares the object's bytes (mode 0444); a copy where the
    // file system does not allow one.
    if (::link(store.path(key).c_str(), dest.c_str()) == 0) continue;
    std::error_code ec;
    if (!fs::copy_file(store.path(key), dest, ec))
      throw Error(Exit::io, "cannot place " + store.path(key) + " at " + dest + ": " + ec.message());
  }
}

SandboxSpec exec_sandbox(const json& task, Store& store, const ExecHost& host, const ExecFolder& work) {
  const json& spec = task["exec"];
  SandboxSpec sb;
  if (spec.value("network", false) && !host.allow_network)
    throw Error(Exit::unavailable, "the task asks for the network, which this provider does not allow (job-run "
                                   "--allow-network allows it)")
        .at_field(".exec.network");
  sb.network = spec.value("network", false);
  sb.cuda = host.cuda;
  for (const json& a : spec["command"]) sb.argv.push_back(a.get<std::string>());
  // validate_task has checked them (task_place, to 2^53); read through the
  // typed getters all the same, so that a caller that skipped it gets an
  // error naming the field, not a type error.
  sb.env = exec_base_env(get_int_opt(task, "index", "", 0, INT64_MAX).value_or(0),
                         static_cast<uint64_t>(get_int_opt(task, "seed", "", 0, INT64_MAX).value_or(0)));
  if (spec.contains("env"))
    for (auto it = spec["env"].begin(); it != spec["env"].end(); ++it) sb.env[it.key()] = it.value().get<std::string>();
  if (host.cuda) sb.env["CUDA_VISIBLE_DEVICES"] = std::to_string(host.cuda_index);
  sb.limits = exec_limits(spec);
  if (spec["image"].is_object()) {
    fetch_into_store(spec["image"], store, ".exec.image");
    const Digest key = key_of(spec["image"]["sha256"]);
    sb.root = fs::absolute(unpack_image(store, key, store.path(key), ".exec.image")).string();
  }
  std::vector<std::pair<std::string, Digest>> files;
  if (spec.contains("inputs"))
    for (size_t i = 0; i < spec["inputs"].size(); ++i) {
      const json& in = spec["inputs"][i];
      fetch_into_store(in, store, ".exec.inputs[" + std::to_string(i) + "]");
      files.emplace_back(in["path"].get<std::string>(), key_of(in["sha256"]));
    }
  const std::string in_dir = work.sub("in");
  place_files(store, files, in_dir);
  sb.ro_binds.push_back({in_dir, "/in"});
  return sb;
}

std::string exec_run_sha256(const json& part) {
  const json committed = {{"status", part["status"]},           {"reason", part["reason"]},
                          {"exit_code", part["exit_code"]},     {"signal", part["signal"]},
                          {"output_root", part["output_root"]}, {"stdout_sha256", part["stdout_sha256"]},
                          {"stderr_sha256", part["stderr_sha256"]}};
  return sha256_ref(sha256(canonical_json(committed)));
}

std::vector<OutputEntry> exec_outputs(const json& list, const std::string& field) {
  if (!list.is_array()) throw data_error("expected an array of {path, size, sha256}", field);
  std::vector<OutputEntry> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string p = field + "[" + std::to_string(i) + "]";
    const json& e = list[i];
    if (!e.is_object() || !e.contains("path") || !e["path"].is_string() || !e.contains("size") ||
        !e["size"].is_number_unsigned() || !e.contains("sha256") || !e["sha256"].is_string())
      throw data_error("expected {path, size, sha256}", p);
    OutputEntry o;
    o.path = e["path"];
    o.size = e["size"];
    if (!parse_sha256_ref(e["sha256"].get<std::string>(), &o.sha256)) throw data_error("expected sha256:<64 lower-case hex digits>", p + ".sha256");
    out.push_back(std::move(o));
  }
  return out;
}

json exec_execute(const json& task, Store& store, const ExecHost& host) {
  const json& spec = task["exec"];
  ExecFolder work(store);
  SandboxSpec sb = exec_sandbox(task, store, host, work);
  sb.out_dir = work.sub("out");
  SandboxOutcome o = run_sandboxed(sb);
  json outputs = json::array();
  std::set<std::string> made;
  for (const OutputEntry& e : o.outputs) {
    store_output(store, sb.out_dir, e);
    outputs.push_back({{"path", e.path}, {"size", e.size}, {"sha256", sha256_ref(e.sha256)}});
    made.insert(e.path);
  }
  // An output the job expects and the program did not write is its
  // failure, as reproducible as an exit status.
  if (o.status == "ok" && spec.contains("outputs"))
    for (const json& want : spec["outputs"])
      if (!made.count(want.get<std::string>())) {
        o.status = "failed";
        o.reason = "missing output " + want.get<std::string>();
        break;
      }
  json files = json::object();
  if (spec.contains("inputs"))
    for (const json& in : spec["inputs"]) files[in["path"].get<std::string>()] = in["sha256"];
  json part = {{"inputs", {{"image", spec["image"].is_string() ? spec["image"] : spec["image"]["sha256"]}, {"files", files}}},
               {"status", o.status},
               {"reason", o.reason},
               {"exit_code", o.exit_code},
               {"signal", o.signal},
               {"outputs", outputs},
               {"output_root", sha256_ref(output_root(o.outputs))},
               {"stdout_sha256", sha256_ref(o.stdout_sha256)},
               {"stderr_sha256", sha256_ref(o.stderr_sha256)},
               {"metrics", {{"wall_seconds", o.wall_seconds}, {"cpu_seconds", o.cpu_seconds}}}};
  part["run_sha256"] = exec_run_sha256(part);
  return part;
}

json exec_run(const json& task, RunContext& ctx) {
  ExecHost host;
  host.allow_network = ctx.allow_network;
  host.cuda = ctx.device.backend == Backend::cuda;
  host.cuda_index = ctx.device.index;
  ctx.progress("exec " + task["exec"]["command"][0].get<std::string>());
  return exec_execute(task, *ctx.store, host);
}

}  // namespace grid
