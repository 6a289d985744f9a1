#include "jobs/sandbox_mounts.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "core/error.h"

namespace grid {
namespace {

// The host's root as a sandbox sees it: the system's programs, libraries
// and configuration, none of the folders where people and services keep
// their data (/root, /home, /var, /srv, /run, /tmp, /mnt, /media, /opt):
// the provider's key file and store are never among these.
const char* const kHostRootEntries[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc"};

// Made by bwrap itself (or never there): a rootfs's own entries of these
// names are left out.
const char* const kOwnEntries[] = {"dev", "proc", "tmp", "out", "sys"};

// Where a rootfs's program finds the host driver's libraries: a folder
// bwrap makes in its own root, a rootfs's own entry of its name left out.
const char* const kDriverLibDir = "/.nvidia-driver";

bool is_reserved(const std::string& dest) {
  for (const char* own : kOwnEntries) {
    std::string top = std::string("/") + own;
    if (dest == top || dest.compare(0, top.size() + 1, top + "/") == 0) return true;
  }
  return dest == "/";
}

// Absolute, no empty, "." or ".." component.
bool is_clean_absolute(const std::string& p) {
  if (p.empty() || p[0] != '/' || p.size() < 2) return false;
  size_t i = 1;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    std::string part = p.substr(i, j - i);
    if (part.empty() || part == "." || part == "..") return false;
    i = j + 1;
  }
  return true;
}

std::string top_of(const std::string& dest) { return dest.substr(1, dest.find('/', 1) - 1); }

std::string link_target(const std::string& path) {
  std::string target(4096, '\0');
  ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
  if (n < 0) return "";
  target.resize(static_cast<size_t>(n));
  return target;
}

// One entry of a root, bound (folders, files) or made again (symlinks,
// whose targets then resolve inside the sandbox); anything else is left out.
void add_root_entry(SandboxPlan* plan, const std::string& source, const std::string& dest) {
  struct stat st;
  if (::lstat(source.c_str(), &st) != 0) return;
  if (S_ISLNK(st.st_mode)) {
    std::string target = link_target(source);
    if (!target.empty()) plan->symlinks.emplace_back(target, dest);
  } else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
    plan->mounts.push_back({SandboxMount::ro, source, dest, S_ISDIR(st.st_mode), ""});
  }
}

void add_root(SandboxPlan* plan, const SandboxSpec& spec) {
  if (spec.root.empty()) {
    for (const char* e : kHostRootEntries) add_root_entry(plan, std::string("/") + e, std::string("/") + e);
    return;
  }
  if (spec.root[0] != '/') throw data_error("sandbox root " + spec.root + " is not an absolute path");
  std::set<std::string> skip(std::begin(kOwnEntries), std::end(kOwnEntries));
  if (spec.cuda) skip.insert(kDriverLibDir + 1);
  for (const SandboxBind& b : spec.ro_binds) skip.insert(top_of(b.inside));
  DIR* d = ::opendir(spec.root.c_str());
  if (!d) throw data_error("sandbox root " + spec.root + ": " + std::strerror(errno));
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != ".." && !skip.count(n)) names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) add_root_entry(plan, spec.root + "/" + n, "/" + n);
}

// The NVIDIA device nodes there are (nvidia0.., nvidiactl, nvidia-uvm..).
void add_cuda_devices(SandboxPlan* plan) {
  DIR* d = ::opendir("/dev");
  if (!d) return;
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strncmp(e->d_name, "nvidia", 6) == 0) names.push_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    struct stat st;
    if (::lstat(("/dev/" + n).c_str(), &st) == 0 && S_ISCHR(st.st_mode))
      plan->mounts.push_back({SandboxMount::dev, "/dev/" + n, "/dev/" + n, false, ""});
  }
}

bool is_driver_library(const std::string& name) {
  for (const char* prefix : {"libcuda.so", "libnvidia-", "libnvcuvid.so", "libcudadebugger.so"})
    if (name.rfind(prefix, 0) == 0) return name.find(".so") != std::string::npos;
  return false;
}

// The driver's libraries in `dirs`, the first of each name, bound at
// kDriverLibDir; true when there was one.
bool add_driver_libraries(SandboxPlan* plan, const std::vector<std::string>& dirs) {
  std::set<std::string> taken;
  for (const std::string& dir : dirs) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) continue;
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d))
      if (is_driver_library(e->d_name) && !taken.count(e->d_name)) names.push_back(e->d_name);
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      struct stat st;  // through a link: the bind mounts what it names
      if (::stat((dir + "/" + n).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      taken.insert(n);
      plan->mounts.push_back({SandboxMount::ro, dir + "/" + n, std::string(kDriverLibDir) + "/" + n, false, ""});
    }
  }
  return !taken.empty();
}

}  // namespace

