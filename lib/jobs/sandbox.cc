#include "jobs/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "jobs/sandbox_collect.h"
#include "jobs/sandbox_limits.h"
#include "jobs/sandbox_mounts.h"

namespace grid {
namespace {

using Clock = std::chrono::steady_clock;

// The host uid and gid bwrap runs as when the launcher is root: inside,
// the program's uid maps to this one, so host files it could still see
// answer to it as to nobody, never as to root.
constexpr uid_t kHostUid = 65534;
constexpr gid_t kHostGid = 65534;
// How often CPU time is read from the cgroup while the program runs.
constexpr auto kCpuCheck = std::chrono::milliseconds(50);
// The first /out tally; later ones wait ten times as long as the last
// took, so that counting a large /out costs at most a tenth of the run.
constexpr auto kOutputCheck = std::chrono::milliseconds(100);
constexpr int kOutputCheckBackoff = 10;
// After the program ended (its PID namespace, and so every process in it,
// went with it), how long the pipes may take to report end of file.
constexpr auto kDrainGrace = std::chrono::milliseconds(500);
constexpr size_t kTailBytes = 4096;
constexpr const char* kStageParent = "/run/grid-sandbox";
constexpr size_t kStatusLimit = 1 << 16;

std::string find_bwrap() {
  const char* fixed = "/usr/bin/bwrap";
  if (::access(fixed, X_OK) == 0) return fixed;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  size_t i = 0;
  while (i <= dirs.size()) {
    size_t j = dirs.find(':', i);
    if (j == std::string::npos) j = dirs.size();
    std::string candidate = dirs.substr(i, j - i) + "/bwrap";
    if (j > i && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    i = j + 1;
  }
  throw Error(Exit::unavailable, "sandbox: bwrap is not installed (Debian's bubblewrap package)");
}

// Keeps the first `limit` bytes of a stream, hashing them, and the last
// kTailBytes of those for messages; the rest is read and dropped, so the
// program never blocks on a full pipe.
struct Capture {
  Capture(uint64_t l, int f) : limit(l), fd(f) {}
  uint64_t limit;
  uint64_t kept = 0;
  Sha256 hash;
  std::string tail;
  int fd;

  // Reads what is there; false at end of file.
  bool read_some() {
    char buf[1 << 16];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) return false;
    uint64_t keep = std::min<uint64_t>(static_cast<uint64_t>(n), limit - kept);
    if (keep > 0) {
      hash.update(buf, keep);
      kept += keep;
      tail.append(buf, keep);
      if (tail.size() > 2 * kTailBytes) tail.erase(0, tail.size() - kTailBytes);
    }
    return true;
  }
  std::string last() const { return tail.size() > kTailBytes ? tail.substr(tail.size() - kTailBytes) : tail; }
};

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(Exit::io, std::string("sandbox: pipe: ") + std::strerror(errno));
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  void close_w() {
    if (w >= 0) ::close(w);
    w = -1;
  }
};

// Everything the forked child needs, made before fork: after it, the child
// of a threaded process may only make async-signal-safe calls.
struct ChildPlan {
  std::vector<std::string> args;
  std::vector<char*> argv;
  std::vector<SandboxRlimit> rlimits;
  std::string stage;  // "" when not root
  std::vector<const SandboxMount*> staged;
  int devnull = -1;
  int out_w = -1, err_w = -1, status_w = -1, block_r = -1, fail_w = -1;
};

[[noreturn]] void child_fail(int err_fd, const char* what) {
  int e = errno;
  const char* msg = std::strerror(e);
  ssize_t n = ::write(err_fd, what, std::strlen(what));
  n = ::write(err_fd, ": ", 2);
  n = ::write(err_fd, msg, std::strlen(msg));
  (void)n;
  ::_exit(127);
}

// The forked child: rlimits on, (as root) the bind sources staged in a
// private mount namespace and root given up, then bwrap. The parent moves
// it into the run's cgroups meanwhile.
[[noreturn]] void run_child(const ChildPlan& p) {
  ::setsid();
  for (const SandboxRlimit& r : p.rlimits)
    if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &r.value) != 0) child_fail(p.fail_w, "setrlimit");
  if (!p.stage.empty()) {
    if (::unshare(CLONE_NEWNS) != 0) child_fail(p.fail_w, "unshare(CLONE_NEWNS)");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) child_fail(p.fail_w, "mount private");
    if (::mount("tmpfs", p.stage.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") != 0)
      child_fail(p.fail_w, "mount stage");
    for (const SandboxMount* m : p.staged) {
      if (m->is_dir) {
        if (::mkdir(m->staged.c_str(), 0755) != 0) child_fail(p.fail_w, "mkdir stage");
      } else {
        int fd = ::open(m->staged.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) child_fail(p.fail_w, "create stage");
        ::close(fd);
      }
      if (::mount(m->source.c_str(), m->staged.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
        child_fail(p.fail_w, m->source.c_str());
    }
    if (::setgroups(0, nullptr) != 0 || ::setresgid(kHostGid, kHostGid, kHostGid) != 0 ||
        ::setresuid(kHostUid, kHostUid, kHostUid) != 0)
      child_fail(p.fail_w, "dropping root");
  }
  if (::dup2(p.devnull, 0) < 0 || ::dup2(p.out_w, 1) < 0 || ::dup2(p.err_w, 2) < 0 ||
      ::dup2(p.status_w, kStatusFd) < 0 || ::dup2(p.block_r, kBlockFd) < 0)
    child_fail(p.fail_w, "dup2");
  // Every other descriptor goes at exec; fail_w stays open until then to
  // report a failed exec.
  if (::close_range(kBlockFd + 1, ~0U, CLOSE_RANGE_CLOEXEC) != 0) child_fail(p.fail_w, "close_range");
  char* const envp[] = {nullptr};
  ::execve(p.argv[0], p.argv.data(), envp);
  child_fail(p.fail_w, "exec bwrap");
}

int pidfd_of(pid_t pid) {
  // glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage.
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// Waits up to `limit` for `fd` to be readable; false on timeout.
bool wait_readable(int fd, Clock::duration limit) {
  pollfd p{fd, POLLIN, 0};
  int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(limit).count());
  for (;;) {
    int r = ::poll(&p, 1, ms);
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

// bwrap's JSON status lines, as they come: "child-pid" (the sandbox's
// first process, in the host's PID namespace) and "exit-code".
struct Status {
  std::string text;
  size_t parsed = 0;
  pid_t child = 0;
  int exit_code = -1;

  void add(const char* data, size_t n) {
    if (text.size() < kStatusLimit) text.append(data, n);
    size_t j;
    while ((j = text.find('\n', parsed)) != std::string::npos) {
      nlohmann::json line = nlohmann::json::parse(text.substr(parsed, j - parsed), nullptr, false);
      parsed = j + 1;
      if (!line.is_object()) continue;
      if (line.contains("child-pid") && line["child-pid"].is_number_integer()) child = line["child-pid"].get<pid_t>();
      if (line.contains("exit-code") && line["exit-code"].is_number_integer()) exit_code = line["exit-code"].get<int>();
    }
  }
};

// An empty folder for the child's staging tmpfs: under /run, which only
// root writes to, else in /tmp. Only root stages.
std::string make_stage_dir() {
  struct stat st;
  std::string tmpl = "/tmp/grid-sandbox-XXXXXX";
  if ((::mkdir(kStageParent, 0755) == 0 || errno == EEXIST) && ::lstat(kStageParent, &st) == 0 &&
      S_ISDIR(st.st_mode) && st.st_uid == 0 && (st.st_mode & 022) == 0) {
    remove_stale_run_dirs(kStageParent, "");
    tmpl = std::string(kStageParent) + "/" + std::to_string(::getpid()) + "-XXXXXX";
  }
  if (!::mkdtemp(tmpl.data())) throw Error(Exit::io, "sandbox: cannot make a staging folder " + tmpl + ": " + std::strerror(errno));
  ::chmod(tmpl.c_str(), 0755);
  return tmpl;
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

SandboxOutcome run_sandboxed(const SandboxSpec& spec) {
  const std::string bwrap = find_bwrap();
  const bool root = ::geteuid() == 0;
  struct Stage {
    std::string dir;
    ~Stage() {
      if (!dir.empty()) ::rmdir(dir.c_str());
    }
  } stage;
  if (root) stage.dir = make_stage_dir();
  SandboxPlan plan = sandbox_plan(spec, stage.dir);
  int out_fd = ::open(spec.out_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (out_fd < 0) throw Error(Exit::io, "sandbox: output folder " + spec.out_dir + ": " + std::strerror(errno));
  {
    FdCloser close_out(out_fd);
    // The program writes /out as the host uid bwrap runs as.
    if (root && ::fchown(out_fd, kHostUid, kHostGid) != 0)
      throw Error(Exit::io, "sandbox: cannot hand " + spec.out_dir + " to the sandbox: " + std::strerror(errno));
  }

  SandboxCgroup cg(spec.limits);
  ChildPlan cp;
  cp.args.push_back(bwrap);
  cp.args.insert(cp.args.end(), plan.args.begin(), plan.args.end());
  for (std::string& a : cp.args) cp.argv.push_back(a.data());
  cp.argv.push_back(nullptr);
  cp.rlimits = sandbox_rlimits(spec.limits, cg.has_memory(), cg.has_pids());
  cp.stage = stage.dir;
  if (root)
    for (const SandboxMount& m : plan.mounts) cp.staged.push_back(&m);
  cp.devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (cp.devnull < 0) throw Error(Exit::io, "sandbox: /dev/null: " + std::string(std::strerror(errno)));
  FdCloser close_null(cp.devnull);

  Pipe out, err, status, block, fail;
  cp.out_w = out.w;
  cp.err_w = err.w;
  cp.status_w = status.w;
  cp.block_r = block.r;
  cp.fail_w = fail.w;
  const Clock::time_point start = Clock::now();
  pid_t pid = ::fork();
  if (pid < 0) throw Error(Exit::unavailable, std::string("sandbox: fork: ") + std::strerror(errno));
  if (pid == 0) run_child(cp);
  out.close_w();
  err.close_w();
  status.close_w();
  fail.close_w();
  ::close(block.r);
  block.r = -1;

  // While the child stages the mounts and bwrap starts: into the cgroups,
  // bwrap's own processes with it.
  bool joined = cg.join(pid);
  std::string failure = read_fd(fail.r, "sandbox launcher", kStatusLimit);
  if (!joined || !failure.empty()) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw Error(Exit::unavailable, "sandbox: " + (joined ? failure : "cannot move bwrap into the run's cgroups"));
  }

  SandboxOutcome o;
  Capture cout(spec.limits.stdio_bytes, out.r), cerr(spec.limits.stdio_bytes, err.r);
  Status st;
  int pidfd = pidfd_of(pid);
  FdCloser close_pidfd(pidfd);
  int init_fd = -1;  // the sandbox's PID 1, once released
  const Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(spec.limits.wall_seconds));
  Clock::time_point next_cpu = start + kCpuCheck, next_out = start + kOutputCheck;
  std::string killed_for;
  bool out_open = true, err_open = true, status_open = true, exited = false;
  int wstatus = 0;
  struct rusage ru {};
  auto kill_tree = [&] {
    // By number only while bwrap is unreaped: after, the number may be
    // another's. PID 1 goes by its pidfd, the rest by the cgroups' lists.
    if (!exited) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
    }
    if (init_fd >= 0) ::syscall(SYS_pidfd_send_signal, init_fd, SIGKILL, nullptr, 0);
    cg.kill_all();
  };
  auto reap = [&](int flags) {
    if (exited) return;
    if (::wait4(pid, &wstatus, flags, &ru) == pid) exited = true;
  };
  auto kill_for = [&](const std::string& why) {
    killed_for = why;
    kill_tree();
    reap(0);
  };
  // Reads what the pipes hold; releases the program once bwrap names it.
  auto read_ready = [&](const std::vector<pollfd>& fds) {
    for (const pollfd& p : fds) {
      if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (p.fd == out.r) out_open = cout.read_some();
      if (p.fd == err.r) err_open = cerr.read_some();
      if (p.fd == status.r) {
        char buf[4096];
        ssize_t n = ::read(status.r, buf, sizeof buf);
        if (n > 0) st.add(buf, static_cast<size_t>(n));
        status_open = n > 0 || (n < 0 && errno == EINTR);
      }
    }
    if (st.child > 0 && block.w >= 0) {
      // Forked by bwrap after its own move, the sandbox's first process
      // is in the cgroups already, but for a fork that beat the move.
      if (!cg.holds(st.child) && !cg.join(st.child)) {
        kill_for("");
        throw Error(Exit::unavailable, "sandbox: cannot move the sandbox into the run's cgroups");
      }
      init_fd = pidfd_of(st.child);
      if (::write(block.w, "g", 1) != 1) {
        kill_for("");
        throw Error(Exit::unavailable, "sandbox: cannot start the program");
      }
      block.close_w();
    }
  };

  while (!exited) {
    Clock::time_point now = Clock::now();
    if (now >= deadline) {
      kill_for("timeout");
      break;
    }
    if (cg.has_cpu() && now >= next_cpu) {
      next_cpu = now + kCpuCheck;
      if (cg.cpu_nanoseconds() > static_cast<uint64_t>(spec.limits.cpu_seconds * 1e9)) {
        kill_for("cpu time");
        break;
      }
    }
    if (now >= next_out) {
      std::string over = tally_outputs(spec.out_dir, spec.limits);
      Clock::time_point after = Clock::now();
      next_out = after + std::max<Clock::duration>(kOutputCheck, (after - now) * kOutputCheckBackoff);
      if (!over.empty()) {
        kill_for(over);
        break;
      }
    }
    Clock::time_point wake = std::min({deadline, next_out, cg.has_cpu() ? next_cpu : deadline});
    int timeout_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count()) + 1;
    std::vector<pollfd> fds;
    fds.push_back({pidfd, POLLIN, 0});
    if (out_open) fds.push_back({out.r, POLLIN, 0});
    if (err_open) fds.push_back({err.r, POLLIN, 0});
    if (status_open) fds.push_back({status.r, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR)
      throw Error(Exit::io, std::string("sandbox: poll: ") + std::strerror(errno));
    read_ready(fds);
    if (fds[0].revents & POLLIN) reap(WNOHANG);
  }
  const Clock::time_point ended = Clock::now();
  FdCloser close_init(init_fd);
  // bwrap reports the program's status while the sandbox's PID 1 is still
  // taking the rest of its PID namespace down: until it is gone a process
  // left behind may still write to /out.
  if (init_fd >= 0 && !wait_readable(init_fd, kDrainGrace)) {
    ::syscall(SYS_pidfd_send_signal, init_fd, SIGKILL, nullptr, 0);
    wait_readable(init_fd, kDrainGrace);
  }
  kill_tree();
  const Clock::time_point drain_until = Clock::now() + kDrainGrace;
  while ((out_open || err_open || status_open) && Clock::now() < drain_until) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out.r, POLLIN, 0});
    if (err_open) fds.push_back({err.r, POLLIN, 0});
    if (status_open) fds.push_back({status.r, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 50) > 0) read_ready(fds);
  }

  o.stdout_sha256 = cout.hash.final();
  o.stderr_sha256 = cerr.hash.final();
  o.stdout_tail = cout.last();
  o.stderr_tail = cerr.last();
  o.wall_seconds = seconds_between(start, ended);
  o.cpu_seconds = cg.has_cpu() ? cg.cpu_nanoseconds() / 1e9
                               : ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  if (st.child == 0 && killed_for.empty()) {
    // bwrap ended before the program began: the host refused what the
    // sandbox needs (namespaces, a mount), which is no fault of the program.
    std::string why = o.stderr_tail;
    why.erase(std::find(why.begin(), why.end(), '\n'), why.end());
    throw Error(Exit::unavailable, "sandbox: " + (why.empty() ? std::string("bwrap failed to start") : why));
  }

  // bwrap passes the program's exit status on, a signal N as 128 + N, as
  // shells do.
  int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  if (st.exit_code >= 0) code = st.exit_code;
  if (code > 128 && code < 128 + NSIG) {
    o.signal = code - 128;
    o.exit_code = -1;
  } else {
    o.exit_code = code;
  }
  // A limit the cgroups counted names the failure before how it ended, and
  // fails a run that exited 0 too: a fork bomb held at pids.max ends by the
  // wall clock or not at all, but the processes limit is why, and a
  // program cut short by a limit has no complete output to commit to.
  std::string reason;
  if (cg.oom_kills() > 0) reason = "memory";
  else if (cg.fork_refusals() > 0) reason = "processes";
  else if (code != 0 || !killed_for.empty()) {
    if (!killed_for.empty()) reason = killed_for;
    else if (o.signal == SIGXCPU) reason = "cpu time";
    else if (o.signal == SIGXFSZ) reason = "file size";
    else if (o.signal != 0) reason = "signal " + std::to_string(o.signal);
    else reason = "exit " + std::to_string(code);
  }
  std::string refused = collect_outputs(spec.out_dir, spec.limits, &o.outputs);
  if (reason.empty()) reason = refused;
  o.status = reason.empty() ? "ok" : "failed";
  o.reason = reason;
  return o;
}

}  // namespace grid
