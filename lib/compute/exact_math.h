// Elementwise FP32 functions that give the same bits on every CPU and GPU.
//
// Each function is a fixed sequence of IEEE-754 correctly rounded operations
// (+ - * / sqrt fma, comparisons, exponent bit manipulation) in round-to-
// nearest-even with subnormals kept. Because every step is correctly rounded,
// the sequence has exactly one possible result, wherever it runs. Nothing here
// calls libm's exp/log or CUDA's approximate intrinsics (__expf, __logf).
//
// Contract for includers: host code must be compiled with -ffp-contract=off
// (the Makefile does), or the compiler may fuse a*b+c and change bits. Device
// code uses the __f*_rn intrinsics, which nvcc never fuses.
//
// NaN results are NaN but their sign and payload are not specified (x86 keeps
// an input's payload, NVIDIA GPUs return a canonical NaN). Anything that hashes
// outputs must canonicalize NaN first.
#ifndef GRID_EXACT_MATH_H
#define GRID_EXACT_MATH_H

#include <cmath>
#include <cstdint>
#include <cstring>

#ifdef __CUDACC__
#define GRID_HD __host__ __device__
#else
#define GRID_HD
#endif

namespace grid {

GRID_HD inline std::uint32_t float_bits(float x) {
#ifdef __CUDA_ARCH__
  return __float_as_uint(x);
#else
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
#endif
}

GRID_HD inline float bits_float(std::uint32_t u) {
#ifdef __CUDA_ARCH__
  return __uint_as_float(u);
#else
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
#endif
}

GRID_HD inline float exact_add(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}

GRID_HD inline float exact_sub(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}

GRID_HD inline float exact_mul(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}

GRID_HD inline float exact_div(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}

// a*b+c with a single rounding.
GRID_HD inline float exact_fma(float a, float b, float c) {
#ifdef __CUDA_ARCH__
  return __fmaf_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

GRID_HD inline float exact_sqrt(float x) {
#ifdef __CUDA_ARCH__
  return __fsqrt_rn(x);
#else
  return std::sqrt(x);  // IEEE-754 requires sqrt to be correctly rounded.
#endif
}

GRID_HD inline bool exact_isnan(float x) { return x != x; }

// x > 0 ? x : +0, except that NaN in gives NaN out (a NaN activation must not
// be silently hidden). relu(-0) = +0.
GRID_HD inline float exact_relu(float x) {
  if (exact_isnan(x)) return x;
  return x > 0.0f ? x : 0.0f;
}

// 2^e as a float, for -126 <= e <= 127 (normal range only).
GRID_HD inline float exact_pow2(int e) {
  return bits_float(static_cast<std::uint32_t>(e + 127) << 23);
}

// e^x, within 2 ulp of the true value (tests measure it). Overflows to +Inf,
// underflows through the subnormals to +0; exp(NaN) = NaN, exp(-Inf) = +0.
GRID_HD inline float exact_exp(float x) {
  if (exact_isnan(x)) return exact_add(x, x);
  // Beyond these, the result is +Inf or rounds to +0 (e^-104 < 2^-150); the
  // cut-offs also keep k below within int range.
  if (x > 89.0f) return bits_float(0x7f800000u);
  if (x < -104.0f) return 0.0f;

  // k = nearest integer to x/ln2: adding 1.5*2^23 forces rounding to an
  // integer, in the same way on every IEEE machine.
  const float kRoundMagic = 0x1.8p23f;
  const float kLog2e = 0x1.715476p+0f;
  const float kf = exact_sub(exact_add(exact_mul(x, kLog2e), kRoundMagic), kRoundMagic);
  const int k = static_cast<int>(kf);

  // Cody-Waite: ln2_hi has trailing zero bits so kf*ln2_hi is exact for
  // |k| <= 150; the fma keeps r = x - k*ln2 accurate to ~1e-13 absolute.
  const float kLn2Hi = 0x1.62e4p-1f;
  const float kLn2Lo = 0x1.7f7d1cp-20f;
  float r = exact_fma(-kf, kLn2Hi, x);
  r = exact_fma(-kf, kLn2Lo, r);

  // Taylor series to degree 7 on |r| <= ln2/2: truncation error < 5e-9
  // relative, well below half an ulp (6e-8).
  float q = 0x1.a01a02p-13f;             // 1/7!
  q = exact_fma(q, r, 0x1.6c16c2p-10f);  // 1/6!
  q = exact_fma(q, r, 0x1.111112p-7f);   // 1/5!
  q = exact_fma(q, r, 0x1.555556p-5f);   // 1/4!
  q = exact_fma(q, r, 0x1.555556p-3f);   // 1/3!
  q = exact_fma(q, r, 0.5f);
  q = exact_fma(q, r, 1.0f);
  const float p = exact_fma(q, r, 1.0f);  // p in [0.7, 1.42]

  // p * 2^k, with k in [-150, 128]. The first step is exact (stays normal),
  // so the only rounding is the last multiply: subnormal results are rounded
  // once, and overflow to +Inf happens in that one multiply.
  if (k > 127) return exact_mul(exact_mul(p, exact_pow2(127)), exact_pow2(k - 127));
  if (k < -125) return exact_mul(exact_mul(p, exact_pow2(k + 100)), exact_pow2(-100));
  return exact_mul(p, exact_pow2(k));
}

// Natural logarithm, within 2 ulp (tests measure it). log(+-0) = -Inf,
// log(x < 0) = NaN, log(+Inf) = +Inf, log(NaN) = NaN; subnormals are
// normalized first so they get full accuracy.
GRID_HD inline float exact_log(float x) {
  if (exact_isnan(x)) return exact_add(x, x);
  if (x < 0.0f) return bits_float(0x7fc00000u);
  if (x == 0.0f) return bits_float(0xff800000u);
  if (x == bits_float(0x7f800000u)) return x;

  int e = 0;
  if (x < 0x1p-126f) {  // subnormal: scale by 2^23 (exact) to normalize
    x = exact_mul(x, 0x1p23f);
    e = -23;
  }
  // x = m * 2^e with m in [sqrt(2)/2, sqrt(2)), so f = m - 1 is small and the
  // series below converges fast on both sides of 1.
  const std::uint32_t bits = float_bits(x);
  e += static_cast<int>(bits >> 23) - 127;
  const std::uint32_t mant = bits & 0x007fffffu;
  const std::uint32_t kSqrt2Mant = 0x003504f3u;  // mantissa bits of sqrt(2)
  float m;
  if (mant > kSqrt2Mant) {
    m = bits_float(mant | 0x3f000000u);  // in [0.5, 1)
    e += 1;
  } else {
    m = bits_float(mant | 0x3f800000u);  // in [1, 2)
  }
  const float f = exact_sub(m, 1.0f);  // exact (Sterbenz)

  // fdlibm/FreeBSD logf: log(1+f) = f - f^2/2 + s*(f^2/2 + R(s^2)),
  // s = f/(2+f); R's minimax error is < 2^-34 on this interval.
  const float s = exact_div(f, exact_add(2.0f, f));
  const float z = exact_mul(s, s);
  float t = exact_fma(z, 0x1.f13c4cp-3f, 0x1.23d3dcp-2f);
  t = exact_fma(z, t, 0x1.999c26p-2f);
  t = exact_fma(z, t, 0x1.555554p-1f);
  const float R = exact_mul(z, t);
  const float hfsq = exact_mul(exact_mul(0.5f, f), f);

  // e*ln2 split so that e*kLn2Hi is exact (|e| < 2^8, kLn2Hi has 16 bits).
  const float kLn2Hi = 0x1.62e3p-1f;
  const float kLn2Lo = 0x1.2fefa2p-17f;
  const float ef = static_cast<float>(e);
  const float corr = exact_add(exact_mul(s, exact_add(hfsq, R)), exact_mul(ef, kLn2Lo));
  return exact_sub(exact_mul(ef, kLn2Hi), exact_sub(exact_sub(hfsq, corr), f));
}

// The unary operations, by name, so one kernel (CPU or GPU) can run any of
// them and tests can compare both sides op by op.
enum class ExactUnary : int { exp = 0, log = 1, sqrt = 2, relu = 3 };

GRID_HD inline float exact_unary(ExactUnary op, float x) {
  switch (op) {
    case ExactUnary::exp: return exact_exp(x);
    case ExactUnary::log: return exact_log(x);
    case ExactUnary::sqrt: return exact_sqrt(x);
    case ExactUnary::relu: return exact_relu(x);
  }
  return bits_float(0x7fc00000u);
}

// The basic binary operations, by name, for the same reason: one device
// kernel runs each of them so tests can compare its bits with the CPU's.
enum class ExactBinary : int { add = 0, sub = 1, mul = 2, div = 3 };

GRID_HD inline float exact_binary(ExactBinary op, float a, float b) {
  switch (op) {
    case ExactBinary::add: return exact_add(a, b);
    case ExactBinary::sub: return exact_sub(a, b);
    case ExactBinary::mul: return exact_mul(a, b);
    case ExactBinary::div: return exact_div(a, b);
  }
  return bits_float(0x7fc00000u);
}

}  // namespace grid

#endif  // GRID_EXACT_MATH_H
