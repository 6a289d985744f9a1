// Blender in the exec sandbox: the scene and the driver script bound at
// /in, the PNGs and blender.json written under /out, one Blender start-up
// for all of a request's renders (starting Blender costs more than a small
// frame). The driver and the reference scene are Python files of the
// repository, linked in whole (kind_render_scripts.S).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/file_io.h"
#include "jobs/kind_render.h"
#include "jobs/sandbox.h"

extern "C" const char grid_render_driver_py[];
extern "C" const char grid_render_scene_py[];

namespace grid {
namespace {

// The sandbox's PATH, where `blender` is looked up inside (the host's root).
constexpr const char* kSandboxPath = "/usr/local/bin:/usr/bin:/bin";
// A frame may take hours; a task of many frames days. The buyer's job
// names no limit, so the provider's patience is the sandbox's.
constexpr double kRenderWallSeconds = 7 * 24 * 3600.0;
// Cycles holds a scene's geometry, textures and one float buffer per pass.
constexpr uint64_t kRenderMemoryBytes = 32ull << 30;
// The driver's exit status for "this Blender has no such device".
constexpr int kNoDeviceExit = 3;
// Blender's own exit status when the driver raises.
constexpr int kPythonErrorExit = 2;
// Bytes of a blender.json or a PNG read back from /out.
constexpr size_t kMaxOutputRead = size_t(1) << 30;

// A folder under $TMPDIR (else /tmp) with in/ and out/, removed when done.
struct RenderDirs {
  std::string dir;
  RenderDirs() {
    const char* t = std::getenv("TMPDIR");
    std::string templ = std::string(t && *t ? t : "/tmp") + "/gridutils-render.XXXXXX";
    if (!::mkdtemp(templ.data())) throw Error(Exit::io, "cannot make a folder " + templ + " for Blender");
    dir = templ;
    std::filesystem::create_directory(in());
    std::filesystem::create_directory(out());
  }
  ~RenderDirs() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string in() const { return dir + "/in"; }
  std::string out() const { return dir + "/out"; }
};

void write_text(const std::string& path, const char* text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f.flush()) throw Error(Exit::io, "cannot write " + path);
}

// The scene inside /in: a hard link where the store shares the file system,
// else a copy.
void place_scene(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return;
  std::error_code ec;
  if (!std::filesystem::copy_file(from, to, ec))
    throw Error(Exit::io, "cannot copy the scene " + from + " for Blender: " + ec.message());
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// The executable `blender` names on the sandbox's PATH; "" when none.
std::string blender_executable() {
  std::string dirs = kSandboxPath;
  for (size_t at = 0; at <= dirs.size();) {
    size_t colon = dirs.find(':', at);
    if (colon == std::string::npos) colon = dirs.size();
    const std::string candidate = dirs.substr(at, colon - at) + "/blender";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    at = colon + 1;
  }
  return "";
}

// "sha256:<hex>" of the executable, hashed once a process (about 90 MB).
const std::string& blender_build(const std::string& exe) {
  static const std::string build = [&] {
    Sha256 h;
    std::ifstream f(exe, std::ios::binary);
    std::vector<char> buf(1 << 20);
    while (f.read(buf.data(), static_cast<std::streamsize>(buf.size())) || f.gcount() > 0)
      h.update(buf.data(), static_cast<size_t>(f.gcount()));
    return sha256_ref(h.final());
  }();
  return build;
}

// Blender in the sandbox with `args` after its own -b: the folders bound,
// the environment fixed, no limit below what a long render needs.
SandboxSpec blender_spec(const RenderDirs& dirs, const std::vector<std::string>& args) {
  SandboxSpec s;
  s.argv = {"blender", "-b", "--factory-startup", "-noaudio"};
  s.argv.insert(s.argv.end(), args.begin(), args.end());
  s.env = {{"PATH", kSandboxPath}, {"HOME", "/tmp"}, {"TZ", "UTC"}, {"LC_ALL", "C"}};
  s.ro_binds = {{dirs.in(), "/in"}};
  s.out_dir = dirs.out();
  s.workdir = "/tmp";
  s.limits.wall_seconds = kRenderWallSeconds;
  s.limits.cpu_seconds = kRenderWallSeconds * 64;
  s.limits.memory_bytes = kRenderMemoryBytes;
  return s;
}

}  // namespace

json BlenderInfo::to_json() const { return {{"version", version}, {"build", build}, {"backends", backends}}; }

std::optional<BlenderInfo> local_blender() {
  const std::string exe = blender_executable();
  if (exe.empty()) return std::nullopt;
  BlenderInfo info;
  info.build = blender_build(exe);
  return info;
}

RenderOutcome render_frames(const RenderRequest& req, const std::string& field) {
  const std::string exe = blender_executable();
  if (exe.empty())
    throw Error(Exit::unavailable, std::string("Blender is not installed (no blender in ") + kSandboxPath +
                                       "; scripts/install-deps installs Debian's)");
  RenderDirs dirs;
  place_scene(req.scene, dirs.in() + "/scene.blend");
  write_text(dirs.in() + "/driver.py", grid_render_driver_py);
  json renders = json::array();
  for (size_t i = 0; i < req.frames.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/out/r%05zu.png", i);
    json r = {{"frame", req.frames[i].frame}, {"out", name}};
    if (const auto& b = req.frames[i].border) r["border"] = {b->x0, b->y0, b->x1, b->y1};
    if (req.frames[i].samples) r["samples"] = *req.frames[i].samples;
    if (req.frames[i].percent != 100) {
      if (req.frames[i].border) throw Error(Exit::internal, "a crop is rendered at the request's own size");
      r["percent"] = req.frames[i].percent;
    }
    renders.push_back(r);
  }
  const int threads = req.threads > 0 ? req.threads : static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  const json args = {{"device", req.device}, {"seed", req.seed},     {"samples", req.samples}, {"threads", threads},
                     {"width", req.width},   {"height", req.height}, {"renders", renders}};
  SandboxSpec spec = blender_spec(dirs, {"/in/scene.blend", "--python-exit-code", std::to_string(kPythonErrorExit),
                                         "--python", "/in/driver.py", "--", args.dump()});
  spec.cuda = req.device == "cuda" || req.device == "optix";
  const SandboxOutcome run = run_sandboxed(spec);

  RenderOutcome out;
  out.seconds = run.wall_seconds;
  json info;
  const std::string info_path = dirs.out() + "/blender.json";
  if (::access(info_path.c_str(), R_OK) == 0) info = json::parse(read_file(info_path, kMaxOutputRead), nullptr, false);
  if (run.exit_code == kNoDeviceExit && info.is_object())
    throw Error(Exit::unavailable, "this machine's Blender has no " + req.device + " device (it has " +
                                       info.value("backends", json::array()).dump() + ")");
  if (run.status != "ok")
    throw Error(Exit::data, "Blender failed on the scene (" + run.reason + "): " + last_line(run.stderr_tail))
        .at_field(field);
  if (!info.is_object() || !info.contains("version"))
    throw Error(Exit::data, "Blender wrote no /out/blender.json").at_field(field);
  out.blender.version = info["version"].get<std::string>();
  out.blender.build = blender_build(exe);
  for (const json& b : info["backends"]) out.blender.backends.push_back(b.get<std::string>());
  out.render_seconds = info.value("render_seconds", 0.0);
  for (const json& t : info.value("render_times", json::array())) out.render_times.push_back(t.get<double>());
  for (size_t i = 0; i < req.frames.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/r%05zu.png", i);
    const std::string path = dirs.out() + name;
    if (::access(path.c_str(), R_OK) != 0)
      throw Error(Exit::data, "Blender wrote no image for frame " + std::to_string(req.frames[i].frame)).at_field(field);
    out.pngs.push_back(read_file(path, kMaxOutputRead));
  }
  return out;
}

void make_reference_scene(const std::string& path) {
  if (blender_executable().empty()) throw Error(Exit::unavailable, "Blender is not installed");
  RenderDirs dirs;
  write_text(dirs.in() + "/make_scene.py", grid_render_scene_py);
  const SandboxOutcome run = run_sandboxed(blender_spec(
      dirs, {"--python-exit-code", std::to_string(kPythonErrorExit), "--python", "/in/make_scene.py", "--",
             "/out/scene.blend"}));
  if (run.status != "ok")
    throw Error(Exit::internal, "Blender could not make the reference scene (" + run.reason + "): " +
                                    last_line(run.stderr_tail));
  std::error_code ec;
  std::filesystem::copy_file(dirs.out() + "/scene.blend", path, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) throw Error(Exit::io, "cannot write " + path + ": " + ec.message());
}

}  // namespace grid
