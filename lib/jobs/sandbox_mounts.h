// What a sandbox's file system is made of, as bubblewrap arguments
// (doc/design.md, "The exec sandbox"): the root's entries bound read-only
// one by one onto bwrap's own empty root, which is then made read-only
// too, so that /in, /out, /tmp and the rest are mount points bwrap can
// make while no folder of the host beyond those named is inside.
#pragma once

#include <string>
#include <vector>

#include "jobs/sandbox.h"

namespace grid {

// One host path the sandbox binds. When the launcher runs as root it binds
// each through a staging folder of its own mount namespace (sandbox.cc),
// so `staged` is where bwrap finds it then.
struct SandboxMount {
  enum Kind { ro, rw, dev };
  Kind kind;
  std::string source, dest;
  bool is_dir = true;
  std::string staged;
};

struct SandboxPlan {
  std::vector<SandboxMount> mounts;
  std::vector<std::pair<std::string, std::string>> symlinks;  // target, dest
  std::vector<std::string> args;  // bwrap's arguments, program included
};

// The uid and gid the program has inside: an ordinary user's, no root.
constexpr int kSandboxUid = 1000;
constexpr int kSandboxGid = 1000;
// The descriptor bwrap writes its JSON status lines to (--json-status-fd),
// and the one it waits on before it runs the program (--block-fd): the
// launcher moves the sandbox into the run's cgroups meanwhile.
constexpr int kStatusFd = 3;
constexpr int kBlockFd = 4;

// The plan for `spec`; `stage_dir` non-empty: sources are named by their
// staged paths under it. Exit::data for a spec that cannot be made (a
// relative or reserved bind point, no argv, a root that is no folder).
SandboxPlan sandbox_plan(const SandboxSpec& spec, const std::string& stage_dir);

}  // namespace grid
