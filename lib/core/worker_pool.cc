#include "core/worker_pool.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <system_error>

namespace grid {
namespace {

using Clock = std::chrono::steady_clock;

// How long a worker that has just finished a part, or a caller waiting for
// the workers, spins before it sleeps: a training step's products follow
// each other within tens of microseconds, and waking a sleeping thread
// costs about as much again. Spinning longer would only burn a core that
// other processes may want.
constexpr auto kSpin = std::chrono::microseconds(100);
constexpr int kCountBits = 16;
constexpr std::uint64_t kCountMask = (std::uint64_t{1} << kCountBits) - 1;
static_assert(WorkerPool::kMaxThreads <= kCountMask, "a count fits its bits");

// Spins until done() or kSpin has passed; returns done(). Each turn yields
// the core: on a loaded machine the thread we wait for may be the one
// waiting for it.
template <typename Done>
bool spin_until(const Done& done) {
  const Clock::time_point end = Clock::now() + kSpin;
  while (!done()) {
    if (Clock::now() >= end) return done();
    std::this_thread::yield();
  }
  return true;
}

}  // namespace

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

WorkerPool& WorkerPool::shared() {
  static WorkerPool* pool = new WorkerPool;
  return *pool;
}

void WorkerPool::grow(int wanted) {
  const std::uint64_t now = job_.load(std::memory_order_relaxed);
  while (static_cast<int>(workers_.size()) < wanted) {
    try {
      workers_.emplace_back(&WorkerPool::work, this, static_cast<int>(workers_.size()), now);
    } catch (const std::system_error&) {
      return;  // fewer workers: run() shares the work among those there are
    }
  }
}

void WorkerPool::work(int index, std::uint64_t seen) {
  bool spin = false;  // only after taking part: the others are not wanted soon
  const auto news = [&] {
    return stop_.load(std::memory_order_relaxed) || job_.load(std::memory_order_acquire) != seen;
  };
  for (;;) {
    if (!(spin && spin_until(news))) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, news);
    }
    if (stop_.load()) return;
    seen = job_.load(std::memory_order_acquire);
    const int count = static_cast<int>(seen & kCountMask);
    spin = index + 1 < count;
    if (!spin) continue;
    try {
      (*fn_)(index + 1, count);
    } catch (...) {
      std::terminate();
    }
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      done_.notify_one();
    }
  }
}

void WorkerPool::run(int threads, const std::function<void(int, int)>& fn) {
  threads = std::clamp(threads, 1, kMaxThreads);
  if (threads == 1) return fn(0, 1);
  bool idle = false;
  if (!busy_.compare_exchange_strong(idle, true, std::memory_order_acquire)) {
    WorkerPool own;
    return own.run(threads, fn);
  }
  struct Release {
    std::atomic<bool>& busy;
    ~Release() { busy.store(false, std::memory_order_release); }
  } release{busy_};
  grow(threads - 1);
  const int count = std::min(threads, static_cast<int>(workers_.size()) + 1);
  if (count == 1) return fn(0, 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    remaining_.store(count - 1, std::memory_order_relaxed);
    const std::uint64_t generation = (job_.load(std::memory_order_relaxed) >> kCountBits) + 1;
    job_.store(generation << kCountBits | static_cast<std::uint64_t>(count), std::memory_order_release);
  }
  wake_.notify_all();
  std::exception_ptr failed;
  try {
    fn(0, count);
  } catch (...) {
    failed = std::current_exception();
  }
  const auto finished = [&] { return remaining_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(finished)) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, finished);
  }
  if (failed) std::rethrow_exception(failed);
}

}  // namespace grid
