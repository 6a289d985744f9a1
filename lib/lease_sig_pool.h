// Signature checks on a few threads while the reader goes on parsing:
// Ed25519 verification is most of an award's time, and each message's
// check is independent of every other.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "canonical_json.h"

namespace grid {

// The outcome of checking one message's id and signature.
struct SignatureCheck {
  bool ok = false;
  std::string signer, why;
};

class SignaturePool {
 public:
  // threads <= 0: one per core.
  explicit SignaturePool(int threads = 0);
  ~SignaturePool();
  SignaturePool(const SignaturePool&) = delete;
  SignaturePool& operator=(const SignaturePool&) = delete;

  // Queues a check of *message into *out. Both must stay where they are
  // (e.g. in a std::deque) until finish() returns.
  void submit(const json* message, SignatureCheck* out);
  // Returns once every submitted check is done; the caller's thread helps.
  void finish();

 private:
  struct Job {
    const json* message;
    SignatureCheck* out;
  };
  void work(bool until_empty);
  std::mutex mu_;
  std::condition_variable more_;
  std::vector<Job> queue_;
  size_t busy_ = 0;
  std::condition_variable idle_;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace grid
