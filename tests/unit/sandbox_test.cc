// The exec sandbox against the attacks of issue 18 that are its own: each
// program is a /bin/sh script run through run_sandboxed, and each must be
// contained, leave the host as it was, and end with the right reason.
#include "jobs/sandbox.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "code_of.h"
#include "core/merkle.h"
#include "jobs/sandbox_collect.h"
#include "jobs/sandbox_limits.h"
#include "temp_dir.h"

namespace grid {
namespace {

// Which limits the cgroups hold here (else rlimits do, which count
// nothing: a fork bomb is held but not named).
bool cgroup_holds(bool (SandboxCgroup::*has)() const) {
  SandboxCgroup probe{SandboxLimits{}};
  return (probe.*has)();
}

class SandboxTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    out_ = dir_ + "/out";
    ASSERT_EQ(::mkdir(out_.c_str(), 0755), 0);
    // Small and quick: every case ends in well under a second.
    limits_.wall_seconds = 5;
    limits_.cpu_seconds = 5;
    limits_.memory_bytes = 256ull << 20;
    limits_.processes = 64;
    limits_.tmp_bytes = 4ull << 20;
    limits_.file_bytes = 8ull << 20;
    limits_.output_bytes = 16ull << 20;
    limits_.output_files = 1000;
    limits_.stdio_bytes = 1 << 16;
  }

  SandboxOutcome run(const std::string& script, bool network = false) {
    SandboxSpec s;
    s.argv = {"/bin/sh", "-c", script};
    s.env = {{"PATH", "/usr/bin:/bin"}, {"LC_ALL", "C"}};
    s.out_dir = out_;
    s.ro_binds = binds_;
    s.network = network;
    s.limits = limits_;
    return run_sandboxed(s);
  }

  static void expect_failed(const SandboxOutcome& o, const std::string& reason) {
    EXPECT_EQ(o.status, "failed");
    EXPECT_EQ(o.reason, reason);
  }
  void fresh_out() {
    remove_tree(out_);
    ASSERT_EQ(::mkdir(out_.c_str(), 0755), 0);
  }

  void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }
  // A rootfs at `root` holding the host's static busybox as /bin/sh.
  void make_busybox_root(const std::string& root) {
    ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root + "/bin").c_str(), 0755), 0);
    ASSERT_EQ(std::system(("cp /bin/busybox " + root + "/bin/busybox").c_str()), 0);
    ASSERT_EQ(::symlink("busybox", (root + "/bin/sh").c_str()), 0);
  }
  bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }

  std::string out_;
  SandboxLimits limits_;
  std::vector<SandboxBind> binds_;
};

TEST_F(SandboxTest, RunsTheProgramAndCollectsOut) {
  SandboxOutcome o = run("echo hello; echo oops >&2; mkdir /out/d; printf abc >/out/d/b; printf xy >/out/a");
  EXPECT_EQ(o.status, "ok");
  EXPECT_EQ(o.reason, "");
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_EQ(o.stdout_sha256, sha256("hello\n"));
  EXPECT_EQ(o.stderr_sha256, sha256("oops\n"));
  EXPECT_EQ(o.stdout_tail, "hello\n");
  ASSERT_EQ(o.outputs.size(), 2u);
  EXPECT_EQ(o.outputs[0].path, "a");
  EXPECT_EQ(o.outputs[0].size, 2u);
  EXPECT_EQ(o.outputs[0].sha256, sha256("xy"));
  EXPECT_EQ(o.outputs[1].path, "d/b");
  EXPECT_EQ(o.outputs[1].sha256, sha256("abc"));
}

TEST_F(SandboxTest, ExitStatusAndSignalAreTheProgramsFailure) {
  SandboxOutcome o = run("exit 3");
  expect_failed(o, "exit 3");
  EXPECT_EQ(o.exit_code, 3);
  o = run("kill -TERM $$");
  expect_failed(o, "signal 15");
  EXPECT_EQ(o.exit_code, -1);
  EXPECT_EQ(o.signal, 15);
}

