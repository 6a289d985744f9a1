// CPU feature sets written out, for the tests of what is chosen by the
// CPU's features: OpenBLAS's core type and the exact GEMM's kernel.
#pragma once

#include "compute/cpu_features.h"

namespace grid {

// A Haswell-class CPU: AVX2 and FMA, no AVX-512.
inline CpuFeatures avx2_fma() {
  CpuFeatures f;
  f.avx = f.avx2 = f.fma = true;
  return f;
}

// A Skylake-X-class CPU: the AVX-512 subsets OpenBLAS's kernels need.
inline CpuFeatures avx512() {
  CpuFeatures f = avx2_fma();
  f.avx512f = f.avx512cd = f.avx512bw = f.avx512dq = f.avx512vl = true;
  return f;
}

}  // namespace grid
