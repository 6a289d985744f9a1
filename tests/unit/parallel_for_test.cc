#include "core/parallel_for.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace grid {
namespace {

TEST(ParallelFor, EveryIndexRunsOnceAtAnySizeAndThreadCount) {
  std::mt19937 rng(7);
  for (int round = 0; round < 40; ++round) {
    const size_t n = std::uniform_int_distribution<size_t>(0, 5000)(rng);
    const int threads = std::uniform_int_distribution<int>(-1, 9)(rng);
    std::vector<std::atomic<int>> runs(n);
    parallel_for(n, threads, [&](size_t i) { runs.at(i).fetch_add(1); });
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(runs[i].load(), 1) << "n " << n << " threads " << threads << " index " << i;
  }
}

TEST(ParallelFor, UsesMoreThanOneThreadWhenAsked) {
  std::mutex mu;
  std::set<std::thread::id> seen;
  std::atomic<int> inside{0};
  // Each index waits (bounded) for a second one to be in flight, so the
  // loop cannot finish on one thread before another takes part.
  parallel_for(256, 2, [&](size_t) {
    inside.fetch_add(1);
    for (int spin = 0; spin < 200000 && inside.load() < 2; ++spin) std::this_thread::yield();
    std::lock_guard<std::mutex> lock(mu);
    seen.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(seen.size(), 2u);
}

TEST(ParallelFor, RethrowsTheLowestIndexsExceptionAfterEveryIndexRan) {
  std::atomic<size_t> ran{0};
  try {
    parallel_for(1000, 4, [&](size_t i) {
      ran.fetch_add(1);
      if (i == 900 || i == 123 || i == 517) throw std::runtime_error("index " + std::to_string(i));
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "index 123");
  }
  EXPECT_EQ(ran.load(), 1000u);
}

// A loop inside a loop (a checker thread's GEMM, say) finds the shared
// workers busy and gets its own: it finishes, and so does the outer one.
TEST(ParallelFor, NestedLoopsFinish) {
  std::vector<std::atomic<int>> cells(64 * 200);
  parallel_for(64, 2, [&](size_t i) {
    parallel_for(200, 2, [&](size_t j) { cells.at(i * 200 + j).fetch_add(1); });
  });
  for (const auto& c : cells) ASSERT_EQ(c.load(), 1);
}

TEST(ParallelFor, HardwareThreadsIsAtLeastOne) { EXPECT_GE(hardware_threads(), 1); }

}  // namespace
}  // namespace grid
