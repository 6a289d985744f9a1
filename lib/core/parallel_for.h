// One loop body over [0, n) on a few threads, shared by the tools that
// check many signatures at once (lease-bid award, pay-settle apply).
#pragma once

#include <cstddef>
#include <functional>

namespace grid {

// Runs fn(i) for i in [0, n) on `threads` threads (<= 0: one per core),
// the calling one and WorkerPool::shared()'s. Every i runs; if any threw,
// the exception of the lowest i is rethrown.
void parallel_for(size_t n, int threads, const std::function<void(size_t)>& fn);

// std::thread::hardware_concurrency(), at least 1, asked once a process:
// glibc reads /sys/devices/system/cpu/online on every call, and a training
// task asks before each of its matrix products (hundreds of opens a task).
int hardware_threads();

}  // namespace grid
