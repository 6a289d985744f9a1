// lib/net against real HTTP servers on 127.0.0.1: Debian's nginx (static
// files, ranges, WebDAV PUT, error statuses) and tests/flaky_http.py (cut
// connections, 503s, ranges ignored, stalls). Servers are child processes
// killed in teardown, and also by the kernel should this binary die
// (PR_SET_PDEATHSIG).
#include "core/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <thread>

#include "core/error.h"
#include "code_of.h"
#include "core/file_io.h"
#include "temp_dir.h"

namespace grid {
namespace {

constexpr size_t kFileSize = 256 * 1024;
constexpr int kStartTimeoutMs = 5000;

std::string repo_root() {
  const char* root = std::getenv("GRIDUTILS_ROOT");
  return root ? root : ".";
}

bool on_path(const std::string& exe) {
  if (exe.find('/') != std::string::npos) return ::access(exe.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "";
  size_t start = 0;
  for (;;) {
    size_t colon = p.find(':', start);
    std::string dir = p.substr(start, colon - start);
    if (!dir.empty() && ::access((dir + "/" + exe).c_str(), X_OK) == 0) return true;
    if (colon == std::string::npos) return false;
    start = colon + 1;
  }
}

// A port on 127.0.0.1 that nothing listens on (just now).
int unused_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

bool accepts(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// A server process: started with its stdout on a pipe, its stderr in a
// file; killed (and reaped) on destruction.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& stderr_path) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], 1);
      int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (err >= 0) ::dup2(err, 2);
      ::close(out[0]);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = ::fdopen(out[0], "r");
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_) ::fclose(out_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  // A line of the child's stdout ("" at its end).
  std::string line() {
    char buf[256];
    if (!out_ || !std::fgets(buf, sizeof buf, out_)) return "";
    return buf;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string test_bytes() {
  std::mt19937 rng(42);
  std::string out(kFileSize, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

// Fast retries for tests, counting them.
FetchOptions quick(int retries, int* retried) {
  FetchOptions o;
  o.retries = retries;
  o.backoff_s = 0.01;
  o.connect_timeout_s = 2;
  o.low_speed_time_s = 5;
  o.on_retry = [retried](const std::string&) { ++*retried; };
  return o;
}

TEST(NetUrl, RecognisesTheSchemesWeFetch) {
  EXPECT_TRUE(is_url("http://127.0.0.1/x"));
  EXPECT_TRUE(is_url("HTTPS://example.org/x"));
  EXPECT_TRUE(is_url("file:///tmp/x"));
  EXPECT_FALSE(is_url("ftp://example.org/x"));
  EXPECT_FALSE(is_url("/tmp/x"));
  EXPECT_FALSE(is_url("data.npy"));
  EXPECT_FALSE(is_url("http:/x"));
}

TEST(NetUrl, HidesCredentialsInMessages) {
  EXPECT_EQ(redact_url("https://user:secret@host/p?q=a@b"), "https://***@host/p?q=a@b");
  EXPECT_EQ(redact_url("http://host/a@b"), "http://host/a@b");
  EXPECT_EQ(redact_url("/local/path"), "/local/path");
}

// ---- nginx ---------------------------------------------------------------

class NginxTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!on_path("nginx") && !on_path("/usr/sbin/nginx")) return;
    dir_ = new std::string(make_temp_dir());
    data_ = new std::string(test_bytes());
    std::string d = *dir_;
    ::mkdir((d + "/www").c_str(), 0755);
    ::mkdir((d + "/www/dav").c_str(), 0755);
    write_bytes(d + "/www/data.bin", *data_);
    write_bytes(d + "/www/empty.bin", "");
    std::string exe = on_path("nginx") ? "nginx" : "/usr/sbin/nginx";
    for (int tries = 0; tries < 5 && !server_; ++tries) {
      port_ = unused_port();
      std::ofstream(d + "/nginx.conf") << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
                                       << "pid " << d << "/nginx.pid;\nerror_log " << d << "/error.log warn;\n"
                                       << "events { worker_connections 64; }\nhttp {\n"
                                       << "  access_log " << d << "/access.log;\n"
                                       << "  client_body_temp_path " << d << "/body;\n"
                                       << "  proxy_temp_path " << d << "/proxy;\n"
                                       << "  fastcgi_temp_path " << d << "/fastcgi;\n"
                                       << "  uwsgi_temp_path " << d << "/uwsgi;\n"
                                       << "  scgi_temp_path " << d << "/scgi;\n"
                                       << "  default_type application/octet-stream;\n"
                                       << "  server {\n    listen 127.0.0.1:" << port_ << ";\n"
                                       << "    root " << d << "/www;\n"
                                       << "    location /dav/ { dav_methods PUT; create_full_put_path on;\n"
                                       << "                     client_max_body_size 16m; }\n"
                                       << "    location = /forbidden { return 403; }\n"
                                       << "    location = /gone { return 410; }\n"
                                       << "    location = /broken { return 500; }\n"
                                       << "    location = /teapot { return 418; }\n"
                                       << "    location = /moved { return 302 /data.bin; }\n"
                                       << "  }\n}\n";
      auto* c = new Child({exe, "-p", d, "-c", d + "/nginx.conf", "-e", d + "/error.log"}, d + "/stderr.log");
      auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
      while (c->running() && !accepts(port_) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (c->running() && accepts(port_))
        server_ = c;
      else
        delete c;  // most likely the port was taken meanwhile: another
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    if (dir_) remove_tree(*dir_);
    delete dir_;
    delete data_;
    dir_ = data_ = nullptr;
  }
  void SetUp() override {
    if (!dir_) GTEST_SKIP() << "nginx is not installed (apt-get install nginx-light)";
    ASSERT_NE(server_, nullptr) << "nginx did not start; see " << *dir_ << "/error.log";
    out_ = make_temp_dir();
  }
  void TearDown() override {
    if (!out_.empty()) remove_tree(out_);
  }

  static std::string url(const std::string& path) { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  static std::string access_log() { return read_file(*dir_ + "/access.log", 1 << 24); }

  static std::string* dir_;
  static std::string* data_;
  static Child* server_;
  static int port_;
  std::string out_;
};
std::string* NginxTest::dir_ = nullptr;
std::string* NginxTest::data_ = nullptr;
Child* NginxTest::server_ = nullptr;
int NginxTest::port_ = 0;

TEST_F(NginxTest, FetchBytesChecksTheHash) {
  EXPECT_EQ(fetch_bytes(url("/data.bin"), sha256(*data_)), *data_);
  EXPECT_EQ(fetch_bytes(url("/data.bin"), std::nullopt), *data_);
  EXPECT_EQ(fetch_bytes(url("/empty.bin"), sha256("")), "");
}

TEST_F(NginxTest, FetchToFilePutsTheFileInPlace) {
  std::string dest = out_ + "/data.bin";
  EXPECT_EQ(fetch_to_file(url("/data.bin"), dest, sha256(*data_)), sha256(*data_));
  EXPECT_EQ(read_file(dest, 1 << 20), *data_);
  EXPECT_FALSE(exists(dest + ".part"));
  // Without an expected hash, the hash is still returned.
  EXPECT_EQ(fetch_to_file(url("/data.bin"), out_ + "/again.bin", std::nullopt), sha256(*data_));
}

TEST_F(NginxTest, FollowsRedirects) { EXPECT_EQ(fetch_bytes(url("/moved"), sha256(*data_)), *data_); }

TEST_F(NginxTest, ResumesFromAPartLeftBehind) {
  std::string dest = out_ + "/resume.bin";
  write_bytes(dest + ".part", data_->substr(0, 100000));
  EXPECT_EQ(fetch_to_file(url("/data.bin?resume"), dest, sha256(*data_)), sha256(*data_));
  EXPECT_EQ(read_file(dest, 1 << 20), *data_);
  std::string log = access_log();
  EXPECT_NE(log.find("GET /data.bin?resume HTTP/1.1\" 206 " + std::to_string(kFileSize - 100000)), std::string::npos)
      << log;
}

TEST_F(NginxTest, APartOfOtherBytesIsFetchedAgainWhole) {
  std::string dest = out_ + "/stale.bin";
  write_bytes(dest + ".part", std::string(1000, 'z'));
  EXPECT_EQ(fetch_to_file(url("/data.bin?stale"), dest, sha256(*data_)), sha256(*data_));
  EXPECT_EQ(read_file(dest, 1 << 20), *data_);
  std::string log = access_log();
  EXPECT_NE(log.find("GET /data.bin?stale HTTP/1.1\" 206"), std::string::npos) << log;
  EXPECT_NE(log.find("GET /data.bin?stale HTTP/1.1\" 200"), std::string::npos) << log;
}

TEST_F(NginxTest, APartAsLongAsTheFileIsDone) {
  std::string dest = out_ + "/whole.bin";
  write_bytes(dest + ".part", *data_);
  EXPECT_EQ(fetch_to_file(url("/data.bin"), dest, sha256(*data_)), sha256(*data_));
  EXPECT_EQ(read_file(dest, 1 << 20), *data_);
}

TEST_F(NginxTest, APartLongerThanTheFileStartsOver) {
  std::string dest = out_ + "/long.bin";
  write_bytes(dest + ".part", *data_ + "extra");
  int retried = 0;
  EXPECT_EQ(fetch_to_file(url("/data.bin"), dest, sha256(*data_), quick(2, &retried)), sha256(*data_));
  EXPECT_EQ(read_file(dest, 1 << 20), *data_);
}

TEST_F(NginxTest, AnExpectedFileAlreadyInPlaceIsNotFetched) {
  std::string dest = out_ + "/have.bin";
  write_bytes(dest, "already here");
  int retried = 0;
  std::string nowhere = "http://127.0.0.1:" + std::to_string(unused_port()) + "/x";
  EXPECT_EQ(fetch_to_file(nowhere, dest, sha256("already here"), quick(0, &retried)), sha256("already here"));
}

TEST_F(NginxTest, MissingForbiddenAndGoneAre66WithoutRetries) {
  for (const char* path : {"/nope.bin", "/forbidden", "/gone"}) {
    int retried = 0;
    std::string msg;
    std::string dest = out_ + "/x";
    EXPECT_EQ(code_of([&] { fetch_to_file(url(path), dest, std::nullopt, quick(3, &retried)); }, &msg), Exit::no_input)
        << path;
    EXPECT_EQ(retried, 0) << path;
    EXPECT_NE(msg.find(url(path)), std::string::npos) << msg;
    EXPECT_FALSE(exists(dest)) << path;
    EXPECT_FALSE(exists(dest + ".part")) << path;
  }
  std::string msg;
  EXPECT_EQ(code_of([&] { fetch_bytes(url("/nope.bin"), std::nullopt); }, &msg), Exit::no_input);
  EXPECT_NE(msg.find("HTTP 404"), std::string::npos) << msg;
}

TEST_F(NginxTest, OtherClientErrorsAre65) {
  int retried = 0;
  EXPECT_EQ(code_of([&] { fetch_bytes(url("/teapot"), std::nullopt, quick(3, &retried)); }), Exit::data);
  EXPECT_EQ(retried, 0);
}

TEST_F(NginxTest, ServerErrorsAreRetriedThen75) {
  int retried = 0;
  std::string msg;
  EXPECT_EQ(code_of([&] { fetch_bytes(url("/broken"), std::nullopt, quick(2, &retried)); }, &msg), Exit::temp_fail);
  EXPECT_EQ(retried, 2);
  EXPECT_NE(msg.find(url("/broken")), std::string::npos) << msg;
  EXPECT_NE(msg.find("HTTP 500"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gave up after 3 attempts"), std::string::npos) << msg;
}

TEST_F(NginxTest, HashMismatchIs65AndKeepsNothing) {
  std::string dest = out_ + "/bad.bin";
  write_bytes(dest, "an old copy");
  std::string msg;
  Digest wrong = sha256("something else");
  EXPECT_EQ(code_of([&] { fetch_to_file(url("/data.bin"), dest, wrong); }, &msg), Exit::data);
  EXPECT_NE(msg.find(url("/data.bin")), std::string::npos) << msg;
  EXPECT_NE(msg.find(sha256_ref(sha256(*data_))), std::string::npos) << msg;
  EXPECT_NE(msg.find(sha256_ref(wrong)), std::string::npos) << msg;
  EXPECT_FALSE(exists(dest));
  EXPECT_FALSE(exists(dest + ".part"));
  EXPECT_EQ(code_of([&] { fetch_bytes(url("/data.bin"), wrong); }), Exit::data);
}

TEST_F(NginxTest, FetchBytesLimitsTheSize) {
  FetchOptions o;
  o.max_bytes = 1000;
  std::string msg;
  EXPECT_EQ(code_of([&] { fetch_bytes(url("/data.bin"), std::nullopt, o); }, &msg), Exit::data);
  EXPECT_NE(msg.find("larger than 1000 bytes"), std::string::npos) << msg;
}

TEST_F(NginxTest, PublishPutsToWebDav) {
  std::string bytes = "published result\n";
  publish(url("/dav/out/result.json"), bytes);
  EXPECT_EQ(read_file(*dir_ + "/www/dav/out/result.json", 100), bytes);
  EXPECT_EQ(fetch_bytes(url("/dav/out/result.json"), sha256(bytes)), bytes);
  std::string big = *data_ + *data_ + *data_ + *data_ + *data_;  // past curl's 1 MB Expect threshold
  publish(url("/dav/big.bin"), big);
  EXPECT_EQ(read_file(*dir_ + "/www/dav/big.bin", 1 << 24), big);
}

TEST_F(NginxTest, PublishWhereNoPutIsOfferedIs69) {
  int retried = 0;
  std::string msg;
  EXPECT_EQ(code_of([&] { publish(url("/data.bin"), "x", quick(2, &retried)); }, &msg), Exit::unavailable);
  EXPECT_EQ(retried, 0);
  EXPECT_NE(msg.find("HTTP 405"), std::string::npos) << msg;
}

// ---- tests/flaky_http.py ------------------------------------------------

class FlakyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Debian's python3 when there is one: it starts in a fraction of the
    // time of a pyenv shim. The script needs only the standard library.
    python_ = ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    if (!on_path(python_)) GTEST_SKIP() << "python3 is not installed";
    dir_ = make_temp_dir();
    data_ = test_bytes();
    write_bytes(dir_ + "/data.bin", data_);
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) remove_tree(dir_);
  }

  // Starts the flaky server with these flags; false when it did not start.
  void start(std::vector<std::string> flags) {
    std::vector<std::string> argv = {
        python_, repo_root() + "/tests/flaky_http.py", "--root", dir_, "--log", dir_ + "/requests.log"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    server_ = std::make_unique<Child>(argv, dir_ + "/server.err");
    std::string line = server_->line();
    ASSERT_EQ(line.rfind("port ", 0), 0u) << "flaky_http.py did not start: " << line;
    port_ = std::atoi(line.c_str() + 5);
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartTimeoutMs);
    while (!accepts(port_) && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(accepts(port_));
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::string requests() const {
    return exists(dir_ + "/requests.log") ? read_file(dir_ + "/requests.log", 1 << 20) : "";
  }

  std::string python_, dir_, data_;
  std::unique_ptr<Child> server_;
  int port_ = 0;
};

TEST_F(FlakyTest, ConnectionCutMidFileIsResumedWithRanges) {
  start({"--drops", "2", "--drop-after", "50000"});
  int retried = 0;
  std::string dest = dir_ + "/got.bin";
  EXPECT_EQ(fetch_to_file(url("/data.bin"), dest, sha256(data_), quick(4, &retried)), sha256(data_));
  EXPECT_EQ(read_file(dest, 1 << 20), data_);
  EXPECT_EQ(retried, 2);
  EXPECT_EQ(requests(), "GET /data.bin - 200\nGET /data.bin bytes=50000- 206\nGET /data.bin bytes=100000- 206\n");
}

TEST_F(FlakyTest, ResetMidFileIsResumed) {
  start({"--drops", "1", "--drop-after", "70000", "--reset"});
  int retried = 0;
  EXPECT_EQ(fetch_bytes(url("/data.bin"), sha256(data_), quick(2, &retried)), data_);
  EXPECT_EQ(retried, 1);
  EXPECT_NE(requests().find("GET /data.bin bytes="), std::string::npos) << requests();
}

TEST_F(FlakyTest, AttemptsThatBringBytesDoNotUseUpRetries) {
  // Cut every time, but each attempt adds 50000 bytes: retries=0 still
  // gets the whole file in six attempts.
  start({"--drops", "-1", "--drop-after", "50000"});
  int retried = 0;
  std::string dest = dir_ + "/got.bin";
  EXPECT_EQ(fetch_to_file(url("/data.bin"), dest, sha256(data_), quick(0, &retried)), sha256(data_));
  EXPECT_EQ(retried, 5);
}

TEST_F(FlakyTest, AServerIgnoringRangesIsReadFromTheStart) {
  start({"--drops", "1", "--drop-after", "50000", "--ignore-range"});
  int retried = 0;
  std::string dest = dir_ + "/got.bin";
  EXPECT_EQ(fetch_to_file(url("/data.bin"), dest, sha256(data_), quick(2, &retried)), sha256(data_));
  EXPECT_EQ(read_file(dest, 1 << 20), data_);
  EXPECT_EQ(requests(), "GET /data.bin - 200\nGET /data.bin bytes=50000- 200\n");
}

TEST_F(FlakyTest, ServiceUnavailableIsRetried) {
  start({"--fail", "2"});
  int retried = 0;
  EXPECT_EQ(fetch_bytes(url("/data.bin"), sha256(data_), quick(3, &retried)), data_);
  EXPECT_EQ(retried, 2);
}

TEST_F(FlakyTest, CutsWithoutProgressExhaustRetriesWith75) {
  start({"--drops", "-1", "--drop-after", "0"});
  int retried = 0;
  std::string dest = dir_ + "/got.bin";
  std::string msg;
  EXPECT_EQ(code_of([&] { fetch_to_file(url("/data.bin"), dest, sha256(data_), quick(2, &retried)); }, &msg),
            Exit::temp_fail);
  EXPECT_EQ(retried, 2);
  EXPECT_NE(msg.find(url("/data.bin")), std::string::npos) << msg;
  EXPECT_NE(msg.find("gave up after 3 attempts"), std::string::npos) << msg;
  EXPECT_FALSE(exists(dest));
  EXPECT_FALSE(exists(dest + ".part")) << "an empty .part is of no use";
}

TEST_F(FlakyTest, RetriesRunOutKeepingThePartForLater) {
  // Cut after 50000 bytes every time and ranges ignored: no attempt gets
  // further than the first, so the retries run out.
  start({"--drops", "-1", "--drop-after", "50000", "--ignore-range"});
  int retried = 0;
  std::string dest = dir_ + "/got.bin";
  EXPECT_EQ(code_of([&] { fetch_to_file(url("/data.bin"), dest, sha256(data_), quick(1, &retried)); }),
            Exit::temp_fail);
  EXPECT_FALSE(exists(dest));
  ASSERT_TRUE(exists(dest + ".part"));
  EXPECT_EQ(read_file(dest + ".part", 1 << 20), data_.substr(0, 50000));
}

TEST_F(FlakyTest, AStalledTransferTimesOutAndIsRetried) {
  // Stalled before the first byte of body: libcurl measures speed over a
  // window of seconds, so a stall right after a burst of bytes would be
  // seen only seconds later.
  start({"--drops", "1", "--drop-after", "0", "--stall"});
  int retried = 0;
  FetchOptions o = quick(2, &retried);
  o.low_speed_time_s = 1;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(fetch_bytes(url("/data.bin"), sha256(data_), o), data_);
  EXPECT_EQ(retried, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
  EXPECT_EQ(requests(), "GET /data.bin - 200\nGET /data.bin - 200\n");
}

TEST_F(FlakyTest, PublishIsRetried) {
  start({"--fail", "1"});
  int retried = 0;
  publish(url("/up/result.bin"), data_, quick(2, &retried));
  EXPECT_EQ(retried, 1);
  EXPECT_EQ(read_file(dir_ + "/up/result.bin", 1 << 20), data_);
}

TEST(NetRefused, AClosedPortIsRetriedThen75) {
  int retried = 0;
  std::string url = "http://127.0.0.1:" + std::to_string(unused_port()) + "/data.bin";
  std::string msg;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(code_of([&] { fetch_bytes(url, std::nullopt, quick(2, &retried)); }, &msg), Exit::temp_fail);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  EXPECT_EQ(retried, 2);
  EXPECT_NE(msg.find(url), std::string::npos) << msg;
  EXPECT_EQ(code_of([&] { publish(url, "x", quick(1, &retried)); }), Exit::temp_fail);
}

// ---- file:// and local paths --------------------------------------------

class LocalTest : public TempDirTest {};

TEST_F(LocalTest, FileUrlsAreRead) {
  write_bytes(dir_ + "/a b.bin", "local bytes");
  std::string u = "file://" + dir_ + "/a%20b.bin";
  EXPECT_EQ(fetch_bytes(u, sha256("local bytes")), "local bytes");
  EXPECT_EQ(read_input(u, std::nullopt), "local bytes");
  std::string dest = dir_ + "/copy.bin";
  EXPECT_EQ(fetch_to_file(u, dest, sha256("local bytes")), sha256("local bytes"));
  EXPECT_EQ(read_file(dest, 100), "local bytes");
  // A stale .part is not resumed from for file:// URLs.
  write_bytes(dir_ + "/copy2.bin.part", "junk");
  EXPECT_EQ(fetch_to_file(u, dir_ + "/copy2.bin", std::nullopt), sha256("local bytes"));
}

TEST_F(LocalTest, MissingFileUrlIs66AndMismatchIs65) {
  EXPECT_EQ(code_of([&] { fetch_bytes("file://" + dir_ + "/nope", std::nullopt); }), Exit::no_input);
  write_bytes(dir_ + "/f", "abc");
  EXPECT_EQ(code_of([&] { fetch_bytes("file://" + dir_ + "/f", sha256("abd")); }), Exit::data);
  EXPECT_EQ(code_of([&] { fetch_bytes("file://otherhost/" + dir_ + "/f", std::nullopt); }), Exit::data);
}

TEST_F(LocalTest, ReadInputTakesLocalPaths) {
  write_bytes(dir_ + "/in", "input");
  EXPECT_EQ(read_input(dir_ + "/in", sha256("input")), "input");
  EXPECT_EQ(read_input(dir_ + "/in", std::nullopt), "input");
  std::string msg;
  EXPECT_EQ(code_of([&] { read_input(dir_ + "/in", sha256("other")); }, &msg), Exit::data);
  EXPECT_NE(msg.find(dir_ + "/in"), std::string::npos) << msg;
  EXPECT_EQ(code_of([&] { read_input(dir_ + "/missing", std::nullopt); }), Exit::no_input);
}

TEST_F(LocalTest, PublishToAFileUrlWritesAtomically) {
  publish("file://" + dir_ + "/out.json", "{}\n");
  EXPECT_EQ(read_file(dir_ + "/out.json", 100), "{}\n");
}

TEST(NetScheme, OtherSchemesAreRefused) {
  EXPECT_EQ(code_of([&] { fetch_bytes("ftp://127.0.0.1/x", std::nullopt); }), Exit::data);
}

}  // namespace
}  // namespace grid
