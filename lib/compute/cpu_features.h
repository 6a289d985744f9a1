// The x86 SIMD features the CPU kernels are chosen by: OpenBLAS's core type
// (compute/openblas.h), the exact GEMM's micro-kernel (compute/
// exact_gemm.h) and Freivalds' sums (compute/freivalds.h).
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

// AVX-512 F, CD, BW, DQ and VL: Skylake-X's set, which OpenBLAS's SkylakeX
// kernels and GCC's arch=x86-64-v4 code assume.
inline bool has_avx512_skylake(const CpuFeatures& f) {
  return f.avx512f && f.avx512cd && f.avx512bw && f.avx512dq && f.avx512vl;
}

}  // namespace grid
