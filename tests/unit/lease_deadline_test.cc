#include "jobs/lease_deadline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/timestamp.h"

namespace grid {
namespace {

// 2026-11-28T20:00:00Z: the deadline of every watch here.
constexpr int64_t kDeadline = 1795896000;

struct Watched {
  std::vector<std::string> warnings;
  DeadlineWatch watch;
  explicit Watched(double start)
      : watch("sha256:aa", kDeadline, start, [this](const std::string& w) { warnings.push_back(w); }) {}
};

TEST(DeadlineWatch, BeforeWarnsOnlyWhenTheDeadlineHasPassed) {
  Watched early(kDeadline - 1);
  early.watch.before();
  EXPECT_TRUE(early.warnings.empty());
  // A deadline at the start has passed: pay-settle expires a hold whose
  // deadline is now.
  Watched at(kDeadline);
  at.watch.before();
  ASSERT_EQ(at.warnings.size(), 1u);
  Watched late(kDeadline + 90);
  late.watch.before();
  ASSERT_EQ(late.warnings.size(), 1u);
  EXPECT_EQ(late.warnings[0],
            "warning: lease sha256:aa: its deadline 2026-11-28T20:00:00Z had passed when this run started, 1 min 30 s "
            "after it; pay-settle gives a lease's hold back to the buyer once its deadline has passed");
}

TEST(DeadlineWatch, PaceProjectsTheRestAtTheMeasuredRate) {
  // 100 s before the deadline; 10 of 100 steps took 20 s: 180 s to go.
  Watched w(kDeadline - 100);
  w.watch.pace(10, 100, "steps", 20, 21);
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_EQ(w.warnings[0],
            "warning: lease sha256:aa: at its pace so far (10 of 100 steps in 20 s) it ends about "
            "2026-11-28T20:01:41Z, 1 min 41 s past its deadline 2026-11-28T20:00:00Z; pay-settle gives a lease's "
            "hold back to the buyer once its deadline has passed");
  // One warning a lease.
  w.watch.pace(11, 100, "steps", 40, 41);
  w.watch.finished(500);
  EXPECT_EQ(w.warnings.size(), 1u);
}

TEST(DeadlineWatch, PaceThatEndsInTimeIsQuiet) {
  Watched w(kDeadline - 100);
  w.watch.pace(50, 100, "rows", 10, 10);  // 10 s more: 80 s early
  w.watch.pace(100, 100, "rows", 20, 20);  // done: finished() speaks for the end
  w.watch.finished(20);
  EXPECT_TRUE(w.warnings.empty());
  EXPECT_FALSE(w.watch.warned());
}

TEST(DeadlineWatch, PaceIsCheckedOnlyEverySoOften) {
  Watched w(kDeadline - 10);
  // Within the first kPaceCheckSeconds nothing is projected, however slow.
  w.watch.pace(1, 1000, "steps", kPaceCheckSeconds / 2, kPaceCheckSeconds / 2);
  EXPECT_TRUE(w.warnings.empty());
  // The first check, in time; the next call, too soon after it, is not a check.
  w.watch.pace(500, 1000, "steps", kPaceCheckSeconds, kPaceCheckSeconds);
  EXPECT_TRUE(w.warnings.empty());
  w.watch.pace(501, 1000, "steps", 9, kPaceCheckSeconds * 1.5);
  EXPECT_TRUE(w.warnings.empty());
  w.watch.pace(502, 1000, "steps", 9, kPaceCheckSeconds * 2);
  EXPECT_EQ(w.warnings.size(), 1u);
}

TEST(DeadlineWatch, FinishedLateWarnsWithHowLate) {
  Watched w(kDeadline - 2);
  w.watch.finished(2);  // on the deadline: in time
  EXPECT_TRUE(w.warnings.empty());
  w.watch.finished(2.25);
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_EQ(w.warnings[0],
            "warning: lease sha256:aa: the run ended 2026-11-28T20:00:01Z, 1 s past its deadline "
            "2026-11-28T20:00:00Z; pay-settle gives a lease's hold back to the buyer once its deadline has passed");
}

TEST(DurationText, RoundsToTheSecondAndNamesUnits) {
  EXPECT_EQ(duration_text(0.4), "0 s");
  EXPECT_EQ(duration_text(59.6), "1 min 0 s");
  EXPECT_EQ(duration_text(3 * 3600 + 5 * 60 + 7), "3 h 5 min");
}

}  // namespace
}  // namespace grid
