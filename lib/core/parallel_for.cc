#include "core/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "core/worker_pool.h"

namespace grid {
namespace {

// Indices a thread takes at once from the shared counter.
constexpr size_t kChunk = 64;

}  // namespace

int hardware_threads() {
  static const int n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return n;
}

void parallel_for(size_t n, int threads, const std::function<void(size_t)>& fn) {
  size_t t = threads > 0 ? static_cast<size_t>(threads) : static_cast<size_t>(hardware_threads());
  t = std::min(t, (n + kChunk - 1) / kChunk);
  std::atomic<size_t> next{0};
  // An exception must not escape a thread (that ends the process): the one
  // of the lowest index is rethrown here, as a plain loop would have.
  std::mutex failed_mu;
  size_t failed_at = n;
  std::exception_ptr failed;
  auto work = [&] {
    for (size_t b; (b = next.fetch_add(kChunk)) < n;)
      for (size_t i = b; i < std::min(b + kChunk, n); ++i) {
        try {
          fn(i);
        } catch (...) {
          std::lock_guard<std::mutex> lock(failed_mu);
          if (i < failed_at) failed_at = i, failed = std::current_exception();
        }
      }
  };
  // The process's kept workers, as the GEMMs use them: no thread started
  // and joined per call. (The pool caps t at WorkerPool::kMaxThreads.)
  if (t <= 1) work();
  else WorkerPool::shared().run(static_cast<int>(std::min<size_t>(t, WorkerPool::kMaxThreads)), [&](int, int) { work(); });
  if (failed) std::rethrow_exception(failed);
}

}  // namespace grid
