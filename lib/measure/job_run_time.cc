#include "measure/job_run_time.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

extern char** environ;

namespace grid {

std::string job_run_path() {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    const std::string self(exe, static_cast<size_t>(n));
    const std::string beside = self.substr(0, self.rfind('/') + 1) + "job-run";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
  }
  return "job-run";
}

std::optional<double> time_job_run(const JobRunCall& call) {
  std::vector<std::string> args = {call.job_run, "--device", call.device, "--force", "--quiet", "--store", call.store};
  if (call.threads > 0) args.insert(args.end(), {"--threads", std::to_string(call.threads)});
  args.push_back(call.task_file);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int status = 1;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = ::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  if (rc == 0)
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return seconds;
}

}  // namespace grid
