// The sandbox a stranger's program runs in (doc/design.md, "The exec
// sandbox"): bubblewrap with new user, PID, IPC, UTS and (unless the job
// asks and the provider allows) network namespaces, a read-only root, fresh
// /dev, /proc and a size-capped /tmp, no capability kept, an unprivileged
// uid inside, and limits enforced by cgroup v1 controllers where writable,
// else rlimits. Every kind that runs foreign code (exec, render) goes
// through run_sandboxed; there is no second launcher.
//
// This header is the contract between the sandbox and its callers; its
// implementation is lib/jobs/sandbox.cc (+ sandbox_mounts, sandbox_limits,
// sandbox_collect).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto.h"

namespace grid {

struct SandboxLimits {
  double wall_seconds = 600;        // the whole process group is killed past it
  double cpu_seconds = 600;         // CPU time of the whole tree
  uint64_t memory_bytes = 2ull << 30;
  int64_t processes = 256;          // tasks alive at once inside
  int64_t open_files = 1024;
  uint64_t file_bytes = 1ull << 30;     // largest single file written
  uint64_t output_bytes = 4ull << 30;   // everything under /out together
  uint64_t output_files = 100000;       // entries under /out
  uint64_t tmp_bytes = 256ull << 20;    // the tmpfs at /tmp
  uint64_t stdio_bytes = 1ull << 20;    // stdout and stderr are each kept up to this
};

// A folder bound read-only inside the sandbox at `inside` (absolute).
struct SandboxBind {
  std::string outside, inside;
};

struct SandboxSpec {
  std::vector<std::string> argv;             // argv[0] resolved inside the sandbox's PATH
  std::map<std::string, std::string> env;    // the whole environment; nothing passes through
  // "" = the host's system folders (/usr, /bin, /sbin, /lib*, /etc) and
  // nothing else of its root; else an unpacked rootfs folder, whose
  // top-level entries are bound one by one (symlinks made again, resolving
  // inside). Read-only either way.
  std::string root;
  // e.g. the task's inputs at /in; `inside` is absolute and clean, not /,
  // /dev, /proc, /tmp, /out, /sys or below them, and (over the host's
  // root) a new top-level folder, as bwrap cannot make a mount point in a
  // read-only one. Files in it must be readable by others (mode o+r): when
  // the launcher is root the program reads as nobody.
  std::vector<SandboxBind> ro_binds;
  // A fresh empty host folder, bound read-write at /out. When the launcher
  // is root it is handed to uid 65534 first: the program writes as nobody.
  std::string out_dir;
  std::string workdir = "/out";
  std::string hostname = "grid";
  bool network = false;                      // true only when the job asks and --allow-network allows
  // NVIDIA device nodes bound in; over a rootfs also the host driver's
  // libraries (libcuda, libnvidia-*, found in cuda_lib_dirs), read-only at
  // /.nvidia-driver on LD_LIBRARY_PATH: a CUDA program must use the
  // driver that matches the host's kernel module, never one of the image's.
  // Over the host's root they are where the host keeps them.
  bool cuda = false;
  std::vector<std::string> cuda_lib_dirs = {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                                            "/lib64", "/usr/lib"};
  SandboxLimits limits;
};

// One file collected from /out: a regular file, never followed through a
// link; links, FIFOs, devices and sockets are refused by collection.
struct OutputEntry {
  // Relative to /out, '/'-separated, bytes as the program wrote them: each
  // name valid UTF-8 with no control character (a newline, a tab, DEL, C1),
  // or the outputs are refused as "output name" (a result names them in
  // JSON, which cannot carry other bytes unchanged).
  std::string path;
  uint64_t size = 0;
  Digest sha256{};
};

struct SandboxOutcome {
  // "ok" (exit 0), "failed": the program's fault, reproducible by a rerun.
  std::string status;
  // "" when ok; else one of: "exit N", "signal N", "timeout", "cpu time",
  // "memory", "processes", "file size", "output size", "output files",
  // "output type" (a link, FIFO, device or socket under /out), "output name"
  // (see OutputEntry::path; also folders nested past 64 or a path past
  // 4096 bytes). A limit the cgroups counted ("memory", "processes") fails
  // a run even when it exited 0. "signal N" comes from bwrap's status,
  // 128 + N: a program that exits with such a code itself reads as killed.
  std::string reason;
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  Digest stdout_sha256{}, stderr_sha256{};  // of the kept (capped) bytes
  std::string stdout_tail, stderr_tail;     // the last few KiB, for messages only
  std::vector<OutputEntry> outputs;         // in path order (byte-wise)
  double wall_seconds = 0, cpu_seconds = 0;
};

// Runs spec.argv in the sandbox and collects /out. The program's failures
// are outcomes, not exceptions; the sandbox's own (bwrap missing: 69, the
// host refusing namespaces: 69, I/O on the host: 74) are GridErrors.
SandboxOutcome run_sandboxed(const SandboxSpec& spec);

// The Merkle root (core/merkle.h, RFC 6962) over the outputs in the order
// given (run_sandboxed's: byte-wise by path), as results commit to it
// (doc/protocol.md, "exec results"). A leaf's data is the path's bytes, a
// 0 byte, the size as 8 bytes big-endian and the 32 bytes of the SHA-256;
// no outputs give SHA-256("").
Digest output_root(const std::vector<OutputEntry>& outputs);

}  // namespace grid
