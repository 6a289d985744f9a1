#include "core/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace grid {
namespace {

// Which parts ran, and with which count, in one run.
struct Parts {
  std::mutex mu;
  std::vector<int> seen;  // times part t ran
  std::set<int> counts;
  std::set<std::thread::id> threads;
};

void run_and_record(WorkerPool& pool, int threads, Parts* parts) {
  parts->seen.assign(static_cast<size_t>(threads), 0);
  parts->counts.clear();
  pool.run(threads, [&](int t, int count) {
    std::lock_guard<std::mutex> lock(parts->mu);
    ++parts->seen.at(static_cast<size_t>(t));
    parts->counts.insert(count);
    parts->threads.insert(std::this_thread::get_id());
  });
}

TEST(WorkerPool, EveryPartRunsOnceWithTheCount) {
  WorkerPool pool;
  Parts parts;
  for (int threads : {1, 2, 5, 3, 8, 2, 1}) {
    run_and_record(pool, threads, &parts);
    EXPECT_EQ(parts.counts, std::set<int>{threads}) << "threads " << threads;
    for (int t = 0; t < threads; ++t) EXPECT_EQ(parts.seen[t], 1) << "part " << t << " of " << threads;
  }
  // Part 0 runs on the caller; the others on the pool's 7 workers.
  EXPECT_EQ(parts.threads.size(), 8u);
  EXPECT_EQ(parts.threads.count(std::this_thread::get_id()), 1u);
}

TEST(WorkerPool, KeepsItsThreadsFromRunToRun) {
  WorkerPool pool;
  Parts parts;
  for (int i = 0; i < 50; ++i) run_and_record(pool, 3, &parts);
  EXPECT_EQ(parts.threads.size(), 3u);
}

// Runs back to back (workers still spinning) and after a pause (workers
// asleep) both reach every part.
TEST(WorkerPool, RunsBackToBackAndAfterAPause) {
  WorkerPool pool;
  std::atomic<long> sum{0};
  for (int i = 0; i < 500; ++i) pool.run(2, [&](int t, int) { sum += t + 1; });
  EXPECT_EQ(sum.load(), 500L * 3);
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    pool.run(3, [&](int t, int) { sum += t + 1; });
  }
  EXPECT_EQ(sum.load(), 500L * 3 + 3L * 6);
}

// A run while the workers are busy gets threads of its own: from another
// thread, and from inside a part.
TEST(WorkerPool, RunsWhileBusyOnThreadsOfTheirOwn) {
  WorkerPool pool;
  std::atomic<long> sum{0};
  std::thread other([&] {
    for (int i = 0; i < 300; ++i) pool.run(2, [&](int t, int) { sum += t + 1; });
  });
  for (int i = 0; i < 300; ++i) pool.run(3, [&](int t, int) { sum += t + 1; });
  other.join();
  EXPECT_EQ(sum.load(), 300L * 3 + 300L * 6);

  std::atomic<int> inner{0};
  pool.run(2, [&](int, int) { pool.run(2, [&](int, int count) { inner += count; }); });
  EXPECT_EQ(inner.load(), 2 * 2 * 2);
}

TEST(WorkerPool, TheCallersExceptionComesBackAfterTheWorkersFinish) {
  WorkerPool pool;
  std::atomic<int> finished{0};
  EXPECT_THROW(pool.run(3,
                        [&](int t, int) {
                          if (t == 0) throw std::runtime_error("part 0");
                          std::this_thread::sleep_for(std::chrono::milliseconds(2));
                          ++finished;
                        }),
               std::runtime_error);
  EXPECT_EQ(finished.load(), 2);
  pool.run(2, [&](int, int) { ++finished; });
  EXPECT_EQ(finished.load(), 4);
}

TEST(WorkerPool, ZeroOrFewerThreadsRunOnePartOnTheCaller) {
  WorkerPool pool;
  const std::thread::id caller = std::this_thread::get_id();
  for (int threads : {0, -5}) {
    int parts = 0;
    pool.run(threads, [&](int t, int count) {
      EXPECT_EQ(t, 0);
      EXPECT_EQ(count, 1);
      EXPECT_EQ(std::this_thread::get_id(), caller);
      ++parts;
    });
    EXPECT_EQ(parts, 1) << "threads " << threads;
  }
}

}  // namespace
}  // namespace grid
