// The x86 SIMD features the CPU kernels are chosen by: OpenBLAS's core type
// (compute/openblas.h) and the exact GEMM's micro-kernel (compute/
// exact_gemm.h).
#pragma once

namespace grid {

// From cpu_features() or, in tests, written out.
struct CpuFeatures {
  bool amd = false;
  bool avx = false;
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512cd = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512bf16 = false;
};

// This CPU's, as the OS lets programs use them (AVX state saved). All
// false off x86-64.
CpuFeatures cpu_features();

}  // namespace grid
