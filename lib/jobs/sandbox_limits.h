// How a sandboxed run is held to its SandboxLimits (doc/design.md, "The
// exec sandbox"): a child cgroup per run in each cgroup v1 controller that
// is writable here (memory, pids, cpuacct), and rlimits on every process
// either way. What the cgroups count afterwards (an OOM kill, a refused
// fork, CPU time) is how a limit is named as an outcome's reason.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/sandbox.h"

namespace grid {

// bwrap's own processes (the one outside and the sandbox's PID 1): the
// program's processes limit comes on top of them.
constexpr int64_t kBwrapTasks = 2;

class SandboxCgroup {
 public:
  // Makes the run's cgroups where the controllers are writable; none made
  // is no error (the rlimits still hold).
  explicit SandboxCgroup(const SandboxLimits& limits);
  // Kills whatever is still inside and removes the cgroups.
  ~SandboxCgroup();
  SandboxCgroup(const SandboxCgroup&) = delete;
  SandboxCgroup& operator=(const SandboxCgroup&) = delete;

  bool has_memory() const { return !memory_dir_.empty(); }
  bool has_pids() const { return !pids_dir_.empty(); }
  bool has_cpu() const { return !cpu_dir_.empty(); }

  // Moves process `pid` into every cgroup made; false when the kernel
  // refused. Each move waits for an RCU grace period, unless another move
  // just did (cgroup v1 takes a global lock for it): the first of a run
  // costs milliseconds, which run_sandboxed spends while bwrap starts.
  bool join(pid_t pid) const;
  // True when `pid` is in every cgroup made (a process forked after its
  // parent's join is).
  bool holds(pid_t pid) const;

  // SIGKILL to every process in the cgroups, until none is left (bounded).
  void kill_all() const;

  // Counters read after (or during) the run.
  uint64_t oom_kills() const;       // memory.oom_control's oom_kill
  uint64_t fork_refusals() const;   // pids.events' max
  uint64_t cpu_nanoseconds() const; // cpuacct.usage

 private:
  std::string memory_dir_, pids_dir_, cpu_dir_;
  int memory_fd_ = -1, pids_fd_ = -1, cpu_fd_ = -1;  // their cgroup.procs, for join
};

// Removes, once a process, the folders `parent`/`prefix`PID-... that runs
// of processes no longer alive left behind (a launcher killed before it
// could clean up); a folder still holding anything stays.
void remove_stale_run_dirs(const std::string& parent, const std::string& prefix);

// The rlimits every process of a run gets, as setrlimit arguments made
// before fork. `with_cgroups`: the controllers that hold memory and
// processes; without them RLIMIT_AS and RLIMIT_NPROC stand in.
struct SandboxRlimit {
  int resource;
  rlimit value;
};
std::vector<SandboxRlimit> sandbox_rlimits(const SandboxLimits& limits, bool memory_cgroup, bool pids_cgroup);

}  // namespace grid
