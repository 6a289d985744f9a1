#include "core/store_gc.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <fstream>

#include "code_of.h"
#include "core/file_io.h"
#include "core/timestamp.h"
#include "temp_dir.h"

namespace grid {
namespace {

std::vector<Digest> named(const json& v, DigestForms forms) {
  std::vector<Digest> out;
  each_named_digest(v, forms, [&](const Digest& d) { out.push_back(d); });
  return out;
}

TEST(NamedDigests, RefsAnywhereAndBareHexOnlyWhenAsked) {
  const Digest a = sha256("a"), b = sha256("b"), c = sha256("c");
  const json v = {{"x", sha256_ref(a)},
                  {"deep", {{"list", {1, sha256_ref(b), {{"leaf", hex(c)}}}}}},
                  {"not", {"sha256:" + hex(a).substr(1), hex(a) + "0", "prefix sha256:" + hex(a), 42, nullptr}},
                  {hex(b), "a member name names nothing"},
                  {"again", sha256_ref(a)}};
  std::vector<Digest> refs = named(v, DigestForms::refs);
  std::sort(refs.begin(), refs.end());
  std::vector<Digest> want = {a, a, b};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(refs, want);
  std::vector<Digest> all = named(v, DigestForms::refs_and_bare_hex);
  std::sort(all.begin(), all.end());
  want.push_back(c);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(all, want);
  EXPECT_TRUE(named(json(hex(a).substr(0, 63)), DigestForms::refs_and_bare_hex).empty());
}

class StoreGcTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    store_ = std::make_unique<Store>(dir_ + "/store");
  }
  // Sets a file's modification time `age` seconds into the past.
  static void age(const std::string& path, int64_t seconds) {
    const int64_t t = now_seconds() - seconds;
    struct utimbuf u = {static_cast<time_t>(t), static_cast<time_t>(t)};
    ASSERT_EQ(::utime(path.c_str(), &u), 0) << path;
  }
  std::vector<Digest> keys() const {
    std::vector<Digest> out;
    for (const StoredObject& o : store_->objects()) out.push_back(o.key);
    return out;
  }
  std::unique_ptr<Store> store_;
};

TEST_F(StoreGcTest, KeepsRootsAndWhatKeptJsonObjectsNameAndRemovesTheRest) {
  Store& s = *store_;
  const Digest state0 = s.put("binary state 0"), state1 = s.put("binary state 1"), model = s.put("model bytes");
  // A chain of records, each naming the one before (as train progress does).
  const Digest rec0 = s.put(json({{"step", 0}, {"state", sha256_ref(state0)}}).dump());
  const Digest rec1 = s.put(json({{"step", 1}, {"prev", sha256_ref(rec0)}, {"states", {hex(state1)}}}).dump());
  // A cached result line naming the model and the newest record.
  const Digest result = s.put(json({{"kind", "result"}, {"model", sha256_ref(model)}, {"at", sha256_ref(rec1)}}).dump() + "\n");
  const Digest junk = s.put("garbage"), junk_json = s.put(json({{"names", sha256_ref(state0)}}).dump());
  // Binary that happens to hold a digest's text: not read, names nothing.
  const Digest other = s.put("\x93NUMPY " + sha256_ref(junk));
  s.put_ref("result of t", result);
  s.put_ref("junk", junk);
  s.put_ref("dangling", sha256("never stored"));

  const GcPlan plan = gc_plan(s, {result}, INT64_MAX);
  std::vector<Digest> doomed;
  for (const StoredObject& o : plan.objects) doomed.push_back(o.key);
  std::vector<Digest> want = {junk, junk_json, other};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(doomed, want);
  EXPECT_EQ(plan.kept, 6u);
  EXPECT_EQ(plan.refs.size(), 2u) << "the junk reference and the dangling one";
  EXPECT_TRUE(plan.temp.empty());

  std::vector<Digest> removed;
  gc_sweep(s, plan, [&](const StoredObject& o) { removed.push_back(o.key); });
  EXPECT_EQ(removed, want);
  std::vector<Digest> left = {state0, state1, model, rec0, rec1, result};
  std::sort(left.begin(), left.end());
  EXPECT_EQ(keys(), left);
  EXPECT_EQ(s.get_ref("result of t"), result);
  EXPECT_EQ(s.get_ref("junk"), std::nullopt);
  EXPECT_EQ(s.get_ref("dangling"), std::nullopt);
  EXPECT_EQ(s.refs().size(), 1u);
  // A second run finds nothing more to do.
  const GcPlan again = gc_plan(s, {result}, INT64_MAX);
  EXPECT_TRUE(again.objects.empty());
  EXPECT_TRUE(again.refs.empty());
}

