// The exec sandbox's costs: start-up per task, and hashing of /out.
//
//   sandbox_start [RUNS]   default 30 runs a side; the medians are printed
//
// Start-up: run_sandboxed of /bin/true (bwrap, namespaces, the run's
// cgroups, the mounts, /out collected) against a bare fork and exec of the
// same /bin/true, alternating; the target is at most 30 ms added per task.
// bwrap run alone with the same arguments shows how much of that is
// bubblewrap's own (namespaces, mounts), which no launcher can take away.
// Hashing: collect_outputs over a folder of files (a few large, many
// small) against `sha256sum` over the same files as one child process; both
// must give the same digests, or the run fails. Prints the ratio.
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "jobs/sandbox.h"
#include "jobs/sandbox_collect.h"
#include "jobs/sandbox_mounts.h"
#include "measure/timing.h"

extern char** environ;

namespace {

constexpr double kTargetAddedMs = 30;
constexpr uint32_t kSeed = 20261206;
// The output tree: kLarge files of kLargeBytes and kSmall of kSmallBytes.
constexpr int kLarge = 16;
constexpr size_t kLargeBytes = 4 << 20;
constexpr int kSmall = 2000;
constexpr size_t kSmallBytes = 4 << 10;

// Runs argv to the end, stdout into `out` (or /dev/null); exits on failure.
void spawn_wait(const std::vector<std::string>& args, const char* out = "/dev/null") {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
    std::fprintf(stderr, "sandbox_start: cannot run %s\n", argv[0]);
    std::exit(1);
  }
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "sandbox_start: %s failed\n", argv[0]);
    std::exit(1);
  }
}

std::string temp_dir() {
  char t[] = "/tmp/grid-bench-sandbox-XXXXXX";
  if (!mkdtemp(t)) {
    std::perror("sandbox_start: mkdtemp");
    std::exit(1);
  }
  return t;
}

void startup(int runs, const std::string& work) {
  grid::SandboxSpec spec;
  spec.argv = {"/bin/true"};
  spec.env = {{"PATH", "/usr/bin:/bin"}};
  spec.out_dir = work + "/out";
  mkdir(spec.out_dir.c_str(), 0755);
  // bwrap by itself with the same namespaces and mounts (no cgroups, no
  // staging, no collection): what of the added time is bwrap's own.
  std::vector<std::string> alone = {"/usr/bin/bwrap"};
  std::vector<std::string> args = grid::sandbox_plan(spec, "").args;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--json-status-fd" || args[i] == "--block-fd") {
      ++i;
      continue;
    }
    alone.push_back(args[i]);
  }
  std::vector<double> sandboxed, bare, bwrap;
  for (int i = 0; i < runs + 2; ++i) {
    std::vector<double> s = grid::time_runs(
        [&] {
          grid::SandboxOutcome o = grid::run_sandboxed(spec);
          if (o.status != "ok") {
            std::fprintf(stderr, "sandbox_start: /bin/true in the sandbox: %s\n", o.reason.c_str());
            std::exit(1);
          }
        },
        0, 1);
    std::vector<double> b = grid::time_runs([&] { spawn_wait({"/bin/true"}); }, 0, 1);
    std::vector<double> w = grid::time_runs([&] { spawn_wait(alone); }, 0, 1);
    if (i < 2) continue;  // warm-up: page cache, the first cgroups
    sandboxed.push_back(s[0]);
    bare.push_back(b[0]);
    bwrap.push_back(w[0]);
  }
  grid::Spread s = grid::spread_of(sandboxed), b = grid::spread_of(bare), w = grid::spread_of(bwrap);
  double added = (s.median - b.median) * 1e3;
  std::printf("start-up, /bin/true, %d runs a side (median; min..max)\n", runs);
  std::printf("  bare fork/exec   %7.2f ms  (%.2f..%.2f)\n", b.median * 1e3, b.min * 1e3, b.max * 1e3);
  std::printf("  bwrap alone      %7.2f ms  (%.2f..%.2f)  same namespaces and mounts\n", w.median * 1e3, w.min * 1e3,
              w.max * 1e3);
  std::printf("  run_sandboxed    %7.2f ms  (%.2f..%.2f)\n", s.median * 1e3, s.min * 1e3, s.max * 1e3);
  std::printf("  added            %7.2f ms  (target <= %.0f ms: %s)\n", added, kTargetAddedMs,
              added <= kTargetAddedMs ? "met" : "NOT met");
}