SandboxPlan sandbox_plan(const SandboxSpec& spec, const std::string& stage_dir) {
  if (spec.argv.empty() || spec.argv[0].empty()) throw data_error("sandbox: no program to run");
  if (spec.out_dir.empty() || spec.out_dir[0] != '/')
    throw data_error("sandbox: the output folder must be an absolute path, not '" + spec.out_dir + "'");
  if (!is_clean_absolute(spec.workdir)) throw data_error("sandbox: working folder " + spec.workdir + " is not a clean absolute path");
  for (const SandboxBind& b : spec.ro_binds) {
    if (!is_clean_absolute(b.inside) || is_reserved(b.inside))
      throw data_error("sandbox: cannot bind at " + b.inside + " (absolute, clean, and not /, /dev, /proc, /tmp, /out or /sys)");
    if (b.outside.empty() || b.outside[0] != '/') throw data_error("sandbox: bind source " + b.outside + " is not absolute");
  }

  SandboxPlan plan;
  add_root(&plan, spec);
  for (const SandboxBind& b : spec.ro_binds) {
    struct stat st;
    if (::stat(b.outside.c_str(), &st) != 0) throw Error(Exit::no_input, "sandbox: bind source " + b.outside + ": " + std::strerror(errno));
    plan.mounts.push_back({SandboxMount::ro, b.outside, b.inside, S_ISDIR(st.st_mode), ""});
  }
  plan.mounts.push_back({SandboxMount::rw, spec.out_dir, "/out", true, ""});
  std::map<std::string, std::string> env = spec.env;
  if (spec.cuda) {
    add_cuda_devices(&plan);
    if (!spec.root.empty() && add_driver_libraries(&plan, spec.cuda_lib_dirs)) {
      std::string& path = env["LD_LIBRARY_PATH"];
      path = path.empty() ? kDriverLibDir : std::string(kDriverLibDir) + ":" + path;
    }
  }
  for (size_t i = 0; i < plan.mounts.size(); ++i)
    if (!stage_dir.empty()) plan.mounts[i].staged = stage_dir + "/" + std::to_string(i);

  std::vector<std::string>& a = plan.args;
  a = {"--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"};
  if (!spec.network) a.push_back("--unshare-net");
  a.insert(a.end(), {"--die-with-parent", "--new-session", "--cap-drop", "ALL", "--uid", std::to_string(kSandboxUid),
                     "--gid", std::to_string(kSandboxGid), "--hostname", spec.hostname, "--json-status-fd",
                     std::to_string(kStatusFd), "--block-fd", std::to_string(kBlockFd)});
  auto source = [](const SandboxMount& m) { return m.staged.empty() ? m.source : m.staged; };
  // The root's entries first: later mount points (/in, /dev) are made in
  // bwrap's root, never inside them.
  for (const SandboxMount& m : plan.mounts)
    if (m.kind == SandboxMount::ro && m.dest.find('/', 1) == std::string::npos && m.dest != "/out")
      a.insert(a.end(), {"--ro-bind", source(m), m.dest});
  for (const auto& [target, dest] : plan.symlinks) a.insert(a.end(), {"--symlink", target, dest});
  a.insert(a.end(), {"--dev", "/dev", "--proc", "/proc", "--size", std::to_string(spec.limits.tmp_bytes), "--tmpfs", "/tmp"});
  for (const SandboxMount& m : plan.mounts) {
    if (m.kind == SandboxMount::ro && m.dest.find('/', 1) == std::string::npos && m.dest != "/out") continue;
    const char* flag = m.kind == SandboxMount::ro ? "--ro-bind" : m.kind == SandboxMount::rw ? "--bind" : "--dev-bind";
    a.insert(a.end(), {flag, source(m), m.dest});
  }
  // /dev/shm, for the programs that share memory between processes, is
  // the only writable place in /dev; like /tmp it is memory, counted by
  // the memory limit.
  a.insert(a.end(), {"--size", std::to_string(spec.limits.tmp_bytes), "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
                     "--remount-ro", "/", "--clearenv"});
  for (const auto& [k, v] : env) a.insert(a.end(), {"--setenv", k, v});
  a.insert(a.end(), {"--chdir", spec.workdir, "--"});
  a.insert(a.end(), spec.argv.begin(), spec.argv.end());
  return plan;
}

}  // namespace grid
