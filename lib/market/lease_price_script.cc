#include "market/lease_price_script.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <algorithm>

#include "core/error.h"
#include "market/lease_pricing.h"

namespace grid {

namespace {

using Clock = std::chrono::steady_clock;

// Where the kernel has no pidfd (before Linux 5.3), how often to look for
// the exit of a script that closed its stdout, and of one whose stdout
// something it left running in the background still holds.
constexpr int kReapPollMs = 5;
constexpr int kExitPollMs = 20;

// Output past the cap is read and dropped: the script must not block on a full pipe.
void keep(std::string* to, const char* buf, ssize_t got) {
  if (to->size() < kMaxScriptOutput)
    to->append(buf, std::min<size_t>(static_cast<size_t>(got), kMaxScriptOutput - to->size()));
}

// What is in the pipe now, and no more: at the script's exit, that is what
// it printed (a child it left behind may go on writing).
void drain(int fd, std::string* to) {
  int left = 0;
  if (::ioctl(fd, FIONREAD, &left) != 0) return;
  char buf[1024];
  while (left > 0) {
    ssize_t got = ::read(fd, buf, std::min<size_t>(sizeof buf, static_cast<size_t>(left)));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return;
    keep(to, buf, got);
    left -= static_cast<int>(got);
  }
}

// A descriptor that becomes readable when `pid` exits; -1 where the kernel
// has none (then the exit is polled for).
int exit_fd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// A started script: its pid (also its process group's), our ends of its
// stdin and stdout (-1 once closed), and a descriptor for its exit.
struct Child {
  pid_t pid = -1;
  int in = -1, out = -1, exited = -1;
};

// How the script ended, as far as it has been seen.
struct Ending {
  int status = 0;  // waitpid's, once reaped
  bool reaped = false, timed_out = false;
};

Child start_script(const std::string& command, const std::vector<std::string>& extra_env) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw Error(Exit::internal, std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]), ::close(in[1]);
    throw Error(Exit::internal, std::string("pipe: ") + std::strerror(errno));
  }
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  // The environment is made before the fork: the child may only exec. An
  // extra entry replaces ours of the same name.
  std::vector<const char*> envp;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    const size_t name = eq ? static_cast<size_t>(eq - *e) + 1 : std::strlen(*e);
    if (std::none_of(extra_env.begin(), extra_env.end(),
                     [&](const std::string& x) { return x.compare(0, name, *e, name) == 0; }))
      envp.push_back(*e);
  }
  for (const std::string& x : extra_env) envp.push_back(x.c_str());
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    throw Error(Exit::unavailable, std::string("cannot start the price script: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Its own process
    // group, so a timeout kills whatever it started as well.
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::execve("/bin/sh", const_cast<char* const*>(argv), const_cast<char* const*>(envp.data()));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here: no race with the child's own call
  ::close(in[0]);
  ::close(out[1]);
  Child c;
  c.pid = pid, c.in = in[1], c.out = out[0];
  ::fcntl(c.in, F_SETFL, O_NONBLOCK);
  ::fcntl(c.out, F_SETFL, O_NONBLOCK);
  return c;
}

// Feeds `input` to the script and keeps what it prints, until its stdout
// closes, its exit is seen or the deadline passes; closes both pipes.
void exchange(Child& c, const std::string& input, Clock::time_point deadline, std::string* output, Ending* e) {
  size_t written = 0;
  // The script's exit, seen: what it printed is in the pipe.
  auto reap = [&] {
    if (::waitpid(c.pid, &e->status, WNOHANG) != c.pid) return false;
    e->reaped = true;
    drain(c.out, output);
    return true;
  };
  while (c.out >= 0 && !e->reaped) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      // An exit in the last moments is not a timeout.
      if (!reap()) e->timed_out = true;
      break;
    }
    pollfd fds[3];
    int n = 0, wi = -1, xi = -1;
    fds[n++] = {c.out, POLLIN, 0};
    if (c.in >= 0) wi = n, fds[n++] = {c.in, POLLOUT, 0};
    if (c.exited >= 0) xi = n, fds[n++] = {c.exited, POLLIN, 0};
    int rc = ::poll(fds, n, static_cast<int>(c.exited >= 0 ? left : std::min<long long>(left, kExitPollMs)));
    if (rc < 0 && errno != EINTR) break;
    if (rc > 0 && wi >= 0 && fds[wi].revents) {
      ssize_t w = ::write(c.in, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      // A script that does not read its stdin may still price: stop writing.
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) ::close(c.in), c.in = -1;
    }
    if (rc > 0 && fds[0].revents) {
      char buf[1024];
      ssize_t got = ::read(c.out, buf, sizeof buf);
      if (got > 0) keep(output, buf, got);
      else if (got == 0 || (errno != EAGAIN && errno != EINTR))
        ::close(c.out), c.out = -1;
    }
    if (c.out >= 0 && (xi < 0 || (rc > 0 && fds[xi].revents))) reap();
  }
  if (c.in >= 0) ::close(c.in), c.in = -1;
  if (c.out >= 0) ::close(c.out), c.out = -1;
}

