#include "measure/timing.h"

#include <gtest/gtest.h>

namespace grid {
namespace {

TEST(Timing, SpreadOfOddAndEvenCounts) {
  Spread s = spread_of({3, 1, 2});
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.median, 2);
  EXPECT_EQ(s.max, 3);
  s = spread_of({4, 1, 3, 2});
  EXPECT_EQ(s.median, 2.5);
}

TEST(Timing, RateSpreadInvertsTimes) {
  Spread r = rate_spread({0.5, 0.25, 1.0}, 10.0);
  EXPECT_EQ(r.min, 10.0);
  EXPECT_EQ(r.median, 20.0);
  EXPECT_EQ(r.max, 40.0);
}

TEST(Timing, TimeRunsCountsRepetitions) {
  int calls = 0;
  auto t = time_runs([&] { ++calls; }, 2, 5);
  EXPECT_EQ(calls, 7);
  EXPECT_EQ(t.size(), 5u);
  for (double x : t) EXPECT_GE(x, 0.0);
}

TEST(Timing, SpreadJsonKeepsFourSignificantDigits) {
  json j = spread_json({0.000123456, 12345.678, 1.0});
  EXPECT_DOUBLE_EQ(j["min"].get<double>(), 0.0001235);
  EXPECT_DOUBLE_EQ(j["median"].get<double>(), 12350.0);
}

}  // namespace
}  // namespace grid
