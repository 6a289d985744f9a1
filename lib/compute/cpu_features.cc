#include "compute/cpu_features.h"

namespace grid {

CpuFeatures cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__)
  // __builtin_cpu_supports also asks the OS (XGETBV) whether it saves the
  // AVX and AVX-512 registers: a feature the OS leaves off counts as absent.
  __builtin_cpu_init();
  f.amd = __builtin_cpu_is("amd");
  f.avx = __builtin_cpu_supports("avx");
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512cd = __builtin_cpu_supports("avx512cd");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512dq = __builtin_cpu_supports("avx512dq");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512bf16 = __builtin_cpu_supports("avx512bf16");
#endif
  return f;
}

}  // namespace grid