TEST_F(SandboxTest, OnlyTheSpecsEnvironmentHostnameAndAnUnprivilegedUid) {
  ::setenv("GRID_SANDBOX_TEST_SECRET", "leak", 1);
  SandboxOutcome o = run("env | grep -v '^PWD=' | sort >/out/env; hostname >/out/host; id -u >/out/uid; "
                         "grep CapEff /proc/self/status >/out/caps; pwd >/out/pwd");
  ::unsetenv("GRID_SANDBOX_TEST_SECRET");
  ASSERT_EQ(o.status, "ok") << o.stderr_tail;
  ASSERT_EQ(o.outputs.size(), 5u);
  EXPECT_EQ(o.outputs[1].path, "env");
  EXPECT_EQ(o.outputs[1].sha256, sha256("LC_ALL=C\nPATH=/usr/bin:/bin\n"));
  EXPECT_EQ(o.outputs[2].sha256, sha256("grid\n"));
  EXPECT_EQ(o.outputs[4].sha256, sha256("1000\n"));
  EXPECT_EQ(o.outputs[0].sha256, sha256("CapEff:\t0000000000000000\n"));
  EXPECT_EQ(o.outputs[3].sha256, sha256("/out\n"));
}

TEST_F(SandboxTest, FilesOutsideTheBindsCannotBeRead) {
  std::string secret = dir_ + "/key.secret";
  write(secret, "provider-secret");
  ::chmod(secret.c_str(), 0600);
  SandboxOutcome o = run("cat " + secret + " /root/.ssh/id_ed25519 /etc/shadow; ls /home /root /var /proc/1/root" + dir_ +
                         "; cat /proc/1/root" + secret + "; exit 0");
  EXPECT_EQ(o.status, "ok");
  EXPECT_EQ(o.stdout_sha256, sha256(""));
  EXPECT_EQ(o.stderr_tail.find("provider-secret"), std::string::npos);
  EXPECT_NE(o.stderr_tail.find("No such file"), std::string::npos) << o.stderr_tail;
}

TEST_F(SandboxTest, InputsAreReadOnlyAndNothingButOutIsWritable) {
  std::string in = dir_ + "/in";
  ASSERT_EQ(::mkdir(in.c_str(), 0755), 0);
  write(in + "/data", "input");
  ::chmod((in + "/data").c_str(), 0644);
  binds_.push_back({in, "/in"});
  SandboxOutcome o = run("cat /in/data >/out/copy; for p in /in/data /in/new /etc/x /usr/x /x /dev/x; do "
                         "(echo hacked >$p) 2>/dev/null && echo $p; done; echo tmp >/tmp/scratch && cat /tmp/scratch; echo shm >/dev/shm/x && cat /dev/shm/x");
  EXPECT_EQ(o.status, "ok");
  EXPECT_EQ(o.stdout_tail, "tmp\nshm\n");
  ASSERT_EQ(o.outputs.size(), 1u);
  EXPECT_EQ(o.outputs[0].sha256, sha256("input"));
  std::ifstream data(in + "/data");
  std::string now((std::istreambuf_iterator<char>(data)), std::istreambuf_iterator<char>());
  EXPECT_EQ(now, "input");
  EXPECT_FALSE(exists(in + "/new"));
}

