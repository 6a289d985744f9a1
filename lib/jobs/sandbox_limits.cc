#include "jobs/sandbox_limits.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace grid {
namespace {

// Rounds of "kill everything listed, read the list again" before giving
// up: a fork bomb can add processes between a read and the kills, but each
// round kills every one the round before saw, and pids.max bounds them.
constexpr int kKillRounds = 200;
constexpr auto kKillPause = std::chrono::microseconds(500);
// rmdir of a cgroup fails while its last processes are still exiting.
constexpr int kRemoveTries = 100;
constexpr auto kRemovePause = std::chrono::milliseconds(2);

constexpr const char* kRunPrefix = "grid-sandbox-";


struct Controller {
  std::string mount;  // where its v1 hierarchy is mounted
  std::string mount_root, own;  // the mount's root and ours within the hierarchy
};

// The v1 hierarchy holding `name` alone or with others, from mountinfo;
// empty when it is not mounted (or only v2 is).
Controller find_controller(const std::string& name) {
  Controller c;
  std::ifstream mi("/proc/self/mountinfo");
  for (std::string line; std::getline(mi, line);) {
    std::istringstream in(line);
    std::string id, parent, dev, root, point, opts, field;
    in >> id >> parent >> dev >> root >> point >> opts;
    while (in >> field && field != "-") {
    }
    std::string fstype, source, super;
    in >> fstype >> source >> super;
    if (fstype != "cgroup") continue;
    std::string token;
    std::istringstream so(super);
    bool match = false;
    while (std::getline(so, token, ',')) match = match || token == name;
    if (!match) continue;
    c.mount = point;
    c.mount_root = root;
    break;
  }
  if (c.mount.empty()) return c;
  std::ifstream cg("/proc/self/cgroup");
  for (std::string line; std::getline(cg, line);) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string list = line.substr(a + 1, b - a - 1);
    std::istringstream ls(list);
    bool match = false;
    for (std::string token; std::getline(ls, token, ',');) match = match || token == name;
    if (match) c.own = line.substr(b + 1);
  }
  return c;
}

std::atomic<unsigned> run_counter{0};

void write_text(const std::string& file, const std::string& text) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = ::write(fd, text.data(), text.size());
  (void)n;
  ::close(fd);
}

std::string read_text(const std::string& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "key value" lines (memory.oom_control, pids.events): the value of `key`.
uint64_t keyed_value(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  uint64_t v;
  while (in >> k >> v)
    if (k == key) return v;
  return 0;
}

// A fresh cgroup under ours in the hierarchy of `name`; "" when that
// hierarchy is missing or not writable by us.
std::string make_cgroup(const std::string& name) {
  Controller c = find_controller(name);
  if (c.mount.empty()) return "";
  std::string base = c.mount;
  // Our own cgroup as the hierarchy names it, seen through the mount (a
  // cgroup namespace or a mount of a subtree shifts it).
  if (!c.own.empty() && c.own.compare(0, c.mount_root.size(), c.mount_root) == 0) {
    std::string rest = c.own.substr(c.mount_root == "/" ? 0 : c.mount_root.size());
    struct stat st;
    if (rest != "/" && ::stat((base + rest).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) base += rest;
  }
  remove_stale_run_dirs(base, kRunPrefix);
  std::string dir = base + "/" + kRunPrefix + std::to_string(::getpid()) + "-" + std::to_string(run_counter++);
  if (::mkdir(dir.c_str(), 0755) != 0) return "";
  return dir;
}

// cgroup.procs of `dir`, opened for join; a cgroup we cannot join is
// removed again and `dir` emptied.
int open_procs(std::string& dir) {
  if (dir.empty()) return -1;
  int fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    ::rmdir(dir.c_str());
    dir.clear();
  }
  return fd;
}

std::vector<pid_t> procs_in(const std::string& dir) {
  std::vector<pid_t> pids;
  std::ifstream in(dir + "/cgroup.procs");
  for (pid_t p; in >> p;) pids.push_back(p);
  return pids;
}

}  // namespace

void remove_stale_run_dirs(const std::string& parent, const std::string& prefix) {
  static std::mutex mu;
  static std::set<std::string> done;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!done.insert(parent).second) return;
  }
  DIR* d = ::opendir(parent.c_str());
  if (!d) return;
  std::vector<std::string> stale;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + prefix.size()));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) stale.push_back(parent + "/" + name);
  }
  ::closedir(d);
  for (const std::string& dir : stale) ::rmdir(dir.c_str());
}