TEST_F(StoreGcTest, JsonLinesObjectsNameTooAndUnparsableOnesNameNothing) {
  Store& s = *store_;
  const Digest a = s.put("a"), b = s.put("b"), c = s.put("c");
  const Digest lines = s.put("{\"x\":\"" + sha256_ref(a) + "\"}\n{\"y\":[\"" + hex(b) + "\"]}\n");
  const Digest broken = s.put("{\"x\":\"" + sha256_ref(c) + "\"");
  const GcPlan plan = gc_plan(s, {lines, broken}, INT64_MAX);
  ASSERT_EQ(plan.objects.size(), 1u);
  EXPECT_EQ(plan.objects[0].key, c);
}

TEST_F(StoreGcTest, TheGraceKeepsRecentObjectsRefsAndTempFilesAndWhatTheyName) {
  Store& s = *store_;
  const Digest old_state = s.put("old state"), old_junk = s.put("old junk");
  const Digest fresh = s.put(json({{"prev", sha256_ref(old_state)}}).dump());
  const Digest by_ref = s.put("named by a fresh reference");
  s.put_ref("fresh", by_ref);
  s.put_ref("old", old_junk);
  make_dirs(dir_ + "/store/tmp");
  std::ofstream(dir_ + "/store/tmp/1.2") << "old half write";
  std::ofstream(dir_ + "/store/tmp/3.4") << "a write in progress";
  for (const Digest& d : {old_state, old_junk, by_ref}) age(s.path(d), 7200);
  age(s.ref_path("old"), 7200);
  age(dir_ + "/store/tmp/1.2", 7200);

  const GcPlan plan = gc_plan(s, {}, now_seconds() - 3600);
  ASSERT_EQ(plan.objects.size(), 1u);
  EXPECT_EQ(plan.objects[0].key, old_junk);
  ASSERT_EQ(plan.refs.size(), 1u);
  EXPECT_EQ(plan.refs[0].path, s.ref_path("old"));
  ASSERT_EQ(plan.temp.size(), 1u);
  EXPECT_EQ(plan.temp[0].path, dir_ + "/store/tmp/1.2");
  EXPECT_EQ(plan.kept, 3u);
  (void)fresh;
  // Without a grace, no root keeps nothing.
  EXPECT_EQ(gc_plan(s, {}, INT64_MAX).objects.size(), 4u);
}

TEST_F(StoreGcTest, ACorruptKeptJsonObjectStopsTheRunBeforeAnythingIsRemoved) {
  Store& s = *store_;
  const Digest a = s.put("a");
  const Digest rec = s.put(json({{"x", sha256_ref(a)}}).dump());
  const std::string p = s.path(rec);
  ::chmod(p.c_str(), 0644);
  std::ofstream(p, std::ios::trunc) << "{\"x\":\"tampered\"}";
  std::string msg;
  EXPECT_EQ(code_of([&] { gc_plan(s, {rec}, INT64_MAX); }, &msg), Exit::data);
  EXPECT_NE(msg.find(p), std::string::npos) << msg;
  EXPECT_NE(msg.find("nothing is removed"), std::string::npos) << msg;
  // A corrupt object nothing keeps is simply garbage.
  EXPECT_EQ(gc_plan(s, {a}, INT64_MAX).objects.size(), 1u);
}

}  // namespace
}  // namespace grid