TEST_F(SandboxTest, NoNetworkUnlessAsked) {
  int srv = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(srv, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(srv, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(srv, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(srv, reinterpret_cast<sockaddr*>(&a), &len);
  std::string port = std::to_string(ntohs(a.sin_port));
  std::string script = "bash -c 'echo hi >/dev/tcp/127.0.0.1/" + port + "' 2>/dev/null && echo connected";

  SandboxOutcome o = run(script);
  EXPECT_EQ(o.stdout_tail, "");
  EXPECT_LT(::accept(srv, nullptr, nullptr), 0) << "the server was reached";

  o = run(script, true);
  EXPECT_EQ(o.stdout_tail, "connected\n");
  int c = ::accept(srv, nullptr, nullptr);
  EXPECT_GE(c, 0);
  if (c >= 0) ::close(c);
  ::close(srv);
}

TEST_F(SandboxTest, AForkBombIsHeldAtTheProcessLimit) {
  limits_.processes = 16;
  limits_.wall_seconds = 2;
  auto t0 = std::chrono::steady_clock::now();
  SandboxOutcome o = run("f() { f | f & }; f; sleep 1");
  if (cgroup_holds(&SandboxCgroup::has_pids)) {
    expect_failed(o, "processes");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST_F(SandboxTest, TheProcessLimitCountsTheProgramsProcessesOnly) {
  // Without the pids cgroup RLIMIT_NPROC stands in, which counts every
  // process of the host uid the sandbox runs as.
  if (!cgroup_holds(&SandboxCgroup::has_pids)) GTEST_SKIP() << "no writable pids cgroup";
  limits_.processes = 4;
  // sh, two sleeps and a subshell: four of the program's own.
  SandboxOutcome o = run("sleep 0.2 & sleep 0.2 & (wait; true) ; wait");
  EXPECT_EQ(o.status, "ok") << o.stderr_tail;
  o = run("sleep 0.2 & sleep 0.2 & sleep 0.2 & sleep 0.2 & wait");
  expect_failed(o, "processes");
}

TEST_F(SandboxTest, AllocatingTenGigabytesIsAMemoryFailure) {
  limits_.memory_bytes = 64ull << 20;
  SandboxOutcome o = run("python3 -c 'b = bytearray(10 << 30); print(len(b))'");
  EXPECT_EQ(o.status, "failed");
  EXPECT_EQ(o.stdout_tail, "");
  if (cgroup_holds(&SandboxCgroup::has_memory)) {
    EXPECT_EQ(o.reason, "memory");
  }
}

TEST_F(SandboxTest, AProgramThatNeverEndsIsKilledAtTheWallLimit) {
  limits_.wall_seconds = 0.5;
  SandboxOutcome o = run("while :; do sleep 1; done");
  expect_failed(o, "timeout");
  EXPECT_GE(o.wall_seconds, 0.5);
  EXPECT_LT(o.wall_seconds, 1.5);
}

TEST_F(SandboxTest, CpuTimeOfTheWholeTreeIsLimited) {
  limits_.cpu_seconds = 0.2;
  // The wall limit only guards the test: on a loaded machine the loop may
  // take a few seconds of wall time to spend 0.2 s of CPU.
  limits_.wall_seconds = 20;
  SandboxOutcome o = run("while :; do :; done & while :; do :; done");
  expect_failed(o, "cpu time");
  // Without the cpuacct cgroup the count is what wait4 saw, which misses
  // the processes killed unwaited.
  if (cgroup_holds(&SandboxCgroup::has_cpu)) {
    EXPECT_GE(o.cpu_seconds, 0.2);
  }
}

TEST_F(SandboxTest, FillingTmpStopsAtItsSize) {
  limits_.tmp_bytes = 1 << 20;
  SandboxOutcome o = run("head -c 4194304 /dev/zero >/tmp/fill || exit 9; echo filled");
  expect_failed(o, "exit 9");
  EXPECT_NE(o.stderr_tail.find("No space left"), std::string::npos) << o.stderr_tail;
}

TEST_F(SandboxTest, NoProcessOutlivesTheProgram) {
  SandboxOutcome o = run("(sleep 0.3; echo late >/out/late) >/dev/null 2>&1 & echo main");
  EXPECT_EQ(o.status, "ok");
  EXPECT_EQ(o.stdout_tail, "main\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_FALSE(exists(out_ + "/late")) << "a background process wrote after the program ended";
}

TEST_F(SandboxTest, StdinIsEmpty) {
  SandboxOutcome o = run("cat; echo end");
  EXPECT_EQ(o.status, "ok");
  EXPECT_EQ(o.stdout_tail, "end\n");
}

TEST_F(SandboxTest, StdoutIsCappedAndDrained) {
  limits_.stdio_bytes = 1000;
  SandboxOutcome o = run("head -c 3000000 /dev/zero | tr '\\0' a; echo done >/out/done");
  EXPECT_EQ(o.status, "ok");
  EXPECT_EQ(o.stdout_sha256, sha256(std::string(1000, 'a')));
  EXPECT_EQ(o.outputs.size(), 1u);
}

TEST_F(SandboxTest, ALinkInOutIsRefusedNeverFollowed) {
  std::string host = dir_ + "/host.secret";
  write(host, "host-bytes");
  SandboxOutcome o = run("ln -s " + host + " /out/link; ln -s /etc/passwd /out/passwd");
  expect_failed(o, "output type");
  EXPECT_TRUE(o.outputs.empty());
}

TEST_F(SandboxTest, HardLinksReachOnlyWhatIsInOut) {
  SandboxOutcome o = run("ln /etc/hostname /out/h 2>/dev/null && echo linked; ln /usr/bin/env /out/e 2>/dev/null && "
                         "echo linked; printf same >/out/a; ln /out/a /out/b");
  EXPECT_EQ(o.status, "ok");
  EXPECT_EQ(o.stdout_tail, "");
  ASSERT_EQ(o.outputs.size(), 2u);
  EXPECT_EQ(o.outputs[0].sha256, sha256("same"));
  EXPECT_EQ(o.outputs[1].sha256, sha256("same"));
}

TEST_F(SandboxTest, AFifoInOutIsRefusedWithoutBlocking) {
  SandboxOutcome o = run("mkfifo /out/pipe");
  expect_failed(o, "output type");
}

TEST_F(SandboxTest, NoDeviceNodeCanBeMadeAndNoneIsCollected) {
  SandboxOutcome o = run("mknod /out/null c 1 3 2>/dev/null && echo made; exit 0");
  EXPECT_EQ(o.stdout_tail, "");
  EXPECT_FALSE(exists(out_ + "/null"));
  // One put there from outside (or by a kernel that allowed it) is refused.
  if (::mknod((out_ + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) GTEST_SKIP() << "mknod needs root";
  std::vector<OutputEntry> got;
  EXPECT_EQ(collect_outputs(out_, limits_, &got), "output type");
}

TEST_F(SandboxTest, ASocketInOutIsRefused) {
  int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::string path = out_ + "/sock";
  ASSERT_LT(path.size(), sizeof a.sun_path);
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::close(s);
  std::vector<OutputEntry> got;
  EXPECT_EQ(collect_outputs(out_, limits_, &got), "output type");
}

TEST_F(SandboxTest, EndlessSmallFilesStopAtTheFileCount) {
  limits_.output_files = 200;
  SandboxOutcome o = run("i=0; while :; do : >/out/f$i; i=$((i+1)); done");
  expect_failed(o, "output files");
  EXPECT_LT(o.wall_seconds, 2);
}

TEST_F(SandboxTest, NamesWithNewlinesOrInvalidUtf8AreRefused) {
  SandboxOutcome o = run("printf x >\"/out/a\nb\"");
  EXPECT_EQ(o.reason, "output name");
  fresh_out();
  o = run("printf x >\"/out/$(printf 'bad\\377')\"");
  EXPECT_EQ(o.reason, "output name");
  fresh_out();
  o = run("printf x >/out/caf\xc3\xa9");
  EXPECT_EQ(o.status, "ok");
  ASSERT_EQ(o.outputs.size(), 1u);
  EXPECT_EQ(o.outputs[0].path, "caf\xc3\xa9");
}

TEST_F(SandboxTest, OutputBytesAndFileSizeAreLimited) {
  limits_.output_bytes = 1 << 20;
  limits_.file_bytes = 768 << 10;
  SandboxOutcome o = run("head -c 600000 /dev/zero >/out/a; head -c 600000 /dev/zero >/out/b");
  expect_failed(o, "output size");
  EXPECT_TRUE(o.outputs.empty());
  fresh_out();
  o = run("head -c 1000000 /dev/zero >/out/big");
  expect_failed(o, "file size");
}

TEST_F(SandboxTest, FilesTheProgramLockedAreCollectedAll) {
  SandboxOutcome o = run("mkdir /out/d; printf a >/out/d/f; printf b >/out/g; chmod 000 /out/d/f /out/g /out/d");
  EXPECT_EQ(o.status, "ok") << o.reason;
  ASSERT_EQ(o.outputs.size(), 2u);
  EXPECT_EQ(o.outputs[0].sha256, sha256("a"));
  EXPECT_EQ(o.outputs[1].sha256, sha256("b"));
}

TEST_F(SandboxTest, FoldersNestedWithoutEndAreRefused) {
  SandboxOutcome o = run("d=/out; i=0; while [ $i -lt 100 ]; do d=$d/a; mkdir $d || exit 1; i=$((i+1)); done; : >$d/f");
  expect_failed(o, "output name");
}

// A root filesystem as `podman export` writes one, from the host's static
// busybox: the program sees it and nothing of the host's root, and its
// links, absolute or climbing, resolve inside it.
TEST_F(SandboxTest, ARootfsReplacesTheHostsRoot) {
  if (::access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "busybox-static is not installed";
  std::string root = dir_ + "/rootfs";
  make_busybox_root(root);
  if (HasFatalFailure()) return;
  ASSERT_EQ(::symlink("/etc", (root + "/etc").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../..", (root + "/up").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", (root + "/bin/passwd").c_str()), 0);
  write(dir_ + "/host.secret", "host-bytes");
  SandboxSpec s;
  s.root = root;
  s.argv = {"/bin/sh", "-c",
            "/bin/busybox ls / >/out/ls; /bin/busybox cat /etc/passwd /bin/passwd /up" + dir_ +
                "/host.secret /usr/bin/env 2>/dev/null; /bin/busybox id -u >/out/uid"};
  s.out_dir = out_;
  s.limits = limits_;
  SandboxOutcome o = run_sandboxed(s);
  EXPECT_EQ(o.status, "ok") << o.stderr_tail;
  EXPECT_EQ(o.stdout_sha256, sha256(""));
  ASSERT_EQ(o.outputs.size(), 2u);
  EXPECT_EQ(o.outputs[0].sha256, sha256("bin\ndev\netc\nout\nproc\ntmp\nup\n"));
  EXPECT_EQ(o.outputs[1].sha256, sha256("1000\n"));
}

// --device cuda over a rootfs: the host driver's libraries (here a folder
// of stand-ins) are seen read-only at /.nvidia-driver, on LD_LIBRARY_PATH,
// and nothing else of that folder; over the host's root nothing is added.
TEST_F(SandboxTest, CudaOverARootfsBindsTheHostDriversLibraries) {
  if (::access("/bin/busybox", X_OK) != 0) GTEST_SKIP() << "busybox-static is not installed";
  const std::string libs = dir_ + "/driver", root = dir_ + "/rootfs";
  ASSERT_EQ(::mkdir(libs.c_str(), 0755), 0);
  write(libs + "/libcuda.so.1", "driver-bytes");
  write(libs + "/libnvidia-ml.so.1", "nvml-bytes");
  write(libs + "/libfoo.so.1", "other");
  ASSERT_EQ(::symlink("libcuda.so.1", (libs + "/libcuda.so").c_str()), 0);
  ASSERT_EQ(::chmod((libs + "/libcuda.so.1").c_str(), 0644), 0);
  ASSERT_EQ(::chmod((libs + "/libnvidia-ml.so.1").c_str(), 0644), 0);
  make_busybox_root(root);
  if (HasFatalFailure()) return;
  SandboxSpec s;
  s.root = root;
  s.cuda = true;
  s.cuda_lib_dirs = {libs};
  s.env = {{"LD_LIBRARY_PATH", "/opt/lib"}};
  s.argv = {"/bin/sh", "-c",
            "/bin/busybox ls /.nvidia-driver >/out/libs; /bin/busybox cat /.nvidia-driver/libcuda.so >/out/cuda; "
            "echo $LD_LIBRARY_PATH >/out/path; echo x >/.nvidia-driver/libcuda.so.1 || echo ro >/out/ro"};
  s.out_dir = out_;
  s.limits = limits_;
  SandboxOutcome o = run_sandboxed(s);
  EXPECT_EQ(o.status, "ok") << o.stderr_tail;
  ASSERT_EQ(o.outputs.size(), 4u);
  EXPECT_EQ(o.outputs[0].path, "cuda");
  EXPECT_EQ(o.outputs[0].sha256, sha256("driver-bytes"));
  EXPECT_EQ(o.outputs[1].sha256, sha256("libcuda.so\nlibcuda.so.1\nlibnvidia-ml.so.1\n"));
  EXPECT_EQ(o.outputs[2].sha256, sha256("/.nvidia-driver:/opt/lib\n"));
  EXPECT_EQ(o.outputs[3].sha256, sha256("ro\n"));

  // Over the host's root: the libraries are where the host keeps them.
  for (const char* f : {"libs", "cuda", "path", "ro"}) ::unlink((out_ + "/" + f).c_str());
  SandboxSpec h = s;
  h.root.clear();
  h.env.clear();
  h.argv = {"/bin/sh", "-c", "ls /.nvidia-driver >/out/libs 2>&1; echo \"[$LD_LIBRARY_PATH]\" >/out/path"};
  o = run_sandboxed(h);
  EXPECT_EQ(o.status, "ok") << o.stderr_tail;
  ASSERT_EQ(o.outputs.size(), 2u);
  EXPECT_EQ(o.outputs[1].sha256, sha256("[]\n"));
}

TEST_F(SandboxTest, ABindPointThatWouldHideTheSandboxIsRefused) {
  binds_.push_back({dir_, "/proc"});
  EXPECT_EQ(code_of([&] { run("true"); }), Exit::data);
  binds_ = {{dir_, "in/../x"}};
  EXPECT_EQ(code_of([&] { run("true"); }), Exit::data);
}

TEST_F(SandboxTest, WhatAKilledLauncherLeftBehindIsRemoved) {
  std::string dead = dir_ + "/grid-sandbox-999999999-0", alive = dir_ + "/grid-sandbox-" + std::to_string(::getpid()) + "-0",
              busy = dir_ + "/grid-sandbox-999999998-0";
  for (const std::string& d : {dead, alive, busy}) ASSERT_EQ(::mkdir(d.c_str(), 0755), 0);
  write(busy + "/file", "x");
  remove_stale_run_dirs(dir_, "grid-sandbox-");
  EXPECT_FALSE(exists(dead));
  EXPECT_TRUE(exists(alive));
  EXPECT_TRUE(exists(busy));
}

TEST(OutputRoot, CommitsToPathSizeAndHashInOrder) {
  EXPECT_EQ(output_root({}), sha256(""));
  OutputEntry a{"a", 2, sha256("xy")}, b{"b", 3, sha256("abc")};
  std::string leaf = std::string("a") + '\0' + std::string("\0\0\0\0\0\0\0\x02", 8) +
                     std::string(reinterpret_cast<const char*>(a.sha256.data()), 32);
  EXPECT_EQ(output_root({a}), merkle_leaf_hash(leaf));
  EXPECT_NE(output_root({a, b}), output_root({b, a}));
  OutputEntry bigger = a;
  bigger.size = 3;
  EXPECT_NE(output_root({bigger}), output_root({a}));
}

TEST(OutputName, Utf8WithoutControls) {
  EXPECT_TRUE(valid_output_name("frame_0001.png"));
  EXPECT_TRUE(valid_output_name("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_output_name("a\nb"));
  EXPECT_FALSE(valid_output_name("tab\there"));
  EXPECT_FALSE(valid_output_name("del\x7f"));
  EXPECT_FALSE(valid_output_name("\xc2\x85"));          // NEL, a C1 control
  EXPECT_FALSE(valid_output_name("\xff"));
  EXPECT_FALSE(valid_output_name("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid_output_name("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(valid_output_name("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_output_name("\xe2\x82"));          // cut short
}

}  // namespace
}  // namespace grid