void hashing(int runs, const std::string& work) {
  std::string out = work + "/hash";
  mkdir(out.c_str(), 0755);
  mkdir((out + "/small").c_str(), 0755);
  std::mt19937_64 rng(kSeed);
  std::vector<std::string> names;
  auto make = [&](const std::string& name, size_t size) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::ofstream(out + "/" + name, std::ios::binary) << bytes;
    names.push_back(name);
  };
  for (int i = 0; i < kLarge; ++i) make("large" + std::to_string(i), kLargeBytes);
  for (int i = 0; i < kSmall; ++i) make("small/f" + std::to_string(i), kSmallBytes);
  uint64_t total = kLarge * kLargeBytes + kSmall * kSmallBytes;

  grid::SandboxLimits limits;
  std::vector<grid::OutputEntry> ours;
  std::vector<std::string> cmd = {"/usr/bin/sha256sum", "--"};
  for (const std::string& n : names) cmd.push_back(out + "/" + n);
  std::string listing = work + "/sha256sum.txt";
  std::vector<double> mine, theirs;
  for (int i = 0; i < runs; ++i) {
    mine.push_back(grid::time_runs([&] { grid::collect_outputs(out, limits, &ours); }, i == 0 ? 1 : 0, 1)[0]);
    theirs.push_back(grid::time_runs([&] { spawn_wait(cmd, listing.c_str()); }, i == 0 ? 1 : 0, 1)[0]);
  }
  // The same digests, or the comparison means nothing.
  std::map<std::string, std::string> want;
  std::ifstream in(listing);
  for (std::string line; std::getline(in, line);) want[line.substr(66 + out.size() + 1)] = line.substr(0, 64);
  if (ours.size() != names.size()) {
    std::fprintf(stderr, "sandbox_start: collected %zu files of %zu\n", ours.size(), names.size());
    std::exit(1);
  }
  for (const grid::OutputEntry& e : ours) {
    if (want[e.path] != grid::hex(e.sha256)) {
      std::fprintf(stderr, "sandbox_start: %s: sha256sum says %s, collection %s\n", e.path.c_str(),
                   want[e.path].c_str(), grid::hex(e.sha256).c_str());
      std::exit(1);
    }
  }
  grid::Spread m = grid::spread_of(mine), t = grid::spread_of(theirs);
  std::printf("output hashing, %d files, %.1f MiB, %d runs a side (median)\n", kLarge + kSmall,
              total / double(1 << 20), runs);
  std::printf("  sha256sum        %7.2f ms  %7.1f MiB/s\n", t.median * 1e3, total / t.median / (1 << 20));
  std::printf("  collect_outputs  %7.2f ms  %7.1f MiB/s\n", m.median * 1e3, total / m.median / (1 << 20));
  std::printf("  ratio            %7.2f x sha256sum's time (same digests)\n", m.median / t.median);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 30;
  if (runs < 1) {
    std::fprintf(stderr, "usage: sandbox_start [RUNS]\n");
    return 64;
  }
  std::string work = temp_dir();
  try {
    startup(runs, work);
    hashing(std::max(3, runs / 6), work);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sandbox_start: error: %s\n", e.what());
    std::system(("rm -rf '" + work + "'").c_str());
    return 1;
  }
  std::system(("rm -rf '" + work + "'").c_str());
  return 0;
}
