#include "measure/cost_fit.h"

#include <gtest/gtest.h>

namespace grid {
namespace {

Measured run(double gflop, double melement, double seconds) {
  return {TaskWork{{"task", 1}, {"gflop", gflop}, {"melement", melement}}, seconds};
}

TEST(CostFit, RecoversTheCostsRunsWereMadeWith) {
  // 30 ms a task, 10 ms a GFLOP, 40 ms a million elements.
  auto t = [](double g, double m) { return run(g, m, 0.03 + 0.01 * g + 0.04 * m); };
  const auto c = fit_unit_costs({t(1e-6, 1e-3), t(0.002, 1.05), t(2.1, 3.1), t(0.5, 0.2)}, {"gflop", "melement"},
                                json::object());
  EXPECT_NEAR(c.at("gflop"), 0.01, 1e-12);
  EXPECT_NEAR(c.at("melement"), 0.04, 1e-12);
}

TEST(CostFit, AUnitTheNoiseMakesNegativeIsZeroAndTheOthersAreFittedWithoutIt) {
  // Elements cost nothing; the element-heavy run came out 2 ms faster than
  // the base. Fitting both and clamping the negative one would leave
  // gflop at 13 ms (it absorbs melement's -2 ms x 3); refitted alone, the
  // big run says 10 ms.
  const std::vector<Measured> runs = {run(0, 0, 0.030), run(0, 1, 0.028), run(2, 3, 0.050)};
  const auto c = fit_unit_costs(runs, {"gflop", "melement"}, json::object());
  EXPECT_EQ(c.at("melement"), 0);
  // The element run (no GFLOP) carries no weight on gflop: only the big run's.
  EXPECT_NEAR(c.at("gflop"), 0.01, 1e-12);
}

TEST(CostFit, KnownCostsAreTakenOutFirst) {
  // 1 s a million data values, known; 5 ms a step, fitted.
  auto t = [](double steps, double mvalues) {
    return Measured{TaskWork{{"task", 1}, {"step", steps}, {"data_mvalue", mvalues}}, 0.02 + 0.005 * steps + mvalues};
  };
  const auto c = fit_unit_costs({t(1, 0.001), t(10, 0.01), t(100, 0.002)}, {"step"}, {{"data_mvalue", 1.0}});
  EXPECT_NEAR(c.at("step"), 0.005, 1e-12);
}

TEST(CostFit, SecondsAtSumsUnitsTimesCostsLeavingOutOne) {
  const TaskWork w{{"task", 1}, {"gflop", 2}, {"store_write", 3}};
  const json costs = {{"task", 0.5}, {"gflop", 0.25}, {"store_write", 0.01}, {"melement", 7}};
  EXPECT_DOUBLE_EQ(seconds_at(w, costs), 0.5 + 0.5 + 0.03);
  EXPECT_DOUBLE_EQ(seconds_at(w, costs, "task"), 0.5 + 0.03);
}

}  // namespace
}  // namespace grid
