#include "lease_sig_pool.h"

#include <algorithm>

#include "message.h"

namespace grid {

namespace {
// Jobs taken at once: few lock round trips, yet even shares at the end.
constexpr size_t kBatch = 64;
}  // namespace

SignaturePool::SignaturePool(int threads) {
  const unsigned n = threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned t = 0; t < n; ++t) threads_.emplace_back([this] { work(false); });
}

SignaturePool::~SignaturePool() {
  {
    std::lock_guard<std::mutex> g(mu_);
    closing_ = true;
  }
  more_.notify_all();
  for (auto& t : threads_) t.join();
}

void SignaturePool::submit(const json* message, SignatureCheck* out) {
  bool wake;
  {
    std::lock_guard<std::mutex> g(mu_);
    queue_.push_back({message, out});
    wake = queue_.size() >= kBatch;
  }
  if (wake) more_.notify_one();
}

void SignaturePool::work(bool until_empty) {
  std::vector<Job> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (until_empty) {
        if (queue_.empty()) return;
      } else {
        more_.wait(lock, [&] { return closing_ || queue_.size() >= kBatch || (!queue_.empty() && until_empty); });
        if (queue_.empty()) {
          if (closing_) return;
          continue;
        }
      }
      const size_t take = std::min(kBatch, queue_.size());
      batch.assign(queue_.end() - static_cast<std::ptrdiff_t>(take), queue_.end());
      queue_.resize(queue_.size() - take);
      ++busy_;
    }
    for (Job& j : batch) {
      Status s = check_signature(*j.message, &j.out->signer);
      j.out->ok = s.ok();
      if (!s.ok()) j.out->why = s.reason();
    }
    {
      std::lock_guard<std::mutex> g(mu_);
      --busy_;
    }
    idle_.notify_all();
  }
}

void SignaturePool::finish() {
  work(true);  // take what is left, alongside the pool
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [&] { return busy_ == 0 && queue_.empty(); });
}

}  // namespace grid