SandboxCgroup::SandboxCgroup(const SandboxLimits& limits) {
  memory_dir_ = make_cgroup("memory");
  if (!memory_dir_.empty()) {
    std::string bytes = std::to_string(limits.memory_bytes);
    write_text(memory_dir_ + "/memory.limit_in_bytes", bytes);
    // Swap too, where accounted: a program held to RAM is not let spill.
    write_text(memory_dir_ + "/memory.memsw.limit_in_bytes", bytes);
    memory_fd_ = open_procs(memory_dir_);
  }
  pids_dir_ = make_cgroup("pids");
  if (!pids_dir_.empty()) {
    write_text(pids_dir_ + "/pids.max", std::to_string(limits.processes + kBwrapTasks));
    pids_fd_ = open_procs(pids_dir_);
  }
  cpu_dir_ = make_cgroup("cpuacct");
  if (!cpu_dir_.empty()) cpu_fd_ = open_procs(cpu_dir_);
}

SandboxCgroup::~SandboxCgroup() {
  kill_all();
  for (int fd : {memory_fd_, pids_fd_, cpu_fd_})
    if (fd >= 0) ::close(fd);
  for (const std::string* dir : {&memory_dir_, &pids_dir_, &cpu_dir_}) {
    if (dir->empty()) continue;
    for (int i = 0; i < kRemoveTries && ::rmdir(dir->c_str()) != 0 && errno == EBUSY; ++i)
      std::this_thread::sleep_for(kRemovePause);
  }
}

bool SandboxCgroup::join(pid_t pid) const {
  std::string text = std::to_string(pid);
  for (int fd : {memory_fd_, pids_fd_, cpu_fd_}) {
    if (fd >= 0 && ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) return false;
  }
  return true;
}

bool SandboxCgroup::holds(pid_t pid) const {
  for (const std::string* dir : {&memory_dir_, &pids_dir_, &cpu_dir_}) {
    if (dir->empty()) continue;
    std::vector<pid_t> in = procs_in(*dir);
    if (std::find(in.begin(), in.end(), pid) == in.end()) return false;
  }
  return true;
}

void SandboxCgroup::kill_all() const {
  for (const std::string* dir : {&pids_dir_, &memory_dir_, &cpu_dir_}) {
    if (dir->empty()) continue;
    for (int round = 0; round < kKillRounds; ++round) {
      std::vector<pid_t> pids = procs_in(*dir);
      if (pids.empty()) break;
      for (pid_t p : pids) ::kill(p, SIGKILL);
      std::this_thread::sleep_for(kKillPause);
    }
  }
}

uint64_t SandboxCgroup::oom_kills() const {
  if (memory_dir_.empty()) return 0;
  return keyed_value(read_text(memory_dir_ + "/memory.oom_control"), "oom_kill");
}

uint64_t SandboxCgroup::fork_refusals() const {
  if (pids_dir_.empty()) return 0;
  return keyed_value(read_text(pids_dir_ + "/pids.events"), "max");
}

uint64_t SandboxCgroup::cpu_nanoseconds() const {
  if (cpu_dir_.empty()) return 0;
  std::istringstream in(read_text(cpu_dir_ + "/cpuacct.usage"));
  uint64_t ns = 0;
  in >> ns;
  return ns;
}

std::vector<SandboxRlimit> sandbox_rlimits(const SandboxLimits& limits, bool memory_cgroup, bool pids_cgroup) {
  auto fixed = [](uint64_t v) { return rlimit{static_cast<rlim_t>(v), static_cast<rlim_t>(v)}; };
  std::vector<SandboxRlimit> out;
  // RLIMIT_CPU is per process: a tree of processes can pass it together,
  // which the cgroup's CPU count (checked while the run goes) catches. The
  // hard limit a second later is SIGKILL for one that ignores SIGXCPU.
  rlim_t cpu = static_cast<rlim_t>(std::ceil(limits.cpu_seconds));
  out.push_back({RLIMIT_CPU, rlimit{cpu, cpu + 1}});
  out.push_back({RLIMIT_FSIZE, fixed(limits.file_bytes)});
  out.push_back({RLIMIT_NOFILE, fixed(static_cast<uint64_t>(limits.open_files))});
  out.push_back({RLIMIT_CORE, fixed(0)});
  if (!memory_cgroup) out.push_back({RLIMIT_AS, fixed(limits.memory_bytes)});
  // RLIMIT_NPROC counts every process of the uid bwrap runs as on the
  // host, the launcher's and other runs' included: a stand-in only.
  if (!pids_cgroup) out.push_back({RLIMIT_NPROC, fixed(static_cast<uint64_t>(limits.processes + kBwrapTasks))});
  return out;
}

}  // namespace grid
