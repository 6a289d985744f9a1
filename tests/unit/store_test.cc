#include "core/store.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <random>

#include "core/error.h"
#include "code_of.h"
#include "core/file_io.h"
#include "temp_dir.h"

namespace grid {
namespace {

class StoreTest : public TempDirTest {
 protected:
  // Names in a folder, "." and ".." left out; empty when it does not exist.
  static std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(dir.c_str())) {
      while (dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
      ::closedir(d);
    }
    return out;
  }

  static void overwrite(const std::string& path, const std::string& bytes) {
    ::chmod(path.c_str(), 0644);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }
};

TEST_F(StoreTest, PutThenGetByContentKey) {
  Store s(dir_ + "/store");
  EXPECT_FALSE(s.has(sha256("hello")));
  Digest k = s.put("hello");
  EXPECT_EQ(k, sha256("hello"));
  EXPECT_TRUE(s.has(k));
  EXPECT_EQ(s.get(k), "hello");
  std::string h = hex(k);
  EXPECT_EQ(s.path(k), dir_ + "/store/sha256/" + h.substr(0, 2) + "/" + h.substr(2));
  EXPECT_EQ(read_file(s.path(k), 100), "hello");
}

TEST_F(StoreTest, ObjectsAreReadOnlyAndFoldersAreMade) {
  Store s(dir_ + "/deep/er/store/");
  Digest k = s.put(std::string(3, '\0'));
  struct stat st;
  ASSERT_EQ(::stat(s.path(k).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  ASSERT_EQ(::stat((dir_ + "/deep/er/store/sha256").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(s.dir(), dir_ + "/deep/er/store");
}

TEST_F(StoreTest, MakeFoldersMakesEveryFanOutFolderAndLeavesObjectsAlone) {
  Store s(dir_ + "/store");
  const Digest k = s.put("kept");
  s.make_folders();
  EXPECT_EQ(entries(dir_ + "/store/sha256").size(), 256u);
  EXPECT_EQ(entries(dir_ + "/store/refs").size(), 256u);
  EXPECT_TRUE(entries(dir_ + "/store/tmp").empty());
  EXPECT_EQ(s.get(k), "kept");
  // A write after it makes no folder: its parent was there.
  const Digest j = s.put("another");
  EXPECT_EQ(entries(dir_ + "/store/sha256").size(), 256u);
  EXPECT_EQ(s.get(j), "another");
}

TEST_F(StoreTest, PutIsIdempotentAndLeavesNoTempFiles) {
  Store s(dir_);
  Digest a = s.put("same bytes");
  struct stat before;
  ASSERT_EQ(::stat(s.path(a).c_str(), &before), 0);
  Digest b = s.put("same bytes");
  EXPECT_EQ(a, b);
  struct stat after;
  ASSERT_EQ(::stat(s.path(a).c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "an identical object was rewritten";
  EXPECT_TRUE(entries(dir_ + "/tmp").empty());
  std::string h = hex(a);
  EXPECT_EQ(entries(dir_ + "/sha256/" + h.substr(0, 2)), std::vector<std::string>{h.substr(2)});
}

TEST_F(StoreTest, EmptyAndBinaryObjects) {
  Store s(dir_);
  std::string bin;
  std::mt19937 rng(3);
  for (int i = 0; i < 100000; ++i) bin.push_back(static_cast<char>(rng()));
  Digest e = s.put("");
  Digest b = s.put(bin);
  EXPECT_EQ(s.get(e), "");
  EXPECT_EQ(s.get(b), bin);
}

TEST_F(StoreTest, CorruptObjectIsNeverReturnedAndPutRepairsIt) {
  Store s(dir_);
  Digest k = s.put("the right bytes");
  overwrite(s.path(k), "the wrong bytes");
  std::string msg;
  EXPECT_EQ(code_of([&] { s.get(k); }, &msg), Exit::data);
  EXPECT_NE(msg.find(s.path(k)), std::string::npos) << msg;
  EXPECT_NE(msg.find("corrupt"), std::string::npos) << msg;
  EXPECT_TRUE(s.has(k));  // has() does not read
  EXPECT_FALSE(s.intact(k));
  s.put("the right bytes");
  EXPECT_EQ(s.get(k), "the right bytes");
  EXPECT_TRUE(s.intact(k));
  EXPECT_FALSE(s.intact(sha256("absent")));
  // A truncated object too.
  overwrite(s.path(k), "the right");
  EXPECT_EQ(code_of([&] { s.get(k); }), Exit::data);
}

TEST_F(StoreTest, MissingObjectIsNoInput) {
  Store s(dir_);
  std::string msg;
  EXPECT_EQ(code_of([&] { s.get(sha256("absent")); }, &msg), Exit::no_input);
  EXPECT_NE(msg.find(sha256_ref(sha256("absent"))), std::string::npos) << msg;
}

TEST_F(StoreTest, PutFileCopiesAndHashes) {
  Store s(dir_ + "/store");
  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>(i);
  std::string src = dir_ + "/src.bin";
  ASSERT_TRUE(write_file_atomic(src, big, 0600));
  Digest k = s.put_file(src);
  EXPECT_EQ(k, sha256(big));
  EXPECT_EQ(s.get(k), big);
  EXPECT_EQ(read_file(src, big.size()), big);  // the source is left alone
  EXPECT_EQ(s.put_file(src), k);
  EXPECT_TRUE(entries(dir_ + "/store/tmp").empty());
  // A corrupt copy in the store is replaced.
  overwrite(s.path(k), "junk");
  EXPECT_EQ(s.put_file(src), k);
  EXPECT_EQ(s.get(k), big);
  EXPECT_EQ(code_of([&] { s.put_file(dir_ + "/nope"); }), Exit::no_input);
}

TEST_F(StoreTest, RefsPointAtObjects) {
  Store s(dir_);
  EXPECT_FALSE(s.get_ref("result task-1").has_value());
  Digest a = s.put("first result");
  s.put_ref("result task-1", a);
  ASSERT_TRUE(s.get_ref("result task-1").has_value());
  EXPECT_EQ(*s.get_ref("result task-1"), a);
  EXPECT_FALSE(s.get_ref("result task-2").has_value());
  Digest b = s.put("second result");
  s.put_ref("result task-1", b);
  EXPECT_EQ(*s.get_ref("result task-1"), b);
  std::string h = hex(sha256("result task-1"));
  EXPECT_EQ(s.ref_path("result task-1"), dir_ + "/refs/" + h.substr(0, 2) + "/" + h.substr(2));
  EXPECT_EQ(read_file(s.ref_path("result task-1"), 100), sha256_ref(b) + "\n");
  // A reference may outlive its object.
  s.put_ref("dangling", sha256("never stored"));
  EXPECT_EQ(*s.get_ref("dangling"), sha256("never stored"));
  EXPECT_FALSE(s.has(*s.get_ref("dangling")));
}

TEST_F(StoreTest, MalformedRefIsData) {
  Store s(dir_);
  s.put_ref("r", sha256("x"));
  overwrite(s.ref_path("r"), "sha256:zz\n");
  std::string msg;
  EXPECT_EQ(code_of([&] { s.get_ref("r"); }, &msg), Exit::data);
  EXPECT_NE(msg.find(s.ref_path("r")), std::string::npos) << msg;
}

TEST_F(StoreTest, UnwritableStoreIsIo) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may write anywhere";
  ASSERT_EQ(::chmod(dir_.c_str(), 0555), 0);
  Store s(dir_ + "/store");
  EXPECT_EQ(code_of([&] { s.put("x"); }), Exit::io);
}

TEST_F(StoreTest, AFileWhereTheStoreShouldBeIsIo) {
  ASSERT_TRUE(write_file_atomic(dir_ + "/file", "x", 0644));
  Store s(dir_ + "/file");
  std::string msg;
  EXPECT_EQ(code_of([&] { s.put("x"); }, &msg), Exit::io);
  EXPECT_NE(msg.find(dir_ + "/file"), std::string::npos) << msg;
}

class EnvVar {
 public:
  explicit EnvVar(const char* name) : name_(name) {
    const char* v = std::getenv(name);
    if (v) old_ = v;
  }
  ~EnvVar() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  void set(const char* v) { v ? ::setenv(name_, v, 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(StoreDefaultDir, FollowsXdgDataHomeThenHome) {
  EnvVar xdg("XDG_DATA_HOME"), home("HOME");
  xdg.set("/data/x");
  home.set("/home/u");
  EXPECT_EQ(Store::default_dir(), "/data/x/gridutils/store");
  xdg.set(nullptr);
  EXPECT_EQ(Store::default_dir(), "/home/u/.local/share/gridutils/store");
  xdg.set("relative/ignored");
  EXPECT_EQ(Store::default_dir(), "/home/u/.local/share/gridutils/store");
  xdg.set("");
  EXPECT_EQ(Store::default_dir(), "/home/u/.local/share/gridutils/store");
}

}  // namespace
}  // namespace grid

namespace grid {
namespace {

TEST_F(StoreTest, ListsObjectsInKeyOrderAndSkipsStrays) {
  Store s(dir_);
  EXPECT_TRUE(s.objects().empty()) << "an absent store has no objects";
  std::vector<Digest> keys = {s.put("one"), s.put("two"), s.put("three"), s.put("")};
  std::sort(keys.begin(), keys.end());
  // Files that are no key: a backup beside an object, a bad fan-out folder.
  const std::string h = hex(keys[0]);
  std::ofstream(dir_ + "/sha256/" + h.substr(0, 2) + "/" + h.substr(2) + "~") << "x";
  make_dirs(dir_ + "/sha256/zz");
  std::ofstream(dir_ + "/sha256/zz/" + h.substr(2)) << "x";
  const std::vector<StoredObject> list = s.objects();
  ASSERT_EQ(list.size(), keys.size());
  for (size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].key, keys[i]);
    EXPECT_EQ(list[i].path, s.path(keys[i]));
    EXPECT_EQ(list[i].bytes, s.get(keys[i]).size());
    EXPECT_GT(list[i].mtime, 0);
  }
}

TEST_F(StoreTest, KeysWithPrefix) {
  Store s(dir_);
  // Inputs whose keys share a first hex digit and differ in the second.
  std::vector<Digest> keys;
  for (int i = 0; keys.size() < 40; ++i) keys.push_back(s.put(std::to_string(i)));
  const Digest k = keys[7];
  const std::string h = hex(k);
  EXPECT_EQ(s.keys_with_prefix(h), std::vector<Digest>{k});
  EXPECT_EQ(s.keys_with_prefix(h.substr(0, 12)), std::vector<Digest>{k});
  std::vector<Digest> same_fan;
  for (const Digest& d : keys)
    if (hex(d).compare(0, 2, h, 0, 2) == 0) same_fan.push_back(d);
  std::sort(same_fan.begin(), same_fan.end());
  EXPECT_EQ(s.keys_with_prefix(h.substr(0, 2)), same_fan);
  EXPECT_TRUE(s.keys_with_prefix(h.substr(0, 1)).empty()) << "one digit names no fan-out folder";
  EXPECT_TRUE(s.keys_with_prefix("zz").empty());
  EXPECT_TRUE(s.keys_with_prefix(hex(sha256("absent"))).empty());
}

TEST_F(StoreTest, RehashSaysWhatTheBytesHashToNow) {
  Store s(dir_);
  Digest k = s.put("right");
  EXPECT_EQ(s.rehash(k), k);
  overwrite(s.path(k), "wrong");
  EXPECT_EQ(s.rehash(k), sha256("wrong"));
  EXPECT_EQ(s.rehash(sha256("absent")), std::nullopt);
}

TEST_F(StoreTest, ListsRefsAndTempFilesAndRemovesThem) {
  Store s(dir_);
  Digest k = s.put("x");
  s.put_ref("result of a", k);
  s.put_ref("result of b", k);
  make_dirs(parent_of(s.ref_path("bad")));
  std::ofstream(s.ref_path("bad")) << "not a ref\n";
  std::vector<StoredRef> refs = s.refs();
  ASSERT_EQ(refs.size(), 3u);
  size_t malformed = 0;
  for (const StoredRef& r : refs) {
    if (!r.target) ++malformed;
    else EXPECT_EQ(*r.target, k);
  }
  EXPECT_EQ(malformed, 1u);
  s.download_path(k);
  std::ofstream(dir_ + "/tmp/123.456") << "half written";
  const std::vector<TempFile> temp = s.temp_files();
  ASSERT_EQ(temp.size(), 1u);
  EXPECT_EQ(temp[0].path, dir_ + "/tmp/123.456");
  EXPECT_EQ(temp[0].bytes, 12u);

  s.remove({s.ref_path("result of a")});
  EXPECT_EQ(s.get_ref("result of a"), std::nullopt);
  EXPECT_EQ(s.get_ref("result of b"), k);
  s.remove({s.path(k), temp[0].path});
  EXPECT_FALSE(s.has(k));
  EXPECT_TRUE(s.temp_files().empty());
  s.remove({s.path(k)});  // gone already: no error
  EXPECT_TRUE(s.objects().empty());
}

}  // namespace
}  // namespace grid