// Waits, up to the deadline, for a script that closed its stdout to exit;
// kills its whole process group at the deadline. Closes its exit descriptor.
void wait_exit(Child& c, Clock::time_point deadline, Ending* e) {
  while (!e->reaped) {
    if (!e->timed_out) {
      pid_t w = ::waitpid(c.pid, &e->status, WNOHANG);
      if (w == c.pid) break;
      if (w < 0 && errno != EINTR) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) e->timed_out = true;
      else {
        // Its stdout closed, it has yet to exit: wait for that, on the pidfd where there is one.
        if (c.exited >= 0) {
          pollfd x = {c.exited, POLLIN, 0};
          ::poll(&x, 1, static_cast<int>(left));
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(kReapPollMs));
        }
        continue;
      }
    }
    ::kill(-c.pid, SIGKILL);
    while (::waitpid(c.pid, &e->status, 0) < 0 && errno == EINTR) {
    }
    break;
  }
  if (c.exited >= 0) ::close(c.exited), c.exited = -1;
}

// What the script's ending and (trimmed) output make: a price, or why not.
// The shell's own 127 (not found) and 126 (cannot execute) are Exit::no_input:
// a mistyped --price-script would otherwise make no bid, every night, quietly.
ScriptOutcome outcome_of(const Ending& e, std::string output, const std::string& command, double timeout_s) {
  ScriptOutcome r;
  r.output = std::move(output);
  const int status = e.status;
  if (e.timed_out) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", timeout_s);
    r.priced = Status::Fail(std::string("the price script timed out after ") + secs + " s and was killed");
    r.faulty = true;
    return r;
  }
  if (WIFSIGNALED(status)) {
    r.priced = Status::Fail("the price script was killed by signal " + std::to_string(WTERMSIG(status)));
    r.faulty = true;
    return r;
  }
  if (WIFEXITED(status) && (WEXITSTATUS(status) == 127 || WEXITSTATUS(status) == 126))
    throw Error(Exit::no_input, "--price-script " + command + ": the shell cannot " +
                                    (WEXITSTATUS(status) == 127 ? "find" : "execute") + " it (exit " +
                                    std::to_string(WEXITSTATUS(status)) + ")");
  // /bin/sh -c reports a program killed by signal N as status 128 + N:
  // a crash, to be warned of as one, not a script's no.
  if (WIFEXITED(status) && WEXITSTATUS(status) > 128 && WEXITSTATUS(status) <= 128 + 64) {
    r.priced = Status::Fail("the price script exited with status " + std::to_string(WEXITSTATUS(status)) +
                            ", its shell's word for killed by signal " + std::to_string(WEXITSTATUS(status) - 128));
    r.faulty = true;
    return r;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    r.priced = Status::Fail("the price script exited with status " + std::to_string(WEXITSTATUS(status)));
    return r;
  }
  if (r.output.empty()) {
    r.priced = Status::Fail("the price script printed no price");
    return r;
  }
  const auto amount = parse_script_amount(r.output);
  if (!amount) {
    r.priced = Status::Fail("the price script printed '" + r.output.substr(0, 40) + "', " +
                            (parse_script_number(r.output) ? "a price beyond 2^53 - 1 micro-units"
                                                           : "not a positive decimal price"));
    r.faulty = r.output != "0";
    return r;
  }
  r.priced = Status::Ok();
  r.amount = *amount;
  r.price = *parse_script_price(r.output);
  return r;
}

ScriptOutcome run_once(const std::string& command, const ScriptRequest& request, double timeout_s) {
  const std::string& input = request.input;
  Child c = start_script(command, request.env);
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  c.exited = exit_fd(c.pid);
  if (input.empty()) ::close(c.in), c.in = -1;
  std::string output;
  Ending e;
  exchange(c, input, deadline, &output, &e);
  wait_exit(c, deadline, &e);
  return outcome_of(e, trim(output), command, timeout_s);
}

}  // namespace

std::vector<ScriptOutcome> run_price_script(const std::string& command, const std::vector<ScriptRequest>& inputs,
                                            double timeout_s, int jobs) {
  std::vector<ScriptOutcome> results(inputs.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  Error first(Exit::internal, "");
  std::mutex first_lock;
  auto worker = [&] {
    for (size_t i; !failed && (i = next++) < inputs.size();) {
      try {
        results[i] = run_once(command, inputs[i], timeout_s);
      } catch (const Error& e) {
        std::lock_guard<std::mutex> g(first_lock);
        if (!failed.exchange(true)) first = e;
      }
    }
  };
  const size_t n = std::min<size_t>(static_cast<size_t>(std::max(jobs, 1)), inputs.size());
  std::vector<std::thread> pool;
  for (size_t t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failed) throw first;
  return results;
}

}  // namespace grid
