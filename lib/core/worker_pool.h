// Worker threads kept from call to call, for work split into a few
// short-lived parts many times a second (the exact GEMM's products, a
// dozen a training step): starting and joining threads for each would
// cost tens of microseconds a call.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace grid {

class WorkerPool {
 public:
  WorkerPool() = default;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Stops and joins the workers; no run() may be in progress.
  ~WorkerPool();

  // Runs fn(t, count) for every t in [0, count), concurrently, t = 0 on the
  // calling thread, and returns once all have returned. count is `threads`
  // (at least 1, at most kMaxThreads), or fewer when the system refuses a
  // new thread: fn shares the work by count. When the workers are busy (a
  // run on another thread, or a run from inside fn), the run gets workers
  // of its own, started and joined for it. If fn(0, count) throws, the
  // exception is rethrown once the workers are done; fn throwing on a
  // worker ends the process (as on a std::thread).
  void run(int threads, const std::function<void(int, int)>& fn);

  // The one pool of this process, never destroyed: a caller may still be
  // in run() while static destructors run at exit.
  static WorkerPool& shared();

  // More threads than any machine we target; bounds what a wild `threads`
  // makes us start, and fits the job word below.
  static constexpr int kMaxThreads = 1024;

 private:
  void work(int index, std::uint64_t seen);
  // Starts workers up to `wanted`; stops early when the system refuses one.
  void grow(int wanted);

  std::atomic<bool> busy_{false};  // set by the run that uses the workers
  std::mutex mu_;    // with wake_ and done_, for the workers and caller that sleep
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* fn_ = nullptr;
  // The job: its generation (one more each run) above 16 bits of count,
  // in one word so that a worker never pairs one run's count with another
  // run's generation. Worker i takes part when i + 1 < count.
  std::atomic<std::uint64_t> job_{0};
  std::atomic<int> remaining_{0};  // workers still in the job
  std::atomic<bool> stop_{false};
};

}  // namespace grid
